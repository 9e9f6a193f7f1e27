"""Networks that represent known likelihoods exactly (``networks.py``), through the ``onnx`` backend,
against closed forms and against likelihub's own ``simplified.poisson`` (an independent
implementation of the same Poisson likelihood).

Gaussian measurement m of mu with width s (-ln L = (mu - m)^2 / (2 s^2)), and its background-only
Asimov data (m = 0, so q_A = mu^2 / s^2). For mu >= m, q~_mu (arXiv:1007.1727 eq. 16) is
(mu - m)^2 / s^2 where m >= 0 and (mu^2 - 2 mu m) / s^2 where m < 0 (mu-hat clipped at 0); eq. 66
gives t = sqrt(q) - sqrt(q_A) in the first case and (q - q_A) / (2 sqrt(q_A)) in the second, both
-m / s. So, with Phi the normal CDF,

    CLs+b = Phi(-(t + mu/s)) = Phi((m - mu)/s),   CLb = Phi(-t) = Phi(m/s),
    CLs = Phi((m - mu)/s) / Phi(m/s)                 (mu >= m; 0.5 / Phi(mu/s) for mu < m),

the upper limit at CLs = alpha is mu_up = m + s Phi^-1(1 - alpha Phi(m/s)), and the expected band
at n sigma is CLs_n = Phi(n - mu/s) / Phi(n) with limits mu_n = s (n + Phi^-1(1 - alpha Phi(n))).
"""

import numpy as np
import pytest
from scipy.optimize import brentq
from scipy.special import ndtr, ndtri

import likelihub as lh

from . import networks

make = lh.get_backend("onnx")
SIGMA = 0.8
BAND = (-2, -1, 0, 1, 2)


def gaussian_cls(mu, m, s=SIGMA):
    return ndtr((m - mu) / s) / ndtr(m / s) if mu >= m else 0.5 / ndtr(mu / s)


def gaussian_model(m, **options):
    return make(networks.gaussian(m, SIGMA), output="nll", poi="mu",
                parameters=[{"name": "mu", "bounds": [-5.0, 10.0]}], expected=networks.gaussian(0.0, SIGMA),
                **options)


@pytest.mark.parametrize("m", [1.2, -0.5])
@pytest.mark.parametrize("mu", [0.5, 2.0, 3.0])
def test_gaussian_cls_matches_the_closed_form(m, mu):
    result = gaussian_model(m).cls(mu)
    # Closed form in the module docstring; the fits' EDM < 1e-8 leaves ~1e-7 in CLs (as in
    # tests/hub/test_counting_closed_forms.py).
    assert result.cls_obs == pytest.approx(gaussian_cls(mu, m), abs=2e-6)
    assert result.cls_exp == pytest.approx([ndtr(n - mu / SIGMA) / ndtr(n) for n in BAND], abs=2e-6)


@pytest.mark.parametrize("m", [1.2, -0.5])
def test_gaussian_upper_limits_match_the_closed_form(m):
    limit = gaussian_model(m).upper_limit(cl=0.95)
    # mu_up = m + s Phi^-1(1 - 0.05 Phi(m/s)); the root finder's rtol is 1e-6, the fits' ~1e-7.
    assert limit.observed == pytest.approx(m + SIGMA * ndtri(1 - 0.05 * ndtr(m / SIGMA)), rel=1e-5)
    expected = [SIGMA * (n + ndtri(1 - 0.05 * ndtr(n))) for n in BAND]
    assert limit.expected == pytest.approx(expected, rel=1e-5)


def test_the_gradient_output_gives_the_same_results():
    with_gradient = make(networks.gaussian(1.2, SIGMA, gradient=True), output="nll", poi="mu",
                         parameters=["mu"], observed={"output": "nll", "gradient": "dnll"},
                         expected=networks.gaussian(0.0, SIGMA, gradient=True),
                         asimov={"output": "nll", "gradient": "dnll"})
    value, grad = with_gradient.backend.value_and_grad(np.array([2.0]), with_gradient.data)
    # d ln L / d mu = -(mu - m) / s^2, the network's own derivative: exact to rounding.
    assert grad == pytest.approx([-(2.0 - 1.2) / SIGMA**2], rel=1e-12)
    assert with_gradient.cls(2.0).cls_obs == pytest.approx(gaussian_cls(2.0, 1.2), abs=2e-6)


