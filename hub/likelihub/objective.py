"""-log L of a backend over its free parameters: what the minimisers see."""

from __future__ import annotations

import numpy as np

from .derivatives import numerical_gradient, numerical_hessian

__all__ = ["NegativeLogLikelihood"]


class NegativeLogLikelihood:
    """-log L of a backend over its free parameters, with a one-point cache for the gradient.

    Parameters
    ----------
    backend
        Any object satisfying the backend contract.
    data
        Data set (main then auxiliary).
    template
        Full parameter vector; entries of fixed parameters are taken from it.
    free
        Boolean mask of the free parameters.
    """

    def __init__(self, backend, data: np.ndarray, template: np.ndarray, free: np.ndarray):
        self.backend = backend
        self.data = np.asarray(data, dtype=float)
        self.template = np.array(template, dtype=float)
        self.free = np.asarray(free, dtype=bool)
        self.has_gradient = callable(getattr(backend, "value_and_grad", None))
        self.has_analytic_hessian = callable(getattr(backend, "hessian", None))
        self.n_evaluations = 0
        self._cached_x: np.ndarray | None = None
        self._cached: tuple[float, np.ndarray] | None = None
        self._hessian_x: np.ndarray | None = None
        self._hessian: np.ndarray | None = None

    def full(self, x: np.ndarray) -> np.ndarray:
        """The full parameter vector for the free parameters ``x``."""
        pars = self.template.copy()
        pars[self.free] = x
        return pars

    def __call__(self, x: np.ndarray) -> float:
        if self.has_gradient:
            return self.value_and_grad(x)[0]
        self.n_evaluations += 1
        value = -float(self.backend.logpdf(self.full(x), self.data))
        return value if np.isfinite(value) else np.inf

    def value_and_grad(self, x: np.ndarray) -> tuple[float, np.ndarray]:
        """-log L and its gradient over the free parameters."""
        x = np.asarray(x, dtype=float)
        if self._cached_x is not None and np.array_equal(x, self._cached_x):
            return self._cached
        if self.has_gradient:
            self.n_evaluations += 1
            value, grad = self.backend.value_and_grad(self.full(x), self.data)
            value, grad = -float(value), -np.asarray(grad, dtype=float)[self.free]
        else:
            value = self(x)
            grad = numerical_gradient(self, x)
        if not np.isfinite(value):
            value = np.inf
        self._cached_x, self._cached = x.copy(), (value, grad)
        return value, grad

    def grad(self, x: np.ndarray) -> np.ndarray:
        """Gradient of -log L over the free parameters."""
        return self.value_and_grad(x)[1]

    def hessian(self, x: np.ndarray) -> np.ndarray:
        """Hessian of -log L over the free parameters (analytic when the backend has one); the last
        one is kept, since a minimiser and the check of its minimum often ask at the same point."""
        x = np.asarray(x, dtype=float)
        if self._hessian_x is not None and np.array_equal(x, self._hessian_x):
            return self._hessian
        if self.has_analytic_hessian:
            full = -np.asarray(self.backend.hessian(self.full(x), self.data), dtype=float)
            hessian = full[np.ix_(self.free, self.free)]
        else:
            hessian = numerical_hessian(self.grad, x)
        self._hessian_x, self._hessian = x.copy(), hessian
        return hessian
