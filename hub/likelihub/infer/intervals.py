"""Profile-likelihood intervals of one parameter, the others profiled (MINOS-like).

The interval at confidence level ``cl`` is where the profile likelihood ratio

    t(x) = 2 [ -log L(x, theta-hat-hat(x)) + log L(x-hat, theta-hat) ]

crosses the chi-square quantile with one degree of freedom, ``chi2.ppf(cl, 1)`` (Wilks,
:func:`likelihub.profile_results.wilks_threshold`): 1 for 68.27%, 3.84 for 95%. This is CMS
Combine's ``MultiDimFit --algo singles`` (``--cl``), and Minuit's MINOS with the error definition
0.5 on -log L. Each side is bracketed by stepping out
from the best fit by its Hessian error (doubling), every conditional fit warm-started from the
previous one, then the crossing is found with Brent's method. Where the parameter's bound comes
first, the interval ends at the bound and says so (``low_at_bound`` / ``high_at_bound``).

A conditional fit below the best fit's minimum means the best fit missed the global minimum: the
free fit is repeated from that point once, and the search starts over. A crossing where t jumps
(a conditional fit that ended in another, higher local minimum) is sought again with the fits
continued in small steps from the inside (:func:`_crossing`), or reported as a
:class:`~likelihub.errors.FitError`.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from scipy.optimize import brentq

from likelihub.errors import FitError
from likelihub.fits.engine import NegativeLogLikelihood
from likelihub.profile_results import wilks_threshold
from likelihub.results import IntervalResult

__all__ = ["profile_interval", "hessian_error", "sigma_mu"]

#: Steps of the bracketing outwards from the best fit, each twice the last.
MAX_STEPS = 12
#: How far (in t) a conditional fit may lie below the best fit before the latter is redone.
TOLERANCE = 1e-6
#: A root of Brent's method whose t differs from the threshold by more than this is a jump of t.
JUMP = 1e-3
#: Continuations of the fits towards a jump (each in CONTINUATION_STEPS steps) before giving up.
CONTINUATIONS = 3
CONTINUATION_STEPS = 8


def profile_interval(fit: Callable, *, index: int, name: str, bounds: tuple[float, float],
                     cl: float, xtol: float = 1e-6) -> IntervalResult:
    """The ``cl`` profile-likelihood interval of parameter ``index``.

    Parameters
    ----------
    fit
        ``fit(fixed_value, init)`` -> :class:`~likelihub.fits.result.FitResult`: the fit with the
        parameter held at ``fixed_value`` (None: free, with uncertainties), started at ``init``
        (None: the model's initial values).
    index, name
        The parameter's position and name.
    bounds
        The parameter's (low, high) bounds.
    cl
        Confidence level of the interval (0.6827 for one sigma).
    xtol
        Absolute tolerance of each end (times max(1, |end|)).
    """
    threshold = wilks_threshold(cl, 1)
    best = fit(None, None)
    for _attempt in range(2):
        try:
            low, low_capped = _side(fit, best, index, bounds, threshold, -1.0, xtol)
            high, high_capped = _side(fit, best, index, bounds, threshold, +1.0, xtol)
            break
        except _BetterMinimum as found:
            best = fit(None, found.values)
    else:  # pragma: no cover - a second better minimum: the fits are unstable
        raise FitError(f"the profile of {name!r} keeps finding minima below the best fit")
    return IntervalResult(parameter=name, best_fit=float(best.values[index]), low=low, high=high,
                          cl=float(cl), threshold=threshold, nll_min=float(best.nll),
                          low_at_bound=low_capped, high_at_bound=high_capped)


class _BetterMinimum(Exception):
    def __init__(self, values: np.ndarray):
        super().__init__("a conditional fit lies below the best fit")
        self.values = values


def _side(fit: Callable, best, index: int, bounds: tuple[float, float], threshold: float,
          direction: float, xtol: float) -> tuple[float, bool]:
    """One end of the interval: (value, whether it is the parameter's bound)."""
    x_hat = float(best.values[index])
    edge = float(bounds[1] if direction > 0 else bounds[0])
    if x_hat == edge:
        return edge, True
    errors = best.uncertainties
    step = float(errors[index]) if errors is not None and np.isfinite(errors[index]) else 0.0
    if not step > 0:
        step = max(abs(x_hat), 1.0) * 0.1
    starts = {x_hat: best.values}
    known_t: dict[float, float] = {}

    def excess(x: float, start: np.ndarray | None = None) -> float:
        if x not in known_t or start is not None:
            result = fit(x, starts[min(starts, key=lambda known: abs(known - x))] if start is None else start)
            t = 2.0 * (result.nll - best.nll)
            if x not in known_t or t < known_t[x]:  # a refit from elsewhere keeps the lower minimum
                starts[x], known_t[x] = result.values, t
        t = known_t[x]
        if t < -TOLERANCE:
            raise _BetterMinimum(starts[x])
        return t - threshold

    inside = x_hat
    for _ in range(MAX_STEPS):
        outside = x_hat + direction * step
        at_edge = direction * (outside - edge) >= 0
        outside = edge if at_edge else outside
        if excess(outside) < 0 and at_edge:
            return edge, True
        if excess(outside) >= 0:
            root = _crossing(excess, starts, inside, outside, xtol)
            if root is not None:
                return root, False
            # refitted from the inside, the outer point lies below the threshold: step on
        inside, step = outside, 2.0 * step
    raise FitError(f"no crossing of 2 Delta NLL = {threshold:g} within {step:g} of the best fit "
                   f"{x_hat:g}: the profile likelihood is (nearly) flat")


def _crossing(excess: Callable, starts: dict, inside: float, outside: float, xtol: float) -> float | None:
    """The crossing between ``inside`` (below the threshold) and ``outside`` (above): Brent's root,
    where t is continuous there. A root where t jumps (its fits on either side lie in different
    minima of -log L: a conditional fit started across a kink, e.g. where a bin was raised to a
    floor, may end in a local minimum far above the profile) is not a crossing: the fits from the
    inside outwards are redone in :data:`CONTINUATION_STEPS` steps, each from the last one's
    minimum (the lower minimum of a point wins), and the root sought again, up to
    :data:`CONTINUATIONS` times; then :class:`~likelihub.errors.FitError` names the jump. None where
    the continued fits lie below the threshold up to ``outside``: the crossing is further out."""
    for _ in range(CONTINUATIONS + 1):
        root = float(brentq(excess, min(inside, outside), max(inside, outside),
                            xtol=xtol * max(1.0, abs(outside)), rtol=4 * np.finfo(float).eps))
        if abs(excess(root)) <= JUMP:
            return root
        start = starts[inside]
        for x in np.linspace(inside, outside, CONTINUATION_STEPS + 1)[1:]:
            below = excess(float(x), start) < 0
            start = starts[float(x)]
            if below:
                inside = float(x)
            else:
                outside = float(x)
                break
        else:
            return None
    raise FitError(f"the profile likelihood jumps at {root:.6g} (2 Delta NLL {excess(root) + 0:.4g} from "
                   f"the threshold there, fits on either side in different minima of -log L) even after "
                   f"{CONTINUATIONS} continuations of the fits from {inside:.6g}: no crossing found")


def hessian_error(backend, data: np.ndarray, at: np.ndarray, index: int) -> float:
    """The standard error of parameter ``index`` from the inverse Hessian of -log L at ``at``
    (the free parameters of the model's config; ``index`` must be one of them)."""
    free = ~np.array(backend.config.fixed, dtype=bool)
    objective = NegativeLogLikelihood(backend, data, at, free)
    covariance = np.linalg.inv(objective.hessian(at[free]))
    position = int(np.count_nonzero(free[:index]))
    return float(np.sqrt(covariance[position, position]))


def sigma_mu(backend, data: np.ndarray, mu: float, *, poi: int, at: np.ndarray | None,
             global_observables: str, fit_options) -> float:
    """Standard deviation of the POI estimator: from the inverse Hessian at ``at`` (the fit with
    the POI held at ``mu``) where given, else |mu| / sqrt(q_mu,A) with the background-only Asimov
    data (arXiv:1007.1727 eq. 31)."""
    if at is not None:
        return hessian_error(backend, data, at, poi)
    from likelihub.infer.asymptotic import AsymptoticCalculator

    calc = AsymptoticCalculator(backend, data, "q", global_observables, fit_options)
    return float(abs(mu) / np.sqrt(calc.asimov.t_mu(mu)))
