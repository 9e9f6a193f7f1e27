"""The HistFactory point source ``histfactory.patchset`` through the core's ``lh.scan`` and
``likelihub scan``: found by recognising a workspace given with its points, a folder of patch
files, the --patch-name filter, and errors naming the option. Rows are held to the single model's
CLs to the fits' precision (1e-10), as in test_scan.py."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

import likelihub
from likelihub.cli.scan import scan_command
from likelihub.registry.catalogue import find_point_source

DATA = Path(__file__).parent / "data"
BACKGROUND = str(DATA / "two_bin_background.json")
PATCHSET = str(DATA / "two_bin_signal_points.json")


def single_cls(name: str):
    return likelihub.get_backend("histfactory")(BACKGROUND, patchset=PATCHSET, patch_name=name).cls(1.0)


def test_the_source_recognises_a_workspace_with_its_points():
    assert find_point_source(BACKGROUND, PATCHSET).name == "histfactory.patchset"
    assert find_point_source(BACKGROUND, patchset=PATCHSET).name == "histfactory.patchset"
    with pytest.raises(likelihub.errors.InvalidArgumentError, match="no installed point source"):
        find_point_source(BACKGROUND)  # no points


def test_a_folder_of_patch_files(tmp_path):
    patchset = json.loads(Path(PATCHSET).read_text())
    for patch in patchset["patches"]:
        (tmp_path / f"patch.{patch['metadata']['name']}.json").write_text(json.dumps(patch))
    rows = likelihub.scan(BACKGROUND, str(tmp_path), executor="serial", progress=False).rows
    assert [r["name"] for r in rows] == ["signal_300_10", "signal_500_10", "signal_700_20"]
    for row in rows:
        expected = single_cls(row["name"])
        # patch files carry no labels: the numbers in the name (likelihub_histfactory.patch_names)
        assert row["values"] == [int(v) for v in row["name"].split("_")[1:]]
        assert row["cls_obs"] == pytest.approx(expected.cls_obs, abs=1e-10)


def test_cli_patch_name_filter():
    result = CliRunner().invoke(scan_command, [BACKGROUND, "--patchset", PATCHSET, "--patch-name",
                                               "signal_*_10", "--executor", "serial"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == "Scan of 2 points (cls at mu = 1)"
    assert [line.split()[0] for line in lines[1:]] == ["signal_300_10", "signal_500_10"]
    assert lines[1].split()[1] == f"{single_cls('signal_300_10').cls_obs:.5g}"
    result = CliRunner().invoke(scan_command, [BACKGROUND, "--patchset", PATCHSET, "--patch-name",
                                               "nothing*", "--executor", "serial"])
    assert result.exit_code == 1 and "argument 'patch_name': no point is called 'nothing*'" in result.output


def test_cli_errors_are_one_line():
    runner = CliRunner()
    result = runner.invoke(scan_command, [BACKGROUND, "--kind", "no.such_source"])
    assert result.exit_code == 1 and "no likelihub point source called 'no.such_source'" in result.output
    result = runner.invoke(scan_command, [BACKGROUND])
    assert result.exit_code == 1 and "no installed point source recognises" in result.output
    result = runner.invoke(scan_command, [BACKGROUND, "--kind", "histfactory.patchset"])
    assert result.exit_code == 1 and "argument 'patchset': the scan of a workspace needs" in result.output
    assert "Traceback" not in result.output
