"""Converting datacards to pyhf JSON and back: the ``combine.datacard`` and ``histfactory`` backends
must give the same numbers on every pair the converter accepts.

The reference of each assertion is the other backend on the converted input (the two
implementations share no code). Tolerances:

- -log L at the same (linked) parameter point: 1e-10 relative, after the constant the conversion
  states (the Gaussian normalisations log delta of rescaled autoMCStats parameters, and the
  constraints of the components pyhf fixes); both sides compute the same function, so only
  rounding separates them (measured: below 2e-14);
- the best fit: -log L at the minimum 1e-9 relative, the POI within 1e-4 of its uncertainty (both
  fits stop at an estimated distance to the minimum below 1e-10, i.e. |delta theta| < ~1.4e-5 sigma);
- CLs at r = 1 and the observed upper limit: 1e-6 relative, as the brief of issue 13 asks (measured:
  below 2e-7; the limit's root finder stops at rtol 1e-6 of its own).
"""

from __future__ import annotations

import json
import subprocess
import sys
import warnings

import pytest
from click.testing import CliRunner
from likelihub_combine.convert import (
    INTERPOLATION_CODES,
    ConversionWarning,
    convert_card,
    convert_workspace,
    to_pyhf,
    write_histograms,
)
from likelihub_combine.convert_cli import datacard2pyhf_command, pyhf2datacard_command
from likelihub_combine.parser import read_datacard
from likelihub_combine.shapes import read_templates

import likelihub as lh
from likelihub.errors import InvalidModelError

from .convert_inputs import combine, histfactory, points, vector, workspace, write_shape_card

NLL_RELATIVE = 1e-10
FIT_NLL_RELATIVE = 1e-9
FIT_SIGMA = 1e-4
INFERENCE_RELATIVE = 1e-6

#: Every counting card of the shared data that converts exactly (lnN, gmN, several signals).
EXACT_CARDS = [
    "combine_benchmarks/counting-B5p5-Obs1-Syst30B.txt",
    "combine_benchmarks/counting-B5p5-Obs11-Syst30B.txt",
    "combine_benchmarks/counting-B5p5-Obs6-StatOnly.txt",
    "combine_benchmarks/counting-B5p5-Obs6-Syst30B.txt",
    "combine_benchmarks/counting-B5p5-Obs6-Syst30C.txt",
    "combine_benchmarks/counting-B5p5-Obs6-Syst30S.txt",
    "combine_benchmarks/counting-B5p5-Obs6-Syst30U.txt",
    "combine_benchmarks/counting-S1-Sideband10-alpha0p2-Obs2.txt",
    "combine_benchmarks/counting-Sideband11-alpha0p5-Obs6.txt",
    "combine_benchmarks/twoSignals-3bin-bigBSyst.txt",
    "combine_tutorials/datacard-1-counting-experiment.txt",
    "combine_tutorials/datacard_part1.txt",
    "combine_tutorials/realistic-counting-experiment.txt",
    "combine_tutorials/realistic-multi-channel.txt",
    "combine_tutorials/simple-counting-experiment.txt",
    "combine_docs/hww4ch_1fb_counting/hww4ch-1fb-S-mH140.txt",
    "combine_docs/stat_routines_counting/datacard.txt",
]
#: Fits, CLs and limits on a few of them (lnN only; gmN; several channels and signals).
INFERENCE_CARDS = EXACT_CARDS[6:7] + EXACT_CARDS[7:8] + EXACT_CARDS[12:14]


def assert_same_likelihood(model, other, links_to_other, constant, count=4, seed=7):
    """-log L of ``other`` at the linked points equals ``model``'s plus ``constant``."""
    for point in points(model, count, seed):
        mine = -model.logpdf(vector(model, point))
        theirs = -other.logpdf(vector(other, links_to_other(point))) - constant
        assert theirs == pytest.approx(mine, rel=NLL_RELATIVE, abs=0)


def assert_same_inference(model, other, constant):
    fit, other_fit = model.fit(), other.fit()
    assert other_fit.nll - constant == pytest.approx(fit.nll, rel=FIT_NLL_RELATIVE, abs=0)
    poi, other_poi = model.config.poi_index, other.config.poi_index
    sigma = max(fit.uncertainties[poi], 1e-3)
    assert abs(other_fit.values[other_poi] - fit.values[poi]) < FIT_SIGMA * sigma
    assert other.cls(1.0).cls_obs == pytest.approx(model.cls(1.0).cls_obs, rel=INFERENCE_RELATIVE)
    assert other.upper_limit().observed == pytest.approx(model.upper_limit().observed, rel=INFERENCE_RELATIVE)


