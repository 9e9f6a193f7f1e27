"""HistFactory XML + ROOT fixtures and pyhf 0.7.6's ``xml2json`` of them (likelihub's xml2json tests).

Run with the peers' Python (pyhf 0.7.6 with uproot, ``pyhf[xmlio]``), from the repository root:

    /root/.cache/likelihub-peers/bin/python tests/histfactory/data/make_pyhf_xml.py

It writes, under ``tests/histfactory/data/xml``:

- ``handmade/data/hists.root`` and ``handmade/data/cr.root``: the histograms of the hand-written
  XML of ``handmade/config`` (values below; ``hists.root`` holds TH1Ds with sum-of-weights-squared,
  in folders ``SR`` and ``CR``; ``cr.root`` TH1Ds without, so their errors are Poisson);
- ``json2xml_all_modifiers``: ``pyhf json2xml all_modifiers.json`` (XML + data/data.root; the
  absolute path of data.root that pyhf writes into the XML made relative to the folder);
- ``json2xml_multi_channel``: ``pyhf json2xml multi_channel.json``;

and ``tests/histfactory/data/pyhf_xml2json.json``: ``pyhf xml2json`` (``--basedir`` the fixture's
folder) of each fixture, the workspace pyhf printed, by fixture name.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path

import numpy as np
import pyhf
import uproot
from click.testing import CliRunner
from pyhf.cli import cli

HERE = Path(__file__).resolve().parent
XML = HERE / "xml"
OUTPUT = HERE / "pyhf_xml2json.json"

#: (path in the file, bin contents, sum of weights squared or None) of handmade/data/hists.root.
HISTS = [
    ("SR/data", [23.0, 15.0, 6.0], None),
    ("SR/signal", [2.5, 4.0, 3.25], [0.09, 0.16, 0.1225]),
    ("SR/ttbar", [12.0, 7.5, 2.0], [0.64, 0.36, 0.25]),
    ("SR/ttbar_jes_down", [11.0, 7.0, 1.75], [0.6, 0.3, 0.2]),
    ("SR/ttbar_jes_up", [13.5, 8.0, 2.5], [0.7, 0.4, 0.3]),
    ("SR/qcd", [6.0, 3.0, 1.0], [1.0, 0.5, 0.25]),
    ("SR/qcd_shape_rel", [0.2, 0.25, 0.5], None),
    ("SR/qcd_stat_rel", [0.1, 0.15, 0.3], None),
    ("CR/ttbar_jes_down", [95.0, 40.0], [9.0, 4.0]),
    ("CR/ttbar_jes_up", [104.0, 47.0], [10.0, 5.0]),
]
#: The same for handmade/data/cr.root (unweighted: no sum of weights squared).
CR_HISTS = [
    ("CR_data", [108.0, 41.0]),
    ("CR_ttbar", [100.0, 44.0]),
    ("CR_wjets", [8.0, 5.0]),
]


def _th1(name: str, values, sumw2):
    values = np.asarray(values, dtype=float)
    contents = np.concatenate([[0.0], values, [0.0]])
    edges = np.arange(len(values) + 1, dtype=float)
    axis = uproot.writing.identify.to_TAxis("xaxis", "", len(values), 0.0, float(len(values)))
    weights2 = np.array([]) if sumw2 is None else np.concatenate([[0.0], sumw2, [0.0]])
    centres = 0.5 * (edges[1:] + edges[:-1])
    return uproot.writing.identify.to_TH1x(
        name, name, contents, float(values.sum()), float(values.sum()),
        float((values if sumw2 is None else np.asarray(sumw2)).sum()),
        float((values * centres).sum()), float((values * centres**2).sum()), weights2, axis)


def write_histograms() -> None:
    folder = XML / "handmade" / "data"
    folder.mkdir(parents=True, exist_ok=True)
    with uproot.recreate(folder / "hists.root", compression=uproot.ZLIB(9)) as out:
        for path, values, sumw2 in HISTS:
            out[path] = _th1(path.split("/")[-1], values, sumw2)
    with uproot.recreate(folder / "cr.root", compression=uproot.ZLIB(9)) as out:
        for name, values in CR_HISTS:
            out[name] = _th1(name, values, None)


def json2xml(workspace: str, name: str) -> None:
    target = XML / name
    shutil.rmtree(target, ignore_errors=True)
    target.mkdir(parents=True)
    here = os.getcwd()
    os.chdir(target)  # relative paths in the XML: config/..., data/data.root
    try:
        result = CliRunner().invoke(cli, ["json2xml", str(HERE / workspace), "--output-dir", "."])
    finally:
        os.chdir(here)
    if result.exit_code != 0:
        raise RuntimeError(f"json2xml {workspace}: {result.output} {result.exception!r}")
    # pyhf writes the ROOT file's absolute path into the XML: made relative to the fixture's folder
    # (as --basedir reads it), so the fixture reads anywhere. The DTD pyhf copies is not needed.
    for xml in target.rglob("*.xml"):
        xml.write_text(xml.read_text().replace(f"{target.resolve()}/", ""))
    (target / "HistFactorySchema.dtd").unlink()


def xml2json(name: str, entry: str) -> dict:
    folder = XML / name
    result = CliRunner().invoke(cli, ["xml2json", str(folder / entry), "--basedir", str(folder),
                                      "--hide-progress"])
    if result.exit_code != 0:
        raise RuntimeError(f"xml2json {name}: {result.output} {result.exception!r}")
    return json.loads(result.stdout)


def main() -> None:
    if pyhf.__version__ != "0.7.6":
        sys.exit(f"pyhf 0.7.6 expected, found {pyhf.__version__}")
    write_histograms()
    json2xml("all_modifiers.json", "json2xml_all_modifiers")
    json2xml("multi_channel.json", "json2xml_multi_channel")
    fixtures = {"handmade": "config/Combination.xml", "json2xml_all_modifiers": "FitConfig.xml",
                "json2xml_multi_channel": "FitConfig.xml"}
    document = {"origin": "pyhf 0.7.6 xml2json (pyhf.cli.cli, --basedir the fixture's folder), made by "
                          "tests/histfactory/data/make_pyhf_xml.py",
                "entry": fixtures,
                "workspaces": {name: xml2json(name, entry) for name, entry in fixtures.items()}}
    OUTPUT.write_text(json.dumps(document, indent=1, sort_keys=True) + "\n")


if __name__ == "__main__":
    main()
