"""The fits of an impact ranking: N conditional fits of one model and one data set, fit k holding
its own parameter ``held[k] = (index, value)`` fixed and fitting all others, made in lock-step.

The core's lock-step solver (:func:`likelihub.fits.newton.newton_batch`, the one every fit runs)
fixes the same parameters in every row. Here each row holds a different one: all rows share the
free parameters of the model, and in row k the held parameter's gradient component is zeroed and
its row and column of the Hessian replaced by the identity, so that Newton's step (and the BFGS
updates between exact Hessians, whose steps and gradient changes are zero there) never moves it;
the EDM ignores it, as it would a fixed parameter. Each row thus takes the path of a fit with that
parameter fixed. Rows that do not converge are redone alone by :func:`likelihub.fits.engine.fit`
(Newton, MIGRAD and its retries) with the parameter fixed; backends without batch derivatives
fit every row that way.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from likelihub.backend.capabilities import capabilities
from likelihub.errors import FitTimeLimitError
from likelihub.fits.blas import single_blas_thread
from likelihub.fits.budget import BudgetExhausted, deadline_from
from likelihub.fits.engine import DEFAULT_EDM_MAX, fit
from likelihub.fits.newton import newton_batch
from likelihub.fits.result import FitResults

__all__ = ["fits_holding_one"]


def _lockstep(backend, data, held, start, bounds, edm_max, deadline) -> FitResults:
    config = backend.config
    n, p = len(held), config.n_parameters
    free = ~np.array(config.fixed, dtype=bool)
    column = np.cumsum(free) - 1  # a parameter's column among the free ones
    x = np.broadcast_to(np.asarray(start, dtype=float), (n, p)).copy()
    mask = np.zeros((n, int(free.sum())), dtype=bool)
    for k, (index, value) in enumerate(held):
        x[k, index] = value
        mask[k, column[index]] = True
    data = np.broadcast_to(np.asarray(data, dtype=float), (n, np.asarray(data).size))
    index = np.flatnonzero(free)

    def full(points, rows):
        pars = x[rows].copy()
        pars[:, free] = points
        return pars

    def evaluate(points, rows):
        value, grad = backend.value_and_grad_batch(full(points, rows), data[rows])
        grad = -np.asarray(grad, dtype=float)[:, free]
        grad[mask[rows]] = 0.0
        return -np.asarray(value, dtype=float), grad

    def hessians(points, rows):
        h = -np.asarray(backend.hessian_batch(full(points, rows), data[rows]), dtype=float)
        h = np.ascontiguousarray(h[:, index[:, None], index[None, :]])
        k, j = np.nonzero(mask[rows])
        h[k, j, :] = 0.0
        h[k, :, j] = 0.0
        h[k, j, j] = 1.0
        return h

    try:
        with single_blas_thread():
            fits = newton_batch(evaluate, hessians, x[:, free], bounds[free, 0], bounds[free, 1], edm_max,
                                100, deadline)
    except BudgetExhausted as exhausted:
        raise FitTimeLimitError(f"impact fits of {n} parameters: {exhausted.reason}") from None
    x[:, free] = fits.values
    return FitResults(x, fits.nll, fits.converged, fits.edm, fits.n_evaluations,
                      parameter_names=tuple(config.parameter_names))


def fits_holding_one(backend, data: np.ndarray, held: Sequence[tuple[int, float]], start: np.ndarray, *,
                     fit_options: Mapping | None = None) -> FitResults:
    """Fit k holds parameter ``held[k][0]`` at ``held[k][1]`` and fits the others from ``start``.

    Parameters
    ----------
    backend
        Any backend; with batch derivatives (and exact gradients and Hessians) the fits run in
        lock-step.
    data
        The data set, main then auxiliary.
    held
        (parameter index, value) of each fit.
    start
        (P,) the starting point of every fit (the best fit), the held value put in place.
    fit_options
        Keywords of :func:`likelihub.fits.engine.fit` (``edm_max``, ``time_limit`` for all the fits
        together, ...).

    Returns
    -------
    FitResults
        One row per held parameter, in the order given.
    """
    options = dict(fit_options or {})
    deadline = deadline_from(options)
    options.pop("time_limit", None)
    edm_max = float(options.get("edm_max", DEFAULT_EDM_MAX))
    bounds = np.array(backend.config.bounds, dtype=float)
    for index, value in held:  # a held value outside the bounds widens them (as a fixed one does)
        bounds[index] = (min(bounds[index, 0], value), max(bounds[index, 1], value))
    offered = capabilities(backend)
    start = np.asarray(start, dtype=float)
    if held and offered.batch_derivatives and offered.gradient and offered.hessian:
        fits = _lockstep(backend, data, held, start, bounds, edm_max, deadline)
    else:
        n = len(held)
        fits = FitResults(np.tile(start, (n, 1)), np.full(n, np.inf), np.zeros(n, bool), np.full(n, np.inf),
                          np.zeros(n, int), parameter_names=tuple(backend.config.parameter_names))
    for k in np.flatnonzero(~fits.converged):
        index, value = held[k]
        init = fits.values[k] if np.isfinite(fits.nll[k]) else start.copy()
        init[index] = value
        name = backend.config.parameter_names[index]
        fits.set_row(k, fit(backend, data, fixed_values={index: value}, init=init, deadline=deadline,
                            raise_on_failure=False, description=f"impact fit with {name} = {value:g}",
                            **options))
    return fits
