"""JSON patches (RFC 6902): reading them, applying them to a specification, and digests.

    patch = read_patch("patch.json")                       # a list of operations, or pyhf's
                                                           # {"metadata", "patch"}, or an archive member
    spec = patch.apply(background_only)                    # a patched copy
    spec, label = apply_patches(spec, ["a.json", patch])  # several, with a label for errors
    digest(spec)                                           # pyhf.utils.digest

A patchset (:mod:`.patchset`) names such patches and records the :func:`digest` of the
background-only workspace they were made for: the hex digest (sha256 or md5) of its JSON serialised
with sorted keys, no ASCII escaping, pyhf's default separators, encoded as UTF-8 (as
``pyhf.utils.digest`` computes it). :class:`~.workspace.Workspace` applies patches through
:func:`apply_patches`; neither this module nor :mod:`.workspace` imports :mod:`.patchset`.
"""

from __future__ import annotations

import copy
import hashlib
import json
from collections.abc import Mapping, Sequence

import jsonpatch
import jsonpointer

from likelihub.errors import InvalidModelError

from .io import beside, read_json
from .schema import validate

__all__ = ["Patch", "digest", "read_patch", "apply_operations", "apply_patches"]


def digest(spec, algorithm: str = "sha256") -> str:
    """Hex digest of the canonical JSON of ``spec`` (matches ``pyhf.utils.digest``)."""
    try:
        hasher = hashlib.new(algorithm)
    except (ValueError, TypeError):
        raise ValueError(f"{algorithm!r} is not a hash algorithm of hashlib") from None
    try:
        text = json.dumps(dict(spec) if isinstance(spec, Mapping) else spec, sort_keys=True,
                          ensure_ascii=False)
    except TypeError as error:
        raise ValueError(f"the object is not JSON-serialisable: {error}") from None
    hasher.update(text.encode("utf8"))
    return hasher.hexdigest()


def _own_path(document: dict, operation: Mapping) -> None:
    """Copy (shallowly) the containers on the operation's path(s), so that changing them in place
    leaves the original specification alone: the rest stays shared, not copied (a whole 1Lbb
    workspace took 50 ms to copy, for each of its 125 signal points)."""
    for pointer in (operation.get("path"), operation.get("from")):
        if not isinstance(pointer, str):
            continue
        node = document
        for part in jsonpointer.JsonPointer(pointer).parts[:-1]:
            try:
                key = int(part) if isinstance(node, list) else part
                child = node[key]
            except (KeyError, IndexError, ValueError, TypeError):
                break  # jsonpatch reports the bad path
            if not isinstance(child, dict | list):
                break
            node[key] = child = copy.copy(child)
            node = child


def apply_operations(spec: dict, operations: Sequence[Mapping], label: str | None = None,
                     share: bool = False) -> dict:
    """Apply JSON Patch ``operations`` to a copy of ``spec``.

    With ``share=True`` only the containers the operations change are copied, and the rest of
    ``spec`` and the values the operations add are shared: the result is then to be read, not
    changed (what building a model needs, 125 times over for a patchset; a full copy of the 1Lbb
    workspace takes 50 ms).

    Raises
    ------
    InvalidModelError
        For the first operation that does not apply, naming the patch (``label``), the
        operation's index, op and path, and why.
    """
    document = dict(spec) if share else json.loads(json.dumps(spec))
    for index, operation in enumerate(operations):
        if "value" in operation and not share:  # the patch's own objects stay the patch's
            operation = {**operation, "value": json.loads(json.dumps(operation["value"]))}
        try:
            _own_path(document, operation)
            document = jsonpatch.apply_patch(document, [operation], in_place=True)
        except (jsonpatch.JsonPatchException, jsonpointer.JsonPointerException) as error:
            op, path = operation.get("op"), operation.get("path")
            reason = str(error) if len(str(error)) <= 160 else str(error)[:157] + "..."
            raise InvalidModelError(f"patch operation {index} ({op} {path!r}) does not apply: "
                                    f"{reason}", file=label) from None
    return document


class Patch:
    """One JSON patch with a name and, in a patchset, the values of the patchset's labels.

    Attributes
    ----------
    operations
        The RFC 6902 operations.
    name, values, metadata
        The patch's name, its labels' values (a tuple), and all its metadata.
    origin
        Where it was read from (named in errors).
    """

    def __init__(self, operations: Sequence[Mapping], name: str | None = None,
                 values: Sequence = (), metadata: Mapping | None = None, origin: str | None = None):
        self.operations = [dict(op) for op in operations]
        self.name = name
        self.values = tuple(values)
        self.metadata = dict(metadata or {"name": name, "values": list(values)})
        self.origin = origin

    def __repr__(self) -> str:
        return f"<Patch {self.name or self.origin or 'unnamed'} {self.values or ''}: {len(self)} operations>"

    def __len__(self) -> int:
        return len(self.operations)

    def __eq__(self, other) -> bool:
        return (isinstance(other, Patch) and self.operations == other.operations
                and self.metadata == other.metadata)

    @property
    def label(self) -> str | None:
        """How errors name the patch: its origin and name."""
        if self.origin and self.name:
            return f"{self.origin}[{self.name}]"
        return self.origin or (f"patch {self.name}" if self.name else None)

    def apply(self, spec: Mapping) -> dict:
        """A copy of ``spec`` with this patch applied (see :func:`apply_operations`)."""
        return apply_operations(dict(spec), self.operations, self.label)


def read_patch(source, member: str | None = None) -> Patch:
    """A :class:`Patch` from a list of operations, a pyhf patch object (``{"metadata", "patch"}``,
    as ``pyhf patchset extract --with-metadata`` writes), a jsonpatch.JsonPatch, a Patch, or a
    JSON path (a member of a .tar.gz with ``member``); validated against the JSON Patch schema."""
    if isinstance(source, Patch):
        return source
    if isinstance(source, jsonpatch.JsonPatch):
        source = list(source.patch)
    operations, origin = read_json(source, member)
    if isinstance(operations, Mapping) and "patches" in operations:
        raise InvalidModelError("this is a patchset, not a patch: give it as a patchset and name "
                                "the patch", file=origin)
    metadata = None
    if isinstance(operations, Mapping) and "patch" in operations:  # pyhf's {"metadata", "patch"}
        metadata = operations.get("metadata")
        operations = operations["patch"]
    validate(operations, "jsonpatch", file=origin)
    if isinstance(metadata, Mapping) and isinstance(metadata.get("name"), str):
        return Patch(operations, metadata["name"], metadata.get("values", ()), metadata, origin)
    return Patch(operations, origin=origin)


def apply_patches(spec: Mapping, patches, origin: str | None = None,
                  share: bool = False) -> tuple[dict, str | None]:
    """A copy of ``spec`` with ``patches`` (anything :func:`read_patch` reads) applied in order
    (``share``: see :func:`apply_operations`).

    Paths that are no file are members of the archive ``spec`` came from (``origin``). Returns
    the patched document and its label: ``origin`` followed by the patches' names.
    """
    labels = []
    for item in patches:
        patch = read_patch(*beside(item, origin))
        spec = apply_operations(spec, patch.operations, patch.label, share=share)
        labels.append(patch.label or "patch")
    if not labels:
        return json.loads(json.dumps(spec)), origin
    return spec, f"{origin or 'workspace'} patched with {', '.join(labels)}"
