"""Projected Newton minimisation with an exact Hessian, for backends that have one.

Newton steps on the parameters not held at a bound, with a Levenberg shift where the Hessian
is not positive definite, and a backtracking line search along the projected path. It converges
in a handful of iterations where MIGRAD must first learn the curvature; :func:`likelihub.optimize.fit`
tries it first for backends with an analytic Hessian and judges its result like any other (the
estimated distance to the minimum and the gradient probe), falling back to MIGRAD otherwise.
"""

from __future__ import annotations

import numpy as np
from scipy.linalg.lapack import dpotrf, dtrtri

__all__ = ["levenberg_factor", "newton_minimise"]


def levenberg_factor(hessian: np.ndarray) -> tuple[tuple, float]:
    """Cholesky factor of H + lambda I with the smallest lambda of 0, 1e-8, 1e-7, ... (x scale)
    that makes it positive definite; also lambda. Cholesky tries only (LAPACK's dpotrf, called
    directly: this runs for every toy of a batch): the eigenvalue routines run threaded LAPACK,
    which is slow for small matrices on a busy machine. The factor is ``cho_factor``'s
    ``(lower triangle, True)``."""
    factor, info = dpotrf(hessian, lower=1, clean=1)
    if info == 0:
        return (factor, True), 0.0
    if not np.all(np.isfinite(hessian)):
        raise np.linalg.LinAlgError("the Hessian is not finite")
    scale = max(1.0, float(np.abs(np.diagonal(hessian)).max()))
    eye = np.eye(len(hessian))
    for k in range(-8, 3):
        shift = scale * 10.0**k
        factor, info = dpotrf(hessian + shift * eye, lower=1, clean=1)
        if info == 0:
            return (factor, True), shift
    raise np.linalg.LinAlgError("no Levenberg shift makes the Hessian positive definite")


def _inverse_from_cholesky(factor: tuple) -> np.ndarray:
    """H^-1 = L^-T L^-1 from ``cho_factor``'s lower factor L. Not ``cho_solve(factor, I)``: its
    multi-column triangular solve rounds differently with the number of BLAS threads, and a fit
    must give the same numbers in a scan's single-threaded worker as in the main process."""
    lower, info = dtrtri(np.tril(factor[0]), lower=1)
    if info != 0:
        raise np.linalg.LinAlgError("the Cholesky factor is singular")
    return lower.T @ lower


def _held_at_bounds(x, grad, low, high, tolerance):
    """Parameters a gradient pushes against a bound they (nearly) sit on: moving them onto it
    would gain less than ``tolerance`` (the criterion of :func:`~.minimum_checks.projected_gradient`)."""
    with np.errstate(invalid="ignore"):  # 0 * inf where a bound is infinite: not held
        at_low = (grad > 0) & (grad * (x - low) <= tolerance)
        at_high = (grad < 0) & (-grad * (high - x) <= tolerance)
    return at_low | at_high


def newton_minimise(objective, x0: np.ndarray, bounds: np.ndarray, edm_max: float,
                    max_iterations: int = 100) -> np.ndarray:
    """Minimise ``objective`` (with ``value_and_grad`` and ``hessian``) from ``x0`` within ``bounds``.

    Steps use the inverse of the exact Hessian (Levenberg-shifted where needed), kept up to date
    between exact Hessians by BFGS updates from the gradients, which cost a fraction of a Hessian;
    the Hessian is computed anew where the set of parameters held at bounds changes, where the
    line search had to shorten a step, and always to confirm convergence. Returns the last point
    reached; the caller judges whether it is a minimum.
    """
    low, high = bounds[:, 0], bounds[:, 1]
    x = np.clip(np.asarray(x0, dtype=float), low, high)
    value, grad = objective.value_and_grad(x)
    inverse, inverse_free, exact = None, None, False
    for _ in range(max_iterations):
        if not np.isfinite(value):
            break
        free = ~_held_at_bounds(x, grad, low, high, 0.1 * edm_max)
        if not free.any():
            break
        if inverse is None or not np.array_equal(free, inverse_free):
            try:
                factor, shift = levenberg_factor(objective.hessian(x)[np.ix_(free, free)])
            except np.linalg.LinAlgError:
                break
            inverse = _inverse_from_cholesky(factor)
            inverse_free, exact = free, shift == 0.0
        step = np.zeros_like(x)
        step[free] = -inverse @ grad[free]
        edm = 0.5 * float(-grad[free] @ step[free])
        if edm <= edm_max:
            if not exact:
                inverse = None  # confirm with the exact Hessian here
                continue
            if edm > 1e-4 * edm_max:
                # The last Newton step costs one evaluation and squares the remaining error.
                trial = np.clip(x + step, low, high)
                trial_value, _ = objective.value_and_grad(trial)
                if np.isfinite(trial_value) and trial_value <= value:
                    x = trial
            break
        length, accepted = 1.0, False
        for _ in range(40):
            trial = np.clip(x + length * step, low, high)
            trial_value, trial_grad = objective.value_and_grad(trial)
            decrease = float(grad @ (trial - x))
            if np.isfinite(trial_value) and trial_value <= value + 1e-4 * min(decrease, 0.0) + 1e-15:
                accepted = True
                break
            length *= 0.5
        if not accepted:
            if exact:
                break
            inverse = None  # the updated inverse misled the step: try the exact Hessian first
            continue
        s_step, y_step = (trial - x)[free], (trial_grad - grad)[free]
        x, value, grad = trial, trial_value, trial_grad
        curvature = float(s_step @ y_step)
        if length < 1.0 or not curvature > 1e-12 * np.linalg.norm(s_step) * np.linalg.norm(y_step):
            inverse = None  # the quadratic model was poor here: a fresh Hessian next time
            continue
        rho = 1.0 / curvature
        h_y = inverse @ y_step
        inverse = (inverse - rho * (np.outer(s_step, h_y) + np.outer(h_y, s_step))
                   + (rho**2 * float(y_step @ h_y) + rho) * np.outer(s_step, s_step))
        exact = False
    return x
