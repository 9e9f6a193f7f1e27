"""``likelihub scan-profile FILE`` on a HistFactory workspace (tests/histfactory/data/multi_channel.json):
the printed and written results are the API's (the same computation: equal to 1e-12), the CSV has
one row per grid point, the plot is drawn, bad options are one line (usage errors: exit 2)."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

import likelihub as lh
from likelihub.cli import cli

MULTI = str(Path(__file__).parent / "data" / "multi_channel.json")
SAME = 1e-12  # the same fits in the same order


def run(*args):
    return CliRunner().invoke(cli, ["scan-profile", MULTI, *map(str, args)])


@pytest.fixture(scope="module")
def model():
    return lh.get_backend("histfactory")(MULTI)


def test_1d_scan_prints_the_api_result_with_its_crossings(model):
    result = run("--parameter", "jet_energy_scale", "--range", -2.5, 2.5, "--points", 11)
    assert result.exit_code == 0, result.output
    printed = json.loads(result.output)
    scan = model.profile_scan({"jet_energy_scale": (-2.5, 2.5, 11)})
    assert printed["parameters"] == ["jet_energy_scale"]
    np.testing.assert_allclose(printed["twice_delta_nll"], scan.twice_delta_nll, rtol=0, atol=SAME)
    assert [c["cl"] for c in printed["crossings"]] == [pytest.approx(0.6826894921370859), 0.95]
    assert printed["crossings"][0]["ends"] == pytest.approx(list(scan.crossings()), abs=SAME)


def test_2d_scan_writes_csv_rows_and_draws_the_contours(model, tmp_path):
    out, plot = tmp_path / "scan.csv", tmp_path / "scan.png"
    result = run("--parameter", "mu", "--range", 0, 3, "--points", 4, "--parameter2", "mu_ttbar",
                 "--range2", 0.8, 1.2, "--points2", 3, "-o", out, "--plot", plot)
    assert result.exit_code == 0, result.output
    with open(out, newline="") as file:
        rows = list(csv.DictReader(file))
    assert len(rows) == 12  # one per grid point, mu_ttbar fastest
    assert list(rows[0])[:4] == ["mu", "mu_ttbar", "twice_delta_nll", "nll"]
    assert [float(rows[1]["mu"]), float(rows[1]["mu_ttbar"])] == [0.0, 1.0]
    scan = model.profile_scan({"mu": (0.0, 3.0, 4), "mu_ttbar": (0.8, 1.2, 3)})
    np.testing.assert_allclose([float(r["twice_delta_nll"]) for r in rows], scan.twice_delta_nll.ravel(),
                               rtol=0, atol=SAME)
    assert float(rows[5]["value:lumi"]) == pytest.approx(scan.values[1, 2, 1], abs=SAME)
    assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_2d_scan_json_has_the_contours(tmp_path):
    out = tmp_path / "scan.json"
    result = run("--parameter", "mu", "--range", 0, 3, "--points", 7, "--parameter2", "mu_ttbar",
                 "--range2", 0.8, 1.2, "-o", out)
    assert result.exit_code == 0, result.output
    written = json.loads(out.read_text())
    assert np.shape(written["twice_delta_nll"]) == (7, 7)  # --points2 defaults to --points
    # Wilks, 2 degrees of freedom: chi2.ppf(0.6827, 2) = 2.2957, chi2.ppf(0.95, 2) = 5.9915
    assert [c["threshold"] for c in written["contours"]] == pytest.approx([2.295748928898636,
                                                                           5.991464547107979])
    assert all(c["lines"] for c in written["contours"])


@pytest.mark.parametrize(("args", "code", "message"), [
    (["--parameter", "nope", "--range", 0, 1], 2, "no parameter 'nope'"),
    (["--parameter", "mu", "--range", 1, 0], 2, "needs LOW < HIGH"),
    (["--parameter", "mu", "--range", 0, "nan"], 2, "not a finite number"),
    (["--parameter", "mu", "--range", 0, 1, "--points", 1], 2, "--points"),
    (["--parameter", "mu", "--range", 0, 1, "--parameter2", "lumi"], 2, "go together"),
    (["--parameter", "mu", "--range", 0, 1, "--points2", 3], 2, "--points2 needs"),
    (["--parameter", "mu", "--range", 0, 1, "--parameter2", "mu", "--range2", 0, 1], 2, "already"),
    (["--parameter", "mu", "--range", 0, 1, "-o", "scan.txt"], 2, "JSON (.json) or CSV (.csv)"),
    (["--parameter", "mu", "--range", -1, 1], 1, "argument 'grid[mu]'"),
    (["--parameter", "control_shape[0]", "--range", 0.5, 1.5], 1, "is fixed in the model"),
])
def test_bad_options_are_one_line(args, code, message):
    result = run(*args)
    assert result.exit_code == code
    assert message in result.output and "Traceback" not in result.output
