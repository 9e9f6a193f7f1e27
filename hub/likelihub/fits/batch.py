"""Many fits in lock-step: a vectorised projected-Newton minimiser for toys and scans.

For backends with the batch capabilities ``value_and_grad_batch(pars (N, P), data (N, D)) ->
(logpdf (N,), grad (N, P))`` and ``hessian_batch(pars, data) -> (N, P, P)``, :func:`fit_batch`
minimises -log L of N data sets at once with :func:`likelihub.fits.newton.newton_batch`, the projected
Newton minimiser that single fits run as a batch of one: each fit takes the path it would take
alone (the same steps from the same start, hence the same minimum where a likelihood has
several). Each fit is judged by its own minimum, the estimated distance to it (EDM = 1/2 g^T H^-1 g
with the exact Hessian) below ``edm_max``; fits that do not get there are redone one by one with
:func:`likelihub.fits.engine.fit` (Newton alone, then MIGRAD and its retries, within their budget).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import numpy as np

from likelihub.backend.capabilities import capabilities
from likelihub.backend.stacking import is_stack
from likelihub.errors import FitTimeLimitError
from likelihub.fits.blas import single_blas_thread
from likelihub.fits.budget import BudgetExhausted, Deadline
from likelihub.fits.engine import DEFAULT_EDM_MAX, fit
from likelihub.fits.fixing import fit_parameters
from likelihub.fits.newton import newton_batch
from likelihub.fits.result import FitResult, FitResults

__all__ = ["fit_batch", "lockstep_newton", "refit_unconverged", "supports_batch_fits"]


def supports_batch_fits(backend) -> bool:
    """Whether ``backend`` has ``value_and_grad_batch`` and ``hessian_batch``."""
    return capabilities(backend).batch_derivatives


def _batch_calls(backend, members):
    """(value_and_grad, hessian) of rows ``rows`` of a batch: a stack of models
    (:mod:`likelihub.backend.stacking`) evaluates row k with its member ``members[k]``."""
    if is_stack(backend):
        return (lambda pars, data, rows: backend.value_and_grad_batch(pars, data, members[rows]),
                lambda pars, data, rows: backend.hessian_batch(pars, data, members[rows]))
    return (lambda pars, data, rows: backend.value_and_grad_batch(pars, data),
            lambda pars, data, rows: backend.hessian_batch(pars, data))


def lockstep_newton(backend, data: np.ndarray, *, fixed_values: Mapping[int, float] | None = None,
                    init: np.ndarray | None = None, bounds: np.ndarray | None = None,
                    edm_max: float = DEFAULT_EDM_MAX, max_iterations: int = 100,
                    members: np.ndarray | None = None, deadline: Deadline | None = None) -> FitResults:
    """Projected-Newton fits of N data sets advancing together, with no fallback.

    Parameters as :func:`fit_batch`. Returns the fits' :class:`~likelihub.fits.result.FitResults`
    (``method`` "newton (lock-step)"); fits that do not converge are returned where they stopped,
    with ``converged`` False. The work is bounded by ``max_iterations`` Newton iterations of at
    most 30 line-search steps; past the ``deadline`` (checked at each iteration)
    :class:`~likelihub.fits.budget.FitTimeLimitError` is raised.
    """
    with single_blas_thread():
        return _lockstep_newton(backend, data, fixed_values, init, bounds, edm_max, max_iterations,
                                members, deadline)


def _lockstep_newton(backend, data, fixed_values, init, bounds, edm_max, max_iterations, members,
                     deadline) -> FitResults:
    config = backend.config
    data = np.atleast_2d(np.asarray(data, dtype=float))
    n = data.shape[0]
    members = np.arange(n) if members is None else np.asarray(members, dtype=np.int64)
    value_and_grad, hessian = _batch_calls(backend, members)
    parameters = fit_parameters(config, fixed_values=fixed_values, init=init, bounds=bounds, rows=n)
    x, bounds, fixed, free = parameters.start, parameters.bounds, parameters.fixed, parameters.free

    def full(points, rows):
        pars = x[rows].copy()
        pars[:, free] = points
        return pars

    def evaluate(points, rows):
        value, grad = value_and_grad(full(points, rows), data[rows], rows)
        return -np.asarray(value, float), -np.asarray(grad, float)[:, free]

    index = np.flatnonzero(free)

    def hessians(points, rows):
        h = np.asarray(hessian(full(points, rows), data[rows], rows), float)
        if free.all():
            return -h
        h = h[:, index[:, None], index[None, :]]  # a copy of ours: negated in place
        return np.negative(h, out=h)

    try:
        fits = newton_batch(evaluate, hessians, x[:, free], bounds[free, 0], bounds[free, 1], edm_max,
                            max_iterations, deadline)
    except BudgetExhausted as exhausted:
        raise FitTimeLimitError(f"lock-step fits of {n} data sets: {exhausted.reason}") from None
    x[:, free] = fits.values
    return FitResults(x, fits.nll, fits.converged, fits.edm, fits.n_evaluations,
                      parameter_names=tuple(config.parameter_names), fixed=fixed)


def fit_batch(backend, data: np.ndarray, *, fixed_values: Mapping[int, float] | None = None,
              init: np.ndarray | None = None, bounds: np.ndarray | None = None,
              edm_max: float = DEFAULT_EDM_MAX, max_iterations: int = 100,
              fit_options: Mapping | None = None, members: np.ndarray | None = None,
              deadline: Deadline | None = None, label: str = "data set", first: int = 0
              ) -> FitResults:
    """Fit N data sets at once: :func:`lockstep_newton`, then the fits it left unconverged one by one.

    Parameters
    ----------
    backend
        Backend with ``value_and_grad_batch`` and ``hessian_batch``, or a stack of models
        (:class:`likelihub.backend.stacking.BackendStack`: row k of ``data`` is member ``members[k]``'s).
    data
        (N, D) data sets.
    fixed_values
        {index: value} of parameters held fixed (on top of the config's fixed ones).
    init
        (P,) or (N, P) starting points; the config's initial values by default.
    bounds
        (P, 2) bounds; the config's by default.
    edm_max
        Largest accepted estimated distance to the minimum.
    max_iterations
        Newton iterations before the remaining fits go to :func:`likelihub.fits.engine.fit`.
    fit_options
        Keywords for the one-by-one fallback fits.
    members
        For a stack: the member of each row (default: row k is member k).
    deadline
        The inference call's :class:`~likelihub.fits.budget.Deadline`, for every fit (None: the fit
        options' ``time_limit`` from now, for each fallback fit).
    label, first
        What the rows are, for the messages of their fits: row k is "<label> <first + k>".

    Returns
    -------
    FitResults
        (N, P) best-fit ``values``, (N,) ``nll`` at the minima, ``converged``, ...; each fit's
        ``method``: "newton (lock-step)", or its fallback fit's.
    """
    fits = lockstep_newton(backend, data, fixed_values=fixed_values, init=init, bounds=bounds,
                           edm_max=edm_max, max_iterations=max_iterations, members=members,
                           deadline=deadline)
    data = np.atleast_2d(np.asarray(data, dtype=float))
    members = np.arange(len(data)) if members is None else np.asarray(members, dtype=np.int64)
    start = np.broadcast_to(np.array(backend.config.init if init is None else init, dtype=float),
                            fits.values.shape)
    kind = "free fit" if not fixed_values else "conditional fit"
    options = dict(fit_options or {}, raise_on_failure=False, edm_max=edm_max)

    def refit(i: int, restart: np.ndarray) -> FitResult:
        model = backend.member_in_stack_order(members[i]) if is_stack(backend) else backend
        return fit(model, data[i], fixed_values=fixed_values, init=restart, bounds=bounds,
                   deadline=deadline, description=f"{kind} of {label} {first + i}", **options)

    return refit_unconverged(fits, start, refit)


def refit_unconverged(fits: FitResults, start: np.ndarray,
                      refit: Callable[[int, np.ndarray], FitResult]) -> FitResults:
    """The fallback of lock-step fits: each fit of ``fits`` that did not converge redone alone,
    ``refit(row, init)`` (:func:`likelihub.fits.engine.fit`), from where it stopped, or from
    ``start[row]`` where -log L is not finite there; its result replaces the row (in place)."""
    for i in np.flatnonzero(~fits.converged):
        fits.set_row(i, refit(i, fits.values[i] if np.isfinite(fits.nll[i]) else start[i]))
    return fits
