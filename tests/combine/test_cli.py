"""``likelihub cls|limit|fit|inspect CARD`` on Combine datacards (issue 13): the card is recognised
as such, Combine's options (-m, --freeze, --rMin, --rMax) reach the backend, the printed numbers
are the API's on the same card, and a bad card is one line naming the file and line.

Numbers: the CLI prints what ``lh.get_backend("combine.datacard")(card).cls(1.0)`` and
``.upper_limit()`` compute (the same computation: 1e-9 relative), which test_counting.py and
test_shape_fits.py compare with Combine's published output; here, again, the realistic counting
tutorial's limits (observed 1.6281, expected 2.3281: Combine's docs, within Combine's search
precision 0.006) and the long exercise's FitDiagnostics fit at -m 800 --rMin -20 --rMax 20
(r = -2.722 +- 2.59: within 0.005 and 3%, as test_shape_fits.py argues).
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from click.testing import CliRunner

import likelihub as lh
from likelihub.cli.inspect import inspect_command
from likelihub.cli.models import cls_command, fit_command, limit_command
from likelihub.registry.catalogue import find_format

COMBINE_SEARCH = 0.006  # Combine's limit search stops at 0.005 r (test_counting.py)
VALUES, ERRORS = 0.005, 0.03  # Combine's Minuit tolerance and 3-digit HESSE errors (test_shape_fits.py)
SAME = {"rel": 1e-9, "abs": 1e-12}  # the CLI and the API run the same computation


def run(command, *args):
    return CliRunner().invoke(command, [str(a) for a in args])


def run_ok(command, *args):
    result = run(command, *args)
    assert result.exit_code == 0, result.output
    return result.output


@pytest.fixture(scope="module")
def realistic(shared_data):
    return shared_data / "datacards" / "combine_tutorials" / "realistic-counting-experiment.txt"


@pytest.fixture(scope="module")
def shape_card(shared_data):
    folder = shared_data / "datacards" / "combine_docs" / "longexercise_part2_shape"
    return folder / "datacard_part2_shapes.txt"


def test_cards_are_recognised_and_other_files_are_not(shared_data, tmp_path):
    cards = sorted((shared_data / "datacards").rglob("*.txt"))
    not_cards = {"rateParams.txt"}  # rateParam lines to append to a card, no card
    assert len(cards) > 25
    for card in cards:
        if card.name not in not_cards:
            assert find_format(str(card)).name == "combine.datacard", card
    from likelihub_combine.cli_format import is_datacard

    assert not is_datacard(str(shared_data / "datacards" / "combine_docs" / "longexercise_part3_combined"
                               / "rateParams.txt"))
    assert not is_datacard(str(shared_data / "datacards" / "combine_docs" / "longexercise_part2_shape"
                               / "datacard_part2.shapes.root"))
    assert not is_datacard("-") and not is_datacard(str(tmp_path / "missing.txt"))
    headless = tmp_path / "card"  # no suffix, no imax/jmax/kmax header: Combine reads it
    headless.write_text("# a card\nbin b\nobservation 3\nbin b b\nprocess s b\nprocess 0 1\nrate 1 2\n")
    assert is_datacard(str(headless))


def test_cls_and_limit_are_the_apis(realistic):
    model = lh.get_backend("combine.datacard")(realistic)
    cls = json.loads(run_ok(cls_command, realistic))
    expected = model.cls(1.0)
    assert cls["CLs_obs"] == pytest.approx(expected.cls_obs, **SAME)
    assert cls["CLs_exp"] == pytest.approx(list(expected.cls_exp), **SAME)
    limit = json.loads(run_ok(limit_command, realistic))
    api = model.upper_limit()
    assert limit["observed"] == pytest.approx(api.observed, **SAME)
    assert limit["expected"] == pytest.approx(list(api.expected), **SAME)
    assert limit["poi"] == "r" and limit["cl"] == 0.95
    # Combine's docs (tutorial realistic-counting-experiment): r < 1.6281, expected 2.3281.
    assert limit["observed"] == pytest.approx(1.6281, rel=COMBINE_SEARCH)
    assert limit["expected"][2] == pytest.approx(2.3281, rel=COMBINE_SEARCH)
    # --band percentiles: Combine's 2.5..97.5% band, the API's with band="percentiles"
    percentiles = json.loads(run_ok(limit_command, realistic, "--band", "percentiles"))
    assert percentiles["expected"] == pytest.approx(model.upper_limit(band="percentiles").expected, **SAME)
    # --blind: Combine's --run blind, the a-priori expected band only (the API's blind=True)
    blind = json.loads(run_ok(limit_command, realistic, "--band", "percentiles", "--blind"))
    assert blind["observed"] is None
    assert blind["expected"] == pytest.approx(model.upper_limit(band="percentiles", blind=True).expected,
                                              **SAME)
    blind_cls = json.loads(run_ok(cls_command, realistic, "--blind"))
    assert blind_cls["CLs_obs"] is None
    assert blind_cls["CLs_exp"] == pytest.approx(list(model.cls(1.0, blind=True).cls_exp), **SAME)


def test_mass_and_r_range_reach_the_shape_card(shape_card):
    output = json.loads(run_ok(fit_command, shape_card, "-m", 800, "--rMin", -20, "--rMax", 20))
    # Combine's FitDiagnostics, docs/part5/longexercise.md (references.json): r = -2.722 +- 2.59.
    assert output["mle_parameters"]["r"] == pytest.approx([-2.722], abs=VALUES)
    assert output["uncertainties"]["r"] == pytest.approx([2.59], rel=ERRORS)
    assert output["converged"] is True
    # Without -m the $MASS of the shapes lines is unknown: one line naming the line and the option.
    result = run(fit_command, shape_card)
    assert result.exit_code == 1 and len(result.output.strip().splitlines()) == 1
    assert f"{shape_card}:6" in result.output and "-m/--mass" in result.output


def test_freeze_holds_parameters_at_their_initial_values(realistic):
    output = json.loads(run_ok(fit_command, realistic, "--freeze", "lumi, xs_ggH"))
    api = lh.get_backend("combine.datacard")(realistic, freeze=["lumi", "xs_ggH"]).fit()
    assert output["mle_parameters"]["lumi"] == [0.0] and output["mle_parameters"]["xs_ggH"] == [0.0]
    assert output["twice_nll"] == pytest.approx(api.twice_nll, **SAME)
    result = run(fit_command, realistic, "--freeze", "lumi,nope")
    assert result.exit_code == 2 and "--freeze" in result.output and "no parameter 'nope'" in result.output
    # Combine's patterns, as the API's freeze: rgx{...} matches lumi alone here
    output = json.loads(run_ok(fit_command, realistic, "--freeze", "rgx{lum.*}"))
    frozen = lh.get_backend("combine.datacard")(realistic, freeze=["lumi"]).fit()
    assert output["twice_nll"] == pytest.approx(frozen.twice_nll, **SAME)


def test_physics_model_options_reach_the_card(shared_data):
    # --PO, --setParameters and --redefineSignalPOIs are the API's physics_options, set_parameters
    # and pois (the same computation: SAME)
    card = shared_data / "datacards" / "combine_benchmarks" / "twoSignals-3bin-bigBSyst.txt"
    options = ["map=.*/S:r1[1,0,20]", "map=.*/S_ALT:r2[1,0,20]"]
    api = lh.get_backend("combine.datacard")(card, physics_options=options, pois=["r2", "r1"],
                                             set_parameters={"r1": 0.0}, freeze=["r1"])
    limit = json.loads(run_ok(limit_command, card, "--PO", options[0], "--PO", options[1],
                              "--redefineSignalPOIs", "r2,r1", "--setParameters", "r1=0", "--freeze", "r1"))
    assert limit["poi"] == "r2"
    assert limit["observed"] == pytest.approx(api.upper_limit().observed, **SAME)
    result = run(limit_command, card, "--PO", "map=.*/nope:r3[1,0,2]")
    assert result.exit_code == 2 and "--PO" in result.output and "matches no bin/process" in result.output
    result = run(limit_command, card, "--setParameters", "r=one")
    assert result.exit_code == 2 and "'r=one' is not name=value" in result.output
    result = run(limit_command, card, "--redefineSignalPOIs", "nope")
    assert result.exit_code == 2 and "--redefineSignalPOIs" in result.output and "nope" in result.output


def test_r_range_is_checked(realistic):
    result = run(cls_command, realistic, "--rMin", 5, "--rMax", 1)
    assert result.exit_code == 2 and "--rMin" in result.output and "5 is not below --rMax 1" in result.output
    result = run(cls_command, realistic, "--mu", 30)  # Combine's default range of r: [0, 20]
    assert result.exit_code == 2 and "30 lies outside the bounds [0, 20] of the parameter of interest 'r'" \
        in result.output
    output = json.loads(run_ok(cls_command, realistic, "--mu", 30, "--rMax", 40))
    assert 0.0 <= output["CLs_obs"] < 1e-3  # 30 times the signal is excluded outright


def test_inspect_prints_describe_and_the_parameters(realistic):
    model = lh.get_backend("combine.datacard")(realistic)
    lines = run_ok(inspect_command, realistic).splitlines()
    assert lines[0] == model.describe()
    assert lines[2].split() == ["parameter", "init", "bounds", "fixed", "role"]
    assert lines[4].split() == ["r", "1", "[0,", "20]", "POI"]
    assert [line.split()[0] for line in lines[4:]] == list(model.config.parameter_names)
    summary = json.loads(run_ok(inspect_command, realistic, "--json", "--rMax", 10))
    assert summary["poi"] == "r" and summary["parameters"][0]["bounds"] == [0.0, 10.0]
    assert summary["description"] == model.describe()


def test_an_option_of_histfactory_is_refused(realistic):
    pytest.importorskip("likelihub_histfactory")
    result = run(cls_command, realistic, "--member", "BkgOnly.json")
    assert result.exit_code == 2
    assert "--member applies to HistFactory workspaces, not to Combine datacards" in result.output


def test_a_bad_card_is_one_line_naming_file_and_line(tmp_path):
    card = tmp_path / "bad.txt"
    card.write_text("imax 1\njmax 1\nkmax 0\nbin b\nobservation 3\nbin b b\nprocess s b\nprocess 0 1\n"
                    "rate 1 -2\n")
    script = "from likelihub.cli import main; main()"
    result = subprocess.run([sys.executable, "-c", script, "cls", str(card)], capture_output=True, text=True)
    assert result.returncode == 1 and result.stdout == ""
    assert result.stderr.strip().splitlines() == [
        f"Error: file '{card}:9', channel 'b', sample 'b': negative rate -2"]
