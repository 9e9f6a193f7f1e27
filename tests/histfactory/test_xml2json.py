"""``likelihub xml2json``: HistFactory XML + ROOT histograms to the same workspace as pyhf 0.7.6's.

Origins:

- ``data/pyhf_xml2json.json``: ``pyhf xml2json`` (pyhf 0.7.6, peers' environment) of the fixtures
  of ``data/xml``, made by ``data/make_pyhf_xml.py``. The fixtures: ``handmade`` (hand-written XML
  of two channels and two measurements with every modifier element, ROOT histograms written by
  that script with uproot), and ``json2xml_all_modifiers`` / ``json2xml_multi_channel`` (``pyhf
  json2xml`` of ``data/all_modifiers.json`` and ``data/multi_channel.json``). Expected: the same
  printed text (exact: the numbers come from the same ROOT files through uproot).
- The round trip JSON -> XML (pyhf json2xml) -> JSON (likelihub) gives the original model: the
  CLs at mu = 1 of likelihub's model of the original JSON, to 1e-10 (closed form: the same model;
  only staterror and shapesys data pass through a division and a multiplication, 1 ulp).
"""

from __future__ import annotations

import json
import shutil
import warnings
from pathlib import Path

import pytest
from click.testing import CliRunner

pytest.importorskip("uproot")

from likelihub.cli.main import _add_plugin_commands, cli  # noqa: E402
from likelihub_histfactory.spec.readxml import XMLWarning, read_xml  # noqa: E402

DATA = Path(__file__).parent / "data"
XML = DATA / "xml"
REFERENCE = json.loads((DATA / "pyhf_xml2json.json").read_text())
_add_plugin_commands(cli)  # the `likelihub` group as the script builds it (xml2json among them)
ORIGINALS = {"json2xml_all_modifiers": "all_modifiers.json", "json2xml_multi_channel": "multi_channel.json"}


def _convert(*args, options=()):
    """``likelihub [options] xml2json args``: through the command group, which shows warnings as
    ``Warning: <message> [<category>]`` lines (and none under --quiet)."""
    return CliRunner().invoke(cli, [*options, "xml2json", *[str(a) for a in args]])


@pytest.mark.parametrize("fixture", sorted(REFERENCE["entry"]))
def test_as_pyhf_xml2json(fixture, tmp_path):
    folder = XML / fixture
    result = _convert(folder / REFERENCE["entry"][fixture], "--basedir", folder, "--hide-progress")
    assert result.exit_code == 0, result.output
    expected = REFERENCE["workspaces"][fixture]
    assert result.stdout == json.dumps(expected, indent=4, sort_keys=True) + "\n"  # pyhf's text
    out = tmp_path / "ws.json"
    result = _convert(folder / REFERENCE["entry"][fixture], "--basedir", folder, "--output-file", out)
    assert result.exit_code == 0 and json.loads(out.read_text()) == expected


def test_what_pyhf_json_cannot_hold_is_warned_in_one_line_each():
    folder = XML / "handmade"
    result = _convert(folder / "config/Combination.xml", "--basedir", folder, "--hide-progress")
    lines = [line for line in result.stderr.splitlines() if line.startswith("Warning: ")]
    assert len(lines) == 5 and all(line.endswith(" [XMLWarning]") for line in lines), result.stderr
    for word in ["StatErrorConfig ConstraintType='Poisson'", "shapesys 'qcd_shape'", "<StatError>",
                 "<HistoFactor Name='w_shape'>", "<ConstraintTerm Type='Gamma'>"]:
        assert sum(word in line for line in lines) == 1, word
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        read_xml(folder / "config/Combination.xml", basedir=folder)
    assert len(caught) == 5 and all(w.category is XMLWarning for w in caught)


@pytest.mark.parametrize("fixture", sorted(ORIGINALS))
def test_round_trip_gives_the_original_model(fixture):
    import numpy as np

    import likelihub as lh

    folder = XML / fixture
    spec = read_xml(folder / "FitConfig.xml", basedir=folder)
    original = json.loads((DATA / ORIGINALS[fixture]).read_text())
    assert [c["name"] for c in spec["channels"]] == [c["name"] for c in original["channels"]]
    assert spec["observations"] == original["observations"]
    backend = lh.get_backend("histfactory")
    for measurement in [m["name"] for m in original["measurements"]]:
        before = backend(workspace=original, measurement=measurement).cls(mu=1.0)
        after = backend(workspace=spec, measurement=measurement).cls(mu=1.0)
        np.testing.assert_allclose([after.cls_obs, *after.cls_exp], [before.cls_obs, *before.cls_exp],
                                   rtol=0, atol=1e-10)


@pytest.fixture
def handmade(tmp_path) -> Path:
    """A copy of the hand-written fixture, to spoil."""
    target = tmp_path / "handmade"
    shutil.copytree(XML / "handmade", target)
    return target


def _spoil(folder: Path, name: str, old: str, new: str) -> None:
    path = folder / "config" / name
    text = path.read_text()
    assert old in text, old
    path.write_text(text.replace(old, new, 1))


