"""The HistFactory family of models behind the point source ``histfactory.patchset``
(:mod:`.points`): a background-only workspace and one patch per signal point.

    import likelihub as lh
    table = lh.scan("atlas-susy-2019-08-1Lbb.tar.gz", "patchset.json", member="BkgOnly.json")
    table.write("results.json")

The core scans it (:mod:`likelihub.running.scan`: executors, lock-step CLs, limits, rows, output,
resume); what is HistFactory's is here. The background-only workspace is read and validated once,
and the patchset's digests checked once; each point travels to its worker with its own patch only
(the point's payload), where :class:`PatchModels` builds the model from the validated
:class:`~.spec.workspace.Workspace` (only the patched samples are checked again), keeping what was
compiled of the background's samples from one point to the next (:class:`~.compile.SampleCache`).
A row equals what ``get_backend("histfactory")(workspace, patchset=..., patch_name=name)`` gives
for that point to the precision of the fits (1Lbb: 5e-9 relative), whichever executor and chunk
computed it. A measurement that configures parameters the model lacks is reported once, not once
per point.
"""

from __future__ import annotations

import fnmatch
import glob
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

import likelihub
from likelihub.errors import InvalidArgumentError, InvalidModelError
from likelihub.plugin import ModelEvaluator, PointFamily, ScanPoint, ScanResult

from .compile import SampleCache
from .factory import build_model
from .patch_names import labelled_values
from .spec.io import archive_members, beside, read_json, read_json_members
from .spec.patchset import load_patchset
from .spec.workspace import Workspace

__all__ = ["scan", "PatchModels", "PatchsetFamily", "PointEvaluator", "patch_file_points",
           "WARM_UP_WORKSPACE"]

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
class PatchModels:
    """The model of a point: the validated background workspace with the point's patch (its
    payload). Picklable (sent to the scan's workers); what was compiled of the background's
    samples is kept from one point to the next in the same process (not pickled)."""

    workspace: Workspace
    model_options: Mapping = field(default_factory=dict)
    _cache: SampleCache | None = field(default=None, init=False, repr=False, compare=False)

    def __getstate__(self) -> dict:
        return {**self.__dict__, "_cache": None}

    def __call__(self, point: ScanPoint):
        if self._cache is None:
            self._cache = SampleCache()
        return build_model(self.workspace, patches=[point.payload], sample_cache=self._cache,
                           **self.model_options)

    @staticmethod
    def warm_up_model():
        """A one-bin model whose fits load the compiled kernels (numba's cache) a scan's fits use."""
        return build_model(WARM_UP_WORKSPACE, device="cpu")


class PointEvaluator(ModelEvaluator):
    """The core's :class:`~likelihub.running.scan.ModelEvaluator` of a background workspace's
    points (kept for code that built one from a workspace)."""

    def __init__(self, workspace: Workspace, what: str = "cls", mu: float = 1.0, cl: float = 0.95,
                 model_options: Mapping | None = None):
        super().__init__(PatchModels(workspace, dict(model_options or {})), what, mu, cl)


class PatchsetFamily(PointFamily):
    """A background workspace (read and validated once) and its points, read on :meth:`points`
    (after the scan's workers were started)."""

    def __init__(self, background: Workspace, patchset, patchset_member: str | None, patch_name,
                 model_options: Mapping, unused_parameters, patch_labels: Sequence[str] | None = None):
        super().__init__(PatchModels(background, model_options))
        self.background = background
        self.patchset = patchset
        self.patchset_member = patchset_member
        self.patch_name = patch_name
        self.patch_labels = patch_labels
        self.unused_parameters = unused_parameters
        self.measurement = model_options.get("measurement")

    @classmethod
    def open(cls, workspace, patchset, *, member: str | None = None, patchset_member: str | None = None,
             patch_name=None, patch_labels: Sequence[str] | None = None,
             model_options: Mapping | None = None) -> PatchsetFamily:
        """Read and validate the background workspace; ``patch_labels`` names the numbers in the
        names of patch files (:mod:`.patch_names`)."""
        options = dict(model_options or {})
        background = Workspace.load(workspace, member=member)
        unused_parameters = options.get("unused_parameters", "warn")
        # Settings of parameters a model lacks are reported once (before_scan), not once per point.
        options["unused_parameters"] = "ignore" if unused_parameters == "warn" else unused_parameters
        return cls(background, patchset, patchset_member, patch_name, options, unused_parameters,
                   patch_labels)

    def points(self) -> tuple[list[ScanPoint], list[str]]:
        """The points of the patchset (with its labels) or of the patch files (labelled by the
        numbers in their names, :mod:`.patch_names`)."""
        points, labels = _points(self.patchset, self.patchset_member, self.background, self.patch_labels)
        if self.patch_name is not None:
            points = _chosen(points, self.patch_name)
        return points, labels

    def before_scan(self, points: Sequence[ScanPoint]) -> None:
        """Warn, once, of parameter settings the first point's model lacks."""
        if self.unused_parameters == "warn":
            _warn_of_unused_parameters(self.background, points[0].payload, self.measurement)


