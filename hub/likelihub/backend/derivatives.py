"""Finite-difference derivatives: the fallback for backends without analytic ones."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

__all__ = ["numerical_gradient", "numerical_hessian"]


def _steps(x: np.ndarray, relative: float) -> np.ndarray:
    return relative * np.maximum(1.0, np.abs(x))


def numerical_gradient(
    function: Callable[[np.ndarray], float], x: np.ndarray, relative_step: float = 1e-6
) -> np.ndarray:
    """Central-difference gradient of a scalar function.

    Parameters
    ----------
    function
        Scalar function of a vector.
    x
        Where to differentiate.
    relative_step
        Step size relative to ``max(1, |x_i|)``; error is O(step^2).
    """
    x = np.asarray(x, dtype=float)
    h = _steps(x, relative_step)
    grad = np.empty_like(x)
    for i in range(x.size):
        up, down = x.copy(), x.copy()
        up[i] += h[i]
        down[i] -= h[i]
        grad[i] = (function(up) - function(down)) / (2 * h[i])
    return grad


def numerical_hessian(
    gradient: Callable[[np.ndarray], np.ndarray], x: np.ndarray, relative_step: float = 1e-5
) -> np.ndarray:
    """Hessian from central differences of an (analytic) gradient, symmetrised.

    Parameters
    ----------
    gradient
        Gradient of the function, a vector-valued function of a vector.
    x
        Where to differentiate.
    relative_step
        Step size relative to ``max(1, |x_i|)``.
    """
    x = np.asarray(x, dtype=float)
    h = _steps(x, relative_step)
    hess = np.empty((x.size, x.size))
    for i in range(x.size):
        up, down = x.copy(), x.copy()
        up[i] += h[i]
        down[i] -= h[i]
        hess[i] = (gradient(up) - gradient(down)) / (2 * h[i])
    return 0.5 * (hess + hess.T)
