"""Fits: fixed parameters leave the minimisation, bad likelihoods fail cleanly, scipy agrees."""

import numpy as np
import pytest

import likelihub as lh
from likelihub.errors import FitError
from likelihub.fits.engine import fit

from .counting import CountingBackend


def test_fixed_parameters_are_not_minimised():
    model = lh.StatisticalModel(CountingBackend(12, 6, 9, delta=0.2))
    result = model.fit(fixed={"theta": 0.7})
    assert result.values[1] == 0.7 and result.fixed.tolist() == [False, True]
    assert result.uncertainties[1] == 0.0
    # With theta fixed, mu-hat solves mu s + b (1 + delta theta) = n exactly; EDM < 1e-8 with
    # d2(-log L)/dmu2 = n s^2 / rate^2 = 3 allows |mu - mu-hat| < sqrt(2e-8 / 3) ~ 1e-4.
    assert result.values[0] == pytest.approx((12 - 9 * (1 + 0.2 * 0.7)) / 6, abs=1e-4)


def test_scipy_and_minuit_reach_the_same_minimum():
    backend = CountingBackend(12, 6, 9, delta=0.2)
    minuit = fit(backend, method="minuit")
    scipy = fit(backend, method="scipy")
    # Both must reach EDM < 1e-8, so their minima agree to that order.
    assert scipy.nll == pytest.approx(minuit.nll, abs=1e-7)
    assert scipy.converged and minuit.converged


class Broken(CountingBackend):
    """-log L is NaN everywhere: no minimiser can succeed."""

    def logpdf(self, pars, data):
        return np.nan

    def value_and_grad(self, pars, data):
        return np.nan, np.full(len(pars), np.nan)


class Unbounded(CountingBackend):
    """log L grows without limit as theta grows: there is no minimum of -log L."""

    def __init__(self):
        super().__init__(10, 5, 8, delta=0.1)
        self.config = self.config.replace(bounds=[(0, 10), (-np.inf, np.inf)])

    def logpdf(self, pars, data):
        return float(pars[1]) - 0.0 * pars[0]

    def value_and_grad(self, pars, data):
        return self.logpdf(pars, data), np.array([0.0, 1.0])


@pytest.mark.parametrize(("backend", "reason"), [
    (Broken(10, 5, 8), "did not reach a valid minimum"),
    # max_calls bounds the whole fit (all attempts): an unbounded likelihood spends it.
    (Unbounded(), "spent its budget of 2000 evaluations"),
], ids=["nan", "unbounded"])
def test_failing_fits_raise_fit_error_with_the_best_point(backend, reason):
    with pytest.raises(FitError, match=reason) as caught:
        fit(backend, max_calls=2000)
    assert caught.value.result is not None and not caught.value.result.converged


def test_failing_fit_can_be_returned_flagged():
    result = fit(Unbounded(), raise_on_failure=False, max_calls=2000)
    assert not result.converged
    assert "NOT CONVERGED" in str(result)


def test_fit_result_indexing_and_twice_nll():
    result = lh.StatisticalModel(CountingBackend(10, 5, 8)).fit()
    # mu-hat = (n - b)/s = 0.4, to the ~1e-4 that EDM < 1e-8 allows (see above).
    assert result["mu"] == pytest.approx(0.4, abs=1e-4)
    assert result.twice_nll == pytest.approx(2 * result.nll)


def test_start_on_a_bound_still_finds_the_minimum():
    # MIGRAD once stopped after one gradient at this start (mu on its bound) with a "valid minimum"
    # 1.8 units of -log L too high. n < b, so mu-hat sits on its bound 0, and theta-hat minimises
    # Pois(381 | 400 (1 + 0.02 theta)) N(-1.66558 | theta, 1): a 1-D minimisation with scipy.
    from scipy.optimize import minimize_scalar

    backend = CountingBackend(400.0, 40.0, 400.0, delta=0.02)
    data = np.array([381.0, -1.66558146])
    result = fit(backend, data, init=np.array([0.0, 5.047819e-09]))
    expected = minimize_scalar(lambda t: -backend.logpdf([0.0, t], data), bounds=(-5, 5),
                               method="bounded", options={"xatol": 1e-10})
    assert result.nll == pytest.approx(expected.fun, abs=1e-8)
    assert result.values[1] == pytest.approx(expected.x, abs=1e-4)


def test_minimiser_claims_are_checked_by_the_gradient_probe():
    from likelihub.fits.engine import NegativeLogLikelihood, _assess

    backend = CountingBackend(400.0, 40.0, 400.0, delta=0.02)
    objective = NegativeLogLikelihood(backend, np.array([381.0, -1.66558146]), np.zeros(2),
                                      np.array([True, True]))
    objective.has_analytic_hessian = False  # as for a backend without one: the minimiser's estimate
    # A far-from-minimal point with a (wrong) vanishing inverse Hessian, as MIGRAD reported it:
    # its own EDM is ~0, the probe along the gradient sees -log L still falling by ~1.4.
    attempt = _assess(objective, np.array([0.5, 0.0]), np.array([[0, 10], [-5, 5.0]]), "fake", 1e-8,
                      lambda: np.zeros((2, 2)))
    assert attempt.edm > 0.1


def test_fixed_values_and_bounds_are_handled_in_one_place():
    # fit_parameters is what every fit sees: the fixed value in the start, its bounds widened to
    # hold it (a POI tested beyond its range), the caller's arrays untouched.
    from likelihub.backend.config import ModelConfig
    from likelihub.fits.fixing import fit_parameters

    config = ModelConfig(parameter_names=["mu", "theta"], poi_index=0, init=[1.0, 0.0],
                         bounds=[(0.0, 10.0), (-5.0, 5.0)], n_main=1)
    init = np.array([2.0, 0.5])
    single = fit_parameters(config, fixed_values={0: 12.0}, init=init)
    np.testing.assert_array_equal(single.start, [12.0, 0.5])
    np.testing.assert_array_equal(single.bounds, [[0.0, 12.0], [-5.0, 5.0]])
    np.testing.assert_array_equal(single.free, [False, True])
    np.testing.assert_array_equal(init, [2.0, 0.5])
    batch = fit_parameters(config, fixed_values={1: -6.0}, rows=3)
    np.testing.assert_array_equal(batch.start, [[1.0, -6.0]] * 3)
    np.testing.assert_array_equal(batch.bounds, [[0.0, 10.0], [-6.0, 5.0]])
    np.testing.assert_array_equal(fit_parameters(config).fixed, [False, False])
