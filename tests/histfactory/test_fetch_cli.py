"""``likelihub fetch`` says what a HEPData pallet holds through the HistFactory format's
``summary``: workspaces (channels, bins, samples, measurements) and patchsets (their number of
patches and labels). The pallets are served from 127.0.0.1 (tests/hub/hepdata_server.py); the
numbers asserted are counted from the served files themselves."""

from __future__ import annotations

import json
import tarfile

from click.testing import CliRunner

from likelihub.cli import cli
from likelihub.cli.fetch import describe_file
from tests.hub.hepdata_server import DATA, pallet, serve

DOI = "10.17182/hepdata.1234.v1/r1"


def fetched(tmp_path, monkeypatch, body: bytes, *extra) -> str:
    with serve() as server:
        server.routes[f"/doi/{DOI}"] = (200, {"Content-Disposition": 'filename="pallet.tar.gz"'}, body)
        monkeypatch.setenv("LIKELIHUB_DOI_URL", f"{server.url}/doi")
        result = CliRunner().invoke(cli, ["fetch", DOI, "--cache-dir", str(tmp_path / "cache"), *extra])
    assert result.exit_code == 0, result.output
    return result.stdout


def test_the_members_of_a_pallet_are_described_by_the_histfactory_format(tmp_path, monkeypatch):
    report = json.loads(fetched(tmp_path, monkeypatch, pallet(tmp_path), "--json"))
    holds = {m["name"]: m["holds"] for m in report["files"][0]["members"]}
    # two_bin_background.json: 1 channel of 2 bins, 1 sample, its shapesys parameter; measurement
    # "measurement" with POI mu
    assert holds["BkgOnly.json"] == ("HistFactory workspace: 1 channel, 2 bins, 1 sample, 1 parameter; "
                                     "measurement measurement (POI mu)")
    patchset = json.loads((DATA / "two_bin_signal_points.json").read_text())
    labels = ", ".join(patchset["metadata"]["labels"])
    assert holds["patchset.json"].startswith(
        f"HistFactory patchset: {len(patchset['patches'])} patches (e.g. "
        f"{patchset['patches'][0]['metadata']['name']}), labels {labels}: ")
    assert holds["README.md"] == "text, 1 line"


def test_a_file_of_no_kind_a_format_knows_is_described_generically(tmp_path):
    (tmp_path / "a.json").write_text('{"observed": [1], "background": [2]}')
    (tmp_path / "b.bin").write_bytes(b"\x00\xff" * 10)
    assert describe_file(tmp_path / "a.json") == "JSON object, keys: observed, background"
    assert describe_file(tmp_path / "b.bin") == "20 B of data"
    (tmp_path / "c.json").write_text('{"channels": [], "measurements": []}')
    assert describe_file(tmp_path / "c.json").startswith("HistFactory workspace, invalid: ")


def test_the_3l_pallet_is_described(tmp_path, monkeypatch, shared_data):
    path = shared_data / "histfactory" / "atlas-susy-2018-06-3L-eRJR.tar.gz"
    with tarfile.open(path) as archive:
        patchset = json.load(archive.extractfile("patchset.json"))
    text = fetched(tmp_path, monkeypatch, path.read_bytes())
    labels = ", ".join(patchset["metadata"]["labels"])
    assert f"HistFactory patchset: {len(patchset['patches'])} patches" in text and f"labels {labels}" in text
    assert "BkgOnly.json   HistFactory workspace: " in text


def test_the_summary_reads_workspaces_and_patchsets_only(tmp_path):
    from likelihub_histfactory.cli_summary import summarise

    assert summarise(str(tmp_path / "missing.json")) is None
    (tmp_path / "x.json").write_text("[1, 2]")
    assert summarise(str(tmp_path / "x.json")) is None
    pallet(tmp_path)
    assert summarise(str(tmp_path / "Likelihoods.tar.gz")) is None  # the caller lists archives
