"""The likelihoods against closed forms and scipy.stats, and the backend contract."""

import numpy as np
import pytest
from scipy import integrate, stats

import likelihub as lh
from likelihub.backend.checks import check_backend
from likelihub_simplified import (
    correlation_to_covariance,
    covariance_to_correlation,
    merge_bins,
    third_moment_expansion,
    third_moments_from_asymmetric,
)
from likelihub_simplified.shifts import VariableGaussianShift

from .inputs import ARGUMENTS, COVARIANCE, THIRD_MOMENT, assert_batches_are_rows

SIGNAL = np.array([2.0, 3.0, 1.5])
BACKGROUND = np.array([5.0, 6.0, 4.0])
OBSERVED = np.array([6, 8, 3])
SIGNAL_UNCERTAINTIES = [{"type": "normalisation", "uncertainties": [0.2, 0.3, 0.1], "name": "lumi"},
                        {"type": "shape", "uncertainties": [[0.3, 0.2], [0.4, 0.5], [0.1, 0.1]]}]


def build(name, **extra):
    return lh.get_backend(f"simplified.{name}")(signal_yields=SIGNAL, background_yields=BACKGROUND,
                                                data=OBSERVED, **ARGUMENTS[name], **extra)


ALL = ["poisson", "normal", "multivariate_normal", "uncorrelated_background", "correlated_background",
       "third_moment_expansion", "effective_sigma"]
WITH_NUISANCES = ALL[3:]


def away_from_nominal(model, rng):
    pars = model.config.init.copy()
    pars[0] = 0.7
    pars[1:] = rng.normal(0.0, 0.5, pars.size - 1)
    return pars


@pytest.mark.parametrize("name", ALL)
def test_backend_contract_with_exact_derivatives(name):
    model = build(name)
    # check_backend compares gradient and Hessian with finite differences (rtol 1e-5 of the largest entry).
    check_backend(model.backend, pars=away_from_nominal(model, np.random.default_rng(1)))


@pytest.mark.parametrize("name", WITH_NUISANCES)
def test_backend_contract_with_signal_uncertainties(name):
    model = build(name, signal_uncertainties=SIGNAL_UNCERTAINTIES)
    # 1 normalisation + 3 shape nuisances after mu and the 3 background nuisances.
    assert model.config.n_parameters == 1 + 3 + 4
    check_backend(model.backend, pars=away_from_nominal(model, np.random.default_rng(2)))


@pytest.mark.parametrize("name", WITH_NUISANCES)
def test_batch_kernels_agree_with_single_evaluations(name):
    backend = build(name, signal_uncertainties=SIGNAL_UNCERTAINTIES).backend
    rng = np.random.default_rng(3)
    pars = np.stack([away_from_nominal(build(name, signal_uncertainties=SIGNAL_UNCERTAINTIES), rng)
                     for _ in range(4)])
    assert_batches_are_rows(backend, pars, backend.sample(pars[0], 4, rng))


def test_poisson_is_the_product_of_poisson_pmfs():
    backend = build("poisson").backend
    # Closed form: scipy.stats.poisson at lambda = mu s + b.
    expected = stats.poisson.logpmf(OBSERVED, 0.7 * SIGNAL + BACKGROUND).sum()
    assert backend.logpdf(np.array([0.7]), backend.data) == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("name", ["normal", "multivariate_normal"])
def test_gaussian_models_are_scipy_normals(name):
    backend = build(name).backend
    covariance = np.diag(np.diag(COVARIANCE)) if name == "normal" else COVARIANCE
    expected = stats.multivariate_normal.logpdf(OBSERVED, 0.7 * SIGNAL + BACKGROUND, covariance)
    assert backend.logpdf(np.array([0.7]), backend.data) == pytest.approx(expected, rel=1e-12)


def test_correlated_background_is_poisson_times_mvn_in_event_units():
    backend = build("correlated_background").backend
    pars = np.array([0.7, 0.3, -0.4, 0.8])
    sigma = np.sqrt(np.diag(COVARIANCE))
    shift = sigma * pars[1:]
    # CMS-NOTE-2017-001 written with delta ~ MVN(0, Sigma) in events; the standardised theta = delta / sigma
    # has density MVN(delta | 0, Sigma) * prod(sigma) (the Jacobian).
    expected = (stats.poisson.logpmf(OBSERVED, 0.7 * SIGNAL + BACKGROUND + shift).sum()
                + stats.multivariate_normal.logpdf(shift, np.zeros(3), COVARIANCE) + np.log(sigma).sum())
    assert backend.logpdf(pars, backend.data) == pytest.approx(expected, rel=1e-12)


