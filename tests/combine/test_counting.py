"""combine.datacard on counting cards, against Combine's own numbers (../shared/data/datacards).

Combine's AsymptoticLimits stops its searches once the step falls below max(0.005 r, 0.0005)
(src/AsymptoticLimits.cc, rRelAcc and rAbsAcc), and reports the last point of the search: its
observed limit and its expected quantiles are within about 0.5% of the exact roots likelihub
finds. Hence the relative tolerance 0.006 on each (the reference values' own precision). The
expected band is Combine's (``band="percentiles"``: 2.5, 16, 50, 84, 97.5%).
"""

from __future__ import annotations

import json
import warnings

import numpy as np
import pytest

import likelihub as lh
from likelihub.errors import InvalidModelError

COMBINE_SEARCH = 0.006  # Combine's stop criterion 0.005 r, plus its float32 output
BENCHMARKS = [
    "counting-B5p5-Obs6-Syst1040B.txt",
    "counting-B5p5-Obs6-Syst4010B.txt",
    "counting-B5p5-Obs1-Syst30B.txt",
    "counting-B5p5-Obs11-Syst30B.txt",
    "counting-B5p5-Obs6-StatOnly.txt",
    "counting-B5p5-Obs6-Syst30B.txt",
    "counting-B5p5-Obs6-Syst30B-gmM.txt",  # gmM: Combine's Gamma (reference Gamma_Asymptotic)
    "counting-B5p5-Obs6-Syst30C.txt",
    "counting-B5p5-Obs6-Syst30S.txt",
    "counting-B5p5-Obs6-Syst30U.txt",
    "counting-S1-Sideband10-alpha0p2-Obs2.txt",
    "counting-Sideband11-alpha0p5-Obs6.txt",
]

HEAD = "imax 1\njmax 1\n"
BLOCK = "bin b\nobservation 3\nbin b b\nprocess s b\nprocess 0 1\n"


def datacard(path):
    return lh.get_backend("combine.datacard")(path)


@pytest.mark.parametrize("card", BENCHMARKS)
def test_asymptotic_limits_match_combines_validation(shared_data, card):
    # Reference: Combine's test/validation/reference.json (lnN, lnU, asymmetric lnN, gmN, gmM cards).
    folder = shared_data / "datacards" / "combine_benchmarks"
    results = json.loads((folder / "reference_limits.json").read_text())["results"][card]
    reference = next(value for key, value in results.items() if key.endswith("_Asymptotic"))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        limit = datacard(folder / card).upper_limit(cl=0.95, band="percentiles")
    assert limit.observed == pytest.approx(reference["Obs"], rel=COMBINE_SEARCH)
    quantiles = [reference[key] for key in ("E025", "E159", "E500", "E839", "E975")]
    assert limit.expected == pytest.approx(quantiles, rel=COMBINE_SEARCH)


#: Combine's -M ProfileLikelihood limit is a MINOS crossing of 2 Delta NLL = 3.84 whose fits stop
#: at an EDM of 1e-4 in NLL (Combine's default tolerance): an NLL off by 1e-4 moves the crossing by
#: 1e-4 / (dNLL/dr), dNLL/dr ~ 1.96 / sigma_r there, i.e. by ~1e-4 sigma_r / (2 r) relative, below
#: 1e-4 on these cards (sigma_r < 2 r); 3e-4 leaves room for Combine's float output. The largest
#: difference seen is 1.0e-4, on the lnU card.
PROFILE_CROSSING = 3e-4


@pytest.mark.parametrize("card", BENCHMARKS)
def test_profile_likelihood_limits_match_combines_validation(shared_data, card):
    # Reference: Combine's test/validation/reference.json, *_ProfileLikelihood (the upper end of the
    # two-sided 95% profile interval, as test_hww_validation.py argues) and Sig_ProfileLikelihood.
    folder = shared_data / "datacards" / "combine_benchmarks"
    results = json.loads((folder / "reference_limits.json").read_text())["results"][card]
    model = datacard(folder / card)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        reference = next(v for k, v in results.items()
                         if k.endswith("_ProfileLikelihood") and "_Sig_" not in k)
        interval = model.profile_interval("r", cl=0.95)
        assert interval.high == pytest.approx(reference["value"], rel=PROFILE_CROSSING)
        assert interval.low == 0.0 and interval.low_at_bound  # r >= 0 in every card: cut by the bound
        significance = next((v for k, v in results.items() if "_Sig_ProfileLikelihood" in k), None)
        if significance is not None:  # sqrt(2 Delta NLL(r = 0)): the same fits' precision
            assert model.significance().z_obs == pytest.approx(significance["value"], rel=PROFILE_CROSSING)


