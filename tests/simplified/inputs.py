"""Inputs shared by the simplified plugin's tests: a 3-bin covariance, third moments, and each
backend's own arguments on them."""

import numpy as np
import pytest

from likelihub_simplified import covariance_to_correlation

COVARIANCE = np.array([[1.0, 0.3, -0.2], [0.3, 4.0, 0.5], [-0.2, 0.5, 2.0]])
THIRD_MOMENT = np.array([0.5, 2.0, -1.0])

#: Each backend's own arguments (besides signal, background and data).
ARGUMENTS = {
    "poisson": {},
    "normal": dict(absolute_uncertainties=np.sqrt(np.diag(COVARIANCE))),
    "multivariate_normal": dict(covariance_matrix=COVARIANCE),
    "uncorrelated_background": dict(absolute_uncertainties=np.sqrt(np.diag(COVARIANCE))),
    "correlated_background": dict(covariance_matrix=COVARIANCE),
    "third_moment_expansion": dict(covariance_matrix=COVARIANCE, third_moment=THIRD_MOMENT),
    "effective_sigma": dict(correlation_matrix=covariance_to_correlation(COVARIANCE),
                            absolute_uncertainty_envelopes=[[1.2, 0.8], [2.5, 1.6], [1.0, 1.4]]),
}


def assert_summed_signal(model, summed, pars2, pars1) -> None:
    """``model`` (two POIs) at mu_a = mu_b = mu equals ``summed`` (one POI) at mu: the same
    likelihood to rounding (1e-12 relative: sums of products regrouped), with the chain rule
    d/dmu = d/dmu_a + d/dmu_b and equal nuisance derivatives (1e-10: rounding)."""
    assert model.logpdf(pars2) == pytest.approx(summed.logpdf(pars1), rel=1e-12, abs=1e-12)
    grad2 = model.backend.value_and_grad(pars2, model.backend.data)[1]
    grad1 = summed.backend.value_and_grad(pars1, summed.backend.data)[1]
    np.testing.assert_allclose(np.r_[grad2[0] + grad2[1], grad2[2:]], grad1, rtol=1e-10, atol=1e-10)
    hess2 = model.backend.hessian(pars2, model.backend.data)
    hess1 = summed.backend.hessian(pars1, summed.backend.data)
    assert hess2[:2, :2].sum() == pytest.approx(hess1[0, 0], rel=1e-10)
    np.testing.assert_allclose(hess2[0, 2:] + hess2[1, 2:], hess1[0, 1:], rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(hess2[2:, 2:], hess1[1:, 1:], rtol=1e-10, atol=1e-12)


def assert_batches_are_rows(backend, pars, data) -> None:
    """The batched kernels equal the single evaluations row by row (the same arithmetic: 1e-12)."""
    values, grads = backend.value_and_grad_batch(pars, data)
    hessians = backend.hessian_batch(pars, data)
    for k in range(len(pars)):
        value, grad = backend.value_and_grad(pars[k], data[k])
        assert values[k] == pytest.approx(value, rel=1e-12)
        np.testing.assert_allclose(grads[k], grad, rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(hessians[k], backend.hessian(pars[k], data[k]), rtol=1e-12, atol=1e-12)


def assert_same_inference(mine, theirs, mus=(1.0,)) -> None:
    """Two models of the same likelihood give the same asymptotic CLs at ``mus`` and the same upper
    limits (1e-9: the same fits, to their tolerance)."""
    for mu in mus:
        cls_mine, cls_theirs = mine.cls(mu), theirs.cls(mu)
        assert cls_mine.cls_obs == pytest.approx(cls_theirs.cls_obs, rel=1e-9, abs=1e-12)
        np.testing.assert_allclose(cls_mine.cls_exp, cls_theirs.cls_exp, rtol=1e-9, atol=1e-12)
    limit_mine, limit_theirs = mine.upper_limit(), theirs.upper_limit()
    assert limit_mine.observed == pytest.approx(limit_theirs.observed, rel=1e-9)
    np.testing.assert_allclose(limit_mine.expected, limit_theirs.expected, rtol=1e-9)
