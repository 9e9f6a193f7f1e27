"""Reading HistFactory JSON: from a dictionary, a JSON file, or a member of a HEPData pallet.

    spec, origin = read_json("BkgOnly.json")
    spec, origin = read_json("atlas-susy-2018-04-staus.tar.gz", member="Region-combined/BkgOnly.json")
    archive_members("atlas-susy-2018-04-staus.tar.gz")          # what a pallet holds

HEPData publishes full likelihoods as "pallets": ``.tar.gz`` archives of a background-only
workspace and its patches or patchset. A member is named by its path in the archive, or by its
file name alone where only one member has that name. ``origin`` is the label errors name
(``"archive.tar.gz:Region-combined/BkgOnly.json"``).
"""

from __future__ import annotations

import copy
import json
import tarfile
from collections.abc import Mapping
from os import PathLike
from pathlib import Path, PurePosixPath

from likelihub.errors import InvalidModelError

__all__ = ["read_json", "read_json_members", "archive_members", "is_archive", "resolve_member", "origin_of",
           "beside"]

ARCHIVE_SUFFIXES = (".tar.gz", ".tgz", ".tar")


def is_archive(path: str | PathLike) -> bool:
    """Whether ``path`` names a tar archive (``.tar.gz``, ``.tgz``, ``.tar``)."""
    return str(path).lower().endswith(ARCHIVE_SUFFIXES)


def _open_archive(path: Path) -> tarfile.TarFile:
    if not path.is_file():
        raise InvalidModelError("no such file", file=str(path))
    try:
        return tarfile.open(path, "r:*")
    except (tarfile.TarError, OSError) as error:
        raise InvalidModelError(f"cannot be read as a tar archive ({error})", file=str(path)) from None


def archive_members(path: str | PathLike, suffix: str = ".json") -> list[str]:
    """Paths of the regular files in the archive at ``path`` that end with ``suffix``, sorted."""
    with _open_archive(Path(path)) as archive:
        return sorted(m.name for m in archive.getmembers() if m.isfile() and m.name.endswith(suffix))


def read_json_members(path: str | PathLike, names: list[str]) -> list[tuple[object, str]]:
    """``(parsed JSON, origin)`` of each member ``names`` of the archive at ``path``, read in one
    opening of the archive (hundreds of patch files of a HEPData pallet)."""
    with _open_archive(Path(path)) as archive:
        out = []
        for name in names:
            origin = f"{path}:{name}"
            out.append((_parse(archive.extractfile(name).read(), origin), origin))
        return out


def resolve_member(members: list[str], member: str | None, archive: str) -> str:
    """The archive path that ``member`` names: an exact path, or a file name that is unique.

    Raises
    ------
    InvalidModelError
        When ``member`` is missing, absent or ambiguous; the message lists the members.
    """
    listing = "; ".join(members) if members else "none"
    if member is None:
        raise InvalidModelError(f"name the member to read (JSON members: {listing})", file=archive)
    normalised = str(PurePosixPath(member))
    if normalised in members:
        return normalised
    matches = [m for m in members if PurePosixPath(m).name == normalised]
    if len(matches) == 1:
        return matches[0]
    if matches:
        raise InvalidModelError(f"member {member!r} is ambiguous: it is the file name of {matches}; "
                                "give its path in the archive", file=archive)
    raise InvalidModelError(f"no member {member!r} (JSON members: {listing})", file=archive)


def origin_of(source, member: str | None = None) -> str | None:
    """The label that names ``source`` in errors: the path, ``archive:member``, or None for a dict."""
    if isinstance(source, Mapping) or isinstance(source, list):
        return None
    return f"{source}:{member}" if member is not None and is_archive(source) else str(source)


def beside(source, origin: str | None) -> tuple[object, str | None]:
    """``(source, member)`` to read: a path that is no file, given beside a document read from
    an archive (``origin`` ``"archive.tar.gz:member"``), names a member of that archive."""
    if not isinstance(source, (str, PathLike)) or Path(source).is_file() or is_archive(source):
        return source, None
    for suffix in (".tar.gz:", ".tgz:", ".tar:"):
        if origin is not None and suffix in origin:
            return origin[:origin.index(suffix) + len(suffix) - 1], str(source)
    return source, None


def _parse(text: bytes | str, origin: str):
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise InvalidModelError(f"not valid JSON: {error.msg} at line {error.lineno}, column "
                                f"{error.colno}", file=origin) from None
    except UnicodeDecodeError as error:
        raise InvalidModelError(f"not UTF-8 text ({error.reason})", file=origin) from None


def read_json(source, member: str | None = None) -> tuple[object, str | None]:
    """Read JSON from a dictionary or list (copied), a JSON file, or a member of a tar archive.

    Parameters
    ----------
    source
        A dict or list (deep-copied, so the caller's object is never modified), the path of a
        JSON file, or the path of a ``.tar.gz``/``.tgz``/``.tar`` archive.
    member
        For an archive: the member's path in it, or its file name where that is unique.

    Returns
    -------
    (object, origin)
        The parsed JSON and the label naming it in errors (None for an in-memory object).

    Raises
    ------
    InvalidModelError
        Naming the file: missing file, unreadable archive, unknown member (listing the members),
        invalid JSON (with line and column).
    """
    if isinstance(source, (Mapping, list)):
        if member is not None:
            raise InvalidModelError("member is given but the source is not an archive",
                                    argument="member")
        return copy.deepcopy(source), None
    if not isinstance(source, (str, PathLike)):
        raise InvalidModelError(f"expected a dict, a JSON path or a .tar.gz path, not "
                                f"{type(source).__name__}", argument="source")
    path = Path(source)
    if is_archive(path):
        with _open_archive(path) as archive:
            members = sorted(m.name for m in archive.getmembers() if m.isfile())
            json_members = [m for m in members if m.endswith(".json")]
            name = resolve_member(json_members or members, member, str(path))
            origin = f"{path}:{name}"
            stream = archive.extractfile(name)
            return _parse(stream.read(), origin), origin
    if member is not None:
        raise InvalidModelError(f"member {member!r} is given but the file is not a tar archive "
                                f"({', '.join(ARCHIVE_SUFFIXES)})", file=str(path))
    if not path.is_file():
        raise InvalidModelError("no such file", file=str(path))
    return _parse(path.read_bytes(), str(path)), str(path)
