"""Combining datacards as Combine's combineCards.py does (likelihub_combine.combine_cards), against
Combine's numbers for the long exercise's combination (../shared/data/datacards/combine_docs/
longexercise_part3_combined: three cards, rateParams.txt appended) and closed forms.

Tolerances. Combine minimises with Minuit2 at tolerance 0.1 (src/CascadeMinimizer.cc), i.e. it
stops at an estimated distance to the minimum (EDM) of 0.002 * 0.1 * 0.5 = 1e-4 in -log L; its
printed numbers carry that precision, likelihub's fits are 1e4 times tighter (the default edm_max
1e-8, reached with the analytic gradient and Hessian: EDM <= 1.2e-16 over the grid below; MIGRAD with
finite differences, the card's NumPy path, could not: DY_cr's bin of 365,754 events makes terms
n log nu ~ 5e6 whose rounding, ~1e-9, puts errors of ~1e-4 in the differences' gradient).

- Delta NLL of the MultiDimFit grid (Combine's ``deltaNLL`` branch: NLL(r) - NLL(r-hat), not
  twice it): two minimisations each within ~1e-4, hence abs 5e-4 (seen: at most 8e-5).
- r-hat: within the EDM, NLL(r) - NLL(r-hat) = (r - r-hat)^2 / (2 sigma^2) <= 1e-4 allows
  |r - r-hat| <= sigma sqrt(2e-4) = 0.007 for sigma_r ~ 0.5 (seen: 5e-5).
- MINOS ends: a crossing of 2 Delta NLL = 1 off by the two fits' 2e-4 in 2 NLL moves by
  2e-4 / (d 2NLL / dr = 2 / sigma) ~ 5e-5 per 1e-4 of NLL; abs 5e-4 leaves room for MINOS's own
  crossing tolerance (seen: at most 5e-5).
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from likelihub_combine.combine_cards import combine_cards
from likelihub_combine.inputs import append_lines, read_cards
from likelihub_combine.parser import parse_datacard

import likelihub as lh
from likelihub.errors import InvalidModelError

DELTA_NLL = 5e-4
BEST_FIT = 0.007
MINOS = 5e-4

PART3 = "longexercise_part3_combined"
LABELS = {"signal_region": "datacard_part3.txt", "ttbar_cr": "datacard_part3_ttbar_cr.txt",
          "DY_cr": "datacard_part3_DY_cr.txt"}


def combination(folder, **options):
    cards = {label: folder / name for label, name in LABELS.items()}
    return lh.get_backend("combine.datacard")(cards, mass=200, extra_lines=folder / "rateParams.txt",
                                              **options)


@pytest.fixture(scope="module")
def part3(shared_data):
    folder = shared_data / "datacards" / "combine_docs" / PART3
    return folder, json.loads((folder / "references.json").read_text())["results"]


# --- the long exercise's combination ---------------------------------------------------------------


def test_the_combined_card_follows_combinecards_rules(part3):
    # combineCards.py signal_region=datacard_part3.txt ttbar_cr=... DY_cr=..., then rateParams.txt
    folder, _ = part3
    card = append_lines(read_cards({label: folder / name for label, name in LABELS.items()}),
                        folder / "rateParams.txt")
    assert card.channels == ["signal_region", "ttbar_cr", "DY_cr"]  # one-bin cards: the labels
    # each channel lists its signals first; process indices renumbered (signal <= 0)
    first = card.columns[0]
    assert (first.channel, first.process, first.index) == ("signal_region", "bbHtautau", 0)
    assert all(c.index > 0 for c in card.columns[1:])
    indices = {c.process: c.index for c in card.columns}
    assert sorted(indices.values()) == list(range(len(indices)))
    # shapes lines: per channel, file names relative to the card's folder
    files = {(rule.channel, rule.file) for rule in card.shapes}
    assert files == {("signal_region", f"{folder}/datacard_part3.shapes.root"),
                     ("ttbar_cr", f"{folder}/datacard_part3_ttbar_cr.shapes.root"),
                     ("DY_cr", f"{folder}/datacard_part3_DY_cr.shapes.root")}
    # systematics merged by name: lumi_13TeV acts in the three channels, sorted by name
    names = [s.name for s in card.systematics]
    assert names == sorted(names)
    lumi = next(s for s in card.systematics if s.name == "lumi_13TeV")
    assert {c.channel for c, v in zip(card.columns, lumi.values, strict=True) if v} == set(card.channels)
    # rateParams.txt (rate_ttbar on ttbar everywhere, rate_Zll on Ztautau and Zmumu) and autoMCStats
    pairs = [(r.name, r.channel, r.process) for r in card.rate_params]
    assert pairs == [("rate_ttbar", "*", "ttbar"), ("rate_Zll", "*", "Ztautau"), ("rate_Zll", "*", "Zmumu")]
    assert [a.channel for a in card.auto_mc_stats] == card.channels
    # errors name the file and line a combined line came from
    assert card.where(lumi.line).startswith(str(folder / "datacard_part3.txt"))
    assert card.where(card.rate_params[-1].line) == f"{folder / 'rateParams.txt'}:4"


def test_the_combined_model_has_combines_parameters(part3):
    folder, _ = part3
    model = combination(folder)
    names = model.config.parameter_names
    assert names[0] == "r" and {"rate_ttbar", "rate_Zll", "prop_binttbar_cr_bin0"} <= set(names)
    assert model.backend.groups["autoMCStats"] == tuple(n for n in names if n.startswith("prop_bin"))


@pytest.mark.slow
def test_multidimfit_scan_of_the_combined_card(part3):
    # combine -M MultiDimFit -m 200 --rMin -1 --rMax 2 --algo grid --points 30: r-hat 0.5399457
    # and deltaNLL at 30 points (docs/part5/longexercise.md, limit->Scan output).
    folder, references = part3
    reference = next(r for r in references if "scan_r_deltaNLL" in r)
    model = combination(folder, r_range=(-1, 2))
    best = model.fit(uncertainties=False)
    assert best.values[0] == pytest.approx(reference["best_fit_r"], abs=BEST_FIT)
    points = sorted(reference["scan_r_deltaNLL"][1:])
    ours = {}
    # each fit starts from its neighbour's minimum, walking away from r-hat
    above = [p for p in points if p[0] > best.values[0]]
    below = [p for p in points if p[0] < best.values[0]][::-1]
    for side in (above, below):
        start = best.values.copy()
        for r, _ in side:
            start[0] = r
            fit = model.fit(fixed={"r": r}, init=start, uncertainties=False)
            start = fit.values.copy()
            ours[r] = fit.nll - best.nll
    assert [ours[r] for r, _ in points] == pytest.approx([d for _, d in points], abs=DELTA_NLL)


def asimov(model, r=1.0):
    """Combine's -t -1 --expectSignal r: the a-priori Asimov data (nuisances and global
    observables at their nominal values, the POI at r)."""
    pars = np.array(model.config.init, dtype=float)
    pars[model.config.poi_index] = r
    return model.expected_data(pars)


def test_fitdiagnostics_asimov_interval_of_the_combined_card(part3):
    # combine -M FitDiagnostics -m 200 --rMin 0 --rMax 2 -t -1 --expectSignal 1:
    # r = 1 -0.417238/+0.450593 (MINOS; docs/part5/longexerciseanswers.md)
    folder, references = part3
    reference = next(r for r in references if "expected_r_uncertainty_minos" in r)
    model = combination(folder, r_range=(0, 2))
    interval = model.profile_interval("r", data=asimov(model))
    low, high = reference["expected_r_uncertainty_minos"]
    assert interval.best_fit == pytest.approx(1.0, abs=1e-4)  # Asimov: the generating value
    assert interval.low - interval.best_fit == pytest.approx(low, abs=MINOS)
    assert interval.high - interval.best_fit == pytest.approx(high, abs=MINOS)


def test_fitdiagnostics_asimov_interval_without_the_control_regions(shared_data):
    # The same fit of the signal region alone (datacard_part3_nocrs.txt): r = 1 -0.465799/+0.502088.
    folder = shared_data / "datacards" / "combine_docs" / "longexercise_part3_nocrs"
    reference = json.loads((folder / "references.json").read_text())["results"][0]
    model = lh.get_backend("combine.datacard")(folder / "datacard_part3_nocrs.txt", mass=200, r_range=(0, 2))
    interval = model.profile_interval("r", data=asimov(model))
    low, high = reference["expected_r_uncertainty_minos"]
    assert interval.low - interval.best_fit == pytest.approx(low, abs=MINOS)
    assert interval.high - interval.best_fit == pytest.approx(high, abs=MINOS)


# --- closed forms ----------------------------------------------------------------------------------

CARD_A = """imax 1
jmax 2
kmax *
bin a
observation 7
bin a a a
process sig bkg other
process 0 1 2
rate 2 4 1.5
lumi lnN 1.025 1.025 -
eff lnN 1.1/0.95 - -
norm rateParam a bkg 1 [0,5]
"""
CARD_B = """imax 2
jmax 1
kmax *
bin x y
observation 5 9
bin x x y y
process sig bkg sig bkg
process 0 1 0 1
rate 1 3 0.5 8
lumi lnN 1.025 1.025 1.025 -
cr gmN 10 - 0.3 - -
norm rateParam * bkg 1 [0,5]
"""


def cards(tmp_path, **texts):
    paths = {}
    for name, text in texts.items():
        paths[name] = tmp_path / f"{name}.txt"
        paths[name].write_text(text)
    return paths


def test_the_combination_is_the_product_of_the_cards(tmp_path):
    # Closed form: the combined -log L is the sum of the cards' -log L, the shared lumi's
    # constraint counted once (same r, lumi and norm in both: combineCards.py merges by name).
    paths = cards(tmp_path, A=CARD_A, B=CARD_B)
    factory = lh.get_backend("combine.datacard")
    combined = factory({"first": paths["A"], "second": paths["B"]})
    a, b = factory(paths["A"]), factory(paths["B"])
    assert combined.backend.card.channels == ["first", "second_x", "second_y"]
    names = combined.config.parameter_names
    rng = np.random.default_rng(1)
    for _ in range(5):
        values = dict(zip(names, rng.uniform(0.2, 1.5, len(names)), strict=True))
        values["cr"] = 11.0
        pars = np.array([values[n] for n in names])
        lumi_constraint = -0.5 * values["lumi"] ** 2 - 0.5 * np.log(2 * np.pi)
        expected = (a.logpdf([values[n] for n in a.config.parameter_names])
                    + b.logpdf([values[n] for n in b.config.parameter_names]) - lumi_constraint)
        assert combined.logpdf(pars) == pytest.approx(expected, rel=1e-12)


def test_unlabelled_cards_and_a_card_alone(tmp_path):
    # combineCards.py a.txt b.txt: labels ch1, ch2; the label "." keeps the card's channel names,
    # so a one-card combination with it is the card itself.
    paths = cards(tmp_path, A=CARD_A, B=CARD_B)
    factory = lh.get_backend("combine.datacard")
    assert factory([paths["A"], paths["B"]]).backend.card.channels == ["ch1", "ch2_x", "ch2_y"]
    assert factory([paths["A"], f"other={paths['B']}"]).backend.card.channels == ["ch1", "other_x", "other_y"]
    alone, card = factory({".": paths["B"]}), factory(paths["B"])
    assert alone.backend.card.channels == ["x", "y"]
    assert sorted(alone.config.parameter_names) == sorted(card.config.parameter_names)
    values = dict(zip(card.config.parameter_names, np.array(card.config.init) * 1.1, strict=True))
    assert alone.logpdf([values[n] for n in alone.config.parameter_names]) == pytest.approx(
        card.logpdf(list(values.values())), rel=1e-14)


def test_nuisance_edits_act_on_their_own_card(tmp_path):
    # "nuisance edit drop * * lumi" in card A acts on A's channel only once combined: the
    # combination equals that of A without its lumi line and B.
    paths = cards(tmp_path, A=CARD_A + "nuisance edit drop * * lumi\n",
                  A0=CARD_A.replace("lumi lnN 1.025 1.025 -\n", ""), B=CARD_B)
    factory = lh.get_backend("combine.datacard")
    edited, plain = factory({"a": paths["A"], "b": paths["B"]}), factory({"a": paths["A0"], "b": paths["B"]})
    assert edited.config.parameter_names == plain.config.parameter_names
    pars = np.array(plain.config.init) + 0.3
    assert edited.logpdf(pars) == pytest.approx(plain.logpdf(pars), rel=1e-14)


def test_lnn_and_shape_merge_into_shape_optional(tmp_path):
    # combineCards.py: a name that is lnN in one card and shape in another becomes shape?.
    shape = CARD_B.replace("cr gmN 10 - 0.3 - -", "lumi2 shape - 1 - -")
    shape = shape.replace("kmax *", "shapes * * f.root $PROCESS")
    first = parse_datacard(CARD_A + "lumi2 lnN 1.1 - -\n", path="a.txt")
    second = parse_datacard(shape, path="b.txt")
    card = combine_cards([("a", first), ("b", second)])
    assert next(s.kind for s in card.systematics if s.name == "lumi2") == "shape?"


# --- bad input -------------------------------------------------------------------------------------


@pytest.mark.parametrize(("extra_a", "extra_b", "message"), [
    ("lumi2 lnN 1.1 - -\n", "lumi2 lnU - 1.1 - -\n", r"is lnU here but lnN in .*A\.txt:\d+"),
    ("cr gmN 3 - - 0.5\n", "", r"gmN with N = 10 here but N = 3 in .*A\.txt:\d+"),
    ("theta param 0 1\n", "theta param 0 2\n", r"param line differs from that of .*A\.txt:\d+"),
])
def test_cards_that_disagree_name_both_lines(tmp_path, extra_a, extra_b, message):
    paths = cards(tmp_path, A=CARD_A + extra_a, B=CARD_B + extra_b)
    with pytest.raises(InvalidModelError, match=message) as caught:
        lh.get_backend("combine.datacard")({"a": paths["A"], "b": paths["B"]})
    assert str(tmp_path / "B.txt") in str(caught.value)


def test_bad_combinations_are_errors(tmp_path):
    factory = lh.get_backend("combine.datacard")
    paths = cards(tmp_path, A=CARD_A, B=CARD_B.replace("process 0 1 0 1", "process 1 2 1 2").replace(
        "process sig bkg sig bkg", "process bkg sig bkg sig"))
    with pytest.raises(InvalidModelError, match="sample 'sig'.*is a background here but not in"):
        factory({"a": paths["A"], "b": paths["B"]})
    with pytest.raises(InvalidModelError, match="two cards make the channel 'a'"):
        factory({"a": paths["A"], ".": tmp_path / "A.txt"})
    with pytest.raises(InvalidModelError, match=r"<extra lines>:2.*unknown systematic type 'rateparam'"):
        factory(paths["A"], extra_lines=["# rate parameters", "x rateparam * bkg 1"])
    with pytest.raises(InvalidModelError, match="cannot read the datacard lines to append"):
        factory(paths["A"], extra_lines="x rateParam * bkg 1")
    with pytest.raises(InvalidModelError, match="rateParam matches no process"):
        factory({"a": paths["A"], "b": tmp_path / "A.txt"}, extra_lines=["y rateParam a nothing 1"])
