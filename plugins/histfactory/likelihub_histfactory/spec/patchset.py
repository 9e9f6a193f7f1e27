"""HEPData patchsets: named signal hypotheses for one background-only workspace.

    patchset = PatchSet("patchset.json")                   # or a dict, or (archive, member=...)
    patchset.labels                                        # ['m1', 'm2']
    patch = patchset["C1N2_Wh_hbb_900_250"]                # by name
    patch = patchset.patch_for(values=(900, 250))          # by the labels' values
    patchset.verify(background_only)                       # the workspace it was made for?
    signal_workspace = patchset.apply(background_only, "C1N2_Wh_hbb_900_250")

A patchset (pyhf specification 1.0.0) names its patches (:class:`~.patches.Patch`, JSON Patches,
RFC 6902) and records digests of the background-only workspace (:func:`~.patches.digest`).
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator, Mapping, Sequence
from os import PathLike

from likelihub.errors import InvalidModelError

from .io import beside, read_json
from .patches import Patch, digest
from .schema import validate
from .workspace import Workspace

__all__ = ["PatchSet", "load_patchset"]


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
            A :class:`~.workspace.Workspace` or a workspace dict.
        key
            A patch name or a tuple of label values.
        verify
            Check the digests first (:meth:`verify`), as pyhf does.
        """
        if not isinstance(workspace, Workspace):
            workspace = Workspace(workspace)
        if verify:
            self.verify(workspace)
        return workspace.apply_patches([self[key]])
