"""The command line on HistFactory workspaces: ``likelihub cls|limit|fit|inspect`` (the core's
commands, on this plugin's file format) and ``likelihub patchset`` (click's CliRunner).

Reference numbers of the tiny workspaces were computed once with pyhf 0.7.6 (numpy backend,
default SLSQP optimiser, qtilde, codes 4/4p) in the peer environment
(/root/.cache/likelihub-peers/bin/python): ``pyhf.infer.hypotest(1.0, data, model,
return_expected_set=True)``, ``upper_limits.toms748_scan(data, model, 0, 10, rtol=1e-8)`` and
``mle.fit(..., return_fitted_val=True)`` on ``Workspace(two_bin_background.json).model(patches=
[two_bin_signal_patch.json])`` and on ``multi_channel.json``. Tolerances are the project's:
CLs 1e-5 absolute, limits 1e-4 relative, -2 log L at most 2e-6 above pyhf's (1e-6 on -log L).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from likelihub.cli.inspect import inspect_command
from likelihub.cli.models import cls_command, fit_command, limit_command
from likelihub_histfactory.cli import commands, patchset_group

DATA = Path(__file__).parent / "data"
BACKGROUND = str(DATA / "two_bin_background.json")
PATCH = str(DATA / "two_bin_signal_patch.json")
PATCHSET = str(DATA / "two_bin_signal_points.json")
MULTI = str(DATA / "multi_channel.json")

# pyhf 0.7.6 on two_bin_background.json + two_bin_signal_patch.json (see the module docstring).
PYHF_TWO_BIN_CLS_OBS = 0.05251497050134021
PYHF_TWO_BIN_CLS_EXP = [0.002606259976511937, 0.013820049586273454, 0.06445319214502952,
                        0.23525640835220843, 0.5730361689830058]
PYHF_TWO_BIN_LIMIT_OBS = 1.0115693725820667
PYHF_TWO_BIN_LIMIT_EXP = [0.5598799768032072, 0.7570233224881677, 1.0623468800031994,
                          1.5011691594213432, 2.0507858605447113]
PYHF_TWO_BIN_TWICE_NLL = 24.983935214542043
# pyhf 0.7.6 on multi_channel.json (first measurement "nominal").
PYHF_MULTI_CLS_OBS = 0.3772525315932399
PYHF_MULTI_CLS_EXP = [0.024407455085912095, 0.07489420142208175, 0.20734061356436617,
                      0.4719590282701678, 0.7880003810856063]


def run(command, *args, input=None):
    result = CliRunner().invoke(command, [str(a) for a in args], input=input)
    return result


def run_ok(command, *args, input=None):
    result = run(command, *args, input=input)
    assert result.exit_code == 0, result.output
    return result.output


def test_commands_are_registered():
    import likelihub.registry.plugins
    from likelihub.cli import cli

    names = {c.name for c in commands}
    # `likelihub scan` is the core's command (issue 12), with this plugin's point-source options;
    # so are cls, limit, fit and inspect (issue 13), with the options of this plugin's format.
    assert names == {"patchset", "simplify",  # simplify: issue 16
                     "digest", "combine", "prune", "rename", "sort", "xml2json"}  # issue 17
    assert {"cls", "limit", "fit", "inspect", "scan"} <= set(cli.commands)
    registry = likelihub.registry.plugins.Registry()
    assert names <= {c.name for c in registry.commands}
    assert registry.formats["histfactory"].backend == "histfactory"


def test_cls_as_pyhf():
    output = json.loads(run_ok(cls_command, BACKGROUND, "-p", PATCH, "--mu", 1.0))
    assert set(output) == {"CLs_obs", "CLs_exp"}  # pyhf cls's keys
    assert output["CLs_obs"] == pytest.approx(PYHF_TWO_BIN_CLS_OBS, abs=1e-5)
    assert output["CLs_exp"] == pytest.approx(PYHF_TWO_BIN_CLS_EXP, abs=1e-5)
    multi = json.loads(run_ok(cls_command, MULTI))
    assert multi["CLs_obs"] == pytest.approx(PYHF_MULTI_CLS_OBS, abs=1e-5)
    assert multi["CLs_exp"] == pytest.approx(PYHF_MULTI_CLS_EXP, abs=1e-5)


def test_cls_with_patchset_and_from_standard_input(tmp_path):
    # signal_300_10 is two_bin_signal_patch.json's signal (scale 1): the same numbers.
    output = json.loads(run_ok(cls_command, "--patchset", PATCHSET, "--patch-name", "signal_300_10",
                               input=Path(BACKGROUND).read_text()))
    assert output["CLs_obs"] == pytest.approx(PYHF_TWO_BIN_CLS_OBS, abs=1e-5)
    target = tmp_path / "cls.json"
    assert run_ok(cls_command, BACKGROUND, "-p", PATCH, "--output-file", target) == ""
    assert json.loads(target.read_text())["CLs_obs"] == pytest.approx(PYHF_TWO_BIN_CLS_OBS, abs=1e-5)


def test_limit_as_pyhf():
    output = json.loads(run_ok(limit_command, BACKGROUND, "-p", PATCH))
    assert output["poi"] == "mu" and output["cl"] == 0.95
    assert output["observed"] == pytest.approx(PYHF_TWO_BIN_LIMIT_OBS, rel=1e-4)
    assert output["expected"] == pytest.approx(PYHF_TWO_BIN_LIMIT_EXP, rel=1e-4)


def test_limit_plot_writes_a_brazil_band_png(tmp_path):
    target = tmp_path / "brazil.png"
    output = json.loads(run_ok(limit_command, BACKGROUND, "-p", PATCH, "--plot", target))
    assert output["observed"] == pytest.approx(PYHF_TWO_BIN_LIMIT_OBS, rel=1e-4)  # unchanged by --plot
    assert target.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"  # the PNG signature (Agg, no display)
    assert target.stat().st_size > 10_000  # a drawn figure, not an empty canvas


def test_cls_plot_writes_a_png_and_a_bad_plot_path_is_one_line(tmp_path):
    target = tmp_path / "cls.png"
    output = json.loads(run_ok(cls_command, BACKGROUND, "-p", PATCH, "--mu", 1.5, "--plot", target))
    assert set(output) == {"CLs_obs", "CLs_exp"}
    assert target.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    # The plot's directory is checked as the options are read, before the limit is computed
    # (issue 11): a usage error, exit status 2.
    result = run(limit_command, BACKGROUND, "-p", PATCH, "--plot", tmp_path / "missing" / "b.png")
    assert result.exit_code == 2 and "cannot write" in result.output and "does not exist" in result.output
    assert "Traceback" not in result.output


def test_fit_reaches_pyhf_minimum():
    output = json.loads(run_ok(fit_command, BACKGROUND, "-p", PATCH))
    assert output["converged"] is True
    # A fit is judged by its minimum: never above pyhf's by more than 1e-6 on -log L, and the
    # same likelihood (not lower by more than pyhf's own optimiser tolerance, 1e-4 here).
    assert output["twice_nll"] <= PYHF_TWO_BIN_TWICE_NLL + 2e-6
    assert output["twice_nll"] == pytest.approx(PYHF_TWO_BIN_TWICE_NLL, abs=1e-4)
    assert set(output["mle_parameters"]) == {"mu", "background_uncertainty"}
    assert len(output["mle_parameters"]["background_uncertainty"]) == 2  # pyhf's grouping


def test_inspect():
    output = run_ok(inspect_command, MULTI)
    for expected in ("control_region", "signal_region", "staterror_signal_region", "poisson",
                     "ttbar_only"):
        assert expected in output
    summary = json.loads(run_ok(inspect_command, MULTI, "--json"))
    assert summary["channels"] == [{"name": "control_region", "bins": 1},
                                   {"name": "signal_region", "bins": 2}]
    assert len(summary["parameters"]) == 8  # by construction of multi_channel.json
    patched = json.loads(run_ok(inspect_command, BACKGROUND, "-p", PATCH, "--json"))
    assert patched["samples"] == ["background", "signal"]


def test_inspect_takes_every_option_of_the_format():
    # Since the core owns `inspect` (issue 13), it takes all of the format's options: the patch of
    # a patchset (signal_300_10 is two_bin_signal_patch.json), one measurement.
    patched = json.loads(run_ok(inspect_command, BACKGROUND, "--patchset", PATCHSET, "--patch-name",
                                "signal_300_10", "--json"))
    assert patched == json.loads(run_ok(inspect_command, BACKGROUND, "-p", PATCH, "--json"))
    one = json.loads(run_ok(inspect_command, MULTI, "--measurement", "ttbar_only", "--json"))
    assert [m["name"] for m in one["measurements"]] == ["ttbar_only"]
    result = run(inspect_command, MULTI, "--measurement", "nothing")
    assert result.exit_code == 1 and "no measurement 'nothing'" in result.output
    result = run(inspect_command, BACKGROUND, "--patch-name", "signal_300_10")
    assert result.exit_code == 1 and "--patchset and --patch-name go together" in result.output


def test_patchset_commands(tmp_path):
    names = run_ok(patchset_group, "inspect", PATCHSET)
    assert "3 patches" in names and "signal_700_20  700   20.5" in names
    extracted = json.loads(run_ok(patchset_group, "extract", PATCHSET, "--name", "signal_500_10"))
    assert extracted[0]["value"]["data"] == [6.0, 5.5]  # 0.5 x [12, 11], by construction
    with_metadata = json.loads(run_ok(patchset_group, "extract", PATCHSET, "--name", "signal_500_10",
                                      "--with-metadata"))
    assert with_metadata["metadata"]["values"] == [500, 10]
    assert with_metadata["metadata"]["labels"] == ["mass", "width"]
    assert run_ok(patchset_group, "verify", BACKGROUND, PATCHSET).strip() == "All good."
    applied = json.loads(run_ok(patchset_group, "apply", BACKGROUND, PATCHSET, "--name", "signal_300_10"))
    # pyhf: digest of two_bin_background.json patched with two_bin_signal_patch.json (= signal_300_10).
    from likelihub_histfactory.spec.patches import digest

    assert digest(applied) == "393a2d6a956c78caec8a628f1ebe0c61b7ae0019ae540ac574963aa79949fe07"


# -- bad input: one line naming what and where, exit status 1 ------------------------------------
def test_errors_are_one_line(tmp_path):
    result = run(cls_command, BACKGROUND)
    assert result.exit_code == 1
    assert "parameter of interest 'mu'" in result.output and "Traceback" not in result.output
    result = run(cls_command, BACKGROUND, "--patchset", PATCHSET, "--patch-name", "signal_300")
    assert result.exit_code == 1 and "signal_300" in result.output
    result = run(patchset_group, "verify", MULTI, PATCHSET)
    assert result.exit_code == 1 and "digest" in result.output
    result = run(patchset_group, "extract", PATCHSET, "--name", "signal_300")
    assert result.exit_code == 1 and "close matches: ['signal_300_10'" in result.output
    broken = tmp_path / "broken.json"
    broken.write_text('{"channels": [')
    result = run(inspect_command, broken)
    assert result.exit_code == 1 and "broken.json" in result.output and "not valid JSON" in result.output
    result = run(inspect_command, tmp_path / "missing.json")
    assert result.exit_code == 1 and "no such file" in result.output
    bad_patch = tmp_path / "bad_patch.json"
    bad_patch.write_text(json.dumps([{"op": "remove", "path": "/channels/3"}]))
    result = run(inspect_command, BACKGROUND, "-p", bad_patch)
    assert result.exit_code == 1
    assert "bad_patch.json" in result.output and "operation 0 (remove '/channels/3')" in result.output


# -- a published pallet ---------------------------------------------------------------------------
@pytest.fixture(scope="module")
def reference(shared_data):
    cases = json.loads((shared_data / "reference" / "histfactory-pyhf.json").read_text())["cases"]
    return {(c["analysis"], c["patch"]): c for c in cases}


@pytest.mark.shared_data
def test_cls_on_a_pallet_with_a_patch_from_it(shared_data, reference):
    case = reference["sbottomA", "sbottom_1300_205_60"]
    pallet = shared_data / "histfactory" / case["archive"]
    output = json.loads(run_ok(cls_command, pallet, "--member", case["workspace"],
                               "-p", case["patch_source"]))
    # shared/data/reference/histfactory-pyhf.json: pyhf 0.7.6 on the same patch.
    assert output["CLs_obs"] == pytest.approx(case["cls_obs_mu1"], abs=1e-5)
    # The command computes what the Python API does (the engine's agreement with pyhf on the
    # expected band is the engine tests' business).
    import likelihub

    model = likelihub.get_backend("histfactory")(pallet, member=case["workspace"],
                                                 patches=[case["patch_source"]])
    assert output["CLs_exp"] == pytest.approx(model.cls(1.0).cls_exp, rel=1e-9, abs=1e-12)


@pytest.mark.shared_data
def test_cls_and_patchset_commands_on_the_1lbb_pallet(shared_data, reference):
    case = reference["1Lbb", "C1N2_Wh_hbb_900_250"]
    pallet = shared_data / "histfactory" / case["archive"]
    output = json.loads(run_ok(cls_command, pallet, "--member", "BkgOnly.json", "--patchset",
                               "patchset.json", "--patch-name", "C1N2_Wh_hbb_900_250"))
    # shared/data/reference/histfactory-pyhf.json: pyhf 0.7.6 on the same patch.
    assert output["CLs_obs"] == pytest.approx(case["cls_obs_mu1"], abs=1e-5)
    assert output["CLs_exp"] == pytest.approx(case["cls_exp_mu1"], abs=1e-5)
    verified = run_ok(patchset_group, "verify", pallet, "patchset.json", "--member", "BkgOnly.json")
    assert verified.strip() == "All good."
    result = run(inspect_command, pallet)
    assert result.exit_code == 1 and "BkgOnly.json; README.md" not in result.output
    assert "name the member to read (JSON members: BkgOnly.json; patchset.json)" in result.output