def test_closed_form_fit_of_a_single_poisson_bin():
    model = lh.get_backend("simplified.poisson")(signal_yields=[4.0], background_yields=[3.0], data=[9])
    # Closed form: mu-hat = (n - b) / s = 1.5, its error sqrt(n) / s = 0.75. The fitter stops at
    # EDM <= 1e-8, i.e. |mu - mu-hat| <= sqrt(2e-8) * 0.75 = 1.1e-4.
    result = model.fit()
    assert result.values[0] == pytest.approx(1.5, abs=1.1e-4)
    # The error is lambda / (s sqrt(n)) at the fitted point: relative change s |mu - mu-hat| / lambda < 1e-4.
    assert result.uncertainties[0] == pytest.approx(0.75, rel=1e-4)


def test_third_moment_expansion_reproduces_the_three_moments():
    expansion = third_moment_expansion(BACKGROUND, COVARIANCE, THIRD_MOMENT)
    A, B, C, rho = expansion.A, expansion.B, expansion.C, expansion.rho
    # For b = A + B theta + C theta^2 with theta ~ N(0, 1): mean A + C, variance B^2 + 2 C^2, third central
    # moment 6 B^2 C + 8 C^3, and Cov(b_i, b_j) = B_i B_j rho_ij + 2 C_i C_j rho_ij^2
    # (arXiv:1809.05548 eq. 2.10).
    np.testing.assert_allclose(A + C, BACKGROUND, rtol=1e-12)
    np.testing.assert_allclose(B**2 + 2 * C**2, np.diag(COVARIANCE), rtol=1e-12)
    np.testing.assert_allclose(6 * B**2 * C + 8 * C**3, THIRD_MOMENT, rtol=1e-10)
    np.testing.assert_allclose(np.outer(B, B) * rho + 2 * np.outer(C, C) * rho**2, COVARIANCE, rtol=1e-10)


def test_third_moments_of_bifurcated_gaussians_match_numerical_integration():
    up, down = np.array([1.5, 1.0, 0.5]), np.array([0.7, 1.0, 2.0])
    result = third_moments_from_asymmetric(up, down)
    for k in range(3):
        norm = np.sqrt(2 * np.pi) * (up[k] + down[k]) / 2

        def density(x, k=k, norm=norm):
            return np.exp(-0.5 * x**2 / (up[k] if x >= 0 else down[k]) ** 2) / norm

        mean = integrate.quad(lambda x, f=density: x * f(x), -np.inf, np.inf)[0]
        third = integrate.quad(lambda x, f=density, m=mean: (x - m) ** 3 * f(x), -np.inf, np.inf)[0]
        # Numerical quadrature (scipy.integrate.quad, error ~1e-10).
        assert result[k] == pytest.approx(third, rel=1e-7, abs=1e-9)


def test_variable_gaussian_shift_is_barlows_variable_gaussian():
    up, down = np.array([2.0, 1.0]), np.array([1.0, 1.0])
    shift = VariableGaussianShift(up, down)
    plus, _, _ = shift(np.ones(2))
    minus, _, _ = shift(-np.ones(2))
    np.testing.assert_allclose(plus, up, rtol=1e-14)
    np.testing.assert_allclose(minus, -down, rtol=1e-14)
    theta = np.linspace(-3, 3, 13)[:, None] * np.ones(2)
    delta, _, _ = shift(theta)
    # Barlow (physics/0406120 sec. 3.6): -1/2 delta^2 / (s+ s- + (s+ - s-) delta) equals -1/2 theta^2.
    barlow = delta**2 / (up * down + (up - down) * delta)
    np.testing.assert_allclose(barlow, theta**2, rtol=1e-12, atol=1e-14)


def test_covariance_helpers_and_merged_bins():
    correlation = covariance_to_correlation(COVARIANCE)
    sigma = np.sqrt(np.diag(COVARIANCE))
    np.testing.assert_allclose(correlation_to_covariance(correlation, sigma), COVARIANCE)
    merged = merge_bins([[0, 2], [1]], observed=OBSERVED, background_yields=BACKGROUND,
                        covariance_matrix=COVARIANCE)
    # Var(b0 + b2) = 1 + 2 - 2 * 0.2 = 2.6; Cov(b0 + b2, b1) = 0.3 + 0.5 = 0.8.
    np.testing.assert_allclose(merged["covariance_matrix"], [[2.6, 0.8], [0.8, 4.0]])
    np.testing.assert_allclose(merged["observed"], [9, 8])
    np.testing.assert_allclose(merged["background_yields"], [9.0, 6.0])


def test_toys_fluctuate_counts_and_global_observables():
    backend = build("correlated_background").backend
    pars = np.array([1.0, 0.5, -0.5, 0.2])
    toys = backend.sample(pars, 20000, np.random.default_rng(4))
    expected = backend.expected_data(pars)
    # Means of 20000 toys: standard error sqrt(var / 20000) < 0.03 here; 5 sigma.
    np.testing.assert_allclose(toys.mean(axis=0), expected, atol=0.1)
    # Global observables ~ MVN(theta, rho): sample correlation within 0.03 (5 sigma of 1/sqrt(20000)).
    np.testing.assert_allclose(np.corrcoef(toys[:, 3:].T), covariance_to_correlation(COVARIANCE), atol=0.035)
