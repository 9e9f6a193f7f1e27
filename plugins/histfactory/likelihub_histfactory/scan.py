"""Every signal point of a patchset: CLs at one mu, or upper limits (``likelihub.scan``).

    import likelihub as lh
    table = lh.scan("atlas-susy-2019-08-1Lbb.tar.gz", "patchset.json", member="BkgOnly.json")
    table.write("results.json")

The background-only workspace is read and validated once, and the patchset's digests checked
once; each point travels to its worker with its own patch only (:class:`likelihub.running.scanning.ScanPoint`
payloads), where the model is built from the validated :class:`~.spec.workspace.Workspace` (only the
patched samples are checked again). For CLs, the fits of a chunk's points advance in lock-step
(:mod:`likelihub.infer.lockstep`); a row equals what
``get_backend("histfactory")(workspace, patchset=..., patch_name=name)`` gives for that point to
the precision of the fits (1Lbb: 5e-9 relative), whichever executor and chunk computed it.
A measurement that configures parameters the model lacks is reported once, not once per point.
Executors as in :func:`likelihub.running.scanning.run_scan`: local processes (default), ``"serial"``, a
``concurrent.futures`` executor, or a Dask ``distributed.Client`` / scheduler address.

With ``output=``, rows are appended to the file as they finish, an interrupted scan keeps them,
``resume=True`` computes only the points the file lacks, and the final file is written in the
patchset's order, atomically (:mod:`likelihub.running.scan_output`).
"""

from __future__ import annotations

import fnmatch
import glob
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import PurePosixPath

from likelihub.errors import InvalidModelError
from likelihub.infer.lockstep import calculators_together
from likelihub.infer.profile import poi_bounds_for
from likelihub.running.scan_output import ScanOutput
from likelihub.running.scanning import (
    CONNECT_TIMEOUT,
    ExecutorError,
    LocalPool,
    ScanPoint,
    ScanResult,
    executor_problem,
    run_scan,
)

from .compile import SampleCache
from .factory import build_model
from .spec.io import archive_members, beside, read_json, read_json_members
from .spec.patchset import load_patchset
from .spec.workspace import Workspace

__all__ = ["scan", "PointEvaluator", "patch_file_points"]

WHAT = ("cls", "upper_limit")

#: A one-bin model whose fits call every kernel a scan's fits call, with the same argument types.
WARM_UP_WORKSPACE = {
    "channels": [{"name": "SR", "samples": [
        {"name": "signal", "data": [2.0], "modifiers": [{"name": "mu", "type": "normfactor", "data": None}]},
        {"name": "background", "data": [5.0], "modifiers": [
            {"name": "syst", "type": "normsys", "data": {"hi": 1.1, "lo": 0.9}},
            {"name": "stat", "type": "staterror", "data": [0.5]}]}]}],
    "observations": [{"name": "SR", "data": [6.0]}],
    "measurements": [{"name": "m", "config": {"poi": "mu", "parameters": []}}],
    "version": "1.0.0",
}