@pytest.mark.parametrize("card", EXACT_CARDS)
def test_counting_cards_have_the_same_likelihood_in_pyhf(shared_data, card):
    path = shared_data / "datacards" / card
    conversion = convert_card(path)
    assert conversion.approximations == []
    assert_same_likelihood(
        combine(path), histfactory(conversion.workspace), conversion.pyhf_values, conversion.constant
    )


@pytest.mark.parametrize("card", INFERENCE_CARDS)
def test_counting_cards_have_the_same_fits_cls_and_limits_in_pyhf(shared_data, card):
    path = shared_data / "datacards" / card
    conversion = convert_card(path)
    assert_same_inference(combine(path), histfactory(conversion.workspace), conversion.constant)


@pytest.mark.parametrize("variant", ["lite", "per_process"])
def test_shape_card_with_morphs_and_automcstats_is_exact(tmp_path, variant):
    # Shape-only morphs (code 4p), a symmetric normalisation effect (kappas 1.25/0.8), an empty
    # bin at Combine's floor, rateParam, asymmetric lnN with kappa_down = 1/kappa_up, and
    # autoMCStats (Barlow-Beeston-lite; per process Poisson and Gaussian).
    card = write_shape_card(tmp_path, variant)
    conversion = convert_card(card)
    assert conversion.approximations == []
    types = {
        m["type"] for c in conversion.workspace["channels"] for s in c["samples"] for m in s["modifiers"]
    }
    expected = {"normfactor", "normsys", "histosys", "staterror"} | (
        {"shapesys"} if variant == "per_process" else set()
    )
    assert types == expected
    model, other = combine(card), histfactory(conversion.workspace)
    assert_same_likelihood(model, other, conversion.pyhf_values, conversion.constant)
    assert_same_inference(model, other, conversion.constant)


def test_summer11_shape_card_is_exact(shared_data):
    # Four TH1 channels without shape lines (Wjets templates with negative bins, which Combine's
    # template classes clip at their 1e-9 floor, as likelihub does when it builds the card) and a
    # counting channel, all lnN.
    path = shared_data / "datacards" / "combine_docs" / "summer11_hwws_130" / "comb_hww.txt"
    conversion = convert_card(path, mass="130")
    assert conversion.approximations == []
    assert_same_likelihood(
        combine(path, mass="130"), histfactory(conversion.workspace), conversion.pyhf_values,
        conversion.constant,
    )


@pytest.mark.parametrize(
    ("card", "mass", "message"),
    [
        (
            "combine_benchmarks/counting-B5p5-Obs6-Syst1040B.txt",
            None,
            "asymmetric lnN theta1 has no exact pyhf",
        ),
        (
            "combine_tutorials/datacard-4-abcd.txt",
            None,
            "rateParam alpha = (@0*@1/@2) has no pyhf equivalent",
        ),
        ("cms_sus_20_004/2DTChiHH600_LSP150.txt", None, "has no pyhf equivalent: pyhf has no formula"),
        (
            "combine_docs/longexercise_part2_shape/datacard_part2_shapes.txt",
            "800",
            "the normalisation effect of shape CMS_eff_t_highpt has no exact pyhf equivalent",
        ),
    ],
)
def test_cards_without_an_exact_equivalent_are_refused(shared_data, card, mass, message):
    path = shared_data / "datacards" / card
    with pytest.raises(InvalidModelError, match=rf"{path}:\d+") as caught:
        convert_card(path, mass=mass)
    assert message in str(caught.value)


def test_approximate_conversion_warns_and_differs_off_nominal(shared_data):
    # The long exercise's shape card: asymmetric normalisation effects of its shape lines (and
    # morphs that may reach Combine's floor). Each approximation agrees with Combine at theta = 0
    # (|theta| >= 0.5 for the log-normals), so -log L agrees at the initial point and not elsewhere.
    path = shared_data / "datacards/combine_docs/longexercise_part2_shape/datacard_part2_shapes.txt"
    with pytest.warns(ConversionWarning, match="approximation"):
        conversion = convert_card(path, mass="800", approximate=True)
    assert any("logKappaForX" in item for item in conversion.approximations)
    model, other = combine(path, mass="800"), histfactory(conversion.workspace)
    init, off = points(model, 1, 3)
    nll = [
        (-model.logpdf(vector(model, p)), -other.logpdf(vector(other, conversion.pyhf_values(p))))
        for p in (init, off)
    ]
    assert nll[0][1] == pytest.approx(nll[0][0], rel=NLL_RELATIVE)
    assert abs(nll[1][1] - nll[1][0]) > 1e-3


# -- pyhf -> datacard ------------------------------------------------------------------------------
def write_card(conversion, folder):
    card = folder / "card.txt"
    card.write_text(conversion.card_text)
    if conversion.histograms:
        write_histograms(conversion.histograms, folder / "shapes.root")
    return card