def test_a_profiled_nuisance_parameter():
    # A bivariate Gaussian in (mu, theta): profiling theta leaves a Gaussian in mu of width
    # sqrt(C_mumu) = 0.5, so the 1D closed forms hold with s = 0.5 (m = 1.0).
    covariance = [[0.25, 0.15], [0.15, 1.0]]
    model = make(networks.gaussian_2d([1.0, 0.3], covariance), output="nll", poi="mu",
                 parameters=[{"name": "mu", "bounds": [-5, 10]}, {"name": "theta", "bounds": [-5, 5]}],
                 observed={"output": "nll", "gradient": "dnll"},
                 expected=networks.gaussian_2d([0.0, 0.0], covariance),
                 asimov={"output": "nll", "gradient": "dnll"})
    # EDM < 1e-8 as above; the profile fits of theta add nothing beyond it.
    assert model.cls(1.5).cls_obs == pytest.approx(gaussian_cls(1.5, 1.0, s=0.5), abs=2e-6)
    assert model.upper_limit().observed == pytest.approx(1.0 + 0.5 * ndtri(1 - 0.05 * ndtr(2.0)), rel=1e-5)


# -- one Poisson bin: the network of the signal yield against simplified.poisson and closed forms ---
N_OBS, SIGNAL, BACKGROUND = 10.0, 5.0, 8.0


def t_mu(mu, n, mu_ref):
    """-2 ln [Pois(n | mu s + b) / Pois(n | mu_ref s + b)] (arXiv:1007.1727 eq. 8)."""
    rate, ref = mu * SIGNAL + BACKGROUND, mu_ref * SIGNAL + BACKGROUND
    return 2.0 * ((rate - ref) - n * np.log(rate / ref))


def poisson_cls(mu, n):
    """arXiv:1007.1727 eqs. 16, 59, 65, 66, written here: mu-hat = (n - b)/s clipped at 0."""
    mu_hat = max((n - BACKGROUND) / SIGNAL, 0.0)
    q = 0.0 if mu_hat > mu else t_mu(mu, n, mu_hat)
    qa = t_mu(mu, BACKGROUND, 0.0)
    if np.sqrt(q) <= np.sqrt(qa):
        return ndtr(-np.sqrt(q)) / ndtr(np.sqrt(qa) - np.sqrt(q))
    return ndtr(-(q + qa) / (2 * np.sqrt(qa))) / ndtr(-(q - qa) / (2 * np.sqrt(qa)))


@pytest.fixture(scope="module")
def poisson_pair():
    reference = lh.get_backend("simplified.poisson")(signal_yields=[SIGNAL], background_yields=[BACKGROUND],
                                                     data=[N_OBS])
    # The network takes the signal yield mu s; the Asimov data of a model without nuisance
    # parameters is the background (n = b), so the expected network is the same with n = 8.
    learned = make(networks.poisson(N_OBS, BACKGROUND), output="nll", signal_yields=[SIGNAL],
                   expected=networks.poisson(BACKGROUND, BACKGROUND),
                   poi_bounds=reference.config.bounds[0])
    return learned, reference


def test_poisson_logpdf_equals_simplified(poisson_pair):
    learned, reference = poisson_pair
    for mu in (0.0, 0.4, 1.7):
        # The same -ln Pois(n | mu s + b), ln n! included: equal to rounding.
        assert learned.logpdf([mu]) == pytest.approx(reference.logpdf([mu]), rel=1e-13)
        asimov = reference.expected_data([0.0])
        assert learned.logpdf([mu], learned.expected_data([0.0])) == pytest.approx(
            reference.logpdf([mu], asimov), rel=1e-13)


