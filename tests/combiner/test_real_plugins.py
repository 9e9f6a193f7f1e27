"""The combiner on real plugins: an ATLAS full likelihood (histfactory) and a CMS simplified one.

Reference: the nested profile, each component fitted alone at fixed mu (see test_nested_profile.py).
"""

from __future__ import annotations

import json

import numpy as np
import pytest

import likelihub as lh
from likelihub.backend.checks import check_backend

pytest.importorskip("likelihub_histfactory")
pytest.importorskip("likelihub_simplified")

# An illustrative signal in the 22 regions of CMS-SUS-20-004 (as examples/recast_atlas_cms.py).
CMS_SIGNAL = [0.0, 0.0, 0.15, 0.15, 0.0, 0.0, 0.3, 0.6, 0.0, 0.15, 0.0, 0.45,
              0.3, 0.15, 0.09, 0.15, 0.0, 0.15, 0.15, 0.15, 0.3, 0.24]


@pytest.fixture(scope="module")
def components(shared_data):
    atlas = lh.get_backend("histfactory")(
        shared_data / "histfactory" / "atlas-susy-2018-31-sbottom.tar.gz",
        member="RegionA/BkgOnly.json", patches=["RegionA/patch.sbottom_1300_205_60.json"])
    inputs = json.loads((shared_data / "simplified" / "CMS-SUS-20-004-eff.json").read_text())
    cms = lh.get_backend("simplified.third_moment_expansion")(
        signal_yields=CMS_SIGNAL, background_yields=inputs["background"], data=inputs["observed"],
        covariance_matrix=inputs["covariance"], third_moment=inputs["third_moment"])
    return atlas, cms


@pytest.fixture(scope="module")
def combined(components):
    return lh.combine(*components, names=["atlas", "cms"])


def test_layout_and_contract(components, combined):
    atlas, cms = components
    assert combined.config.n_parameters == atlas.config.n_parameters + cms.config.n_parameters - 1
    assert combined.config.n_main == atlas.config.n_main + cms.config.n_main
    n_atlas = atlas.config.n_main
    np.testing.assert_array_equal(combined.data[:n_atlas], atlas.data[:n_atlas])
    np.testing.assert_array_equal(combined.data[n_atlas:combined.config.n_main],
                                  cms.data[:cms.config.n_main])
    check_backend(combined.backend, rtol=1e-4)


@pytest.mark.parametrize("mu", [0.5, 1.5])
def test_profile_likelihood_is_the_nested_profile(components, combined, mu):
    atlas, cms = components
    # each fit to an EDM of 1e-8 in -log L: sums agree to ~1e-6
    assert combined.likelihood(mu) == pytest.approx(atlas.likelihood(mu) + cms.likelihood(mu), abs=1e-5)


def test_asimov_data_are_the_components_asimov_data(components, combined):
    atlas, cms = components
    parts = [m.asimov_data(0.0, asimov_global_observables="nominal") for m in components]
    n_atlas, n_cms = atlas.config.n_main, cms.config.n_main
    reference = np.concatenate([parts[0][:n_atlas], parts[1][:n_cms], parts[0][n_atlas:],
                                parts[1][n_cms:]])
    # conditional fits of 90 parameters agree to ~1e-3 in the nuisances (flat directions)
    np.testing.assert_allclose(combined.asimov_data(0.0, asimov_global_observables="nominal"),
                               reference, rtol=1e-3, atol=1e-3)


def test_batch_derivatives_pass_through(shared_data):
    inputs = json.loads((shared_data / "simplified" / "SModelS-unittest-trivial.json").read_text())
    build = lh.get_backend("simplified.correlated_background")
    trivial = build(signal_yields=inputs["signal"], background_yields=inputs["background"],
                    data=inputs["observed"], covariance_matrix=inputs["covariance"])
    # a second measurement with other counts: the same model twice would count its data twice
    other = build(signal_yields=inputs["signal"], background_yields=inputs["background"],
                  data=[n + 1 for n in inputs["observed"]], covariance_matrix=inputs["covariance"])
    backend = lh.combine(trivial, other, names=["a", "b"], signal_scales=[1.0, 2.0]).backend
    assert callable(backend.value_and_grad_batch) and callable(backend.hessian_batch)
    rng = np.random.default_rng(3)
    pars = backend.config.init + rng.uniform(-0.3, 0.3, (4, backend.config.n_parameters))
    data = backend.sample(backend.config.init, 4, rng)
    values, grads = backend.value_and_grad_batch(pars, data)
    hessians = backend.hessian_batch(pars, data)
    for i in range(4):
        value, grad = backend.value_and_grad(pars[i], data[i])
        assert values[i] == pytest.approx(value, rel=1e-12)
        np.testing.assert_allclose(grads[i], grad, rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(hessians[i], backend.hessian(pars[i], data[i]), rtol=1e-12, atol=1e-12)
