"""A bin without events whose profiled expected count lands exactly on zero (issue 11).

The case: correlated background, n = 0, b = 0, s = 0.001, covariance 1. At fixed mu, lambda =
s mu + theta and -log L = lambda + theta^2 / 2 + ln(2 pi) / 2 for lambda >= 0 (continued smoothly
below 0, likelihub_simplified.counting). Closed form: d/dtheta = 1 + theta vanishes at theta = -1,
where lambda = s mu - 1 >= 0 for s mu >= 1; at s mu = 1 (mu = 1000) the minimum lies exactly on
lambda = 0, the joint of the Poisson term and its continuation. So theta-hat-hat = -1 and
-log L = s mu - 1/2 + ln(2 pi) / 2 for mu >= 1000. The fit at mu = 1000 once stayed in MIGRAD for
ever: the gradient there was 0 / 0 (NaN), and MIGRAD asked for it again and again.
"""

from __future__ import annotations

import signal

import numpy as np
import pytest
from scipy.special import gammaln, xlogy

import likelihub as lh
import likelihub_simplified.counting as counting

CORRELATED = "simplified.correlated_background"
HALF_LOG_2PI = 0.5 * np.log(2 * np.pi)


def model():
    return lh.get_backend(CORRELATED)([0.001], [0.0], [0], [[1.0]])


@pytest.mark.parametrize("mu", [1000.0, 1000.001, 1500.0])
def test_profile_on_the_kink_has_its_closed_form(mu):
    result = model().fixed_poi_fit(mu)
    assert result.converged
    # Newton lands on theta = -1 (lambda >= 0 there, where -log L is exactly quadratic in theta):
    # EDM < 1e-8 with unit curvature allows |theta + 1| < 1.5e-4 and -log L within 1e-8.
    assert result["theta_0"] == pytest.approx(-1.0, abs=1.5e-4)
    assert result.nll == pytest.approx(0.001 * mu - 0.5 + HALF_LOG_2PI, abs=1e-8)
    # A handful of Newton steps, not a minimiser's loop (it took 2 evaluations when written).
    assert result.n_evaluations < 50


def test_derivatives_of_an_empty_bin_are_one_sided_at_zero():
    value, first, second = counting.poisson_terms(np.array([0.0, 0.0, 3.0]), np.array([0.0, 1e-3, 2.0]))
    # ln Pois(0 | lambda) = -lambda for lambda >= 0: slope -1 and curvature 0, at 0 as well.
    np.testing.assert_allclose(first[:2], [-1.0, -1.0], rtol=0, atol=0)
    np.testing.assert_allclose(second[:2], [0.0, 0.0], rtol=0, atol=0)
    assert np.isfinite(value).all() and np.isfinite(first).all() and np.isfinite(second).all()


def _old_poisson_terms(counts, lam, order=2):
    """poisson_terms before the fix: 0 / 0 = NaN derivatives at lambda = 0 in bins without events."""
    empty = counts == 0
    clipped = ~empty & (lam < counting.LAMBDA_FLOOR)
    safe = np.where(clipped, counting.LAMBDA_FLOOR, lam)
    below = empty & (lam < 0)
    decay = np.exp(np.minimum(lam, 0.0) / counting.ZERO_COUNT_SCALE)
    value = np.where(below, counting.ZERO_COUNT_SCALE * (1.0 - decay),
                     xlogy(counts, safe) - safe - gammaln(counts + 1.0))
    if order == 0:
        return value, None, None
    with np.errstate(divide="ignore", invalid="ignore"):
        first = np.where(clipped, 0.0, np.where(below, -decay, counts / safe - 1.0))
        second = np.where(clipped, 0.0, np.where(below, -decay / counting.ZERO_COUNT_SCALE,
                                                   -counts / safe**2))
    return value, first, second if order == 2 else None


def _interrupt(signum, frame):
    raise RuntimeError("the fit did not return within 120 s: no budget ended it")


def test_a_fit_that_would_not_return_ends_in_a_fit_error_naming_it(monkeypatch):
    # With the NaN gradient back, the budget (likelihub.fits.budget) must still end the fit, with an
    # error that names the model and the fit. (Before, this call never returned; the alarm turns
    # a hang into a failure, it is no time limit of the test: the fit ends in well under a second.)
    monkeypatch.setattr(counting, "poisson_terms", _old_poisson_terms)
    previous = signal.signal(signal.SIGALRM, _interrupt)
    signal.alarm(120)
    try:
        with pytest.raises(lh.errors.FitError) as caught:
            model().cls(1000.0)
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
    message = str(caught.value)
    assert "conditional fit of the observed data (mu fixed at 1000)" in message
    assert "[model: correlated background (CMS-NOTE-2017-001): 1 bins" in message
    assert caught.value.result.n_evaluations <= lh.fits.budget.DEFAULT_MAX_CALLS