@pytest.mark.parametrize("mu", [0.5, 1.0, 2.5])
def test_poisson_cls_matches_simplified_and_the_closed_form(poisson_pair, mu):
    learned, reference = poisson_pair
    ours, theirs = learned.cls(mu), reference.cls(mu)
    # Both fit the same function; each fit's EDM < 1e-8 leaves ~1e-7 in CLs.
    assert ours.cls_obs == pytest.approx(theirs.cls_obs, abs=2e-6)
    assert ours.cls_exp == pytest.approx(theirs.cls_exp, abs=2e-6)
    assert ours.cls_obs == pytest.approx(poisson_cls(mu, N_OBS), abs=2e-6)


def test_poisson_limits_match_simplified_and_the_closed_form(poisson_pair):
    learned, reference = poisson_pair
    ours, theirs = learned.upper_limit(), reference.upper_limit()
    # Root finding to rtol 1e-6 on each curve.
    assert ours.observed == pytest.approx(theirs.observed, rel=1e-5)
    assert ours.expected == pytest.approx(theirs.expected, rel=1e-5)
    assert ours.observed == pytest.approx(brentq(lambda mu: poisson_cls(mu, N_OBS) - 0.05, 0.1, 10),
                                          rel=1e-5)


# -- SModelS's layout: total yields in, four standardised differences of -ln L out -----------------
def test_smodels_layout_matches_simplified():
    observed, background, signal = [12.0, 3.0], [9.0, 2.5], [4.0, 1.5]
    network = networks.smodels_poisson(observed, background, mean_in=[10.0, 3.0], std_in=[4.0, 1.5],
                                       mean_out=[1.0, -0.5, 1.0, 1.0], std_out=[2.0, 3.0, 2.0, 2.0])
    # The regions by their names in the file ("SR0-0") or in SModelS's database ("SR1").
    learned = make(network, layout="smodels", signal_yields={"SR0-0": signal[0], "SR1": signal[1]})
    reference = lh.get_backend("simplified.poisson")(signal_yields=signal, background_yields=background,
                                                     data=observed)
    # -ln L differs by the constant sum ln n! (the network's outputs are relative to mu = 0, whose
    # -ln L the metadata give without it); differences of log L are equal to rounding.
    for mu in (0.5, 2.0):
        assert learned.logpdf([mu]) - learned.logpdf([0.0]) == pytest.approx(
            reference.logpdf([mu]) - reference.logpdf([0.0]), rel=1e-12)
    # CLs through the obs and obsA columns: as simplified.poisson, EDM-limited (~1e-7).
    assert learned.cls(1.0).cls_obs == pytest.approx(reference.cls(1.0).cls_obs, abs=2e-6)
    assert learned.cls(1.0).cls_exp == pytest.approx(reference.cls(1.0).cls_exp, abs=2e-6)
    # data="apriori": the exp column is the "observed" data, so the observed CLs is the median
    # expected one of simplified.poisson (its data replaced by the background).
    apriori = make(network, layout="smodels", data="apriori", signal_yields=signal)
    assert apriori.cls(1.0).cls_obs == pytest.approx(reference.cls(1.0).cls_exp[2], abs=2e-6)


def test_a_combination_with_another_backend():
    # The learned bin combined with a simplified.poisson bin (lh.combine, one shared mu) is the
    # two-bin simplified.poisson model: the same likelihood, each fit EDM-limited (~1e-7 in CLs).
    learned = make(networks.poisson(N_OBS, BACKGROUND), output="nll", signal_yields=[SIGNAL],
                   expected=networks.poisson(BACKGROUND, BACKGROUND), poi_bounds=(-1.6, 20.0))
    poisson = lh.get_backend("simplified.poisson")
    other = poisson(signal_yields=[2.0], background_yields=[3.0], data=[4])
    both = poisson(signal_yields=[SIGNAL, 2.0], background_yields=[BACKGROUND, 3.0], data=[N_OBS, 4])
    combined = lh.combine(learned, other, names=["learned", "other"])
    ours, theirs = combined.cls(1.0), both.cls(1.0)
    assert ours.cls_obs == pytest.approx(theirs.cls_obs, abs=2e-6)
    assert ours.cls_exp == pytest.approx(theirs.cls_exp, abs=2e-6)
