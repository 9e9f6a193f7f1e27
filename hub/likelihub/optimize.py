"""Maximum-likelihood fits.

:func:`fit` minimises -log L of a backend over its free parameters. Fixed parameters
are removed from the minimisation vector (never imposed as constraints). The default
minimiser is iminuit's MIGRAD, fed the backend's analytic gradient when it has one;
``method="scipy"`` uses scipy's L-BFGS-B. A fit is judged by its minimum, not by the
minimiser's word: the estimated distance to the minimum (EDM, 1/2 g^T H^-1 g on the
gradient projected onto the bounds) must be below ``edm_max``. Fits that fail that check
are retried (MIGRAD with a higher strategy, L-BFGS-B, other starting points) and the
lowest valid minimum wins; if none is valid the result is flagged ``converged=False``
and :class:`~likelihub.errors.FitError` is raised unless ``raise_on_failure=False``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field

import numpy as np
from iminuit import Minuit
from scipy.optimize import minimize

from .errors import FitError
from .minimum_checks import (
    away_from_bounds,
    descent_along_gradient,
    distance_with_hessian,
    estimated_distance,
    positive_definite,
    projected_gradient,
)
from .newton import newton_minimise
from .objective import NegativeLogLikelihood

__all__ = ["FitResult", "fit", "NegativeLogLikelihood", "DEFAULT_EDM_MAX"]

#: The largest accepted estimated distance to the minimum, in units of -log L.
DEFAULT_EDM_MAX = 1e-8


@dataclass
class FitResult:
    """The outcome of one maximum-likelihood fit.

    Attributes
    ----------
    values
        Best-fit value of every parameter (fixed ones at their fixed values).
    uncertainties
        Standard errors from the inverse Hessian (0 for fixed parameters), or None if not computed.
    nll
        -log L at the minimum.
    converged
        True when the minimum passed the EDM check.
    edm
        Estimated distance to the minimum, 1/2 g^T H^-1 g over the free parameters.
    n_evaluations
        Number of likelihood evaluations spent (all attempts).
    parameter_names, fixed
        Names of the parameters, and which were held fixed.
    method
        The minimiser (and attempt) that produced the minimum.
    """

    values: np.ndarray
    uncertainties: np.ndarray | None
    nll: float
    converged: bool
    edm: float
    n_evaluations: int
    parameter_names: tuple[str, ...]
    fixed: np.ndarray
    method: str
    covariance: np.ndarray | None = field(default=None, repr=False)

    @property
    def twice_nll(self) -> float:
        """-2 log L at the minimum."""
        return 2.0 * self.nll

    def __getitem__(self, name: str) -> float:
        return float(self.values[self.parameter_names.index(name)])

    def to_dict(self) -> dict:
        """Plain-Python dictionary (JSON-serialisable)."""
        out = asdict(self)
        out.pop("covariance")
        for key, value in out.items():
            if isinstance(value, np.ndarray):
                out[key] = value.tolist()
        out["parameter_names"] = list(self.parameter_names)
        return out

    def to_json(self, **kwargs) -> str:
        """JSON text of :meth:`to_dict`."""
        return json.dumps(self.to_dict(), **kwargs)

    def __str__(self) -> str:
        status = "converged" if self.converged else "NOT CONVERGED"
        lines = [f"FitResult: -log L = {self.nll:.6f} ({status}, EDM {self.edm:.1e}, "
                 f"{self.n_evaluations} evaluations, {self.method})"]
        width = max(len(n) for n in self.parameter_names) if self.parameter_names else 0
        for i, name in enumerate(self.parameter_names):
            if self.fixed[i]:
                err = "fixed"
            elif self.uncertainties is None:
                err = ""
            else:
                err = f"+/- {self.uncertainties[i]:.6g}"
            lines.append(f"  {name:<{width}}  {self.values[i]: .6g}  {err}")
        return "\n".join(lines)


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


def _run_minuit(objective, x0, bounds, strategy: int, edm_max: float, max_calls: int) -> _Attempt:
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
    minuit.migrad(ncall=max_calls)

    def covariance():
        # Minuit's covariance is errordef * 2 * H^-1 for -log L with errordef 0.5, i.e. H^-1.
        return None if minuit.covariance is None else np.array(minuit.covariance)

    return _assess(objective, np.array(minuit.values), bounds, f"minuit(strategy={strategy})", edm_max,
                   covariance)


def _run_newton(objective, x0, bounds, edm_max: float) -> _Attempt:
    # Projected Newton may start on a bound (MIGRAD may not): the Asimov data's free fit starts
    # at its exact minimum, with the POI on its lower bound.
    x = newton_minimise(objective, np.asarray(x0, float), bounds, edm_max)
    return _assess(objective, x, bounds, "newton", edm_max)


def _run_scipy(objective, x0, bounds, max_calls: int, edm_max: float) -> _Attempt:
    result = minimize(
        objective.value_and_grad, x0, jac=True, method="L-BFGS-B",
        bounds=[tuple(b) for b in bounds],
        options={"maxiter": max_calls, "ftol": 1e-15, "gtol": 1e-10, "maxcor": 30},
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
    max_calls: int = 100_000,
) -> FitResult:
    """Maximum-likelihood fit of ``backend`` to ``data``.

    Parameters
    ----------
    backend
        Object satisfying the backend contract (:mod:`likelihub.contract`).
    data
        Data (main then auxiliary); the backend's observed data if None.
    fixed_values
        Parameters to hold fixed, as {index: value}, on top of those fixed in the config.
    init, bounds
        Starting point and (P, 2) bounds; the config's by default.
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
        Evaluation budget of each attempt.

    Returns
    -------
    FitResult
    """
    config = backend.config
    data = backend.data if data is None else data
    bounds = np.array(config.bounds if bounds is None else bounds, dtype=float)
    template = np.array(config.init if init is None else init, dtype=float)
    fixed = np.array(config.fixed, dtype=bool)
    for index, value in (fixed_values or {}).items():
        fixed[index] = True
        template[index] = value
    free = ~fixed
    template[free] = np.clip(template[free], bounds[free, 0], bounds[free, 1])
    objective = NegativeLogLikelihood(backend, data, template, free)
    free_bounds = bounds[free]
    x0 = template[free]

    if free.sum() == 0:
        best = _Attempt(x0, objective(x0), 0.0, "none (all fixed)")
    else:
        best = _minimise_with_retries(objective, x0, free_bounds, method, edm_max, max_calls)

    converged = best.edm <= edm_max and np.isfinite(best.nll)
    values = objective.full(best.x)
    result = FitResult(
        values=values, uncertainties=None, nll=float(best.nll), converged=bool(converged),
        edm=float(best.edm), n_evaluations=objective.n_evaluations,
        parameter_names=tuple(config.parameter_names), fixed=fixed, method=best.method,
    )
    if not converged and raise_on_failure:
        raise FitError(
            f"the fit did not reach a valid minimum: best -log L {best.nll:.6g} with estimated "
            f"distance to the minimum {best.edm:.3g} > {edm_max:g} after {objective.n_evaluations} "
            f"evaluations ({best.method})",
            result=result,
        )
    if uncertainties:
        _add_uncertainties(result, objective, best.x)
    return result


def _minimise_with_retries(objective, x0, bounds, method, edm_max, max_calls) -> _Attempt:
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
    first = (_run_minuit(objective, x0, bounds, 0, edm_max, max_calls) if method == "minuit"
             else _run_scipy(objective, x0, bounds, max_calls, edm_max))
    attempts.append(first)
    if not good(first):
        # Continue from where the first attempt stopped, more carefully.
        attempts.append(_run_minuit(objective, first.x, bounds, 2, edm_max, max_calls))
    if not any(good(a) for a in attempts):
        polished = _run_scipy(objective, x0, bounds, max_calls, edm_max)
        attempts.append(polished)
        attempts.append(_run_minuit(objective, polished.x, bounds, 2, edm_max, max_calls))
    if not any(good(a) for a in attempts):
        for start in _starting_points(x0, bounds):
            attempts.append(_run_minuit(objective, start, bounds, 2, edm_max, max_calls))
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
