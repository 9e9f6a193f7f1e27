"""Asymptotic CLs of many models at once, their fits advancing in lock-step.

A scan's models (one background, many signal points) share their parameters: the same fits of
each model's :class:`~likelihub.infer.asymptotic.AsymptoticCalculator` are made for all of them
together by :func:`likelihub.fits.batch.lockstep_newton` on a
:class:`likelihub.backend.stacking.BackendStack`. The calculators say which fits they need
(:meth:`~likelihub.infer.asymptotic.AsymptoticCalculator.fit_requests`: one at a time, in the
order ``cls`` makes them, each with the start its profiler would use alone); this module batches
the requests of all calculators, round after round, until none asks for more. It knows nothing
of the order of a calculator's fits.

Each converged fit (EDM with the exact, positive definite Hessian within the calculator's
``edm_max``) is handed to the request's profiler; a fit that does not converge in lock-step is
made by its profiler alone (with MIGRAD and its retries) as it would be without the stack. The
calculators then compute CLs as usual, including any refit they decide on. The lock-step fits
take the path of the one-model fits (both are :func:`likelihub.fits.newton.newton_batch`, a
single fit a batch of one), so that where a likelihood has several minima both reach the same
one; results equal the one-model ones to the precision of the fits (ATLAS 1Lbb, all 125 points:
3e-13 relative on CLs and its expected band).

    results = cls_together(models, mu=1.0)       # likelihub.StatisticalModel objects
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

import numpy as np

from likelihub.backend.capabilities import capabilities
from likelihub.backend.stacking import BackendStack, stackable_groups
from likelihub.errors import FitTimeLimitError
from likelihub.fits.batch import lockstep_newton
from likelihub.fits.engine import DEFAULT_EDM_MAX
from likelihub.fits.result import FitResults
from likelihub.hypothesis_tests import expected_results
from likelihub.infer.asymptotic import AsymptoticCalculator
from likelihub.infer.profile import FitRequest
from likelihub.results import CLsResult

__all__ = ["cls_together", "calculators_together", "fit_calculators_together", "make_stack"]


def make_stack(backends: Sequence) -> BackendStack:
    """A stack of ``backends``: their class's own (``stack(backends)``, fused kernels) where all
    are of one class that has one, else the generic :class:`~likelihub.backend.stacking.BackendStack`."""
    kind = type(backends[0])
    if all(type(b) is kind for b in backends) and capabilities(backends[0]).stacking:
        return kind.stack(backends)
    return BackendStack(backends)


def _adopt(stack: BackendStack, member: int, request: FitRequest, fits: FitResults, row: int) -> None:
    """Hand row ``row`` of ``fits`` (in the stack's parameter order) to the request's profiler."""
    config = request.profiler.backend.config
    fixed = np.array(config.fixed, dtype=bool)
    if request.mu is not None:
        fixed[request.profiler.poi] = True
    result = fits[row]
    result.values = stack.to_member_order(member, result.values)
    result.parameter_names, result.fixed = tuple(config.parameter_names), fixed
    request.profiler.accept(request, result)


def _make_together(stack: BackendStack, requests: dict[int, FitRequest], edm_max: float) -> set[int]:
    """The fits ``requests`` (member -> its calculator's next fit) in lock-step, one batch per
    kind of fit (the POI's fixed value, or free) and bounds. A converged fit goes to its
    profiler; one that did not converge is made by its profiler alone, as without the stack.
    Returns the members whose fit failed alone too (their calculators report it)."""
    groups: dict[tuple, list[int]] = defaultdict(list)
    starts, bounds = {}, {}
    for member, request in requests.items():
        starts[member] = stack.to_stack_order(member, request.start)
        bounds[member] = stack.to_stack_order(member, request.profiler.bounds)
        groups[(request.mu, bounds[member].tobytes())].append(member)
    poi = stack.config.poi_index
    failed = set()
    for (mu, _), members in groups.items():
        # The earliest of the calculators' deadlines (made together, they differ by microseconds).
        deadline = min((requests[m].profiler.deadline for m in members), key=lambda d: d.at)
        fits = lockstep_newton(stack, np.stack([requests[m].profiler.data for m in members]),
                               fixed_values=None if mu is None else {poi: mu},
                               init=np.stack([starts[m] for m in members]), bounds=bounds[members[0]],
                               edm_max=edm_max, members=np.array(members), deadline=deadline)
        for row, member in enumerate(members):
            if fits.converged[row]:
                _adopt(stack, member, requests[member], fits, row)
                continue
            try:
                requests[member].profiler.make(requests[member])
            except FitTimeLimitError:
                raise
            except Exception:  # its calculator's cls() meets the same failure and reports it
                failed.add(member)
    return failed


def fit_calculators_together(stack: BackendStack, calculators: Sequence[AsymptoticCalculator],
                             mu: float) -> None:
    """Make the fits that ``calculator.cls(mu)`` needs, for all calculators together.

    Each round, every calculator says which fit it needs next
    (:meth:`~likelihub.infer.asymptotic.AsymptoticCalculator.fit_requests`); the requests of all
    calculators are made in lock-step, and the rounds go on until no calculator asks for more.
    The adopted fits are the minima only (``method="newton (lock-step)"``, no uncertainties),
    which is all that CLs reads of them. A fit that does not converge in lock-step is made by its
    profiler alone (MIGRAD and its retries, as without the stack), so that every later fit
    starts where it would alone; a calculator whose fit fails alone too asks for no more (its
    ``cls`` reports the failure).

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
    asking = set(range(len(calculators)))
    while asking:
        requests = {}
        for member in sorted(asking):
            asked = calculators[member].fit_requests(mu)
            if asked:
                requests[member] = asked[0]
            else:
                asking.discard(member)
        if requests:
            asking -= _make_together(stack, requests, edm_max)


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
            fit_calculators_together(make_stack([models[i].backend for i in members]),
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
        ``test_statistic``, ``asimov_global_observables``, ``data``, ``band``, ``blind`` (as
        :meth:`likelihub.StatisticalModel.calculator`; the asymptotic calculator only). With
        ``blind``, as :meth:`~likelihub.StatisticalModel.cls`: the expected results only.
    """
    expected = expected_results(expected, calculator_options.get("blind", False))
    calculators = calculators_together(models, mu, **calculator_options)
    return [c.cls(mu, expected=expected) for c in calculators]


def _has_derivatives(backend) -> bool:
    """Whether lock-step fits can run on ``backend`` (exact gradients and Hessians); models
    without them are fitted by their calculators alone."""
    offered = capabilities(backend)
    return offered.gradient and offered.hessian


def _edm_max(calculator: AsymptoticCalculator) -> float:
    return float(dict(calculator.fit_options or {}).get("edm_max", DEFAULT_EDM_MAX))
