"""-log L of a backend over its free parameters: what the minimisers see, within a budget."""

from __future__ import annotations

import numpy as np

from likelihub.backend.capabilities import capabilities
from likelihub.backend.derivatives import numerical_gradient, numerical_hessian
from likelihub.backend.stacking import is_stack
from likelihub.fits.budget import BudgetExhausted, Deadline

__all__ = ["NegativeLogLikelihood", "MinimiserStuck", "MAX_REPEATS"]

#: Requests for the same point in a row after which a minimiser is taken to be stuck there.
MAX_REPEATS = 1000


class MinimiserStuck(Exception):
    """A minimiser asked for the same point :data:`MAX_REPEATS` times in a row (MIGRAD does where a
    gradient is NaN); the attempt ends there and is judged like any other."""


class NegativeLogLikelihood:
    """-log L of a backend over its free parameters, with a one-point cache for the gradient.

    Every request (value, gradient or Hessian, cached or not) is charged to the budget: past
    ``max_calls`` requests, or past the ``deadline``, the next one raises
    :class:`~likelihub.fits.budget.BudgetExhausted`, which ends the fit wherever the minimiser is (iminuit
    passes it on): a minimiser that loops on one point (MIGRAD can, where a gradient is NaN) is
    stopped too. The lowest finite value seen and its point are kept (``best_x``, ``best_value``).

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
    max_calls
        Requests allowed (None: no limit).
    deadline
        When to stop (None: never).
    """

    def __init__(self, backend, data: np.ndarray, template: np.ndarray, free: np.ndarray,
                 max_calls: int | None = None, deadline: Deadline | None = None):
        self.backend = backend
        self.data = np.asarray(data, dtype=float)
        self.template = np.array(template, dtype=float)
        self.free = np.asarray(free, dtype=bool)
        offered = capabilities(backend)
        self.has_gradient = offered.gradient
        self.has_analytic_hessian = offered.hessian
        self.has_batch_gradient = offered.gradient and offered.batch_derivatives and not is_stack(backend)
        self.n_evaluations = 0
        self.n_requests = 0
        self._repeats = 0
        self.max_calls = max_calls
        self.deadline = deadline
        self.best_x: np.ndarray | None = None
        self.best_value = np.inf
        self._cached_x: np.ndarray | None = None
        self._cached: tuple[float, np.ndarray] | None = None
        self._hessian_x: np.ndarray | None = None
        self._hessian: np.ndarray | None = None

    @property
    def last_x(self) -> np.ndarray | None:
        """The point of the last value and gradient computed."""
        return self._cached_x

    def full(self, x: np.ndarray) -> np.ndarray:
        """The full parameter vector for the free parameters ``x``."""
        pars = self.template.copy()
        pars[self.free] = x
        return pars

    def _charge(self) -> None:
        self.n_requests += 1
        if self.max_calls is not None and self.n_requests > self.max_calls:
            raise BudgetExhausted(f"the fit spent its budget of {self.max_calls} evaluations "
                                  "(fit option max_calls)", out_of_time=False)
        if self.deadline is not None:
            self.deadline.check()

    def remaining_calls(self) -> int:
        """Requests left in the budget (at least 1; a large number where there is no limit)."""
        if self.max_calls is None:
            return 10**9
        return max(self.max_calls - self.n_requests, 1)

    def _seen(self, x: np.ndarray, value: float) -> None:
        if value < self.best_value:
            self.best_value, self.best_x = value, np.array(x, dtype=float)

    def __call__(self, x: np.ndarray) -> float:
        if self.has_gradient:
            return self.value_and_grad(x)[0]
        self._charge()
        self.n_evaluations += 1
        value = -float(self.backend.logpdf(self.full(x), self.data))
        value = value if np.isfinite(value) else np.inf
        self._seen(x, value)
        return value

    def value_and_grad(self, x: np.ndarray) -> tuple[float, np.ndarray]:
        """-log L and its gradient over the free parameters."""
        x = np.asarray(x, dtype=float)
        if self._cached_x is not None and np.array_equal(x, self._cached_x):
            self._charge()
            self._repeats += 1
            if self._repeats >= MAX_REPEATS:
                self._repeats = 0
                raise MinimiserStuck(f"the minimiser asked for one point {MAX_REPEATS} times in a row")
            return self._cached
        self._repeats = 0
        if self.has_gradient:
            self._charge()
            self.n_evaluations += 1
            value, grad = self.backend.value_and_grad(self.full(x), self.data)
            value, grad = -float(value), -np.asarray(grad, dtype=float)[self.free]
        else:
            value = self(x)
            grad = numerical_gradient(self, x)
        if not np.isfinite(value):
            value = np.inf
        self._seen(x, value)
        self._cached_x, self._cached = x.copy(), (value, grad)
        return value, grad

    def values_and_grads(self, points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """-log L (M,) and its gradients (M, F) at ``points`` (M, F) of the free parameters: one call
        of the backend's batch derivatives where it has them (the probes around a kink,
        :mod:`likelihub.fits.kinks`), else point by point. Each point is a request of the budget."""
        points = np.atleast_2d(np.asarray(points, dtype=float))
        if not self.has_batch_gradient:
            pairs = [self.value_and_grad(x) for x in points]
            return np.array([v for v, _ in pairs]), np.array([g for _, g in pairs])
        for _ in points:
            self._charge()
        self.n_evaluations += len(points)
        full = np.repeat(self.template[None, :], len(points), axis=0)
        full[:, self.free] = points
        data = np.broadcast_to(self.data, (len(points), self.data.size))
        values, grads = self.backend.value_and_grad_batch(full, data)
        values = -np.asarray(values, dtype=float)
        values = np.where(np.isfinite(values), values, np.inf)
        grads = -np.asarray(grads, dtype=float)[:, self.free]
        best = int(np.argmin(values))
        self._seen(points[best], float(values[best]))
        return values, grads

    def hessians(self, points: np.ndarray) -> np.ndarray:
        """Hessians (M, F, F) of -log L at ``points`` (M, F): the backend's batch Hessians in one call
        where it has them, else point by point. Each point is a request of the budget."""
        points = np.atleast_2d(np.asarray(points, dtype=float))
        if not (self.has_batch_gradient and self.has_analytic_hessian):
            return np.array([self.hessian(x) for x in points])
        for _ in points:
            self._charge()
        full = np.repeat(self.template[None, :], len(points), axis=0)
        full[:, self.free] = points
        data = np.broadcast_to(self.data, (len(points), self.data.size))
        hessians = -np.asarray(self.backend.hessian_batch(full, data), dtype=float)
        return hessians[:, self.free][:, :, self.free]

    def grad(self, x: np.ndarray) -> np.ndarray:
        """Gradient of -log L over the free parameters."""
        return self.value_and_grad(x)[1]

    def hessian(self, x: np.ndarray) -> np.ndarray:
        """Hessian of -log L over the free parameters (analytic when the backend has one); the last
        one is kept, since a minimiser and the check of its minimum often ask at the same point."""
        x = np.asarray(x, dtype=float)
        self._charge()
        if self._hessian_x is not None and np.array_equal(x, self._hessian_x):
            return self._hessian
        if self.has_analytic_hessian:
            full = -np.asarray(self.backend.hessian(self.full(x), self.data), dtype=float)
            hessian = full[np.ix_(self.free, self.free)]
        else:
            hessian = numerical_hessian(self.grad, x)
        self._hessian_x, self._hessian = x.copy(), hessian
        return hessian
