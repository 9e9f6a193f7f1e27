"""Which document a name on the command line means, beside a workspace read from a HEPData pallet
(or standard input, ``-``).

``likelihub cls 1Lbb.tar.gz --member BkgOnly.json --patchset patchset.json`` names a member of the
pallet; so does ``-p patch.json``. Where the current directory also holds a file of that name (a
stale copy, say), the pallet's member is read, and a note on standard error says so: write
``./patchset.json`` (or an absolute path) to read the file instead. A name that only a file has
is the file; a name that only a member has is the member (:func:`likelihub_histfactory.spec.io.beside`).
"""

from __future__ import annotations

import contextlib
import gzip
import json
import sys
import tarfile
import warnings
import zlib
from collections.abc import Sequence
from pathlib import Path, PurePath

import click

from likelihub.errors import InvalidModelError
from likelihub.plugin import one_line

from .spec.io import archive_members, is_archive, resolve_member

__all__ = ["document", "pallet_member", "pallet_patchset", "pallet_patches", "reading"]

#: Characters that make a name a pattern of patch files (not one document).
_PATTERN = "*?["


@contextlib.contextmanager
def reading(path: str):
    """Name the file where reading it fails below likelihub's own checks (a truncated or
    corrupt archive: EOFError, zlib, gzip or tar errors), in one line (exit status 1)."""
    try:
        yield
    except (EOFError, tarfile.TarError, zlib.error, gzip.BadGzipFile, UnicodeDecodeError) as error:
        raise click.ClickException(f"{path}: cannot be read ({type(error).__name__}: "
                                   f"{one_line(error)}); is the file truncated or corrupt?") from None


def document(path: str):
    """``path`` itself, or for ``-`` the JSON document read from standard input."""
    if path != "-":
        return path
    try:
        return json.load(sys.stdin)
    except json.JSONDecodeError as error:
        raise click.ClickException(f"standard input is not valid JSON: {error}") from None


def _is_explicit_path(name: str) -> bool:
    return PurePath(name).is_absolute() or name.startswith(("./", "../", ".\\", "..\\"))


def pallet_member(name, workspace, option: str) -> str | None:
    """The member of the pallet ``workspace`` to read for ``name``, where a file of that name
    exists too (then a note says which one is read); None where ``name`` is read as before (no
    pallet, no such file here, an explicit path such as ``./patchset.json``, no such member)."""
    if not isinstance(name, str) or not isinstance(workspace, str) or not is_archive(workspace) \
            or any(c in name for c in _PATTERN) or _is_explicit_path(name) or not Path(name).is_file():
        return None
    try:
        member = resolve_member(archive_members(workspace, suffix=""), name, workspace)
    except InvalidModelError:
        return None  # no such member (or an ambiguous name): the file
    warnings.warn(f"{option} {name}: read the member {member!r} of {workspace}, not the file "
                  f"{name} in this directory (write ./{name} to read the file)", UserWarning, stacklevel=2)
    return member


def pallet_patchset(patchset, workspace):
    """``patchset`` as given, or the :class:`~.spec.patchset.PatchSet` of the pallet's member of
    that name where a file of the name exists too (see the module docstring)."""
    from .spec.patchset import PatchSet

    chosen = pallet_member(patchset, workspace, "--patchset")
    return patchset if chosen is None else PatchSet(workspace, member=chosen)


def pallet_patches(patches: Sequence, workspace) -> list:
    """``patches`` as given, each name that is both a file here and a member of the pallet
    replaced by the member's patch (see the module docstring)."""
    from .spec.patches import read_patch

    chosen = []
    for patch in patches:
        name = pallet_member(patch, workspace, "--patch")
        chosen.append(patch if name is None else read_patch(workspace, name))
    return chosen
