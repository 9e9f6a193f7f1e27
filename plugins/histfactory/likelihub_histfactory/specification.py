"""From what the user passes (workspace, patches, patchset, measurement) to the model specification.

pyhf's semantics: the measurement's parameter configurations and the workspace's channels form
the specification ``{"channels": ..., "parameters": ...}``; patches apply to that (not to the
observations); observed data are the workspace's observations of the channels that remain.
Reading and validating files, patches and patchsets belongs to :mod:`.workspace`,
:mod:`.patchset` and :mod:`.io` where they are present; a minimal reader stands in otherwise.
"""

from __future__ import annotations

import copy
import json
import tarfile
from collections.abc import Sequence
from os import PathLike
from pathlib import Path

import jsonpatch

from likelihub.errors import InvalidModelError

__all__ = ["model_specification", "read_document"]


def read_document(source, member: str | None = None, archive: str | None = None):
    """A JSON document: a dict/list as is, a JSON file, or a member of a .tar.gz pallet.

    Returns the document and a label for error messages.
    """
    if isinstance(source, dict | list):
        return copy.deepcopy(source), None
    if not isinstance(source, str | PathLike):
        raise InvalidModelError(f"expected a dictionary or a path, got {type(source).__name__}")
    try:
        from . import io as _io  # the workspace tooling's reader, where present
    except ImportError:  # pragma: no cover - before the tooling lands
        _io = None
    if archive is not None and not Path(source).is_file():
        source, member = archive, str(source)
    if _io is not None and hasattr(_io, "read_json"):
        return _io.read_json(source, member=member)
    path = Path(source)
    label = f"{path}:{member}" if member else str(path)
    try:
        if str(path).endswith((".tar.gz", ".tgz", ".tar")):
            with tarfile.open(path) as tar:
                return json.load(tar.extractfile(member)), label
        return json.loads(path.read_text()), label
    except (OSError, KeyError, tarfile.TarError, json.JSONDecodeError) as error:
        raise InvalidModelError(f"cannot read JSON ({error})", file=label) from None


def _operations(patch, archive: str | None) -> list:
    document, label = (patch, None) if isinstance(patch, dict | list) else read_document(
        patch, archive=archive)
    if isinstance(document, dict) and "patch" in document:
        document = document["patch"]
    if not isinstance(document, list):
        raise InvalidModelError("a patch must be a list of JSON-patch operations", file=label)
    return document


def _patch_from_set(patchset, patch_name: str | None, archive: str | None) -> list:
    document, label = (patchset, None) if isinstance(patchset, dict) else read_document(
        patchset, archive=archive)
    names = [p.get("metadata", {}).get("name") for p in document.get("patches", [])]
    if patch_name not in names:
        raise InvalidModelError(f"no patch called {patch_name!r} in the patchset "
                                f"({len(names)} patches, e.g. {names[:3]})", file=label,
                                argument="patch_name")
    return document["patches"][names.index(patch_name)]["patch"]


def model_specification(workspace, patches: Sequence = (), measurement: str | None = None,
                        patchset=None, patch_name: str | None = None, member: str | None = None):
    """The patched specification, observations, measurement config and a source label.

    Returns
    -------
    spec : dict
        ``{"channels": [...], "parameters": [...]}`` with the patches applied.
    observations : dict
        Observed counts by channel name.
    measurement_config : dict
        The measurement's ``config`` (``poi``, ``parameters``).
    source : str or None
        A label of the workspace for error messages.
    """
    document, source = read_document(workspace, member=member)
    archive = str(workspace) if isinstance(workspace, str | PathLike) and str(workspace).endswith(
        (".tar.gz", ".tgz", ".tar")) else None
    if isinstance(patches, str | PathLike | dict):
        patches = [patches]
    operations = [_operations(p, archive) for p in patches]
    if patchset is not None:
        if patch_name is None:
            raise InvalidModelError("name the patch of the patchset to apply", argument="patch_name")
        operations.append(_patch_from_set(patchset, patch_name, archive))
    elif patch_name is not None:
        raise InvalidModelError("patch_name needs a patchset", argument="patchset")

    if not isinstance(document, dict) or "channels" not in document:
        raise InvalidModelError("not a HistFactory workspace (no 'channels')", file=source)
    measurements = document.get("measurements") or []
    if not measurements:
        raise InvalidModelError("the workspace defines no measurement", file=source)
    names = [m.get("name") for m in measurements]
    if measurement is None:
        chosen = measurements[0]
    elif measurement in names:
        chosen = measurements[names.index(measurement)]
    else:
        raise InvalidModelError(f"no measurement called {measurement!r} (the workspace has {names})",
                                file=source, argument="measurement")
    config = chosen.get("config") or {}
    spec = {"channels": document["channels"], "parameters": config.get("parameters", [])}
    for i, ops in enumerate(operations):
        try:
            spec = jsonpatch.JsonPatch(ops).apply(spec)
        except (jsonpatch.JsonPatchException, jsonpatch.JsonPointerException, TypeError) as error:
            raise InvalidModelError(f"patch {i} does not apply: {error}", file=source,
                                    argument="patches") from None
    observations = {o["name"]: o["data"] for o in document.get("observations", [])}
    return spec, observations, config, source