BAD = [  # (file, text, replacement, words the one-line error must hold)
    ("SR.xml", "</Channel>", "</Chanel>", ["file 'config/SR.xml'", "not well-formed", "line"]),
    ("SR.xml", 'Name="qcd_norm" Low="0.7" High="1.3"', 'Name="qcd_norm" Low="0.7"',
     ["file 'config/SR.xml'", "channel 'SR'", "sample 'qcd'", "<OverallSys Name='qcd_norm'>", "'High'"]),
    ("SR.xml", 'Low="0.9" High="1.1"', 'Low="0.9" High="one"', ["<OverallSys Name='sig_theory'>", "'one'"]),
    ("SR.xml", 'HistoNameLow="ttbar_jes_down"', 'HistoNameLow="ttbar_jes_dn"',
     ["channel 'SR'", "sample 'ttbar'", "modifier 'jes'", "'ttbar_jes_dn'", "data/hists.root"]),
    ("CR.xml", 'InputFile="data/cr.root" />', 'InputFile="data/absent.root" />',
     ["file 'config/CR.xml'", "no ROOT file 'data/absent.root'"]),
    ("CR.xml", '<Data HistoName="CR_data" InputFile="data/cr.root" />', "",
     ["file 'config/CR.xml'", "<Channel Name='CR'>", "<Data>"]),
    ("CR.xml", '"CR_wjets" InputFile="data/cr.root"', '"SR" InputFile="data/hists.root"',
     ["sample 'wjets'", "'SR'", "not a one-dimensional histogram"]),
    ("CR.xml", 'Val="1" Low="0" High="5"', 'Val="1" Low="0" High="4"',
     ["NormFactor 'mu_ttbar'", "set differently", "channel 'SR', sample 'ttbar'",
      "channel 'CR', sample 'ttbar'"]),
    ("SR.xml", 'HistoName="qcd_shape_rel" HistoPath="SR"', 'HistoName="ttbar_jes_up" HistoPath="CR"',
     ["sample 'qcd'", "<ShapeSys Name='qcd_shape'>", "2 bins, the sample 3"]),
    ("Combination.xml", "<POI>mu_SIG</POI>", "", ["Combination.xml", "<Measurement Name='NormalMeasurement'>",
                                                  "<POI>"]),
    ("Combination.xml", "Lumi alpha_bkg_theory", "gamma_stat_SR_bin_0",
     ["Combination.xml", "<ParamSetting>", "'gamma_stat_SR_bin_0'"]),
    ("Combination.xml", "<Input>config/CR.xml</Input>", "<Input>config/VR.xml</Input>",
     ["file 'config/VR.xml'", "no such file", "<Input> of"]),
    ("Combination.xml", 'Lumi="0.5" ', "", ["<Measurement Name='LowLumi'>", "'Lumi'"]),
]


@pytest.mark.parametrize("name, old, new, words", BAD, ids=[f"{b[0]}-{i}" for i, b in enumerate(BAD)])
def test_bad_xml_is_one_line_naming_file_and_element(handmade, name, old, new, words):
    _spoil(handmade, name, old, new)
    result = _convert(handmade / "config/Combination.xml", "--basedir", handmade, "--hide-progress")
    assert result.exit_code == 1, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    errors = [line for line in result.stderr.splitlines() if not line.startswith("Warning: ")]
    assert len(errors) == 1 and errors[0].startswith("Error: "), result.stderr
    for word in words:
        assert word in errors[0], (word, errors[0])


def test_validation_as_warning(handmade):
    # A histosys template of 2 bins in a 3-bin channel: invalid, an error unless asked otherwise.
    _spoil(handmade, "SR.xml", 'HistoPathHigh="SR"', 'HistoPathHigh="CR"')
    entry = handmade / "config/Combination.xml"
    result = _convert(entry, "--basedir", handmade, "--hide-progress")
    assert result.exit_code == 1 and "channel 'SR'" in result.stderr and "jes" in result.stderr
    result = _convert(entry, "--basedir", handmade, "--hide-progress", "--validation-as-warning")
    assert result.exit_code == 0 and "Warning: the workspace is invalid" in result.stderr
    ttbar = json.loads(result.stdout)["channels"][0]["samples"][1]
    assert ttbar["modifiers"][2]["data"]["hi_data"] == [104.0, 47.0]  # make_pyhf_xml.HISTS CR/ttbar_jes_up


def test_mounts(handmade):
    # pyhf's -v LOCAL:WRITTEN: the XML names its ROOT files under /eos/analysis.
    path = handmade / "config" / "CR.xml"
    path.write_text(path.read_text().replace("data/cr.root", "/eos/analysis/cr.root"))
    entry = handmade / "config/Combination.xml"
    result = _convert(entry, "--basedir", handmade, "--hide-progress")
    assert result.exit_code == 1 and "no ROOT file '/eos/analysis/cr.root'" in result.stderr
    mount = f"{handmade / 'data'}:/eos/analysis"
    result = _convert(entry, "--basedir", handmade, "--hide-progress", "-v", mount)
    assert result.exit_code == 0, result.output
    assert result.stdout == json.dumps(REFERENCE["workspaces"]["handmade"], indent=4, sort_keys=True) + "\n"


def test_without_uproot_one_line(monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "uproot", None)
    folder = XML / "handmade"
    result = _convert(folder / "config/Combination.xml", "--basedir", folder, "--hide-progress")
    assert result.exit_code == 1 and "pip install 'likelihub-histfactory[xmlio]'" in result.stderr


def test_quiet_hides_warnings_and_bars_and_bars_show_only_where_asked(tmp_path):
    folder = XML / "handmade"
    entry, out = folder / "config/Combination.xml", tmp_path / "ws.json"
    expected = REFERENCE["workspaces"]["handmade"]
    result = _convert(entry, "--basedir", folder, "--output-file", out, options=["-q"])
    assert result.exit_code == 0 and result.output == "" and json.loads(out.read_text()) == expected
    # standard error is no terminal here: no bar unless --track-progress (tqdm's "channels" bar)
    result = _convert(entry, "--basedir", folder, "--output-file", out)
    assert result.exit_code == 0 and "channels" not in result.stderr and "Warning: " in result.stderr
    result = _convert(entry, "--basedir", folder, "--output-file", out, "--track-progress")
    assert result.exit_code == 0 and "channels" in result.stderr
