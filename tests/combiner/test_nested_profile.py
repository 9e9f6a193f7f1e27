"""The combination against the nested profile: each component profiled on its own at fixed mu.

For components sharing no nuisance parameters, max over (theta_1..theta_K) of sum_k log L_k is
sum_k max over theta_k of log L_k: the combined profile likelihood at mu must equal the sum of
the components' profile likelihoods at s_k mu, and everything built on it (mu-hat, Asimov data,
CLs) must follow. The references here are computed through the components alone.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy.optimize import minimize_scalar

import likelihub as lh
from likelihub.infer.asymptotic import asymptotic_pvalues, expected_cls_band

from .combiner_counting import CountingBackend, atlas_like, cms_like

# Fits stop at an estimated distance to the minimum of 1e-8 in -log L (likelihub.fits.engine), so
# two profiles of the same likelihood agree to ~1e-7 in -log L.
NLL_ATOL = 1e-6


def small_signal_cms(**options):
    """cms_like with its signal divided by 10: its POI is 10 mu."""
    return CountingBackend([0.2, 0.4, 0.1], [8.0, 15.0, 5.0], [0.15, 0.1, 0.3], [7.0, 13.0, 5.0],
                           poi_bounds=(0.0, 100.0), **options)


CASES = {
    "same units": ([atlas_like, cms_like], [1.0, 1.0]),
    "scaled cms": ([atlas_like, small_signal_cms], [1.0, 10.0]),
}


@pytest.fixture(params=list(CASES))
def case(request):
    makers, scales = CASES[request.param]
    components = [lh.StatisticalModel(make()) for make in makers]
    combined = lh.combine(*components, names=["atlas", "cms"], signal_scales=scales)
    return combined, components, scales


def nested_profile(components, scales, mu, data=None):
    """Sum of the components' profile -log L at their POIs s_k mu (data: one set per component)."""
    data = data or [None] * len(components)
    return sum(c.likelihood(s * mu, data=d) for c, s, d in zip(components, scales, data, strict=True))


@pytest.mark.parametrize("mu", [0.0, 0.4, 1.0, 2.5])
def test_profile_likelihood_is_the_nested_profile(case, mu):
    combined, components, scales = case
    assert combined.likelihood(mu) == pytest.approx(nested_profile(components, scales, mu),
                                                    abs=NLL_ATOL)


def test_best_fit_is_the_minimum_of_the_nested_profile(case):
    combined, components, scales = case
    outer = minimize_scalar(lambda mu: nested_profile(components, scales, mu), bounds=(0.0, 10.0),
                            method="bounded", options={"xatol": 1e-7})
    best = combined.fit()
    assert best.nll == pytest.approx(outer.fun, abs=NLL_ATOL)
    # sigma(mu-hat) ~ 0.5 (the fit's uncertainty); -log L within 1e-6 of the minimum puts mu-hat
    # within sqrt(2e-6) * 0.5 ~ 7e-4 of it
    assert best["mu"] == pytest.approx(outer.x, abs=1e-3)


def test_scaled_component_is_the_same_likelihood():
    # signal s with POI mu, and signal s/10 with POI 10 mu: the same likelihood (closed form)
    plain = lh.combine(atlas_like(), cms_like())
    scaled = lh.combine(atlas_like(), small_signal_cms(), signal_scales={"model1": 10.0})
    pars = np.array([1.3, 0.2, -0.4, 0.6, 0.1, -0.2])
    assert scaled.logpdf(pars) == pytest.approx(plain.logpdf(pars), rel=1e-14)
    np.testing.assert_allclose(scaled.backend.value_and_grad(pars, scaled.data)[1],
                               plain.backend.value_and_grad(pars, plain.data)[1], rtol=1e-12)


@pytest.mark.parametrize("global_observables", ["fitted", "nominal"])
def test_asimov_data_are_the_components_asimov_data(case, global_observables):
    combined, components, scales = case
    parts = [c.asimov_data(0.0, asimov_global_observables=global_observables) for c in components]
    reference = np.concatenate([parts[0][:2], parts[1][:3], parts[0][2:], parts[1][3:]])
    # the conditional fits agree to ~1e-4 in the nuisances (flat minimum, EDM 1e-8)
    np.testing.assert_allclose(
        combined.asimov_data(0.0, asimov_global_observables=global_observables), reference,
        rtol=1e-4, atol=1e-4)
    if global_observables == "nominal":
        np.testing.assert_array_equal(combined.asimov_data(0.0, "nominal")[5:], np.zeros(5))


@pytest.mark.parametrize("global_observables", ["fitted", "nominal"])
@pytest.mark.parametrize("mu", [0.5, 1.5])
def test_asymptotic_cls_is_that_of_the_nested_profile(case, global_observables, mu):
    combined, components, scales = case
    observed_min = minimize_scalar(lambda m: nested_profile(components, scales, m),
                                   bounds=(0.0, 10.0), method="bounded", options={"xatol": 1e-7}).fun
    asimov = [c.asimov_data(0.0, asimov_global_observables=global_observables) for c in components]
    asimov_min = minimize_scalar(lambda m: nested_profile(components, scales, m, asimov),
                                 bounds=(0.0, 10.0), method="bounded", options={"xatol": 1e-7}).fun
    q = 2 * max(nested_profile(components, scales, mu) - observed_min, 0.0)
    q_asimov = 2 * max(nested_profile(components, scales, mu, asimov) - asimov_min, 0.0)
    cls_obs, _, _ = asymptotic_pvalues(np.sqrt(q), np.sqrt(q_asimov), "qtilde")
    result = combined.cls(mu, asimov_global_observables=global_observables)
    # q within ~4e-6 (two profiles each to 1e-6): CLs to ~1e-5 relative
    assert result.cls_obs == pytest.approx(cls_obs, rel=1e-4)
    np.testing.assert_allclose(result.cls_exp, expected_cls_band(np.sqrt(q_asimov)), rtol=1e-4)
