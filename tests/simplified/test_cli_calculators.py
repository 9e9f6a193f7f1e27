"""``likelihub significance``, ``--calculator toys --ntoys N --seed S`` on ``cls`` and ``limit``, and the
grids of the CLI's Brazil plots (issue 17), on a small simplified likelihood's file.

Origins: the Python API on the same model (``likelihub.plugin.open_model``, the file's format;
the simplified format itself is checked against the backend factories in test_cli_format.py):
significances and CLs to 1e-10 relative (the same computation); toys with ``--seed S`` equal the
API's toys with ``rng=numpy.random.default_rng(S)`` to 1e-10 (the same pseudo-data, the same fits).
The grids: by construction (evenly spaced from 0; extra points at stated fractions of the step
around each limit).
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from click.testing import CliRunner

from likelihub import StatisticalModel, UpperLimitResult
from likelihub.cli.brazil import EXTRA, crossings, even_grid, limit_grid, refined_scan
from likelihub.cli.main import cli
from likelihub.plugin import open_model

REL = 1e-10
SIMPLIFIED = {"observed": [6, 8, 3], "background": [5.0, 6.0, 4.0],
              "covariance": [[1.0, 0.3, -0.2], [0.3, 4.0, 0.5], [-0.2, 0.5, 2.0]],
              "signal": [2.0, 3.0, 1.5]}


def run(*args, code: int = 0):
    result = CliRunner().invoke(cli, [str(a) for a in args])
    assert result.exit_code == code, result.output
    return result


@pytest.fixture
def path(tmp_path):
    file = tmp_path / "sl.json"
    file.write_text(json.dumps(SIMPLIFIED))
    return file


def test_significance_equals_the_api(path):
    model = open_model(str(path))
    for mu_asimov in (1.0, 0.5):
        output = json.loads(run("significance", path, "--mu-asimov", mu_asimov).output)
        expected = model.significance(mu_asimov=mu_asimov)
        assert output["Z_obs"] == pytest.approx(expected.z_obs, rel=REL)
        assert output["p0_obs"] == pytest.approx(expected.p_obs, rel=REL)
        assert output["Z_exp"] == pytest.approx(expected.z_exp, rel=REL)
        assert output["p0_exp"] == pytest.approx(expected.p_exp, rel=REL)
        assert output["mu_asimov"] == mu_asimov and output["poi"] == "mu"


def test_toys_with_a_seed_equal_the_apis_toys_with_that_seed(path):
    args = ["cls", path, "--mu", 1.2, "--calculator", "toys", "--ntoys", 60, "--seed", 7]
    first, second = (json.loads(run(*args).output) for _ in range(2))
    assert first == second  # the same seed, the same toys
    expected = open_model(str(path)).cls(1.2, calculator="toys", ntoys=60, rng=np.random.default_rng(7))
    assert first["CLs_obs"] == pytest.approx(expected.cls_obs, rel=REL)
    assert first["CLs_exp"] == pytest.approx(list(expected.cls_exp), rel=REL)
    other = json.loads(run(*args[:-1], 8).output)
    assert other["CLs_obs"] != first["CLs_obs"]  # another seed, other toys (60 toys: never equal)


def test_chi2_calculator_equals_the_api(path):
    output = json.loads(run("cls", path, "--calculator", "chi2").output)
    expected = open_model(str(path)).cls(1.0, calculator="chi2")
    assert output["CLs_obs"] == pytest.approx(expected.cls_obs, rel=REL)


def test_limit_passes_the_toys_options_to_the_api(path, monkeypatch):
    # a toys limit takes seconds: the API's (tested elsewhere) is replaced by a spy
    calls = []

    def spy(self, **options):
        calls.append(options)
        return UpperLimitResult(observed=1.5, expected=[0.5, 0.8, 1.0, 1.5, 2.0], cl=options["cl"],
                                test_statistic="qtilde", calculator="toys")

    monkeypatch.setattr(StatisticalModel, "upper_limit", spy)
    output = json.loads(run("limit", path, "--calculator", "toys", "--ntoys", 300, "--seed", 11).output)
    assert output["observed"] == 1.5
    (options,) = calls
    assert options["calculator"] == "toys" and options["ntoys"] == 300
    assert options["rng"].random() == np.random.default_rng(11).random()


@pytest.mark.parametrize("args, fragment", [
    (["--ntoys", 10], "--ntoys applies to --calculator toys, not asymptotic"),
    (["--seed", 1, "--ntoys", 10], "--ntoys and --seed apply to --calculator toys"),
    (["--calculator", "toys", "--ntoys", 0], "--ntoys"),
])
def test_toys_options_without_toys_are_usage_errors(path, args, fragment):
    result = run("cls", path, *args, code=2)
    assert fragment in result.output and "Traceback" not in result.output


def test_grids_start_at_zero_and_sample_the_limits_finely():
    grid = even_grid(2.0)
    assert grid[0] == 0.0 and grid[-1] == 2.0 and np.allclose(np.diff(grid), 2.0 / 30)
    step = 2.0 / 30
    refined = limit_grid(2.0, [0.77, 1.31, None, float("nan"), 5.0])  # None, NaN and beyond: ignored
    assert refined[0] == 0.0 and refined == sorted(refined)
    for limit in (0.77, 1.31):
        near = [mu for mu in refined if abs(mu - limit) <= 0.5 * step + 1e-12]
        assert len(near) >= len(EXTRA) - 1 and min(abs(mu - limit) for mu in near) < 1e-12
    # a POI bounded above 0 (Combine's --rMin 0.5): the grid starts at the bound
    assert even_grid(2.0, start=0.5)[0] == 0.5 and limit_grid(2.0, [0.4, 1.0], start=0.5)[0] == 0.5


def test_refined_scan_adds_points_around_the_crossings(path):
    model = open_model(str(path))
    asked = []

    def scan(mus):
        asked.append(list(mus))
        return model.cls_scan(mus)

    result = refined_scan(scan, 3.0, 0.05)
    assert len(asked) == 2 and asked[0][0] == 0.0 and result.mu == sorted(result.mu)
    assert len(result.mu) == len(asked[0]) + len(asked[1])
    observed_limit = model.upper_limit().observed
    # the coarse crossing lies within a step of the limit, and the extra points bracket it
    assert crossings(result, 0.05)[0] == pytest.approx(observed_limit, abs=0.1 * 3.0 / 30)
    assert any(mu < observed_limit for mu in asked[1]) and any(mu > observed_limit for mu in asked[1])


def test_plots_scan_from_zero_with_points_near_the_limits(path, tmp_path, monkeypatch):
    pytest.importorskip("matplotlib")
    grids = []
    original = StatisticalModel.cls_scan

    def recording(self, mus, **options):
        grids.append(list(mus))
        return original(self, mus, **options)

    monkeypatch.setattr(StatisticalModel, "cls_scan", recording)
    output = json.loads(run("limit", path, "--plot", tmp_path / "limit.png").output)
    assert (tmp_path / "limit.png").stat().st_size > 0
    (grid,) = grids
    assert grid[0] == 0.0
    for limit in (output["observed"], *output["expected"]):
        assert min(abs(mu - limit) for mu in grid) < 1e-12  # a point on each limit
    run("cls", path, "--plot", tmp_path / "cls.png")  # the even grid, then points near the crossings
    assert (tmp_path / "cls.png").stat().st_size > 0 and grids[1][0] == 0.0 and len(grids) == 3
