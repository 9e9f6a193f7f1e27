"""Scans of any family of models: CLs at one mu, or upper limits, of every point (``likelihub.scan``).

    import likelihub as lh
    table = lh.scan("atlas-susy-2019-08-1Lbb.tar.gz", "patchset.json", member="BkgOnly.json")
    table = lh.scan("signal_grid.csv", background=b, data=n, covariance=cov)
    table.write("results.json")

What the points are, and how each one's model is built, comes from a plugin's point source
(:mod:`likelihub.running.points`), found in the registry by ``kind=`` or by asking each installed
source whether it recognises the input; the rest is the core's and the same for every source:

- what every point shares is read and validated once (:meth:`PointSource.open`), and each point
  travels to its worker with its own payload only (:class:`~likelihub.running.scanning.ScanPoint`);
  local worker processes start, and warm up, while the points are read;
- for CLs, the fits of a chunk's models advance in lock-step
  (:func:`likelihub.infer.lockstep.calculators_together`): a row equals what the point's single
  model gives, to the precision of the fits, whichever executor and chunk computed it; upper
  limits are found model by model;
- a tested mu outside the POI's bounds is refused before any fit;
- executors, chunks and progress as in :func:`likelihub.running.scanning.run_scan`; with
  ``output=``, rows are appended as they finish, an interrupted scan keeps them, ``resume=True``
  computes only the points the file lacks, and the final file is written in the points' order,
  atomically (:mod:`likelihub.running.scan_output`).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from likelihub.backend.capabilities import evaluator_capabilities
from likelihub.errors import ExecutorError, InvalidArgumentError
from likelihub.running.points import PointSource
from likelihub.running.scan_output import ScanOutput
from likelihub.running.scanning import (
    CONNECT_TIMEOUT,
    LocalPool,
    ScanPoint,
    ScanResult,
    executor_problem,
    run_scan,
)

__all__ = ["scan", "ModelEvaluator", "resolve_source", "WHAT"]

WHAT = ("cls", "upper_limit")


@dataclass
class ModelEvaluator:
    """Builds the model of a point (``builder(point)``) and tests it: CLs at ``mu`` or the upper
    limit at confidence level ``cl``. Picklable where ``builder`` is: sent to the scan's workers.

    For CLs, :meth:`evaluate_many` advances the fits of a chunk's models in lock-step, so that a
    row is the same whichever points it was evaluated with (and equal to the single model's to the
    precision of the fits).
    """

    builder: Callable[[ScanPoint], object]
    what: str = "cls"
    mu: float = 1.0
    cl: float = 0.95

    def warm_up(self) -> None:
        """Fit the builder's ``warm_up_model()``, where it has one, as a worker starts: one model
        alone (upper limits; fits that lock-step leaves alone) and as a stack of one."""
        from likelihub.infer.lockstep import calculators_together

        if not evaluator_capabilities(self).warm_up_model:
            return
        model = self.builder.warm_up_model()
        model.cls(1.0)
        calculators_together([model], 1.0)[0].cls(1.0)

    def __call__(self, point: ScanPoint) -> dict:
        """The results of one point (as :meth:`evaluate_many`, which scans use)."""
        outcome = self.evaluate_many([point])[0]
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    def evaluate_many(self, points: Sequence[ScanPoint]) -> list:
        """Each point's results (a dict), or the exception it raised."""
        from likelihub.infer.lockstep import calculators_together

        outcomes: list = []
        for point in points:
            try:
                outcomes.append(self.builder(point))
            except Exception as error:  # this point's row reports it
                outcomes.append(error)
        if self.what != "cls":
            return [_guarded(self._limit, model) for model in outcomes]
        built = [i for i, model in enumerate(outcomes) if not isinstance(model, Exception)]
        try:
            calculators = calculators_together([outcomes[i] for i in built], self.mu)
        except Exception:  # a failed fit is its point's alone (left to its calculator); anything
            # else: each point fits alone and reports its own error
            calculators = [outcomes[i].calculator() for i in built]
        for i, calculator in zip(built, calculators, strict=True):
            outcomes[i] = _guarded(self._cls, calculator)
        return outcomes

    def _limit(self, model) -> dict:
        limit = model.upper_limit(cl=self.cl)
        return {"upper_limit_obs": limit.observed, "upper_limit_exp": limit.expected}

    def _cls(self, calculator) -> dict:
        result = calculator.cls(self.mu)
        return {"cls_obs": result.cls_obs, "cls_exp": result.cls_exp}


def _guarded(function, argument):
    if isinstance(argument, Exception):
        return argument
    try:
        return function(argument)
    except Exception as error:
        return error


def resolve_source(source, more: Sequence, kind: str | PointSource | None,
                   options: Mapping) -> PointSource:
    """The point source named by ``kind`` (a registered name, or a :class:`PointSource`), else the
    one installed source that recognises the inputs
    (:func:`~likelihub.registry.catalogue.find_point_source`)."""
    from likelihub.registry.catalogue import find_point_source, get_point_source

    if isinstance(kind, PointSource):
        return kind
    if kind is not None:
        if not isinstance(kind, str):
            raise InvalidArgumentError(f"must be a point source's name, not {type(kind).__name__}",
                                       argument="kind")
        return get_point_source(kind)
    return find_point_source(source, *more, **options)


