"""JSON patches and HEPData patchsets: signal hypotheses applied to a background-only workspace.

    patchset = PatchSet("patchset.json")                   # or a dict, or (archive, member=...)
    patchset.labels                                        # ['m1', 'm2']
    patch = patchset["C1N2_Wh_hbb_900_250"]                # by name
    patch = patchset.patch_for(values=(900, 250))          # by the labels' values
    patchset.verify(background_only)                       # the workspace it was made for?
    signal_workspace = patchset.apply(background_only, "C1N2_Wh_hbb_900_250")

A patch is a JSON Patch (RFC 6902); a patchset (pyhf specification 1.0.0) names its patches and
records digests of the background-only workspace: the hex digest (sha256 or md5) of its JSON
serialised with sorted keys, no ASCII escaping, pyhf's default separators, encoded as UTF-8
(as ``pyhf.utils.digest`` computes it).
"""

from __future__ import annotations

import copy
import difflib
import hashlib
import json
from collections.abc import Iterator, Mapping, Sequence
from os import PathLike

import jsonpatch
import jsonpointer

from likelihub.errors import InvalidModelError

from .io import beside, read_json
from .validation import validate

__all__ = ["Patch", "PatchSet", "digest", "read_patch", "apply_operations", "apply_patches",
           "load_patchset"]


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


def load_patchset(source, member: str | None = None, origin: str | None = None) -> PatchSet:
    """A :class:`PatchSet` as is, or read from ``source`` (a path that is no file is a member of
    the archive named by ``origin``, the background-only workspace's label)."""
    if isinstance(source, PatchSet):
        return source
    if member is None:
        source, member = beside(source, origin)
    return PatchSet(source, member=member)


class PatchSet:
    """A HEPData patchset: named patches for one background-only workspace.

    Parameters
    ----------
    source
        The patchset as a dict, a JSON path, or a ``.tar.gz`` pallet (with ``member``).
    member
        The patchset's member of the archive.

    Raises
    ------
    InvalidModelError
        For a schema violation, duplicate patch names or values, or patches whose number of
        values differs from the number of labels.
    """

    def __init__(self, source: Mapping | str | PathLike, member: str | None = None):
        spec, self.origin = read_json(source, member)
        validate(spec, "patchset", file=self.origin)
        self.spec = spec
        self.metadata: dict = spec["metadata"]
        self.version: str = spec["version"]
        self.patches: list[Patch] = []
        self._by_name: dict[str, Patch] = {}
        self._by_values: dict[tuple, Patch] = {}
        for entry in spec["patches"]:
            meta = entry["metadata"]
            patch = Patch(entry["patch"], meta["name"], meta["values"], meta, self.origin)
            if patch.name in self._by_name:
                raise InvalidModelError(f"two patches are named {patch.name!r}", file=self.origin)
            if len(patch.values) != len(self.labels):
                raise InvalidModelError(f"patch {patch.name!r} has {len(patch.values)} values "
                                        f"{list(patch.values)} for {len(self.labels)} labels "
                                        f"{self.labels}", file=self.origin)
            if patch.values in self._by_values:
                raise InvalidModelError(f"patches {self._by_values[patch.values].name!r} and "
                                        f"{patch.name!r} have the same values {list(patch.values)}",
                                        file=self.origin)
            self.patches.append(patch)
            self._by_name[patch.name] = patch
            self._by_values[patch.values] = patch

    def __repr__(self) -> str:
        return (f"<PatchSet {self.origin or ''} {self.description!r}: {len(self)} patches, "
                f"labels {self.labels}>")

    @property
    def description(self) -> str:
        """What the patches are (the metadata's description)."""
        return self.metadata["description"]

    @property
    def labels(self) -> list[str]:
        """Names of the values that identify each patch (e.g. masses)."""
        return list(self.metadata["labels"])

    @property
    def digests(self) -> dict[str, str]:
        """Digests of the background-only workspace, by hash algorithm."""
        return dict(self.metadata["digests"])

    @property
    def references(self) -> dict[str, str]:
        """References of the patchset (e.g. its HEPData record)."""
        return dict(self.metadata["references"])

    @property
    def names(self) -> list[str]:
        """The patches' names, in the patchset's order."""
        return [p.name for p in self.patches]

    def __len__(self) -> int:
        return len(self.patches)

    def __iter__(self) -> Iterator[Patch]:
        return iter(self.patches)

    def __contains__(self, key) -> bool:
        try:
            self[key]
        except InvalidModelError:
            return False
        return True

    def __getitem__(self, key) -> Patch:
        """The patch named ``key``, or whose values are ``key`` (a tuple or list)."""
        if isinstance(key, str):
            if key in self._by_name:
                return self._by_name[key]
            close = difflib.get_close_matches(key, self._by_name, n=3)
            hint = f"; close matches: {close}" if close else f"; {len(self)} patches, e.g. {self.names[:3]}"
            raise InvalidModelError(f"no patch named {key!r}{hint}", file=self.origin,
                                    argument="patch_name")
        return self.patch_for(values=key)

    def patch_for(self, values: Sequence) -> Patch:
        """The patch whose label values equal ``values`` (in the order of :attr:`labels`)."""
        values = tuple(values)
        if values in self._by_values:
            return self._by_values[values]
        raise InvalidModelError(f"no patch with {dict(zip(self.labels, values, strict=False))} (labels "
                                f"{self.labels})", file=self.origin, argument="values")

    def verify(self, workspace) -> None:
        """Check that ``workspace`` (a Workspace or its dict) is the one the patchset was made for.

        Raises
        ------
        InvalidModelError
            When a digest differs, naming the algorithm and both digests.
        """
        spec = workspace.to_dict() if hasattr(workspace, "to_dict") else workspace
        for algorithm, expected in self.digests.items():
            found = digest(spec, algorithm)
            if found != expected.lower():
                raise InvalidModelError(
                    f"the workspace is not the one this patchset was made for: its {algorithm} "
                    f"digest is {found}, the patchset expects {expected}", file=self.origin)

    def apply(self, workspace, key, verify: bool = True):
        """The workspace with the patch ``key`` (name or values) applied, as a new Workspace.

        Parameters
        ----------
        workspace
            A :class:`~likelihub_histfactory.workspace.Workspace` or a workspace dict.
        key
            A patch name or a tuple of label values.
        verify
            Check the digests first (:meth:`verify`), as pyhf does.
        """
        from .workspace import Workspace

        if not isinstance(workspace, Workspace):
            workspace = Workspace(workspace)
        if verify:
            self.verify(workspace)
        return workspace.apply_patches([self[key]])
