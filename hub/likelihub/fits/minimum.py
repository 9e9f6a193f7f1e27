"""Is this a minimum? Checks that do not take a minimiser's word for it.

The estimated distance to the minimum (EDM, 1/2 g^T H^-1 g) is computed on the gradient
projected onto the bounds, and a probe along the gradient measures the curvature there itself,
so that a minimiser's wrong Hessian estimate cannot hide a point that is no minimum.
"""

from __future__ import annotations

import numpy as np
from scipy.linalg import solve_triangular

from likelihub.fits.newton import held_at_bounds, levenberg_factor

__all__ = ["projected_gradient", "estimated_distance", "distance_with_hessian", "descent_along_gradient",
           "positive_definite", "away_from_bounds"]


def projected_gradient(grad: np.ndarray, x: np.ndarray, bounds: np.ndarray,
                       tolerance: float) -> np.ndarray:
    """Gradient with the components that push against a bound the parameter (nearly) sits on set
    to zero: "nearly" means that moving it onto the bound would gain less than ``tolerance``
    (:func:`~likelihub.fits.newton.held_at_bounds`, the rule the Newton steps follow)."""
    g = grad.copy()
    g[held_at_bounds(x, grad, bounds[:, 0], bounds[:, 1], tolerance)] = 0.0
    return g


def estimated_distance(grad: np.ndarray, inverse_hessian: np.ndarray | None) -> float:
    if inverse_hessian is None:
        return float("inf")
    with np.errstate(over="ignore", invalid="ignore"):
        edm = float(0.5 * grad @ inverse_hessian @ grad)
    return edm if np.isfinite(edm) else float("inf")


def descent_along_gradient(objective, x: np.ndarray, grad: np.ndarray, bounds: np.ndarray) -> float:
    """-log L that a Newton step along the (projected) gradient would still gain: |g|^2 / (2 kappa).

    kappa, the curvature along g, comes from one more gradient evaluation. This does not trust the
    minimiser's own Hessian estimate, which can be wrong where it stopped early (e.g. a start on a
    bound): a large value means the point is not a minimum whatever the minimiser says.
    """
    with np.errstate(all="ignore"):
        gain = _probe(objective, x, grad, bounds)
    return gain if np.isfinite(gain) else float("inf")


def _probe(objective, x: np.ndarray, grad: np.ndarray, bounds: np.ndarray) -> float:
    norm = float(np.linalg.norm(grad))
    if norm == 0.0:
        return 0.0
    direction = -grad / norm
    h = 1e-5 * max(1.0, float(np.linalg.norm(x)))
    trial = np.clip(x + h * direction, bounds[:, 0], bounds[:, 1])
    step = trial - x
    length = float(np.linalg.norm(step))
    if length == 0.0:
        return 0.0
    _, grad_trial = objective.value_and_grad(trial)
    kappa = float((grad_trial - grad) @ step) / length**2
    slope = float(-grad @ step) / length  # descent rate along the probed step (> 0)
    return float("inf") if not kappa > 0 else slope**2 / (2.0 * kappa)


def away_from_bounds(x: np.ndarray, bounds: np.ndarray) -> np.ndarray:
    """Move starting values that sit exactly on a bound slightly inside (MIGRAD stalls there)."""
    span = bounds[:, 1] - bounds[:, 0]
    nudge = np.where(np.isfinite(span), 1e-3 * np.minimum(span, 1.0), 1e-3)
    x = x.copy()
    x = np.where(x <= bounds[:, 0], np.minimum(bounds[:, 0] + nudge, bounds[:, 1]), x)
    return np.where(x >= bounds[:, 1], np.maximum(bounds[:, 1] - nudge, bounds[:, 0]), x)


def distance_with_hessian(grad: np.ndarray, hessian: np.ndarray) -> float | None:
    """1/2 g^T H^-1 g by a Cholesky factorisation; None where H is not positive definite."""
    if grad.size == 0:
        return 0.0
    try:
        factor = np.linalg.cholesky(0.5 * (hessian + hessian.T))
    except np.linalg.LinAlgError:
        return None
    with np.errstate(all="ignore"):
        # A triangular solve: numpy's general solve runs threaded LAPACK, 100x slower on a busy machine.
        y = solve_triangular(factor, grad, lower=True, check_finite=False)
        edm = 0.5 * float(y @ y)
    return edm if np.isfinite(edm) else None


def positive_definite(hessian: np.ndarray) -> np.ndarray:
    """The Hessian, shifted along the identity (Levenberg) where it is not positive definite."""
    hessian = 0.5 * (hessian + hessian.T)
    if not np.all(np.isfinite(hessian)):
        return np.eye(len(hessian))
    try:
        _, shift = levenberg_factor(hessian)
    except np.linalg.LinAlgError:
        return np.eye(len(hessian))
    return hessian + shift * np.eye(len(hessian)) if shift else hessian
