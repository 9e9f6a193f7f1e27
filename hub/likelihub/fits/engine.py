"""Maximum-likelihood fits.

:func:`fit` minimises -log L of a backend over its free parameters. Fixed parameters
are removed from the minimisation vector (never imposed as constraints). The default
minimiser is iminuit's MIGRAD, fed the backend's analytic gradient when it has one;
``method="scipy"`` uses scipy's L-BFGS-B. A fit is judged by its minimum, not by the
minimiser's word: the estimated distance to the minimum (EDM, 1/2 g^T H^-1 g on the
gradient projected onto the bounds) must be below ``edm_max``; where Newton stalls, most often
on a minimum at a kink of -log L, :mod:`likelihub.fits.kinks` takes over and judges its point by
its own bound on the distance to the minimum (the EDM of a smooth function). Fits that fail are
retried (MIGRAD with a higher strategy, L-BFGS-B, other starting points) and the
lowest valid minimum wins; if none is valid the result is flagged ``converged=False``
and :class:`~likelihub.errors.FitError` is raised unless ``raise_on_failure=False``.

Points where -log L is infinite (a bin with events whose expected count is zero) are rejected by
the line searches, and a start there is moved (:func:`finite_start`). Where -log L is infinite at
a fixed POI value whatever the other parameters (a bin with no background but events, at mu = 0),
the conditional fit returns -log L = +inf, its exact value (so q0 = inf: such data exclude
mu = 0), with the other parameters at their limit as the POI approaches that value from inside
its bounds: the fit at mu + delta (delta = 1e-9 max(1, |mu|); else mu - delta), whose parameters
differ from the limit by O(delta). These are the values the Asimov data and the background-only
toys are built from: the zero-rate bin gets an expected count of exactly zero and the other bins
their best fit, the Asimov data of mu -> 0+ (the nuisance values that maximise the other terms
alone would ignore what the bin's events say about parameters it shares with other bins).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
from iminuit import Minuit
from scipy.optimize import minimize

from likelihub.backend.capabilities import capabilities
from likelihub.errors import FitError, FitTimeLimitError
from likelihub.fits.blas import single_blas_thread
from likelihub.fits.budget import (
    DEFAULT_MAX_CALLS,
    DEFAULT_TIME_LIMIT,
    BudgetExhausted,
    Deadline,
    deadline_from,
)
from likelihub.fits.fixing import fit_parameters
from likelihub.fits.kinks import kink_newton
from likelihub.fits.minimum import (
    away_from_bounds,
    descent_along_gradient,
    distance_with_hessian,
    estimated_distance,
    positive_definite,
    projected_gradient,
)
from likelihub.fits.newton import newton_batch
from likelihub.fits.objective import MinimiserStuck, NegativeLogLikelihood
from likelihub.fits.result import FitResult, FitResults

__all__ = ["FitResult", "FitResults", "fit", "NegativeLogLikelihood", "DEFAULT_EDM_MAX", "finite_start",
           "model_label"]
_log = logging.getLogger(__name__)

#: The largest accepted estimated distance to the minimum, in units of -log L.
DEFAULT_EDM_MAX = 1e-8


@dataclass
class _Attempt:
    x: np.ndarray
    nll: float
    edm: float
    method: str


def _assess(objective, x, bounds, method: str, edm_max: float, inverse_hessian=None) -> _Attempt:
    """The attempt's minimum and its EDM: the larger of the EDM and the gradient probe's gain.

    The EDM uses the backend's analytic Hessian at the minimum, restricted to the parameters not
    held at a bound, where the backend has one; otherwise ``inverse_hessian`` (a callable giving the
    minimiser's estimate, asked for only then: iminuit builds its covariance slowly).
    """
    x = np.array(x, float)
    value, grad = objective.value_and_grad(x)
    g = projected_gradient(grad, x, bounds, edm_max)
    edm = None
    if objective.has_analytic_hessian:
        free = (g != 0) | (grad == 0)
        edm = distance_with_hessian(g[free], objective.hessian(x)[np.ix_(free, free)])
    if edm is None:
        edm = estimated_distance(g, inverse_hessian() if inverse_hessian is not None else None)
    edm = max(edm, descent_along_gradient(objective, x, g, bounds))
    objective.value_and_grad(x)  # leave the cache at the minimum
    return _Attempt(x, value, edm, method)


def _run_minuit(objective, x0, bounds, strategy: int, edm_max: float) -> _Attempt:
    x0 = away_from_bounds(np.asarray(x0, float), bounds)
    # With a gradient, MIGRAD starts from the Hessian at x0 (the backend's, or differences of its
    # gradient) made positive definite: without it, MIGRAD needs about as many iterations as there
    # are parameters to learn the curvature (1849 instead of 53 evaluations on ATLAS 1Lbb).
    hessian = (lambda x: positive_definite(objective.hessian(x))) if objective.has_gradient else False
    minuit = Minuit(objective, x0, grad=objective.grad if objective.has_gradient else None, hessian=hessian)
    minuit.errordef = Minuit.LIKELIHOOD
    minuit.limits = [tuple(b) for b in bounds]
    minuit.strategy = strategy
    minuit.print_level = 0
    # iminuit stops when EDM < 0.002 * tol * errordef.
    minuit.tol = max(edm_max / (0.002 * Minuit.LIKELIHOOD), 1e-8)
    # MIGRAD's own call limit counts values only (not gradients, which it may request at one point
    # for ever): the objective's budget is what bounds the fit.
    try:
        minuit.migrad(ncall=objective.remaining_calls())
    except MinimiserStuck:
        return _assess(objective, objective.last_x, bounds, f"minuit(strategy={strategy}), stuck",
                       edm_max)

    def covariance():
        # Minuit's covariance is errordef * 2 * H^-1 for -log L with errordef 0.5, i.e. H^-1.
        return None if minuit.covariance is None else np.array(minuit.covariance)

    return _assess(objective, np.array(minuit.values), bounds, f"minuit(strategy={strategy})", edm_max,
                   covariance)


def _run_newton(objective, x0, bounds, edm_max: float) -> _Attempt:
    """Projected Newton (:func:`~likelihub.fits.newton.newton_batch`) on a batch of one: the
    objective's value, gradient and Hessian as the batch's. It may start on a bound (MIGRAD may
    not): the Asimov data's free fit starts at its exact minimum, with the POI on its lower bound.
    The objective's budget and deadline bound it (they raise in its calls)."""

    def evaluate(points, rows):
        value, grad = objective.value_and_grad(points[0])
        return np.array([value]), grad[None, :]

    def hessian(points, rows):
        return objective.hessian(points[0])[None, :, :]

    fits = newton_batch(evaluate, hessian, np.asarray(x0, float)[None, :], bounds[:, 0], bounds[:, 1],
                        edm_max)
    return _assess(objective, fits.values[0], bounds, "newton", edm_max)


def _run_kink_newton(objective, x0, bounds, edm_max: float) -> _Attempt:
    """The bundle-Newton iteration of :mod:`likelihub.fits.kinks` from where Newton stopped: a
    minimum on a kink of -log L, verified by its model's bound on the distance to the minimum (the
    EDM of a smooth function), which is the attempt's EDM; inf where it is not verified."""
    found = kink_newton(objective, x0, bounds, edm_max)
    objective.value_and_grad(found.x)  # leave the cache at the point
    edm = found.distance if found.verified else max(found.distance, 2.0 * edm_max)
    return _Attempt(found.x, found.value, edm, f"newton, then bundle-Newton at a kink ({found.iterations} "
                    f"steps{'' if found.verified else ', unverified'})")


def _run_scipy(objective, x0, bounds, edm_max: float) -> _Attempt:
    result = minimize(
        objective.value_and_grad, x0, jac=True, method="L-BFGS-B",
        bounds=[tuple(b) for b in bounds],
        options={"maxiter": objective.remaining_calls(), "ftol": 1e-15, "gtol": 1e-10, "maxcor": 30},
    )

    def inverse_hessian():
        try:
            return np.linalg.inv(objective.hessian(result.x)) if np.isfinite(result.fun) else None
        except np.linalg.LinAlgError:
            return None

    return _assess(objective, result.x, bounds, "scipy(L-BFGS-B)", edm_max, inverse_hessian)


def _starting_points(x0: np.ndarray, bounds: np.ndarray) -> list[np.ndarray]:
    """Alternative starts for retries: the midpoint of finite bounds, shrunk towards x0."""
    finite = np.isfinite(bounds).all(axis=1)
    mid = x0.copy()
    mid[finite] = 0.5 * (bounds[finite, 0] + bounds[finite, 1])
    return [np.clip(0.5 * (x0 + mid), bounds[:, 0], bounds[:, 1])]


def fit(
    backend,
    data: np.ndarray | None = None,
    *,
    fixed_values: Mapping[int, float] | None = None,
    init: np.ndarray | None = None,
    bounds: np.ndarray | None = None,
    method: str = "minuit",
    edm_max: float = DEFAULT_EDM_MAX,
    uncertainties: bool = False,
    raise_on_failure: bool = True,
    max_calls: int = DEFAULT_MAX_CALLS,
    time_limit: float | None = DEFAULT_TIME_LIMIT,
    deadline: Deadline | None = None,
    description: str | None = None,
    poi_limit: bool = True,
) -> FitResult:
    """Maximum-likelihood fit of ``backend`` to ``data``.

    Parameters
    ----------
    backend
        Object satisfying the backend contract (:mod:`likelihub.backend.contract`).
    data
        Data (main then auxiliary); the backend's observed data if None.
    fixed_values
        Parameters to hold fixed, as {index: value}, on top of those fixed in the config.
    init, bounds
        Starting point and (P, 2) bounds; the config's by default. A start where -log L is infinite
        is moved (to the config's initial values, or half-way there) before the fit begins.
    method
        ``"minuit"`` (MIGRAD, default) or ``"scipy"`` (L-BFGS-B). Retries use both.
    edm_max
        Largest accepted estimated distance to the minimum (in -log L).
    uncertainties
        Compute the Hessian at the minimum and the standard errors.
    raise_on_failure
        Raise :class:`~likelihub.errors.FitError` if no valid minimum is found (default);
        otherwise return the best point with ``converged=False``.
    max_calls
        Requests for -log L and its derivatives that the fit may make, all attempts together
        (:mod:`likelihub.fits.budget`); past it the fit stops at the best point it saw.
    time_limit, deadline
        The wall-clock limit of the inference call this fit belongs to: its ``deadline`` where
        given (a calculator's), else one of ``time_limit`` seconds from now (None: none). Past it,
        :class:`~likelihub.fits.budget.FitTimeLimitError` is raised whatever ``raise_on_failure`` says.
    description
        What is fitted (data, fixed POI), for messages; the fixed parameters by default.
    poi_limit
        Where the POI is fixed at a value where -log L is infinite whatever the other parameters,
        return the limit from inside its bounds (module docstring; default), else an infinite fit.

    Returns
    -------
    FitResult
    """
    config = backend.config
    data = backend.data if data is None else data
    parameters = fit_parameters(config, fixed_values=fixed_values, init=init, bounds=bounds)
    template, bounds, fixed, free = (parameters.start, parameters.bounds, parameters.fixed,
                                     parameters.free)
    template[free] = np.clip(template[free], bounds[free, 0], bounds[free, 1])
    objective = NegativeLogLikelihood(backend, data, template, free, max_calls=max_calls,
                                      deadline=deadline_from({"time_limit": time_limit}, deadline))
    free_bounds = bounds[free]
    x0 = template[free]
    stopped = None
    with single_blas_thread():
        try:
            if free.sum() == 0:
                best = _Attempt(x0, objective(x0), 0.0, "none (all fixed)")
            else:
                x0 = finite_start(objective, x0, free_bounds, np.asarray(config.init, float)[free])
                if np.isfinite(objective(x0)):
                    best = _minimise_with_retries(objective, x0, free_bounds, method, edm_max)
                else:
                    best = _Attempt(x0, np.inf, np.inf, "none: -log L is infinite at every start tried")
        except BudgetExhausted as exhausted:
            stopped = exhausted
            x = x0 if objective.best_x is None else objective.best_x
            best = _Attempt(x, objective.best_value, np.inf, f"stopped: {exhausted.reason}")
        converged = stopped is None and best.edm <= edm_max and np.isfinite(best.nll)
        poi = config.poi_index
        if poi_limit and stopped is None and np.isinf(best.nll) and poi in (fixed_values or {}):
            limit = _poi_limit(backend, data, dict(fixed_values), objective.full(best.x), bounds,
                               method=method, edm_max=edm_max, max_calls=max_calls,
                               deadline=objective.deadline, description=description)
            if limit is not None:
                return limit
        values = objective.full(best.x)
        result = FitResult(
            values=values, uncertainties=None, nll=float(best.nll), converged=bool(converged),
            edm=float(best.edm), n_evaluations=objective.n_evaluations,
            parameter_names=tuple(config.parameter_names), fixed=fixed, method=best.method,
        )
        if stopped is not None and (stopped.out_of_time or raise_on_failure):
            error = FitTimeLimitError if stopped.out_of_time else FitError
            raise error(f"{_what(backend, fixed_values, description)}: {stopped.reason}; best -log L "
                        f"{best.nll:.6g} after {objective.n_evaluations} evaluations", result=result)
        if not converged and raise_on_failure:
            raise FitError(
                f"{_what(backend, fixed_values, description)} did not reach a valid minimum: best "
                f"-log L {best.nll:.6g} with estimated distance to the minimum {best.edm:.3g} > "
                f"{edm_max:g} after {objective.n_evaluations} evaluations ({best.method})",
                result=result,
            )
        if uncertainties and stopped is None and np.isfinite(best.nll):
            objective.max_calls = None  # one Hessian more, whatever the fit spent
            try:
                _add_uncertainties(result, objective, best.x)
            except BudgetExhausted as exhausted:
                raise FitTimeLimitError(f"{_what(backend, fixed_values, description)}: "
                                        f"{exhausted.reason}", result=result) from None
    return result


def _poi_limit(backend, data, fixed_values, start, bounds, **options) -> FitResult | None:
    """The conditional fit at a POI value where -log L is infinite whatever the other parameters:
    the limit from inside the bounds (module docstring); None where neither side converges."""
    poi = backend.config.poi_index
    mu = fixed_values[poi]
    delta = 1e-9 * max(1.0, abs(mu))
    for near in (mu + delta, mu - delta):
        start[poi] = near
        result = fit(backend, data, fixed_values={**fixed_values, poi: near}, init=start, bounds=bounds,
                     raise_on_failure=False, poi_limit=False, **options)
        if result.converged:
            result.values[poi] = mu
            result.nll = np.inf
            result.method += (f"; the limit {backend.config.poi_name} -> {mu:g} "
                              f"(-log L is infinite at {mu:g})")
            return result
    return None


def model_label(backend) -> str:
    """A short name of the model for messages: the first line of ``describe()``, else its class."""
    line = ""
    if capabilities(backend).describe:
        try:
            line = str(backend.describe()).strip().splitlines()[0]
        except Exception:  # a label for a message must not fail
            line = ""
    if not line:
        return type(backend).__name__
    return line if len(line) <= 100 else line[:97] + "..."


def _what(backend, fixed_values, description) -> str:
    """'<description> [model: <model>]' for messages."""
    if description is None:
        names = backend.config.parameter_names
        fixed = ", ".join(f"{names[i]} = {v:g}" for i, v in (fixed_values or {}).items())
        description = f"conditional fit ({fixed} fixed)" if fixed else "free fit"
    return f"{description} [model: {model_label(backend)}]"


def finite_start(objective, x0: np.ndarray, bounds: np.ndarray, init: np.ndarray) -> np.ndarray:
    """``x0`` if -log L is finite there, else the first of: the config's initial values, the
    points half-way and a quarter-way from ``x0`` to them, the middle of finite bounds (one
    evaluation each). Where all are infinite, ``x0`` (the fit reports an infinite minimum)."""
    if np.isfinite(objective(x0)):
        return x0
    init = np.clip(init, bounds[:, 0], bounds[:, 1])
    finite = np.isfinite(bounds).all(axis=1)
    middle = x0.copy()
    middle[finite] = 0.5 * (bounds[finite, 0] + bounds[finite, 1])
    for candidate in (init, 0.5 * (x0 + init), 0.75 * x0 + 0.25 * init, middle):
        if np.isfinite(objective(candidate)):
            return candidate
    return x0


def _minimise_with_retries(objective, x0, bounds, method, edm_max) -> _Attempt:
    if method not in ("minuit", "scipy"):
        raise ValueError(f"method must be 'minuit' or 'scipy', got {method!r}")
    attempts: list[_Attempt] = []

    def good(attempt):
        return attempt.edm <= edm_max and np.isfinite(attempt.nll)

    if method == "minuit" and objective.has_analytic_hessian:
        # Newton steps with the exact Hessian first: a handful of iterations where it converges.
        newton = _run_newton(objective, x0, bounds, edm_max)
        if good(newton):
            return newton
        attempts.append(newton)
        # Where it stalls, most often at a minimum on a kink of -log L (likelihub.fits.kinks).
        kink = _run_kink_newton(objective, newton.x, bounds, edm_max)
        if good(kink):
            return kink
        attempts.append(kink)
        _log.debug("Newton's method stalled (edm %.3g): falling back to MIGRAD", kink.edm)
    first = (_run_minuit(objective, x0, bounds, 0, edm_max) if method == "minuit"
             else _run_scipy(objective, x0, bounds, edm_max))
    attempts.append(first)
    if not good(first):  # continue from where it stopped, more carefully (then other starts)
        _log.debug("fit did not converge at first (%s, edm %.3g): retrying", first.method, first.edm)
        attempts.append(_run_minuit(objective, first.x, bounds, 2, edm_max))
    if not any(good(a) for a in attempts):
        polished = _run_scipy(objective, x0, bounds, edm_max)
        attempts.append(polished)
        attempts.append(_run_minuit(objective, polished.x, bounds, 2, edm_max))
    if not any(good(a) for a in attempts):
        for start in _starting_points(x0, bounds):
            attempts.append(_run_minuit(objective, start, bounds, 2, edm_max))
    valid = [a for a in attempts if good(a)]
    return min(valid or attempts, key=lambda a: a.nll)


def _add_uncertainties(result: FitResult, objective: NegativeLogLikelihood, x: np.ndarray) -> None:
    hessian = objective.hessian(x)
    try:
        covariance_free = np.linalg.inv(hessian)
    except np.linalg.LinAlgError:
        covariance_free = np.linalg.pinv(hessian)
    free = objective.free
    covariance = np.zeros((free.size, free.size))
    covariance[np.ix_(free, free)] = covariance_free
    result.covariance = covariance
    result.uncertainties = np.sqrt(np.clip(np.diag(covariance), 0.0, None))
