"""Scans of simplified-likelihood signal grids (point source ``simplified.signal_grid``) through the
same lh.scan and ``likelihub scan`` as patchsets.

Each row must equal what the point's single model gives, built with get_backend(...) from the same
inputs: upper limits exactly (the same computation), CLs to 1e-9 relative (a scan's CLs fits
advance in lock-step with the chunk's other points; one model's fits alone: equal to the fits'
precision), with the serial and the local-processes executors, and after a resume.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

import likelihub as lh
from likelihub.cli.scan import scan_command
from likelihub.registry.catalogue import find_point_source

BACKGROUND = [5.0, 6.0, 4.0]
DATA = [6.0, 8.0, 3.0]
COVARIANCE = [[1.0, 0.3, -0.2], [0.3, 4.0, 0.5], [-0.2, 0.5, 2.0]]
THIRD_MOMENTS = [0.5, 2.0, -1.0]
SIGNALS = {"m100": [2.0, 3.0, 1.5], "m200": [1.0, 1.5, 0.7], "m300": [0.5, 0.6, 0.3],
           "m400": [4.0, 5.0, 2.5]}
MASSES = {"m100": 100.0, "m200": 200.0, "m300": 300.0, "m400": 400.0}


def single(name: str, backend: str = "simplified.correlated_background", **extra):
    return lh.get_backend(backend)(signal_yields=SIGNALS[name], background_yields=BACKGROUND, data=DATA,
                                   covariance_matrix=COVARIANCE, **extra)


@pytest.fixture
def grid_json(tmp_path):
    path = tmp_path / "grid.json"
    path.write_text(json.dumps({
        "labels": ["mass"], "background": BACKGROUND, "data": DATA, "covariance": COVARIANCE,
        "points": [{"name": n, "signal": s, "values": [MASSES[n]]} for n, s in SIGNALS.items()]}))
    return str(path)


@pytest.fixture
def grid_csv(tmp_path):
    path = tmp_path / "grid.csv"
    lines = ["name,mass,bin1,bin2,bin3"] + [f"{n},{MASSES[n]},{','.join(map(str, s))}"
                                            for n, s in SIGNALS.items()]
    path.write_text("\n".join(lines) + "\n")
    return str(path)


def check_cls(rows, **single_options):
    assert [r["name"] for r in rows] == list(SIGNALS)
    for row in rows:
        expected = single(row["name"], **single_options).cls(1.0)
        assert "error" not in row
        assert row["cls_obs"] == pytest.approx(expected.cls_obs, rel=1e-9)
        assert row["cls_exp"] == pytest.approx(list(expected.cls_exp), rel=1e-9)


def test_the_grid_is_recognised(grid_json, grid_csv):
    assert find_point_source(grid_json).name == "simplified.signal_grid"
    assert find_point_source(grid_csv, background=BACKGROUND).name == "simplified.signal_grid"
    assert find_point_source({"points": {}}).name == "simplified.signal_grid"


@pytest.mark.parametrize("executor", ["serial", "processes"])
def test_cls_rows_equal_single_models(grid_json, executor):
    result = lh.scan(grid_json, executor=executor, max_workers=2, progress=False)
    check_cls(result.rows)
    assert result.labels == ["mass"] and result.rows[1]["values"] == [200.0]


def test_upper_limits_of_a_csv_grid_with_shared_inputs_as_options(grid_csv):
    rows = lh.scan(grid_csv, what="upper_limit", executor="serial", progress=False, label_columns=["mass"],
                   background=BACKGROUND, data=DATA, covariance=COVARIANCE, third_moments=THIRD_MOMENTS).rows
    for row in rows:
        model = single(row["name"], "simplified.third_moment_expansion", third_moment=THIRD_MOMENTS)
        limit = model.upper_limit()
        assert row["values"] == [MASSES[row["name"]]]
        assert row["upper_limit_obs"] == limit.observed
        assert row["upper_limit_exp"] == list(limit.expected)


def test_resume_computes_only_the_missing_points(grid_json, tmp_path, monkeypatch):
    from likelihub.running.scan import ModelEvaluator

    output = tmp_path / "rows.csv"
    document = json.loads(Path(grid_json).read_text())
    first_two = {**document, "points": document["points"][:2]}
    lh.scan(first_two, executor="serial", progress=False, output=str(output))
    evaluated = []
    original = ModelEvaluator.evaluate_many

    def recording(self, points):
        evaluated.extend(p.name for p in points)
        return original(self, points)

    monkeypatch.setattr(ModelEvaluator, "evaluate_many", recording)
    result = lh.scan(grid_json, executor="serial", progress=False, output=str(output), resume=True)
    assert evaluated == ["m300", "m400"]
    check_cls(result.rows)
    assert [r["name"] for r in csv.DictReader(output.read_text().splitlines())] == list(SIGNALS)


def test_the_command_line(grid_csv, tmp_path):
    (tmp_path / "cov.json").write_text(json.dumps(COVARIANCE))
    output = tmp_path / "rows.json"
    result = CliRunner().invoke(scan_command, [
        grid_csv, "--label-columns", "mass", "--background", json.dumps(BACKGROUND), "--data",
        json.dumps(DATA), "--covariance", str(tmp_path / "cov.json"), "--executor", "serial",
        "--output", str(output)])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == f"4 points (0 failed) written to {output}"
    check_cls(json.loads(output.read_text()))


def test_bad_grids_are_one_line_errors(grid_csv, tmp_path):
    runner = CliRunner()
    result = runner.invoke(scan_command, [grid_csv, "--label-columns", "mass", "--background", "[1, 2]",
                                          "--data", json.dumps(DATA), "--covariance", json.dumps(COVARIANCE)])
    assert result.exit_code == 1 and "argument 'background': shape (2,), expected (3,)" in result.output
    result = runner.invoke(scan_command, [str(tmp_path / "grid.txt")])
    assert result.exit_code == 1 and "no installed point source recognises" in result.output
    result = runner.invoke(scan_command, [grid_csv, "--kind", "simplified.signal_grid", "--member", "x"])
    assert result.exit_code == 2 and "--member: not an option of the point source" in result.output
    with pytest.raises(lh.errors.InvalidArgumentError, match="argument 'backend'"):
        lh.scan(grid_csv, label_columns=["mass"], background=BACKGROUND, data=DATA, covariance=COVARIANCE,
                backend="simplified.poisson", executor="serial")
    assert "Traceback" not in result.output