def scan(workspace, patchset, mu: float = 1.0, what: str = "cls", executor=None, **options) -> ScanResult:
    """:func:`likelihub.scan` of the point source ``histfactory.patchset`` (kept for code that
    called the plugin's scan): every patch of ``patchset`` on the background ``workspace``.

    Parameters
    ----------
    workspace, patchset
        The background-only workspace (dict, JSON path, HEPData pallet with ``member``) and the
        points (patchset, pattern of patch files, folder of patch files).
    mu, what, executor, **options
        As :func:`likelihub.scan` (``member``, ``patchset_member``, ``patch_name``, ``cl``,
        ``output``, ``resume``, ..., and the ``histfactory`` factory's options).
    """
    return likelihub.scan(workspace, patchset, kind="histfactory.patchset", mu=mu, what=what,
                          executor=executor, **options)


def _chosen(points: list[ScanPoint], patch_name) -> list[ScanPoint]:
    """The points whose names match one of ``patch_name`` (names or shell patterns)."""
    patterns = [patch_name] if isinstance(patch_name, str) else list(patch_name)
    chosen = [p for p in points if any(fnmatch.fnmatchcase(p.name, pattern) for pattern in patterns)]
    if not chosen:
        raise InvalidArgumentError(f"no point is called {', '.join(map(repr, patterns))} (of "
                                   f"{len(points)} points)", argument="patch_name")
    return chosen


def _points(patchset, patchset_member, background, patch_labels=None) -> tuple[list[ScanPoint], list[str]]:
    """The points of a patchset (with its labels), or of a pattern or folder of patch files
    (labelled by the numbers in their names)."""
    if isinstance(patchset, (str, os.PathLike)) and os.path.isdir(patchset):
        return _labelled(folder_points(patchset, background.file), patch_labels)
    if isinstance(patchset, str) and any(c in patchset for c in PATTERN_CHARACTERS):
        return _labelled(patch_file_points(patchset, background.file), patch_labels)
    if patch_labels is not None:
        raise InvalidArgumentError("names the numbers in the names of patch files; a patchset has its "
                                   "own labels", argument="patch_labels")
    patches = load_patchset(patchset, member=patchset_member, origin=background.file)
    patches.verify(background)
    points = [ScanPoint(p.name, tuple(p.values), payload=list(p.operations)) for p in patches]
    return points, list(patches.labels)


#: Characters that make ``patchset`` a pattern of patch files (fnmatch / glob).
PATTERN_CHARACTERS = "*?["


def patch_file_points(pattern: str, origin: str | None) -> list[ScanPoint]:
    """One point per patch file matching ``pattern`` (HEPData pallets that publish one JSON patch
    per signal point, e.g. ATLAS sbottom's ``RegionA/patch.sbottom_*.json``): members of the
    background workspace's pallet where ``origin`` (its label) is one, else files on disk. A
    point is named after its file, without ``patch.`` and ``.json``; it has no label values here
    (the scan gives it those of its name, :mod:`.patch_names`).
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
    return _patch_points(names, documents)


def folder_points(folder, origin: str | None) -> list[ScanPoint]:
    """One point per JSON patch file in ``folder`` (sorted by name; the background workspace's
    own file, where it lies there, is not a point), named as by :func:`patch_file_points`."""
    background = Path(origin).resolve() if origin and os.path.isfile(origin) else None
    names = sorted(str(path) for path in Path(folder).glob("*.json")
                   if path.is_file() and path.resolve() != background)
    if not names:
        raise InvalidModelError("the folder holds no JSON patch file", file=str(folder))
    return _patch_points(names, [read_json(name) for name in names])


def _patch_points(names: list[str], documents: list) -> list[ScanPoint]:
    points = []
    for name, (document, label) in zip(names, documents, strict=True):
        operations = document.get("patch") if isinstance(document, dict) else document
        if not isinstance(operations, list):
            raise InvalidModelError("a patch file must hold a JSON patch (a list of operations) or a "
                                    "pyhf patch ({\"metadata\": ..., \"patch\": [...]})", file=label)
        stem = PurePosixPath(name).name.removesuffix(".json").removeprefix("patch.")
        points.append(ScanPoint(stem, (), payload=operations))
    return points


def _labelled(points: list[ScanPoint], patch_labels) -> tuple[list[ScanPoint], list[str]]:
    """Patch-file points with the numbers of their names as label values (:mod:`.patch_names`)."""
    values, labels = labelled_values([p.name for p in points], patch_labels)
    return [ScanPoint(p.name, v, payload=p.payload) for p, v in zip(points, values, strict=True)], labels


def _warn_of_unused_parameters(background: Workspace, patch, measurement) -> None:
    """Warn, once, of parameter settings the first point's model lacks (the workers ignore them)."""
    try:
        background.model_spec(measurement, [patch], "warn")
    except InvalidModelError:
        pass  # the point's row reports it
