"""``likelihub pulls|correlations|yields|ranking FILE`` (click's CliRunner) on the HistFactory
plugin's shipped example workspace, and the plots of likelihub.plot_diagnostics (rendered with Agg).

The numbers are the API's (test_closed_forms.py and test_cabinetry.py check those); here: the
commands print what the API returns, write their plots, and fail on bad input with one line.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from click.testing import CliRunner

import likelihub as lh
from likelihub import diagnostics
from likelihub.cli.main import cli

pytest.importorskip("likelihub_histfactory")
matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")

from likelihub import plot_diagnostics  # noqa: E402
from likelihub_histfactory.example import EXAMPLE_WORKSPACE  # noqa: E402

from .tiny import BatchTinyBackend  # noqa: E402


def run(*args):
    return CliRunner().invoke(cli, [str(a) for a in args])


@pytest.fixture(scope="module")
def workspace():
    return str(EXAMPLE_WORKSPACE)


@pytest.fixture(scope="module")
def example():
    return lh.get_backend("histfactory")(json.loads(EXAMPLE_WORKSPACE.read_text()))


@pytest.mark.parametrize("command", ["pulls", "correlations", "yields", "ranking"])
def test_each_command_prints_the_api_result_and_draws(command, workspace, example, tmp_path):
    plot = tmp_path / f"{command}.png"
    result = run(command, workspace, "--plot", plot)
    assert result.exit_code == 0, result.output
    printed = json.loads(result.output)
    fit = example.fit()
    expected = getattr(diagnostics, command)(example, fit).to_dict()
    if command == "correlations":
        assert printed["parameters"] == expected["parameters"]
        np.testing.assert_allclose(printed["matrix"], expected["matrix"], atol=1e-9)
    elif command == "yields":
        assert [c["name"] for c in printed["channels"]] == ["CR", "SR"]
        np.testing.assert_allclose(printed["channels"][1]["total_stdev"],
                                   expected["channels"][1]["total_stdev"], rtol=1e-9)
    else:
        names = [r["name"] for r in printed["parameters"]]
        assert names == [r["name"] for r in expected["parameters"]]
    assert plot.stat().st_size > 1000


def test_yields_prefit_and_output_file(workspace, tmp_path):
    out = tmp_path / "prefit.json"
    result = run("yields", workspace, "--prefit", "--propagation", "linear", "--output-file", out)
    assert result.exit_code == 0, result.output
    written = json.loads(out.read_text())
    assert written["label"] == "pre-fit" and written["propagation"] == "linear"
    assert set(written["channels"][1]["samples"]) == {"signal", "ttbar", "wjets"}


def test_ranking_of_chosen_parameters_and_correlation_pairs(workspace):
    result = run("ranking", workspace, "--parameter", "jes", "--parameter", "lumi")
    assert result.exit_code == 0, result.output
    assert sorted(r["name"] for r in json.loads(result.output)["parameters"]) == ["jes", "lumi"]
    pairs = json.loads(run("correlations", workspace, "--threshold", "0.1").output)["pairs"]
    assert pairs and all(abs(p["correlation"]) >= 0.1 for p in pairs)


def test_bad_input_is_one_line(workspace):
    result = run("ranking", workspace, "--parameter", "nope")
    assert result.exit_code == 1
    assert "nope" in result.output and "Traceback" not in result.output
    assert run("yields", workspace, "--propagation", "toys").exit_code == 2


def test_plots_hold_the_numbers():
    model = lh.StatisticalModel(BatchTinyBackend())
    fit = model.fit()
    pulls = diagnostics.pulls(model, fit)
    ax = plot_diagnostics.pulls_plot(pulls)
    line = ax.containers[0].lines[0]  # the error bar's points: the one constrained parameter
    assert line.get_xdata()[0] == pytest.approx(pulls.pull[1], rel=1e-12)
    ranking = diagnostics.ranking(model, fit)
    ax = plot_diagnostics.ranking_plot(ranking)
    widths = sorted(round(p.get_width(), 12) for p in ax.patches)
    assert widths == sorted(round(v, 12) for v in (ranking.postfit_up[0], ranking.postfit_down[0],
                                                   ranking.prefit_up[0], ranking.prefit_down[0]))
    figure = plot_diagnostics.yields_plot(diagnostics.yields(model, fit))
    assert [a.get_title() for a in figure.axes] == ["SR (post-fit)", "CR (post-fit)"]
    ax = plot_diagnostics.correlation_plot(diagnostics.correlations(model, fit))
    np.testing.assert_allclose(ax.images[0].get_array(), diagnostics.correlations(model, fit).matrix)