@dataclass
class PointEvaluator:
    """Builds the model of one point (background workspace + the point's patch) and tests it.

    Picklable: it is sent to the scan's workers. ``workspace`` is validated already (it is
    not validated again for each point). What was compiled of the background's samples is kept
    from one point to the next in the same process (:class:`~.compile.SampleCache`; not
    pickled).
    """

    workspace: Workspace
    what: str = "cls"
    mu: float = 1.0
    cl: float = 0.95
    model_options: Mapping = field(default_factory=dict)
    _cache: SampleCache | None = field(default=None, init=False, repr=False, compare=False)

    def __getstate__(self) -> dict:
        return {**self.__dict__, "_cache": None}

    def warm_up(self) -> None:
        """Load the compiled kernels (numba's cache) with a one-bin model, as a worker starts."""
        model = build_model(WARM_UP_WORKSPACE, device="cpu")
        model.cls(1.0)  # the one-model fits (upper limits; fits that lock-step leaves alone)
        calculators_together([model], 1.0)[0].cls(1.0)  # the stack's kernels

    def _model(self, point: ScanPoint):
        if self._cache is None:
            self._cache = SampleCache()
        return build_model(self.workspace, patches=[point.payload], sample_cache=self._cache,
                           **self.model_options)

    def __call__(self, point: ScanPoint) -> dict:
        """The results of one point (as :meth:`evaluate_many`, which scans use)."""
        outcome = self.evaluate_many([point])[0]
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    def _limit(self, model) -> dict:
        limit = model.upper_limit(cl=self.cl)
        return {"upper_limit_obs": limit.observed, "upper_limit_exp": limit.expected}

    def evaluate_many(self, points: Sequence[ScanPoint]) -> list:
        """Each point's results, or the exception it raised; for CLs, the fits of all points
        advance in lock-step (:func:`likelihub.infer.lockstep.calculators_together`), so that a
        row is the same whichever points it was evaluated with (and equal to the single model's
        to the precision of the fits)."""
        outcomes: list = []
        for point in points:
            try:
                outcomes.append(self._model(point))
            except Exception as error:  # this point's row reports it
                outcomes.append(error)
        if self.what != "cls":
            return [self._guarded(self._limit, model) for model in outcomes]
        built = [i for i, model in enumerate(outcomes) if not isinstance(model, Exception)]
        try:
            calculators = calculators_together([outcomes[i] for i in built], self.mu)
        except Exception:  # a failed fit is its point's alone (left to its calculator); anything
            # else: each point fits alone and reports its own error
            calculators = [outcomes[i].calculator() for i in built]
        for i, calculator in zip(built, calculators, strict=True):
            outcomes[i] = self._guarded(self._cls, calculator)
        return outcomes

    def _cls(self, calculator) -> dict:
        result = calculator.cls(self.mu)
        return {"cls_obs": result.cls_obs, "cls_exp": result.cls_exp}

    @staticmethod
    def _guarded(function, argument):
        if isinstance(argument, Exception):
            return argument
        try:
            return function(argument)
        except Exception as error:
            return error


def scan(workspace, patchset, mu: float = 1.0, what: str = "cls", executor=None, *,
         member: str | None = None, patchset_member: str | None = None, cl: float = 0.95,
         max_workers: int | None = None, progress=None, output=None, resume: bool = False,
         connect_timeout: float = CONNECT_TIMEOUT, **model_options) -> ScanResult:
    """CLs at ``mu`` (``what="cls"``) or upper limits (``what="upper_limit"``) of every patch.

    Parameters
    ----------
    workspace
        The background-only workspace: dict, JSON path, or HEPData pallet (with ``member``).
    patchset
        The patchset: dict, JSON path, :class:`~.spec.patchset.PatchSet`, or a member name of the
        workspace's pallet; or a pattern of patch files, one per point (``"RegionA/patch.*.json"``:
        members of the workspace's pallet, else files; :func:`patch_file_points`).
    mu
        Signal strength tested for CLs (finite, within the POI's bounds).
    what
        ``"cls"`` or ``"upper_limit"``.
    executor
        See :func:`likelihub.running.scanning.run_scan`.
    member, patchset_member
        Member names in pallet archives.
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
    model_options
        Passed to the ``histfactory`` factory for each point (e.g. ``measurement``).

    Returns
    -------
    ScanResult
        One row per patch, in the patchset's order: ``name``, ``values`` and ``cls_obs``,
        ``cls_exp`` (or ``upper_limit_obs``, ``upper_limit_exp``), ``error`` for failed points.

    Raises
    ------
    likelihub.running.scan_output.ScanOutputError
        An output that cannot be written, is being written by another scan, or cannot be resumed.
    likelihub.running.scanning.ExecutorError
        An unknown or unreachable executor, or a worker process that died.
    InvalidModelError
        Bad arguments (naming them) or a bad workspace or patchset.
    """
    _check_arguments(what, mu, cl, output, resume)
    problem = executor_problem(executor)
    if problem:
        raise ExecutorError(f"executor: {problem}")
    options = dict(model_options)
    settings = {"what": what, **({"mu": float(mu)} if what == "cls" else {"cl": float(cl)}),
                **{k: repr(v) for k, v in sorted(options.items())}}
    writer = ScanOutput(output, resume=resume, settings=settings) if output is not None else None
    pool = None
    try:
        background = Workspace.load(workspace, member=member)
        unused_parameters = options.get("unused_parameters", "warn")
        # Settings of parameters a model lacks are reported here, once (below), not once per point.
        options["unused_parameters"] = "ignore" if unused_parameters == "warn" else unused_parameters
        evaluator = PointEvaluator(background, what, float(mu), cl, options)
        # The local workers start now and warm up while the patchset is read and verified.
        pool = LocalPool(evaluator, max_workers) if executor in (None, "processes") else None
        points, labels = _points(patchset, patchset_member, background)
        if points:
            if unused_parameters == "warn":
                _warn_of_unused_parameters(background, points[0].payload, options.get("measurement"))
            if what == "cls":
                _check_mu_within_bounds(background, points[0], float(mu), options)
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