def scan(source, /, *more, kind: str | PointSource | None = None, mu: float = 1.0, what: str = "cls",
         executor=None, cl: float = 0.95, max_workers: int | None = None, progress=None, output=None,
         resume: bool = False, connect_timeout: float = CONNECT_TIMEOUT, **options) -> ScanResult:
    """CLs at ``mu`` (``what="cls"``) or upper limits (``what="upper_limit"``) of every point of a
    family of models.

    Parameters
    ----------
    source, *more
        The family's inputs, as its point source reads them: a HistFactory background workspace
        and its patchset (``histfactory.patchset``), a table of signal yields
        (``simplified.signal_grid``), ...
    kind
        The registered name of the point source (``likelihub plugins`` lists them); by default,
        the one installed source that recognises the inputs.
    mu
        Signal strength tested for CLs (finite, within the POI's bounds).
    what
        ``"cls"`` or ``"upper_limit"``.
    executor
        See :func:`likelihub.running.scanning.run_scan`.
    cl
        Confidence level of the upper limits.
    max_workers, progress
        Local processes, and the progress bar (see :func:`likelihub.running.scanning.run_scan`).
    output
        A ``.csv``, ``.json`` or ``.jsonl`` file to write the rows to, as they finish (checked,
        and locked against other scans, before any work; see :mod:`likelihub.running.scan_output`).
    resume
        Keep the rows ``output`` holds (of an interrupted scan with the same settings) and
        compute only the other points.
    connect_timeout
        Seconds to wait for a Dask scheduler given by its address.
    **options
        The point source's options (e.g. ``member=``, ``measurement=`` of ``histfactory.patchset``;
        ``backend=``, ``background=`` of ``simplified.signal_grid``).

    Returns
    -------
    ScanResult
        One row per point, in the source's order: ``name``, ``values`` and ``cls_obs``,
        ``cls_exp`` (or ``upper_limit_obs``, ``upper_limit_exp``), ``error`` for failed points.

    Raises
    ------
    likelihub.errors.ScanOutputError
        An output that cannot be written, is being written by another scan, or cannot be resumed.
    likelihub.errors.ExecutorError
        An unknown or unreachable executor, or a worker process that died.
    likelihub.errors.InvalidModelError
        Bad arguments (naming them), no source for the inputs, or bad inputs.
    likelihub.errors.UnknownBackendError
        ``kind`` names no installed point source.
    """
    check_scan_arguments(what=what, mu=mu, cl=cl, output=output, resume=resume)
    problem = executor_problem(executor)
    if problem:
        raise ExecutorError(f"executor: {problem}")
    point_source = resolve_source(source, more, kind, options)
    settings = {"what": what, **({"mu": float(mu)} if what == "cls" else {"cl": float(cl)}),
                **point_source.settings(options)}
    writer = ScanOutput(output, resume=resume, settings=settings) if output is not None else None
    pool = None
    try:
        family = point_source.open(source, *more, **options)
        evaluator = ModelEvaluator(family.builder, what, float(mu), float(cl))
        # The local workers start now and warm up while the points are read.
        pool = LocalPool(evaluator, max_workers) if executor in (None, "processes") else None
        points, labels = family.points()
        if points:
            family.before_scan(points)
            if what == "cls":
                _check_mu_within_bounds(family.builder, points[0], float(mu))
        todo = writer.start(points, labels, what) if writer is not None else points
        rows = run_scan(todo, evaluator, executor=pool or executor, max_workers=max_workers,
                        progress=progress, on_rows=writer.append if writer is not None else None,
                        connect_timeout=connect_timeout)
        if writer is not None:
            rows = writer.finish(points)
    except BaseException:
        if pool is not None:
            pool.terminate()  # now: an interrupted scan must not leave workers computing
            pool = None
        raise
    finally:
        if pool is not None:
            pool.shutdown()
        if writer is not None:
            writer.close()
    return ScanResult(rows, labels=labels, what=what, mu=float(mu) if what == "cls" else None)


def check_scan_arguments(*, what: str, mu: float, cl: float, output, resume: bool) -> None:
    """Refuse, before any work, an unknown ``what``, a non-finite ``mu`` or ``cl``, ``cl``
    outside (0, 1), and ``resume`` without ``output``.

    Raises
    ------
    InvalidArgumentError
        Naming the argument.
    """
    if what not in WHAT:
        raise InvalidArgumentError(f"must be one of {WHAT}, got {what!r}", argument="what")
    try:
        finite = math.isfinite(float(mu)) and math.isfinite(float(cl))
    except (TypeError, ValueError):
        finite = False
    if not finite:
        raise InvalidArgumentError(f"mu and cl must be finite numbers, got mu = {mu!r}, cl = {cl!r}",
                                   argument="mu" if what == "cls" else "cl")
    if not 0.0 < float(cl) < 1.0:
        raise InvalidArgumentError(f"must lie between 0 and 1, got {cl!r}", argument="cl")
    if resume and output is None:
        raise InvalidArgumentError("resume=True needs the output to resume", argument="resume")


def _check_mu_within_bounds(builder, point: ScanPoint, mu: float) -> None:
    """Refuse, before any fit, a tested mu outside the POI's bounds (of the first point's model:
    a family's points share their parameters); a model that cannot be built is left to its
    point's row."""
    from likelihub.infer.profile import poi_bounds_for

    try:
        model = builder(point)
        poi = model.config.require_poi()
        low, high = poi_bounds_for(model.config, "qtilde")[poi]
    except Exception:
        return
    if not low <= mu <= high:
        raise InvalidArgumentError(f"mu = {mu:g} lies outside the bounds [{low:g}, {high:g}] of the "
                                   f"parameter of interest {model.config.parameter_names[poi]!r}",
                                   argument="mu")
