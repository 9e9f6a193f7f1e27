"""A one-bin Poisson counting model against the closed forms of Cowan, Cranmer, Gross, Vitells
(arXiv:1007.1727): test statistics, asymptotic CLs and its expected band, upper limits,
discovery significance, sigma_mu. The closed forms are written here independently of the core."""

import numpy as np
import pytest
from scipy.optimize import brentq
from scipy.special import ndtr, ndtri

import likelihub as lh

from .counting import CountingBackend

N_OBS, SIGNAL, BACKGROUND = 10.0, 5.0, 8.0  # an excess: mu-hat = 0.4
N_DEFICIT = 5.0  # a deficit: mu-hat < 0, where q~_mu differs from q_mu


def t_mu(mu, n, s=SIGNAL, b=BACKGROUND, mu_ref=None):
    """-2 ln lambda for one Poisson bin (arXiv:1007.1727 eq. 8), best fit at n or at mu_ref."""
    rate = mu * s + b
    ref = n if mu_ref is None else mu_ref * s + b
    return 2.0 * ((rate - ref) - n * np.log(rate / ref))


def qtilde(mu, n):
    """arXiv:1007.1727 eq. 16 for one Poisson bin: mu-hat = (n - b)/s, replaced by 0 if negative."""
    mu_hat = (n - BACKGROUND) / SIGNAL
    if mu_hat > mu:
        return 0.0
    return t_mu(mu, n, mu_ref=max(mu_hat, 0.0))


def cls_closed_form(mu, n):
    """Asymptotic CLs (arXiv:1007.1727 eqs. 59, 65, 66): Asimov data for mu' = 0 is n_A = b."""
    q, qa = qtilde(mu, n), qtilde(mu, BACKGROUND)
    if np.sqrt(q) <= np.sqrt(qa):
        clsb, clb = ndtr(-np.sqrt(q)), ndtr(np.sqrt(qa) - np.sqrt(q))
    else:
        clsb = ndtr(-(q + qa) / (2 * np.sqrt(qa)))
        clb = ndtr(-(q - qa) / (2 * np.sqrt(qa)))
    return clsb / clb


def expected_band_closed_form(mu):
    """Expected CLs at N sigma: Phi(-(sqrt(q_A) - N)) / Phi(N) (pyhf's expected_pvalues)."""
    sqrt_qa = np.sqrt(qtilde(mu, BACKGROUND))
    return [ndtr(-(sqrt_qa - n)) / ndtr(n) for n in (-2, -1, 0, 1, 2)]


@pytest.fixture
def model():
    return lh.StatisticalModel(CountingBackend(N_OBS, SIGNAL, BACKGROUND))


def test_fit_finds_the_closed_form_minimum(model):
    result = model.fit()
    # mu-hat = (n - b)/s; sigma = sqrt(n)/s from the Hessian of -log L at the minimum. EDM < 1e-8
    # with d2(-log L)/dmu2 = s^2 / n = 2.5 allows |mu - mu-hat| < sqrt(2e-8 / 2.5) ~ 1e-4.
    assert result.values[0] == pytest.approx((N_OBS - BACKGROUND) / SIGNAL, abs=1e-4)
    assert result.uncertainties[0] == pytest.approx(np.sqrt(N_OBS) / SIGNAL, rel=1e-4)
    assert result.converged and result.edm < 1e-8


@pytest.mark.parametrize("n", [N_OBS, N_DEFICIT])
@pytest.mark.parametrize("mu", [0.5, 1.0, 2.5])
def test_asymptotic_cls_matches_closed_form(n, mu):
    model = lh.StatisticalModel(CountingBackend(n, SIGNAL, BACKGROUND))
    result = model.cls(mu)
    # Closed forms above; the fits' EDM < 1e-8 leaves ~1e-7 in CLs.
    assert result.cls_obs == pytest.approx(cls_closed_form(mu, n), abs=2e-6)
    assert result.cls_exp == pytest.approx(expected_band_closed_form(mu), abs=2e-6)
    assert result.test_statistic_obs == pytest.approx(qtilde(mu, n), abs=1e-6)