def _check_arguments(what, mu, cl, output, resume) -> None:
    if what not in WHAT:
        raise InvalidModelError(f"must be one of {WHAT}, got {what!r}", argument="what")
    try:
        finite = math.isfinite(float(mu)) and math.isfinite(float(cl))
    except (TypeError, ValueError):
        finite = False
    if not finite:
        raise InvalidModelError(f"mu and cl must be finite numbers, got mu = {mu!r}, cl = {cl!r}",
                                argument="mu" if what == "cls" else "cl")
    if not 0.0 < float(cl) < 1.0:
        raise InvalidModelError(f"must lie between 0 and 1, got {cl!r}", argument="cl")
    if resume and output is None:
        raise InvalidModelError("resume=True needs the output to resume", argument="resume")


def _points(patchset, patchset_member, background) -> tuple[list[ScanPoint], list[str]]:
    """The points of a patchset (with its labels) or of a pattern of patch files (no labels)."""
    if isinstance(patchset, str) and any(c in patchset for c in PATTERN_CHARACTERS):
        return patch_file_points(patchset, background.file), []
    patches = load_patchset(patchset, member=patchset_member, origin=background.file)
    patches.verify(background)
    points = [ScanPoint(p.name, tuple(p.values), payload=list(p.operations)) for p in patches]
    return points, list(patches.labels)


def _check_mu_within_bounds(background: Workspace, point: ScanPoint, mu: float, options) -> None:
    """Refuse, before any fit, a tested mu outside the POI's bounds (of the first point's model:
    the points of a patchset share their parameters); a model that cannot be built is left to
    its point's row."""
    try:
        model = build_model(background, patches=[point.payload], **options)
        poi = model.config.require_poi()
        low, high = poi_bounds_for(model.config, "qtilde")[poi]
    except Exception:
        return
    if not low <= mu <= high:
        raise InvalidModelError(f"mu = {mu:g} lies outside the bounds [{low:g}, {high:g}] of the "
                                f"parameter of interest {model.config.parameter_names[poi]!r}",
                                argument="mu")


#: Characters that make ``patchset`` a pattern of patch files (fnmatch / glob).
PATTERN_CHARACTERS = "*?["


def patch_file_points(pattern: str, origin: str | None) -> list[ScanPoint]:
    """One point per patch file matching ``pattern`` (HEPData pallets that publish one JSON patch
    per signal point, e.g. ATLAS sbottom's ``RegionA/patch.sbottom_*.json``): members of the
    background workspace's pallet where ``origin`` (its label) is one, else files on disk. A
    point is named after its file, without ``patch.`` and ``.json``; it has no label values.
    """
    archive, member = beside(pattern, origin)
    if member is not None:
        names = [m for m in archive_members(archive) if fnmatch.fnmatchcase(m, member)]
        documents = read_json_members(archive, names)
    else:
        names = sorted(glob.glob(str(pattern)))
        documents = [read_json(name) for name in names]
    if not names:
        raise InvalidModelError(f"no patch file matches {pattern!r}",
                                file=str(archive) if member is not None else None)
    points = []
    for name, (document, label) in zip(names, documents, strict=True):
        operations = document.get("patch") if isinstance(document, dict) else document
        if not isinstance(operations, list):
            raise InvalidModelError("a patch file must hold a JSON patch (a list of operations) or a "
                                    "pyhf patch ({\"metadata\": ..., \"patch\": [...]})", file=label)
        stem = PurePosixPath(name).name.removesuffix(".json").removeprefix("patch.")
        points.append(ScanPoint(stem, (), payload=operations))
    return points


def _warn_of_unused_parameters(background: Workspace, patch, measurement) -> None:
    """Warn, once, of parameter settings the first point's model lacks (the workers ignore them)."""
    try:
        background.model_spec(measurement, [patch], "warn")
    except InvalidModelError:
        pass  # the point's row reports it
