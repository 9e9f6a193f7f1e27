"""The upper-limit search far from mu = 1 and at the POI's bounds (issue 11).

Counting models n ~ Pois(mu s + b) without nuisance parameters (``counting.CountingBackend``), with
n = b observed, have closed forms: the profile likelihood ratio is
t(mu) = 2 [mu s - b ln(1 + mu s / b)] for mu >= mu-hat = 0, the Asimov (background-only) data
are the observed data, so q~_mu = q~_mu,A = t(mu), and (arXiv:1007.1727, eqs. 65-66, as pyhf writes
them) CLs = 2 Phi(-sqrt(t)): the asymptotic 95% CL limit solves t(mu) = Phi^-1(0.975)^2; the chi2
calculator's p-value is Wilks', P(chi2_1 > t), so its limit solves t(mu) = chi2_1^-1(0.95).
A small s puts the limit at ~1e3 or ~1e5, far above the POI's upper bound 10: the old linear
bracket (low + 2 (high - low)) never passed mu = 410 (41 for an unbounded POI).
"""

import numpy as np
import pytest
from scipy.optimize import brentq
from scipy.special import chdtri, ndtri

import likelihub as lh
from likelihub.errors import InvalidArgumentError, LimitError

from .counting import BatchCountingBackend, CountingBackend

B = 100.0
#: signal yields per unit mu that put the 95% CL limit near 2e3 and 1e5
SIGNALS = [0.01, 2e-4]


def closed_form_limit(s: float, threshold: float, n: float = B, b: float = B) -> float:
    """The mu >= mu-hat where t(mu) = 2 [(mu s + b) - n - n ln((mu s + b) / n)] = threshold."""
    mu_hat = max((n - b) / s, 0.0)
    return brentq(lambda mu: 2 * ((mu * s + b) - n - n * np.log((mu * s + b) / n)) - threshold,
                  mu_hat + 1e-9 / s, 1e9 / s, xtol=1e-12, rtol=1e-14)


@pytest.mark.parametrize("s", SIGNALS)
def test_asymptotic_limit_far_above_the_poi_bound(s):
    model = lh.StatisticalModel(CountingBackend(B, s, B, mu_bounds=(0.0, 10.0)))
    limit = model.upper_limit(expected="observed").observed
    # closed form above; TOMS 748 solves to rtol 1e-6, the fits' EDM moves t by < 1e-8
    assert limit == pytest.approx(closed_form_limit(s, ndtri(0.975) ** 2), rel=1e-5)


@pytest.mark.parametrize("s", SIGNALS)
def test_chi2_limit_far_above_the_poi_bound(s):
    model = lh.StatisticalModel(CountingBackend(B, s, B, mu_bounds=(0.0, 10.0)))
    limit = model.upper_limit(calculator="chi2", expected="observed").observed
    assert limit > 410  # where the linear bracket stopped
    # closed form (Wilks), same tolerance argument as the asymptotic test
    assert limit == pytest.approx(closed_form_limit(s, chdtri(1, 0.05)), rel=1e-5)


@pytest.mark.parametrize("s", SIGNALS)
def test_toy_limit_far_above_mu_one(s):
    # POI unbounded above: the toys' fits follow mu-hat wherever it goes (see the next tests)
    model = lh.StatisticalModel(BatchCountingBackend(B, s, B, mu_bounds=(0.0, np.inf)))
    limit = model.upper_limit(calculator="toys", ntoys=1000, rng=np.random.default_rng(7),
                              expected="observed").observed
    # asymptotic closed form as reference: with b = 100 the asymptotic formulae hold to ~2% in
    # the limit, and 1000 toys per hypothesis resolve CLs ~ 0.05 to ~15%, the limit to ~4%;
    # measured 2.7% (s = 0.01) and 3.2% (s = 2e-4) above it. 10% is > 2 sigma of both.
    assert limit == pytest.approx(closed_form_limit(s, ndtri(0.975) ** 2), rel=0.10)


def test_chi2_limit_above_an_excess_starts_at_mu_hat():
    # n = 150, b = 100, s = 1: mu-hat = 50, the two-sided p-value excludes mu = 0 (t(0) = 21.6)
    model = lh.StatisticalModel(CountingBackend(150, 1.0, B, mu_bounds=(0.0, 1000.0)))
    limit = model.upper_limit(calculator="chi2", expected="observed").observed
    assert limit == pytest.approx(closed_form_limit(1.0, chdtri(1, 0.05), n=150), rel=1e-5)


@pytest.mark.parametrize("calculator", ["asymptotic", "chi2"])
def test_an_excess_pinned_at_the_poi_bound_is_named(calculator):
    # n = 1000 over b = 10 with s = 1 wants mu-hat = 990; the POI stops at 10
    model = lh.StatisticalModel(CountingBackend(1000, 1.0, 10, mu_bounds=(0.0, 10.0)))
    with pytest.raises(LimitError, match=r"no observed upper limit: the observed best fit "
                                         r"mu-hat = 10 sits at the POI's upper bound 10") as error:
        model.upper_limit(calculator=calculator)
    assert "nearly" not in str(error.value)
    with pytest.raises(InvalidArgumentError, match="argument 'mu': the observed best fit"):
        model.cls(50.0, calculator=calculator)
    # the expected limits need only the Asimov data, whose mu-hat is 0: they stand
    assert model.upper_limit(expected="expected").expected[2] > 0


def test_toys_above_the_poi_bound_are_refused():
    model = lh.StatisticalModel(BatchCountingBackend(B, 0.01, B, mu_bounds=(0.0, 10.0)))
    with pytest.raises(LimitError, match="lies above the POI's upper bound 10, where the toys' "
                                         "fits would cap mu-hat"):
        model.upper_limit(calculator="toys", ntoys=50, rng=np.random.default_rng(1))
    with pytest.raises(InvalidArgumentError, match="argument 'mu': mu = 20 lies above"):
        model.cls(20.0, calculator="toys", ntoys=50, rng=np.random.default_rng(1))


def test_no_signal_gives_a_clear_error_after_geometric_growth():
    model = lh.StatisticalModel(CountingBackend(10, 0.0, 10, mu_bounds=(0.0, 10.0)))
    # CLs = 1 everywhere; 41 doublings of the first upper end 10 reach 10 * 2**40 ~ 1.1e13
    with pytest.raises(LimitError, match=r"CLs stays above 0.05 up to mu = 1.09951e\+13; the "
                                         r"model's signal is \(nearly\) zero"):
        model.upper_limit(calculator="chi2", expected="observed")