def test_realistic_counting_experiment_tutorial(shared_data):
    # Reference: Combine's docs (tutorial realistic-counting-experiment): observed r < 1.6281,
    # expected median 2.3281 (lnN, gmN 4 and several backgrounds).
    card = shared_data / "datacards" / "combine_tutorials" / "realistic-counting-experiment.txt"
    model = datacard(card)
    assert model.config.parameter_names == ("r", "lumi", "xs_ggH", "WW_norm", "xs_ggWW", "bg_others")
    limit = model.upper_limit(cl=0.95)
    assert limit.observed == pytest.approx(1.6281, rel=COMBINE_SEARCH)
    assert limit.expected[2] == pytest.approx(2.3281, rel=COMBINE_SEARCH)


def test_best_fit_and_significance_of_the_stat_routines_card(shared_data):
    # One bin, 6 observed, signal 2.3, background 5.4: r-hat = (6 - 5.4) / 2.3 in closed form
    # (Combine's docs print 0.266 and 0.26, its minimiser stopping at EDM ~1e-3). Significance:
    # the docs say "about 0.24" (-M Significance; two decimals, hence 0.005).
    card = shared_data / "datacards" / "combine_docs" / "stat_routines_counting" / "datacard.txt"
    model = datacard(card)
    fit = model.fit()
    assert fit.values[0] == pytest.approx(0.6 / 2.3, abs=1e-5)
    significance = model.significance()
    assert significance.z_obs == pytest.approx(0.24, abs=0.005)


def test_counting_yields_follow_combines_formulas(tmp_path):
    # lnN kappa^theta, asymmetric kappas exactly kappa_up^theta for theta >= 0.5 and
    # kappa_down^-theta for theta <= -0.5 (Combine's logKappaForX), gmN alpha * theta, r on signal.
    card = tmp_path / "card.txt"
    card.write_text("""imax 1
jmax 2
kmax 3
bin b
observation 10
bin b b b
process sig bkg cr
process 0 1 2
rate 2 5 3
sym lnN 1.1 - -
asym lnN - 0.8/1.3 -
cr gmN 6 - - 0.5
""")
    model = datacard(card)
    names = model.config.parameter_names
    assert names == ("r", "sym", "asym", "cr")
    pars = np.array([2.0, 1.5, 0.7, 7.0])
    expected = 2.0 * 2 * 1.1**1.5 + 5 * 1.3**0.7 + 0.5 * 7.0
    assert model.expected_data(pars)[0] == pytest.approx(expected, rel=1e-12)
    pars[2] = -0.6
    assert model.expected_data(pars)[0] == pytest.approx(4 * 1.1**1.5 + 5 * 0.8**0.6 + 3.5, rel=1e-12)
    # gmN: Poisson(6 | theta) constraint with global observable 6; lnN Gaussian in [-7, 7].
    assert model.data[1:].tolist() == [0.0, 0.0, 6.0]
    assert model.config.bounds[1].tolist() == [-7.0, 7.0]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "imax 1\njmax 1\nkmax 0\nbin b\nobservation 3\nbin b b\nprocess s b\nprocess 0 1\nrate 1\n",
            "'bin' line has 2 columns but its rates line has 1",
        ),
        (
            HEAD + "kmax 1\n" + BLOCK + "rate 1 2\nx foo 1 1\n",
            "unknown systematic type 'foo'",
        ),
        (
            "imax 1\njmax 1\nkmax 0\nbin b\nobservation 3\nbin b b\nprocess s b\nprocess 0 1\nrate 1 -2\n",
            "negative rate -2",
        ),
        (
            "imax 2\njmax 1\nkmax 0\nbin b\nobservation 3\nbin b b\nprocess s b\nprocess 0 1\nrate 1 2\n",
            "imax 2 but the card has 1 channels",
        ),
        (
            HEAD + "kmax 1\n" + BLOCK + "rate 1 2\nx lnN 1.1\n",
            "1 values for the 2 columns",
        ),
        (
            HEAD + "kmax 1\n" + BLOCK + "rate 1 2\nx[nofloat] lnN 1.1 -\n",
            "[nofloat] systematics are not supported",
        ),
        (  # Combine's check: a gmN column's rate is alpha * N
            HEAD + "kmax 1\n" + BLOCK + "rate 1 5\ncr gmN 6 - 0.5\n",
            "gmN: the rate 5.0 is not alpha * N = 0.5 * 6",
        ),
    ],
)
def test_malformed_cards_name_file_and_line(tmp_path, text, message):
    card = tmp_path / "bad.txt"
    card.write_text(text)
    with pytest.raises(InvalidModelError, match=f"{card}:\\d+") as caught:
        datacard(card)
    assert message in str(caught.value)


def test_nuisance_edit_freeze_holds_the_parameter(tmp_path):
    # Combine's `nuisance edit freeze <regex>`: the parameter stays at its initial value in fits.
    card = tmp_path / "card.txt"
    card.write_text(HEAD + "kmax *\n" + BLOCK + "rate 1 2\nlumi lnN 1.1 1.1\nnuisance edit freeze lu.*\n")
    model = datacard(card)
    assert model.config.fixed.tolist() == [False, True]
    assert model.fit().values[1] == 0.0