def test_pyhf_workspace_converts_to_an_exact_card(tmp_path):
    spec = workspace()
    conversion = convert_workspace(spec, interpolation_codes=INTERPOLATION_CODES)
    assert conversion.approximations == []
    assert "prop_binSR_bin0" in {link.target for link in conversion.links}
    card = write_card(conversion, tmp_path)
    model, other = histfactory(spec), combine(card, r_range=conversion.r_range)
    assert_same_likelihood(model, other, conversion.combine_values, conversion.constant)
    assert_same_inference(model, other, conversion.constant)


def test_pyhf_default_normsys_code_has_no_exact_lnn():
    # pyhf's default normsys code 4 is a polynomial inside |alpha| < 1; Combine's lnN is code 1.
    with pytest.raises(
        InvalidModelError, match="normsys theory has no exact Combine equivalent: under interpolation code 4"
    ):
        convert_workspace(workspace())


@pytest.mark.parametrize("card", EXACT_CARDS[6:7] + EXACT_CARDS[10:14])
def test_card_to_pyhf_to_card_keeps_the_likelihood(shared_data, tmp_path, card):
    path = shared_data / "datacards" / card
    back = convert_workspace(to_pyhf(path), interpolation_codes=INTERPOLATION_CODES)
    assert back.approximations == []
    model, other = combine(path), combine(write_card(back, tmp_path), r_range=back.r_range)
    assert sorted(other.config.parameter_names) == sorted(model.config.parameter_names)
    assert_same_likelihood(model, other, lambda point: point, 0.0)


def test_shape_card_round_trip_through_pyhf(tmp_path):
    card = write_shape_card(tmp_path, "lite")
    back = convert_workspace(to_pyhf(card), interpolation_codes=INTERPOLATION_CODES)
    assert back.approximations == []
    folder = tmp_path / "back"
    folder.mkdir()
    model, other = combine(card), combine(write_card(back, folder), r_range=back.r_range)
    assert sorted(other.config.parameter_names) == sorted(model.config.parameter_names)
    assert_same_likelihood(model, other, lambda point: point, 0.0)


def test_written_templates_read_back_with_their_errors(tmp_path):
    conversion = convert_workspace(workspace(), interpolation_codes=INTERPOLATION_CODES)
    card = write_card(conversion, tmp_path)
    templates = read_templates(read_datacard(card))["SR"]
    assert templates.data.tolist() == [38, 30, 17]
    assert templates.nominal["ttbar"].values.tolist() == [30.0, 20.0, 10.0]
    assert templates.nominal["ttbar"].errors.tolist() == [1.5, 1.0, 0.8]  # sqrt(sumw2)
    assert templates.nominal["wjets"].errors.tolist() == [0.0, 0.0, 0.0]
    up, _ = templates.variations[("wjets", "shape_sys")]
    assert up.values.sum() == pytest.approx(16.0, rel=1e-14)  # shape-only: the nominal's sum
    assert templates.bin_edges.tolist() == [0.0, 1.0, 2.0, 3.0]


def test_unconvertible_workspace_constructs_are_named():
    spec = workspace()
    spec["channels"][0]["samples"][2]["modifiers"].append(
        {"name": "free", "type": "shapefactor", "data": None}
    )
    with pytest.raises(
        InvalidModelError, match="modifier 'free': shapefactor free has no Combine equivalent"
    ):
        convert_workspace(spec, interpolation_codes=INTERPOLATION_CODES)


# -- command line ----------------------------------------------------------------------------------
def test_datacard2pyhf_writes_the_workspace(shared_data, tmp_path):
    path = shared_data / "datacards" / EXACT_CARDS[12]
    output = tmp_path / "ws.json"
    result = CliRunner().invoke(datacard2pyhf_command, [str(path), "-o", str(output)])
    assert result.exit_code == 0, result.output
    assert json.loads(output.read_text()) == to_pyhf(path)
    assert "interpolation codes normsys code1" in result.output  # the note, on standard error


def test_pyhf2datacard_writes_card_and_templates(tmp_path):
    source = tmp_path / "ws.json"
    source.write_text(json.dumps(workspace()))
    card = tmp_path / "out" / "card.txt"
    card.parent.mkdir()
    result = CliRunner().invoke(pyhf2datacard_command, [str(source), "-o", str(card), "--normsys-code", "1"])
    assert result.exit_code == 0, result.output
    assert "--rMin 0 --rMax 5" in result.output
    conversion = convert_workspace(
        workspace(), interpolation_codes=INTERPOLATION_CODES, shapes_file="card.shapes.root"
    )
    assert card.read_text().replace(str(source), "(a dict)") == conversion.card_text
    assert (card.parent / "card.shapes.root").is_file()
    assert_same_likelihood(
        histfactory(workspace()),
        combine(card, r_range=conversion.r_range),
        conversion.combine_values,
        conversion.constant,
        count=1,
    )


