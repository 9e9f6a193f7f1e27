"""The HistFactory point source ``histfactory.patchset``: a background-only workspace and the
signal points that patch it, scanned by the core (``likelihub.scan``, ``likelihub scan``).

    lh.scan("1Lbb.tar.gz", "patchset.json", member="BkgOnly.json")           # a pyhf patchset
    lh.scan("sbottom.tar.gz", "RegionA/patch.sbottom_*.json", member="RegionA/BkgOnly.json")
    lh.scan("BkgOnly.json", "patches/")                                        # a folder of patch files
    lh.scan("sbottom.tar.gz", "RegionA/patch.sbottom_*.json", member="RegionA/BkgOnly.json",
            patch_labels=["msb", "mn2", "mn1"])                                # names of the numbers
    likelihub scan 1Lbb.tar.gz --member BkgOnly.json --patchset patchset.json --patch-name "C1N2_Wh_hbb_1*"

The points: the patches of a pyhf patchset (a file, a dict, a member of the workspace's pallet),
or one patch file per point (a pattern of files or of the pallet's members, or a folder of JSON
patch files), optionally only those whose names match ``patch_name`` (names or shell patterns).
Patch files carry no labels: the numbers in their names are the label values, named m1, m2, ...
or ``patch_labels`` (:mod:`likelihub_histfactory.patch_names`).
This module is light (``likelihub scan --help`` loads it); the family itself is
:class:`likelihub_histfactory.scan.PatchsetFamily`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

import click

from likelihub.errors import InvalidArgumentError
from likelihub.plugin import PointSource, settings_of

__all__ = ["PatchsetSource", "LOCATION_OPTIONS"]

#: Options that say where the inputs are, not how the models are built (not scan settings).
LOCATION_OPTIONS = ("member", "patchset", "patchset_member", "patch_name", "patch_labels")


class PatchsetSource(PointSource):
    """A background-only workspace (dict, JSON file, HEPData pallet with ``member``) and its
    signal points: ``open(workspace, patchset, member=..., patchset_member=..., patch_name=...,
    **model_options)``; ``model_options`` go to the ``histfactory`` factory (e.g.
    ``measurement``, ``unused_parameters``)."""

    def recognises(self, source, /, *more, **options) -> bool:
        """A workspace (path, pallet, mapping with channels) given with a patchset."""
        patchset = more[0] if more else options.get("patchset")
        if patchset is None or len(more) > 1:
            return False
        if isinstance(source, Mapping):
            return "channels" in source
        return isinstance(source, (str, os.PathLike)) or type(source).__name__ == "Workspace"

    def settings(self, options: Mapping[str, Any]) -> dict[str, str]:
        """The model options (not where the workspace and the points are)."""
        return settings_of({k: v for k, v in options.items() if k not in LOCATION_OPTIONS})

    def open(self, source, /, *more, patchset=None, member: str | None = None,
             patchset_member: str | None = None, patch_name=None, patch_labels=None, **model_options):
        """Read and validate the workspace once; the points are read by the family's ``points``.
        ``patch_labels`` names the numbers in the names of patch files (:mod:`.patch_names`)."""
        from .scan import PatchsetFamily

        if more:
            if len(more) > 1 or patchset is not None:
                raise InvalidArgumentError("give one patchset (or pattern, or folder, of patch files)",
                                           argument="patchset")
            patchset = more[0]
        if patchset is None:
            raise InvalidArgumentError("the scan of a workspace needs its signal points: a patchset, "
                                       "a pattern of patch files or a folder of them", argument="patchset")
        return PatchsetFamily.open(source, patchset, member=member, patchset_member=patchset_member,
                                   patch_name=patch_name, patch_labels=patch_labels,
                                   model_options=model_options)

    def command_options(self) -> list:
        """--patchset, --member, --measurement, --patch-name."""
        return [
            click.Option(["--patchset"], default=None,
                         help="[histfactory] Patchset of the signal points (a member of the workspace's "
                              "pallet, or a file), a pattern of patch files ('RegionA/patch.*.json') "
                              "or a folder of patch files."),
            click.Option(["--member"], default=None,
                         help="[histfactory] Member of a .tar.gz pallet holding the background-only "
                              "workspace."),
            click.Option(["--measurement"], default=None,
                         help="[histfactory] Measurement to use (the first by default)."),
            click.Option(["--patch-labels", "patch_labels"], default=None,
                         help="[histfactory] Names of the numbers in the names of patch files, comma "
                              "separated (e.g. msb,mn2,mn1); m1,m2,... by default."),
            click.Option(["--patch-name", "patch_name"], multiple=True,
                         help="[histfactory] Scan only the points of these names (repeatable; shell "
                              "patterns such as 'C1N2_*' allowed)."),
        ]

    def from_command_line(self, source: str, options: dict[str, Any]) -> tuple[tuple, dict[str, Any]]:
        """The pallet's member where ``--patchset`` names both a member and a file here (with a
        note on standard error); ``--patch-name`` as a list."""
        from .cli_sources import pallet_patchset, reading

        options = dict(options)
        if options.get("patchset") is not None:
            with reading(source):
                options["patchset"] = pallet_patchset(options["patchset"], source)
        if "patch_name" in options:
            options["patch_name"] = list(options["patch_name"])
        if options.get("patch_labels") is not None:
            options["patch_labels"] = [name.strip() for name in options["patch_labels"].split(",")]
        return (source,), options

