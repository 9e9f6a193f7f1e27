"""Reading HistFactory JSON: from a dictionary, a JSON file, or a member of a HEPData pallet.

    spec, origin = read_json("BkgOnly.json")
    spec, origin = read_json("atlas-susy-2018-04-staus.tar.gz", member="Region-combined/BkgOnly.json")
    archive_members("atlas-susy-2018-04-staus.tar.gz")          # what a pallet holds

HEPData publishes full likelihoods as "pallets": ``.tar.gz`` archives of a background-only
workspace and its patches or patchset. A member is named by its path in the archive, or by its
file name alone where only one member has that name. ``origin`` is the label errors name
(``"archive.tar.gz:Region-combined/BkgOnly.json"``).

Memory. A document is decoded from its file or tar member in blocks of :data:`BLOCK_BYTES`, so
its bytes are never held whole beside its text; the text is then parsed (Python's ``json`` needs
all of it), so reading a document of N bytes of ASCII holds at most about 2N, or N plus the
parsed objects (the larger). Documents larger than :data:`MAX_JSON_BYTES` (the size a tar header
or the file system states, known before anything is read) are refused: see there.

Every failure to read -- a missing or unreadable file, a truncated or corrupt archive
(``tarfile.ReadError``, ``EOFError``, ``zlib.error``, ``OSError``), text that is not UTF-8, JSON
that does not parse -- is an :class:`~likelihub.errors.InvalidModelError` naming the file (and
member).
"""

from __future__ import annotations

import codecs
import copy
import json
import os
import tarfile
import zlib
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from os import PathLike
from pathlib import Path, PurePosixPath
from typing import BinaryIO

from likelihub.errors import InvalidModelError

__all__ = ["read_json", "read_json_members", "archive_members", "is_archive", "resolve_member", "origin_of",
           "beside", "max_json_bytes", "MAX_JSON_BYTES", "MAX_JSON_BYTES_VARIABLE", "BLOCK_BYTES"]

ARCHIVE_SUFFIXES = (".tar.gz", ".tgz", ".tar")

#: The largest JSON document (file or pallet member) read, in bytes: 1 GiB. The largest published
#: full likelihoods are far smaller (the ATLAS 1Lbb patchset, 125 signal points, is 16 MB; whole
#: background-only workspaces are tens of MB), while parsing holds 2-3 times a document's size in
#: memory (its text and its Python objects): 1 GiB costs 2-3 GB, what a laptop can spare. A larger
#: member is more likely a corrupt or hostile archive (a few kB of gzip can declare gigabytes)
#: than a likelihood. Raise it with the environment variable :data:`MAX_JSON_BYTES_VARIABLE` or
#: the ``max_bytes`` argument of :func:`read_json` and :func:`read_json_members`.
MAX_JSON_BYTES = 1 << 30

#: The environment variable that overrides :data:`MAX_JSON_BYTES` (a number of bytes).
MAX_JSON_BYTES_VARIABLE = "LIKELIHUB_MAX_JSON_BYTES"

#: Bytes read and decoded at a time.
BLOCK_BYTES = 1 << 20

#: What reading a file or an archive raises when it is truncated, corrupt or unreadable.
_READ_ERRORS = (tarfile.TarError, EOFError, zlib.error, OSError)


def max_json_bytes(max_bytes: int | None = None) -> int:
    """The size limit in force: ``max_bytes`` if given, else $LIKELIHUB_MAX_JSON_BYTES, else
    :data:`MAX_JSON_BYTES`.

    Raises
    ------
    InvalidModelError
        Where the argument or the variable is not a positive whole number.
    """
    if max_bytes is None:
        text = os.environ.get(MAX_JSON_BYTES_VARIABLE)
        if text is None:
            return MAX_JSON_BYTES
        try:
            value = int(text.strip())
        except ValueError:
            value = 0
        if value <= 0:
            raise InvalidModelError(f"${MAX_JSON_BYTES_VARIABLE} must be a positive number of bytes, "
                                    f"got {text!r}", argument=MAX_JSON_BYTES_VARIABLE)
        return value
    if isinstance(max_bytes, bool) or not isinstance(max_bytes, int) or max_bytes <= 0:
        raise InvalidModelError(f"max_bytes must be a positive number of bytes, got {max_bytes!r}",
                                argument="max_bytes")
    return max_bytes


@contextmanager
def _reading(origin: str) -> Iterator[None]:
    """Turns every failure to read ``origin`` into an InvalidModelError naming it."""
    try:
        yield
    except InvalidModelError:
        raise
    except _READ_ERRORS as error:
        reason = error.strerror if isinstance(error, OSError) and error.strerror else str(error)
        raise InvalidModelError(f"cannot be read: {reason or type(error).__name__} (a truncated or corrupt "
                                "file?)", file=origin) from None
    except UnicodeDecodeError as error:
        raise InvalidModelError(f"not UTF-8 text ({error.reason})", file=origin) from None
    except json.JSONDecodeError as error:
        raise InvalidModelError(f"not valid JSON: {error.msg} at line {error.lineno}, column "
                                f"{error.colno}", file=origin) from None
    except RecursionError:
        raise InvalidModelError("not valid JSON: nested too deeply", file=origin) from None