@pytest.mark.parametrize("which", ["card", "workspace"])
def test_unconvertible_input_is_one_line_and_exit_1(shared_data, tmp_path, which):
    if which == "card":
        path = shared_data / "datacards/combine_tutorials/datacard-4-abcd.txt"
        result = CliRunner().invoke(datacard2pyhf_command, [str(path)])
        expected = "rateParam alpha = (@0*@1/@2) has no pyhf equivalent"
    else:
        source = tmp_path / "ws.json"
        source.write_text(json.dumps(workspace()))
        result = CliRunner().invoke(pyhf2datacard_command, [str(source), "-o", str(tmp_path / "card.txt")])
        expected = "normsys theory has no exact Combine equivalent"
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error:") and expected in lines[0]
    assert "Traceback" not in result.output
    assert not (tmp_path / "card.txt").exists()


def test_commands_are_registered_with_the_likelihub_script(tmp_path):
    # Through the real entry point (plugin hook likelihub_register_commands): a card with an
    # asymmetric lnN is refused in one line, exit status 1, no traceback.
    card = tmp_path / "card.txt"
    card.write_text(
        "imax 1\njmax 1\nkmax 1\nbin b\nobservation 3\nbin b b\nprocess s b\nprocess 0 1\n"
        "rate 1 2\nx lnN - 0.8/1.3\n"
    )
    code = "import sys; from likelihub.cli.main import main; main(sys.argv[1:])"
    result = subprocess.run(
        [sys.executable, "-c", code, "datacard2pyhf", str(card)], capture_output=True, text=True
    )
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        f"Error: file '{card}:10', channel 'b', sample 'b', modifier 'x': asymmetric lnN x has no exact pyhf "
        "equivalent: kappa_down 0.8 and kappa_up 1.3 are interpolated by Combine's logKappaForX (smooth in "
        "|theta| < 0.5), which no pyhf code is (approximate=True, or --approximate, converts it as normsys "
        "code 1 (equal for |theta| >= 0.5))"
    ]
    assert result.stdout == ""


@pytest.mark.parametrize(
    ("codes", "approximate", "message"),
    [
        (None, False, "normsys EG_Eff has no exact Combine equivalent: under interpolation code 4"),
        (
            {"normsys": "1"},
            False,
            "normsys EG_Eff has no exact Combine equivalent: hi 1.01064 and lo 0.98947",
        ),
        (
            {"normsys": "1"},
            True,
            "has no Combine equivalent: tau = (nominal / uncertainty)^2 = 0.213848 < 0.5",
        ),
    ],
)
def test_an_atlas_workspace_has_no_exact_card(shared_data, codes, approximate, message):
    # ATLAS-SUSY-2018-06 3L eRJR with its first signal point: asymmetric normsys under pyhf's
    # code 4, and a shapesys whose tau is below 1/2 (no gmN count at all).
    from likelihub_histfactory.spec.patchset import PatchSet
    from likelihub_histfactory.spec.workspace import Workspace

    archive = shared_data / "histfactory" / "atlas-susy-2018-06-3L-eRJR.tar.gz"
    patches = PatchSet(archive, member="patchset.json")
    spec = patches.apply(Workspace.load(archive, member="BkgOnly.json"), next(iter(patches)).name).to_dict()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConversionWarning)
        with pytest.raises(InvalidModelError) as caught:
            convert_workspace(spec, interpolation_codes=codes, approximate=approximate)
    assert message in str(caught.value)


def test_approximate_workspace_conversion_warns(tmp_path):
    # pyhf's default normsys code 4: converted as lnN, each use listed in the warning. For these
    # symmetric kappas (1.05, 1.1) code 4 and code 1 differ below 1e-11 (test_convert_formulas), and
    # at the nominal point not at all.
    with pytest.warns(ConversionWarning, match="normsys theory"):
        conversion = convert_workspace(workspace(), approximate=True)
    assert {item.split(" ")[1] for item in conversion.approximations} == {"theory", "jes"}
    assert "APPROXIMATE" in conversion.card_text
    model = combine(write_card(conversion, tmp_path), r_range=conversion.r_range)
    pyhf_model = lh.get_backend("histfactory")(workspace())  # codes 4 and 4p
    nominal = dict(zip(pyhf_model.config.parameter_names, pyhf_model.config.init, strict=True))
    expected = -pyhf_model.logpdf(vector(pyhf_model, nominal))
    found = -model.logpdf(vector(model, conversion.combine_values(nominal))) - conversion.constant
    assert found == pytest.approx(expected, rel=NLL_RELATIVE)
