"""Asimov global observables, fitted (pyhf, RooStats, Combine) or nominal (spey, SModelS), checked
against a direct profile of the closed-form likelihood written here with scipy."""

import numpy as np
import pytest
from scipy.optimize import minimize_scalar
from scipy.special import ndtr
from scipy.stats import norm, poisson

import likelihub as lh

from .counting import CountingBackend

N, S, B, DELTA = 12.0, 6.0, 9.0, 0.2


def nll(mu, theta, n, a):
    """Pois(n | mu s + b (1 + delta theta)) N(a | theta, 1), written independently of the backend."""
    rate = mu * S + B * (1 + DELTA * theta)
    return -(n * np.log(rate) - rate - np.sum(np.log(np.arange(1, n + 1))) if float(n).is_integer()
             else n * np.log(rate) - rate) - norm.logpdf(a, theta, 1)


def profile(mu, n, a):
    res = minimize_scalar(lambda t: nll(mu, t, n, a), bounds=(-4.9, 4.9), method="bounded",
                          options={"xatol": 1e-10})
    return res.fun, res.x


def free_minimum(n, a):
    res = minimize_scalar(lambda m: profile(m, n, a)[0], bounds=(0.0, 10.0), method="bounded",
                          options={"xatol": 1e-10})
    return res.fun, res.x


def qtilde(mu, n, a):
    best, mu_hat = free_minimum(n, a)
    return 0.0 if mu_hat > mu else 2 * (profile(mu, n, a)[0] - best)


@pytest.mark.parametrize("convention", ["fitted", "nominal"])
def test_asymptotic_cls_with_a_constrained_nuisance(convention):
    model = lh.StatisticalModel(CountingBackend(N, S, B, DELTA))
    # Asimov data for mu' = 0: n_A = expected count at theta-hat-hat(0); a_A = theta-hat-hat(0)
    # (fitted) or the observed a = 0 (nominal).
    _, theta0 = profile(0.0, N, 0.0)
    n_asimov = B * (1 + DELTA * theta0)
    a_asimov = theta0 if convention == "fitted" else 0.0
    assert model.asimov_data(0.0, convention) == pytest.approx([n_asimov, a_asimov], abs=1e-5)
    q, qa = qtilde(1.0, N, 0.0), qtilde(1.0, n_asimov, a_asimov)
    result = model.cls(1.0, asimov_global_observables=convention)
    assert result.test_statistic_obs == pytest.approx(q, abs=1e-5)
    assert result.test_statistic_asimov == pytest.approx(qa, abs=1e-5)
    assert result.cls_exp[2] == pytest.approx(ndtr(-np.sqrt(qa)) / 0.5, abs=1e-5)


def test_conventions_differ_when_the_nuisance_is_pulled():
    # The observed excess pulls theta-hat-hat(0) up, so fitted and nominal Asimov data differ.
    model = lh.StatisticalModel(CountingBackend(N, S, B, DELTA))
    fitted = model.cls(1.0, asimov_global_observables="fitted").cls_exp[2]
    nominal = model.cls(1.0, asimov_global_observables="nominal").cls_exp[2]
    assert abs(fitted - nominal) > 1e-3


def test_unknown_convention_is_refused():
    model = lh.StatisticalModel(CountingBackend(N, S, B, DELTA))
    with pytest.raises(ValueError, match="fitted"):
        model.cls(1.0, asimov_global_observables="nominl")


def test_poisson_logpdf_of_the_backend_is_the_closed_form():
    backend = CountingBackend(N, S, B, DELTA)
    expected = poisson.logpmf(12, 0.5 * S + B * (1 + DELTA * 0.3)) + norm.logpdf(0.1, 0.3, 1)
    assert backend.logpdf([0.5, 0.3], [12, 0.1]) == pytest.approx(expected, rel=1e-12)