def _check_size(size: int, limit: int, origin: str) -> None:
    if size > limit:
        raise InvalidModelError(
            f"the document is {size} bytes, more than the {limit} bytes read at most (set "
            f"${MAX_JSON_BYTES_VARIABLE} or max_bytes to read it)", file=origin)


def _parse_stream(stream: BinaryIO, origin: str):
    """Parse JSON from a binary stream, decoding it block by block (UTF-8, an optional BOM)."""
    decoder = codecs.getincrementaldecoder("utf-8-sig")()
    blocks = []
    while block := stream.read(BLOCK_BYTES):
        blocks.append(decoder.decode(block))
    blocks.append(decoder.decode(b"", final=True))
    text = "".join(blocks)
    del blocks
    return json.loads(text)


def is_archive(path: str | PathLike) -> bool:
    """Whether ``path`` names a tar archive (``.tar.gz``, ``.tgz``, ``.tar``)."""
    return str(path).lower().endswith(ARCHIVE_SUFFIXES)


def _open_archive(path: Path) -> tarfile.TarFile:
    if not path.is_file():
        raise InvalidModelError("no such file", file=str(path))
    try:
        return tarfile.open(path, "r:*")
    except _READ_ERRORS as error:
        raise InvalidModelError(f"cannot be read as a tar archive ({error})", file=str(path)) from None


def _file_members(archive: tarfile.TarFile, path: Path) -> dict[str, tarfile.TarInfo]:
    """The regular files of an open archive by name (reading the whole archive's headers)."""
    with _reading(str(path)):
        return {m.name: m for m in archive.getmembers() if m.isfile()}


def _read_member(archive: tarfile.TarFile, info: tarfile.TarInfo, origin: str, limit: int):
    _check_size(info.size, limit, origin)
    with _reading(origin):
        stream = archive.extractfile(info)
        return _parse_stream(stream, origin)


def archive_members(path: str | PathLike, suffix: str = ".json") -> list[str]:
    """Paths of the regular files in the archive at ``path`` that end with ``suffix``, sorted."""
    path = Path(path)
    with _open_archive(path) as archive:
        return sorted(name for name in _file_members(archive, path) if name.endswith(suffix))


def read_json_members(path: str | PathLike, names: list[str], max_bytes: int | None = None
                      ) -> list[tuple[object, str]]:
    """``(parsed JSON, origin)`` of each member ``names`` of the archive at ``path``, read in one
    opening of the archive (hundreds of patch files of a HEPData pallet); ``max_bytes`` as in
    :func:`read_json`."""
    limit = max_json_bytes(max_bytes)
    path = Path(path)
    with _open_archive(path) as archive:
        members = _file_members(archive, path)
        out = []
        for name in names:
            origin = f"{path}:{name}"
            if name not in members:
                raise InvalidModelError("no such regular file in the archive", file=origin)
            out.append((_read_member(archive, members[name], origin, limit), origin))
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


def read_json(source, member: str | None = None, max_bytes: int | None = None) -> tuple[object, str | None]:
    """Read JSON from a dictionary or list (copied), a JSON file, or a member of a tar archive.

    Parameters
    ----------
    source
        A dict or list (deep-copied, so the caller's object is never modified), the path of a
        JSON file, or the path of a ``.tar.gz``/``.tgz``/``.tar`` archive.
    member
        For an archive: the member's path in it, or its file name where that is unique.
    max_bytes
        The largest document read (bytes); by default $LIKELIHUB_MAX_JSON_BYTES or
        :data:`MAX_JSON_BYTES` (1 GiB).

    Returns
    -------
    (object, origin)
        The parsed JSON and the label naming it in errors (None for an in-memory object).

    Raises
    ------
    InvalidModelError
        Naming the file (and member): missing or unreadable file, truncated or corrupt archive,
        unknown member (listing the members), a document above the size limit, text that is not
        UTF-8, invalid JSON (with line and column).
    """
    if isinstance(source, (Mapping, list)):
        if member is not None:
            raise InvalidModelError("member is given but the source is not an archive",
                                    argument="member")
        return copy.deepcopy(source), None
    if not isinstance(source, (str, PathLike)):
        raise InvalidModelError(f"expected a dict, a JSON path or a .tar.gz path, not "
                                f"{type(source).__name__}", argument="source")
    limit = max_json_bytes(max_bytes)
    path = Path(source)
    if is_archive(path):
        with _open_archive(path) as archive:
            members = _file_members(archive, path)
            names = sorted(members)
            json_members = [m for m in names if m.endswith(".json")]
            name = resolve_member(json_members or names, member, str(path))
            origin = f"{path}:{name}"
            return _read_member(archive, members[name], origin, limit), origin
    if member is not None:
        raise InvalidModelError(f"member {member!r} is given but the file is not a tar archive "
                                f"({', '.join(ARCHIVE_SUFFIXES)})", file=str(path))
    if not path.is_file():
        raise InvalidModelError("no such file", file=str(path))
    origin = str(path)
    with _reading(origin):
        _check_size(path.stat().st_size, limit, origin)
        with path.open("rb") as stream:
            return _parse_stream(stream, origin), origin
