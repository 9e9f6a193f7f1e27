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

from .derivatives import numerical_gradient, numerical_hessian
from .errors import FitError

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
        self.n_evaluations = 0
        self._cached_x: np.ndarray | None = None
        self._cached: tuple[float, np.ndarray] | None = None

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
        """Hessian of -log L over the free parameters (analytic when the backend has one)."""
        if callable(getattr(self.backend, "hessian", None)):
            full = -np.asarray(self.backend.hessian(self.full(x), self.data), dtype=float)
            return full[np.ix_(self.free, self.free)]
        return numerical_hessian(self.grad, x)


def _projected_gradient(grad: np.ndarray, x: np.ndarray, bounds: np.ndarray,
                        tolerance: float) -> np.ndarray:
    """Gradient with the components that push against a bound the parameter (nearly) sits on set
    to zero: "nearly" means that moving it onto the bound would gain less than ``tolerance``
    (MIGRAD's bound transformation leaves parameters a hair inside their bounds)."""
    g = grad.copy()
    with np.errstate(invalid="ignore"):  # 0 * inf where a gradient component is 0 and its bound infinite
        at_low = (g > 0) & (g * (x - bounds[:, 0]) <= tolerance)
        at_high = (g < 0) & (-g * (bounds[:, 1] - x) <= tolerance)
    g[at_low | at_high] = 0.0
    return g


def _edm(grad: np.ndarray, inverse_hessian: np.ndarray | None) -> float:
    if inverse_hessian is None:
        return float("inf")
    with np.errstate(over="ignore", invalid="ignore"):
        edm = float(0.5 * grad @ inverse_hessian @ grad)
    return edm if np.isfinite(edm) else float("inf")


def _descent_along_gradient(objective, x: np.ndarray, grad: np.ndarray, bounds: np.ndarray) -> float:
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


@dataclass
class _Attempt:
    x: np.ndarray
    nll: float
    edm: float
    inverse_hessian: np.ndarray | None
    method: str


def _assess(objective, x, bounds, inverse_hessian, method, edm_max) -> _Attempt:
    """The attempt's minimum and its EDM: the larger of the minimiser's and the gradient probe's."""
    x = np.array(x, float)
    value, grad = objective.value_and_grad(x)
    g = _projected_gradient(grad, x, bounds, edm_max)
    edm = max(_edm(g, inverse_hessian), _descent_along_gradient(objective, x, g, bounds))
    objective.value_and_grad(x)  # leave the cache at the minimum
    return _Attempt(x, value, edm, inverse_hessian, method)


def _away_from_bounds(x: np.ndarray, bounds: np.ndarray) -> np.ndarray:
    """Move starting values that sit exactly on a bound slightly inside (MIGRAD stalls there)."""
    span = bounds[:, 1] - bounds[:, 0]
    nudge = np.where(np.isfinite(span), 1e-3 * np.minimum(span, 1.0), 1e-3)
    x = x.copy()
    x = np.where(x <= bounds[:, 0], np.minimum(bounds[:, 0] + nudge, bounds[:, 1]), x)
    return np.where(x >= bounds[:, 1], np.maximum(bounds[:, 1] - nudge, bounds[:, 0]), x)


def _positive_definite(hessian: np.ndarray) -> np.ndarray:
    """The Hessian, shifted along the identity where it is not positive definite."""
    hessian = 0.5 * (hessian + hessian.T)
    if not np.all(np.isfinite(hessian)):
        return np.eye(len(hessian))
    lowest = np.linalg.eigvalsh(hessian)[0]
    scale = max(1.0, float(np.abs(np.diagonal(hessian)).max()))
    if lowest > 1e-10 * scale:
        return hessian
    return hessian + (1e-6 * scale - lowest) * np.eye(len(hessian))


def _run_minuit(objective, x0, bounds, strategy: int, edm_max: float, max_calls: int) -> _Attempt:
    x0 = _away_from_bounds(np.asarray(x0, float), bounds)
    # With a gradient, MIGRAD starts from the Hessian at x0 (the backend's, or differences of its
    # gradient) made positive definite: without it, MIGRAD needs about as many iterations as there
    # are parameters to learn the curvature (1849 instead of 53 evaluations on ATLAS 1Lbb).
    hessian = (lambda x: _positive_definite(objective.hessian(x))) if objective.has_gradient else False
    minuit = Minuit(objective, x0, grad=objective.grad if objective.has_gradient else None, hessian=hessian)
    minuit.errordef = Minuit.LIKELIHOOD
    minuit.limits = [tuple(b) for b in bounds]
    minuit.strategy = strategy
    minuit.print_level = 0
    # iminuit stops when EDM < 0.002 * tol * errordef.
    minuit.tol = max(edm_max / (0.002 * Minuit.LIKELIHOOD), 1e-8)
    minuit.migrad(ncall=max_calls)
    covariance = None if minuit.covariance is None else np.array(minuit.covariance)
    # Minuit's covariance is errordef * 2 * H^-1 for -log L with errordef 0.5, i.e. H^-1.
    return _assess(objective, np.array(minuit.values), bounds, covariance, f"minuit(strategy={strategy})",
                   edm_max)


def _run_scipy(objective, x0, bounds, max_calls: int, edm_max: float) -> _Attempt:
    result = minimize(
        objective.value_and_grad, x0, jac=True, method="L-BFGS-B",
        bounds=[tuple(b) for b in bounds],
        options={"maxiter": max_calls, "ftol": 1e-15, "gtol": 1e-10, "maxcor": 30},
    )
    inverse_hessian = None
    if np.isfinite(result.fun):
        try:
            inverse_hessian = np.linalg.inv(objective.hessian(result.x))
        except np.linalg.LinAlgError:
            inverse_hessian = None
    return _assess(objective, result.x, bounds, inverse_hessian, "scipy(L-BFGS-B)", edm_max)


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
        best = _Attempt(x0, objective(x0), 0.0, np.zeros((0, 0)), "none (all fixed)")
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