def test_q_mu_differs_from_qtilde_for_a_deficit():
    # With the POI allowed below zero, q_mu refers to mu-hat = -0.6 (arXiv:1007.1727 eq. 14).
    backend = CountingBackend(N_DEFICIT, SIGNAL, BACKGROUND, mu_bounds=(-1.5, 10.0))
    result = lh.StatisticalModel(backend).cls(1.0, test_statistic="q")
    assert result.test_statistic_obs == pytest.approx(t_mu(1.0, N_DEFICIT), abs=1e-6)
    q, qa = t_mu(1.0, N_DEFICIT), t_mu(1.0, BACKGROUND)
    expected = ndtr(-np.sqrt(q)) / ndtr(np.sqrt(qa) - np.sqrt(q))  # eq. 59 and CLb for q_mu
    assert result.cls_obs == pytest.approx(expected, abs=2e-6)


def test_upper_limits_match_closed_form(model):
    limit = model.upper_limit(cl=0.95)
    observed = brentq(lambda mu: cls_closed_form(mu, N_OBS) - 0.05, 0.01, 10)
    assert limit.observed == pytest.approx(observed, rel=1e-5)
    # Expected limit at N sigma: CLs_exp(mu) = 0.05, root of the closed-form band.
    for k, n_sigma in enumerate((-2, -1, 0, 1, 2)):
        root = brentq(lambda mu, k=k: expected_band_closed_form(mu)[k] - 0.05, 0.01, 20)
        assert limit.expected[k] == pytest.approx(root, rel=1e-5), n_sigma
    # Median expected limit: 2 Phi(-sqrt(q_A)) = 0.05, i.e. sqrt(q_A) = Phi^-1(0.975).
    assert np.sqrt(qtilde(limit.expected[2], BACKGROUND)) == pytest.approx(ndtri(0.975), rel=1e-5)


def test_significance_matches_closed_form(model):
    result = model.significance()
    # arXiv:1007.1727 eq. 97 (with n for the observed and s + b for the expected, mu = 1).
    z_obs = np.sqrt(2 * (N_OBS * np.log(N_OBS / BACKGROUND) - (N_OBS - BACKGROUND)))
    z_exp = np.sqrt(2 * ((SIGNAL + BACKGROUND) * np.log(1 + SIGNAL / BACKGROUND) - SIGNAL))
    assert result.z_obs == pytest.approx(z_obs, rel=1e-5)
    assert result.p_obs == pytest.approx(ndtr(-z_obs), rel=1e-5)
    assert result.z_exp == pytest.approx(z_exp, rel=1e-5)


def test_significance_is_zero_for_a_deficit():
    # q0 = 0 where mu-hat < 0 (arXiv:1007.1727 eq. 12).
    backend = CountingBackend(N_DEFICIT, SIGNAL, BACKGROUND, mu_bounds=(-1.5, 10.0))
    assert lh.StatisticalModel(backend).significance().z_obs == 0.0


def test_sigma_mu_and_chi2_match_closed_form(model):
    # sigma = |mu| / sqrt(q_mu,A) (arXiv:1007.1727 eq. 31), Asimov for mu' = 0.
    assert model.sigma_mu(1.0) == pytest.approx(1.0 / np.sqrt(t_mu(1.0, BACKGROUND)), rel=1e-5)
    # Hessian at the conditional fit at mu: sigma^2 = (mu s + b)^2 / (n s^2).
    rate = 1.0 * SIGNAL + BACKGROUND
    assert model.sigma_mu(1.0, method="hessian") == pytest.approx(
        rate / (np.sqrt(N_OBS) * SIGNAL), rel=1e-5)
    assert model.chi2(1.5) == pytest.approx(t_mu(1.5, N_OBS), abs=1e-6)
    assert model.chi2(1.5, mu_ref=1.0) == pytest.approx(
        t_mu(1.5, N_OBS) - t_mu(1.0, N_OBS), abs=1e-6)
    assert model.likelihood(1.0) == pytest.approx(-model.logpdf([1.0]), abs=1e-9)


def test_chi2_calculator_uses_wilks(model):
    result = model.cls(1.5, calculator="chi2")
    # p = P(chi2_1 > t_mu) = 2 Phi(-sqrt(t_mu)) (Wilks' theorem).
    assert result.cls_obs == pytest.approx(2 * ndtr(-np.sqrt(t_mu(1.5, N_OBS))), rel=1e-5)


def test_cls_scan_equals_single_points(model):
    scan = model.cls_scan([0.5, 1.0])
    assert scan.cls_obs == pytest.approx([cls_closed_form(0.5, N_OBS), cls_closed_form(1.0, N_OBS)],
                                         abs=2e-6)
    assert len(scan.cls_exp) == 2 and len(scan.cls_exp[0]) == 5
