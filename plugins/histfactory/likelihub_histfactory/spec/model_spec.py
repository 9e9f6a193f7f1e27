"""Everything a likelihood is built from, in one call: the patched model specification, the
observed data and the measurement.

    spec, observations, config, origin = load_model_spec(
        "atlas-susy-2019-08-1Lbb.tar.gz", member="BkgOnly.json",
        patchset="patchset.json", patch_name="C1N2_Wh_hbb_900_250")

It reads the workspace (:class:`~.workspace.Workspace`, validated unless it is one already), the
patchset (:class:`~.patchset.PatchSet`, digests verified) and the patches, and asks the workspace
for the model specification (:meth:`~.workspace.Workspace.model_spec`). The factory
(:mod:`likelihub_histfactory.factory`) compiles what it returns.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from os import PathLike

from likelihub.errors import InvalidModelError

from .patchset import load_patchset
from .workspace import Workspace

__all__ = ["load_model_spec"]


def load_model_spec(workspace, patches: Iterable = (), measurement: str | None = None,
                    member: str | None = None, patchset=None, patch_name=None,
                    unused_parameters: str = "warn") -> tuple[dict, dict, dict, str | None]:
    """Everything a likelihood is built from, in one call (what ``histfactory`` factories need).

    Parameters
    ----------
    workspace
        A dict, a JSON path, a ``.tar.gz`` pallet (with ``member``), or a :class:`Workspace`
        (validated when it was made, so not again: build many models from one, as a scan does;
        only the samples the patches change are checked).
    patches
        JSON patches applied in order (lists of operations, paths, :class:`~.patches.Patch`).
        A path that is no file is read from the workspace's archive.
    measurement
        Measurement name; the first by default.
    member
        The workspace's member of the archive.
    patchset, patch_name
        A patchset (dict, path, member of the workspace's archive, or :class:`~.patchset.PatchSet`)
        and the name (or tuple of label values) of its patch, applied after ``patches``; the
        patchset's digests are verified against the background-only workspace first.
    unused_parameters
        See :func:`~.checks.check_model`.

    Returns
    -------
    (spec, observations, measurement_config, origin)
        The patched model specification ``{"channels", "parameters"}``, the observed counts by
        channel name, the chosen measurement's ``config`` (POI and patched parameter settings),
        and the label naming the source in errors.
    """
    ws = Workspace.load(workspace, member=member)
    patches = [patches] if isinstance(patches, (str, PathLike, Mapping)) else list(patches)
    if patchset is not None:
        if patch_name is None:
            raise InvalidModelError("a patchset is given without the name of its patch to apply",
                                    argument="patch_name")
        patchset = load_patchset(patchset, origin=ws.file)
        patchset.verify(ws)
        patches.append(patchset[patch_name] if isinstance(patch_name, str) else
                       patchset.patch_for(patch_name))
    elif patch_name is not None:
        raise InvalidModelError("patch_name is given without a patchset", argument="patchset")
    spec, chosen = ws.model_spec(measurement, patches, unused_parameters)
    return spec, ws.observations, chosen["config"], ws.file
