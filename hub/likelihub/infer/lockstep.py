"""Asymptotic CLs of many models at once, their fits advancing in lock-step.

A scan's models (one background, many signal points) share their parameters: the same fits of
each model's :class:`~likelihub.infer.asymptotic.AsymptoticCalculator` are made for all of them
together by :func:`likelihub.fits.batch.lockstep_newton` on a
:class:`likelihub.backend.stacking.BackendStack`, in the order a calculator makes them alone
(so each starts where it would alone):

1. the observed data at mu = 0 (the Asimov data's parameters),
2. the Asimov data at the tested mu, then with mu free,
3. the observed data at the tested mu, then with mu free.

Each converged fit (EDM with the exact, positive definite Hessian within the calculator's
``edm_max``) is handed to the calculator's profiler; a fit that does not converge in lock-step
is left to the calculator, which makes it alone (with MIGRAD and its retries) as it would
without the stack. The calculators then compute CLs as usual, including any refit they
decide on. The lock-step fits take the path of the one-model fits (both are
:func:`likelihub.fits.newton.newton_batch`, a single fit a batch of one), so that where a likelihood has
several minima both reach the same one; results equal the one-model ones to the precision of the fits
(ATLAS 1Lbb, all 125 points: 3e-13 relative on CLs and its expected band).

    results = cls_together(models, mu=1.0)       # likelihub.StatisticalModel objects
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

import numpy as np

from likelihub.backend.capabilities import capabilities
from likelihub.backend.stacking import BackendStack, stackable_groups
from likelihub.fits.batch import lockstep_newton
from likelihub.fits.engine import DEFAULT_EDM_MAX
from likelihub.fits.result import FitResults
from likelihub.infer.asymptotic import AsymptoticCalculator
from likelihub.infer.profile import Profiler
from likelihub.results import CLsResult

__all__ = ["cls_together", "calculators_together", "prefill_calculators", "make_stack"]


def make_stack(backends: Sequence) -> BackendStack:
    """A stack of ``backends``: their class's own (``stack(backends)``, fused kernels) where all
    are of one class that has one, else the generic :class:`~likelihub.backend.stacking.BackendStack`."""
    kind = type(backends[0])
    if all(type(b) is kind for b in backends) and capabilities(backends[0]).stacking:
        return kind.stack(backends)
    return BackendStack(backends)


def _adopt(stack: BackendStack, member: int, profiler: Profiler, fits: FitResults, row: int,
           mu: float | None) -> None:
    config = profiler.backend.config
    fixed = np.array(config.fixed, dtype=bool)
    if mu is not None:
        fixed[profiler.poi] = True
    result = fits[row]
    result.values = stack.to_member_order(member, result.values)
    result.parameter_names, result.fixed = tuple(config.parameter_names), fixed
    if mu is None:
        profiler.adopt_free(result)
    else:
        profiler.adopt_conditional(mu, result)


def _fit_together(stack: BackendStack, profilers: Sequence[Profiler | None], mu: float | None,
                  edm_max: float) -> set[int]:
    """The conditional fit at ``mu`` (the free fit where ``mu`` is None) of every profiler that
    lacks it (None: a member left out), in lock-step; converged fits are handed to their
    profilers. Returns the members whose fit did not converge (left to their profilers)."""
    by_bounds: dict[bytes, list[int]] = defaultdict(list)
    starts, bounds = {}, {}
    for member, profiler in enumerate(profilers):
        if profiler is None or (profiler.has_free if mu is None else profiler.has_conditional(mu)):
            continue
        start, limits = ((profiler.free_start(), profiler.bounds) if mu is None
                         else profiler.conditional_start(mu))
        starts[member] = stack.to_stack_order(member, start)
        bounds[member] = stack.to_stack_order(member, limits)
        by_bounds[bounds[member].tobytes()].append(member)
    poi = stack.config.poi_index
    fixed_values = None if mu is None else {poi: float(mu)}
    failed = set()
    for members in by_bounds.values():
        # The earliest of the calculators' deadlines (made together, they differ by microseconds).
        deadline = min((profilers[m].deadline for m in members), key=lambda d: d.at)
        fits = lockstep_newton(stack, np.stack([profilers[m].data for m in members]),
                               fixed_values=fixed_values, init=np.stack([starts[m] for m in members]),
                               bounds=bounds[members[0]], edm_max=edm_max, members=np.array(members),
                               deadline=deadline)
        for row, member in enumerate(members):
            if fits.converged[row]:
                _adopt(stack, member, profilers[member], fits, row, mu)
            else:
                failed.add(member)
    return failed


def _asimov_profiler(calculator: AsymptoticCalculator) -> Profiler | None:
    try:
        return calculator.asimov
    except Exception:  # its fit at mu = 0 failed alone too: its own cls() reports it
        return None


def prefill_calculators(stack: BackendStack, calculators: Sequence[AsymptoticCalculator],
                        mu: float) -> None:
    """Make the fits that ``calculator.cls(mu)`` needs, for all calculators together.

    The adopted fits are the minima only (``method="newton (lock-step)"``, no uncertainties),
    which is all that CLs reads of them. Once a calculator's fit fails to converge in lock-step,
    its later fits of the same data are left to it, so that each starts where it would alone.

    Parameters
    ----------
    stack
        The stack of the calculators' backends (calculator i's backend is member i).
    calculators
        Asymptotic calculators, one per member; their fit options' ``edm_max`` must agree.
    mu
        The tested signal strength.
    """
    if len(calculators) != len(stack) or any(c.backend is not m for c, m in zip(calculators, stack.members,
                                                                                  strict=True)):
        raise ValueError("calculator i must have the stack's member i as its backend")
    edm_max = _edm_max(calculators[0])
    if any(_edm_max(c) != edm_max for c in calculators):
        raise ValueError("the calculators fit with different edm_max; they cannot share fits")
    # The order of a calculator's cls(): the Asimov data (from the observed data's fit at mu = 0)
    # and their fits first, whatever is expected of it, then the observed data's.
    observed: list[Profiler | None] = [c.observed for c in calculators]
    _fit_together(stack, observed, 0.0, edm_max)
    asimov = [_asimov_profiler(c) for c in calculators]
    for m in _fit_together(stack, asimov, mu, edm_max):
        asimov[m] = None
    _fit_together(stack, asimov, None, edm_max)
    for m in _fit_together(stack, observed, mu, edm_max):
        observed[m] = None
    _fit_together(stack, observed, None, edm_max)


def calculators_together(models: Sequence, mu: float = 1.0, **calculator_options
                         ) -> list[AsymptoticCalculator]:
    """Each model's asymptotic calculator, with the fits that ``cls(mu)`` needs made in lock-step
    for the models that share their parameters. Every model with exact gradients and Hessians
    goes through a stack, even alone in one, so that its numbers never depend on which models it
    came with; the others are left to their calculators.

    Parameters as :func:`cls_together`.
    """
    calculators = [m.calculator("asymptotic", **calculator_options) for m in models]
    stackable = [i for i, m in enumerate(models) if _has_derivatives(m.backend)]
    for group in stackable_groups([models[i].backend for i in stackable], min_size=1):
        group = [stackable[k] for k in group]
        by_edm_max: dict[float, list[int]] = defaultdict(list)  # fits of one stack share edm_max
        for i in group:
            by_edm_max[_edm_max(calculators[i])].append(i)
        for members in by_edm_max.values():
            prefill_calculators(make_stack([models[i].backend for i in members]),
                                [calculators[i] for i in members], mu)
    return calculators


def cls_together(models: Sequence, mu: float = 1.0, expected: str = "all", **calculator_options
                 ) -> list[CLsResult]:
    """Asymptotic CLs at ``mu`` of every model, the fits of models that share their parameters
    made in lock-step; the same results as ``[m.cls(mu, expected=expected) for m in models]`` to
    the precision of the fits.

    Parameters
    ----------
    models
        :class:`likelihub.StatisticalModel` objects (e.g. the signal points of a scan).
    mu
        The tested signal strength.
    expected
        "all" (default), "observed" or "expected".
    calculator_options
        ``test_statistic``, ``asimov_global_observables``, ``data`` (as
        :meth:`likelihub.StatisticalModel.calculator`; the asymptotic calculator only).
    """
    calculators = calculators_together(models, mu, **calculator_options)
    return [c.cls(mu, expected=expected) for c in calculators]


def _has_derivatives(backend) -> bool:
    """Whether lock-step fits can run on ``backend`` (exact gradients and Hessians); models
    without them are fitted by their calculators alone."""
    offered = capabilities(backend)
    return offered.gradient and offered.hessian


def _edm_max(calculator: AsymptoticCalculator) -> float:
    return float(dict(calculator.fit_options or {}).get("edm_max", DEFAULT_EDM_MAX))
