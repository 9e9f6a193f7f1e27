"""StatisticalModel.profile_interval against closed forms and iminuit's MINOS on the same likelihood."""

from __future__ import annotations

import numpy as np
import pytest
from iminuit import Minuit
from scipy.optimize import brentq, minimize_scalar

import likelihub as lh
from likelihub.errors import InvalidArgumentError

from .counting import CountingBackend


def test_poisson_interval_is_the_closed_form_crossing():
    # n ~ Pois(mu s + b), no nuisance: 2 Delta NLL(mu) = 2 [nu - n - n log(nu / n)], nu = mu s + b,
    # zero at mu-hat = (n - b) / s; the 68.27% ends solve 2 Delta NLL = 1 (Wilks, 1 dof).
    n, s, b = 25.0, 4.0, 10.0
    model = lh.StatisticalModel(CountingBackend(n, s, b, mu_bounds=(-2.0, 20.0)))

    def excess(mu):
        nu = mu * s + b
        return 2 * (nu - n - n * np.log(nu / n)) - 1.0

    mu_hat = (n - b) / s
    interval = model.profile_interval()
    assert interval.best_fit == pytest.approx(mu_hat, abs=1e-6)  # the fit's tolerance
    assert interval.low == pytest.approx(brentq(excess, -2.0, mu_hat), abs=1e-5)
    assert interval.high == pytest.approx(brentq(excess, mu_hat, 20.0), abs=1e-5)
    assert interval.threshold == pytest.approx(1.0, rel=1e-9)
    assert not interval.low_at_bound and not interval.high_at_bound


def test_interval_with_a_nuisance_parameter_agrees_with_minos():
    # Reference 1: the profile computed independently, theta-hat-hat(mu) by scipy's bounded
    # scalar minimiser (xatol 1e-12), its crossings by brentq: the ends to 1e-6 (our fits' and
    # root's tolerances). Reference 2: iminuit's MINOS on the same -log L (errordef 0.5,
    # strategy 2, tolerance 1e-7), whose ends we saw ~1e-4 from the exact ones: 3e-4.
    n, s, b, delta = 18.0, 5.0, 9.0, 0.2
    backend = CountingBackend(n, s, b, delta=delta, mu_bounds=(-1.0, 10.0))
    model = lh.StatisticalModel(backend)

    def nll(mu, theta):
        return -backend.logpdf([mu, theta], backend.data)

    def profile(mu):
        return minimize_scalar(lambda t: nll(mu, t), bounds=(-5, 5), method="bounded",
                               options={"xatol": 1e-12}).fun

    mu_hat = (n - b) / s
    exact = [brentq(lambda m: 2 * (profile(m) - profile(mu_hat)) - 1.0, *bracket, xtol=1e-12)
             for bracket in ((-1.0, mu_hat), (mu_hat, 10.0))]
    interval = model.profile_interval("mu")
    assert interval.best_fit == pytest.approx(mu_hat, abs=1e-6)
    assert [interval.low, interval.high] == pytest.approx(exact, abs=1e-6)

    minuit = Minuit(nll, mu=1.0, theta=0.0)
    minuit.errordef = 0.5
    minuit.limits = [(-1.0, 10.0), (-5.0, 5.0)]
    minuit.strategy, minuit.tol = 2, 1e-7
    minuit.migrad()
    minuit.minos("mu")
    assert interval.low == pytest.approx(mu_hat + minuit.merrors["mu"].lower, abs=3e-4)
    assert interval.high == pytest.approx(mu_hat + minuit.merrors["mu"].upper, abs=3e-4)
    # any parameter: theta's 95% interval (chi2 quantile 3.84), mu profiled; theta-hat = 0
    theta = model.profile_interval("theta", cl=0.95)
    minuit.errordef = 0.5 * 3.841458820694124
    minuit.migrad()
    minuit.minos("theta")
    assert theta.best_fit == pytest.approx(0.0, abs=1e-6)
    assert theta.low == pytest.approx(minuit.merrors["theta"].lower, abs=3e-4)
    assert theta.high == pytest.approx(minuit.merrors["theta"].upper, abs=3e-4)


def test_an_end_beyond_the_bound_is_the_bound():
    # n = 2 below b = 10: mu-hat sits at the bound 0, whose profile is the lower end.
    model = lh.StatisticalModel(CountingBackend(2.0, 4.0, 10.0))
    interval = model.profile_interval()
    assert interval.best_fit == 0.0
    assert interval.low == 0.0 and interval.low_at_bound
    assert interval.high > 0.0 and not interval.high_at_bound
    assert "(bound)" in str(interval)


def test_bad_arguments_are_named():
    model = lh.StatisticalModel(CountingBackend(5.0, 1.0, 3.0))
    with pytest.raises(InvalidArgumentError, match="parameter.*no parameter 'nope'"):
        model.profile_interval("nope")
    with pytest.raises(InvalidArgumentError, match="cl"):
        model.profile_interval(cl=1.5)
