"""The command line on simplified likelihoods, as a review found it wanting: ``scan GRID
--likelihood FILE`` builds the model ``cls FILE`` builds; ``--signal`` with NaN/inf, ``{}`` or a
nested list says what is wrong; ``-`` (standard input) is recognised by content; a directory,
several signal components in ``inspect``, and ``--format``/``--backend`` given together.

Every number is compared with the same model built through the API
(``likelihub.get_backend(...)(signal, ...)``, :func:`tests.simplified.test_cli_format.api_model`)
on the same inputs, relative tolerance 1e-10 (the same code path: only the arguments differ).
"""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

import likelihub as lh
from likelihub.cli.main import cli

from .test_cli_format import REL, SIGNAL, SYNTHETIC, api_model, assert_one_line_error, run

# background_uncertainty only, no covariance (the reviewer's /tmp/review/unc.json)
UNCORRELATED = {"observed": [3, 3], "background": [1.0, 1.0], "background_uncertainty": [1.0, 1.0]}
GRID = "name,mass,SR1,SR2\nm100,100,2,3\nm200,200,1,1.5\n"
GRID_SIGNALS = {"m100": [2.0, 3.0], "m200": [1.0, 1.5]}


@pytest.fixture
def synthetic(tmp_path):
    path = tmp_path / "toy_sl.json"
    path.write_text(json.dumps(SYNTHETIC))
    return path


def _scan_rows(tmp_path, grid: str, likelihood, *more):
    (tmp_path / "grid.csv").write_text(grid)
    output = tmp_path / "rows.json"
    run("scan", tmp_path / "grid.csv", "--likelihood", likelihood, "--label-columns", "mass",
        "--executor", "serial", "--output", output, *more)
    return json.loads(output.read_text())


def test_scan_with_background_uncertainty_only_is_the_uncorrelated_model(tmp_path):
    path = tmp_path / "unc.json"
    path.write_text(json.dumps(UNCORRELATED))
    for row in _scan_rows(tmp_path, GRID, path):  # as `cls unc.json`: uncorrelated uncertainties
        expected = lh.get_backend("simplified.uncorrelated_background")(
            GRID_SIGNALS[row["name"]], background_yields=[1.0, 1.0], data=[3, 3],
            absolute_uncertainties=[1.0, 1.0]).cls(1.0)
        assert row["cls_obs"] == pytest.approx(expected.cls_obs, rel=REL)
        assert row["cls_exp"] == pytest.approx(list(expected.cls_exp), rel=REL)
    cls = json.loads(run("cls", path, "--signal", "2,3").output)
    row = next(r for r in _scan_rows(tmp_path, GRID, path) if r["name"] == "m100")
    assert row["cls_obs"] == pytest.approx(cls["CLs_obs"], rel=REL)


def test_scan_backend_takes_only_the_files_inputs_it_needs(synthetic, tmp_path):
    grid = "name,mass,SR1,SR2,SR3\nm100,100,2,3,1.5\n"
    for backend in ("simplified.uncorrelated_background", "simplified.correlated_background"):
        rows = _scan_rows(tmp_path, grid, synthetic, "--backend", backend)
        expected = api_model(SYNTHETIC, SIGNAL, backend).cls(1.0)  # sigma: sqrt of the diagonal
        assert rows[0]["cls_obs"] == pytest.approx(expected.cls_obs, rel=REL)
        assert rows[0]["cls_exp"] == pytest.approx(list(expected.cls_exp), rel=REL)


@pytest.mark.parametrize("signal, fragments", [
    ("1,nan,3", ["argument 'signal'", "nan is not a finite number", "bin 2 of 3"]),
    ("1,2,inf", ["argument 'signal'", "inf is not a finite number", "bin 3 of 3"]),
])
def test_non_finite_signals_name_the_bin(synthetic, signal, fragments):
    assert_one_line_error(run("cls", synthetic, "--signal", signal, code=1), *fragments)


@pytest.mark.parametrize("content, fragments", [
    ("{}", ["empty JSON object: no signal"]),
    ("[[1, 2, 3]]", ["must be a flat list of numbers"]),
])
def test_signal_files_say_what_is_wrong(synthetic, tmp_path, content, fragments):
    (tmp_path / "sig.json").write_text(content)
    result = run("cls", synthetic, "--signal", tmp_path / "sig.json", code=1)
    assert_one_line_error(result, "sig.json", "argument 'signal'", *fragments)
    assert "is not JSON" not in result.output


def test_standard_input_is_recognised_by_content(synthetic):
    result = CliRunner().invoke(cli, ["cls", "-", "--signal", "2,3,1.5"], input=synthetic.read_text())
    assert result.exit_code == 0, result.output
    expected = api_model(SYNTHETIC, SIGNAL, "simplified.third_moment_expansion").cls(1.0)
    assert json.loads(result.output)["CLs_obs"] == pytest.approx(expected.cls_obs, rel=REL)
    result = CliRunner().invoke(cli, ["cls", "-", "--signal", "2,3"], input=synthetic.read_text())
    assert_one_line_error(result, "standard input", "has 2 yields")
    assert "likelihub-stdin" not in result.output


def test_a_directory_is_named_as_one(tmp_path):
    assert_one_line_error(run("cls", tmp_path, code=1), str(tmp_path), "is a directory")


def test_inspect_shows_each_signal_component(synthetic, tmp_path):
    (tmp_path / "multi.json").write_text(json.dumps({"mu1": [1, 0, 2], "mu2": [0, 1, 3]}))
    text = run("inspect", synthetic, "--signal", tmp_path / "multi.json").output
    header = text.splitlines()[2].split()
    assert header[-4:] == ["signal", "mu1", "signal", "mu2"], text
    assert text.splitlines()[-1].split()[-2:] == ["2", "3"], text


def test_format_and_backend_given_together(synthetic):
    result = run("cls", synthetic, "--signal", "2,3,1.5", "--format", "simplified", "--backend",
                 "histfactory", code=2)
    assert_one_line_error(result, "--format/--backend", "different values", "simplified, histfactory")
    output = json.loads(run("cls", synthetic, "--signal", "2,3,1.5", "--format", "simplified",
                            "--backend", "simplified").output)  # the same twice: taken
    expected = api_model(SYNTHETIC, SIGNAL, "simplified.third_moment_expansion").cls(1.0)
    assert output["CLs_obs"] == pytest.approx(expected.cls_obs, rel=REL)
    result = run("cls", synthetic, "--backend", "simplified.third_moment_expansion", code=2)
    assert_one_line_error(result, "is a backend", "--format simplified", "--model")


def test_diagnostics_without_matplotlib_quote_the_extra(synthetic, tmp_path, monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)  # `from matplotlib.figure import` fails
    result = CliRunner().invoke(cli, ["pulls", str(synthetic), "--signal", "2,3,1.5", "--plot",
                                      str(tmp_path / "pulls.png")])
    assert_one_line_error(result, "pip install 'likelihub[plot]'")
