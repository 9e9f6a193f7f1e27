"""Archives of :mod:`likelihub.fetching`: read one whole to prove it sound, unpack one safely.

:func:`read_archive` reads every member of a downloaded archive to its end (a damaged one raises:
gzip's CRC and length, tar headers up to the archive's end, zip's CRCs); :func:`unpack` writes an
archive's regular files next to it, none outside its folder.
"""

from __future__ import annotations

import bz2
import contextlib
import gzip
import io
import lzma
import shutil
import tarfile
import zipfile
import zlib
from pathlib import Path

__all__ = ["read_archive", "unpack", "ARCHIVE_SUFFIXES", "ARCHIVE_ERRORS"]

ARCHIVE_SUFFIXES = (".tar.gz", ".tgz", ".tar", ".zip")
#: What reading a damaged archive raises (zlib.error: a damaged deflate stream).
ARCHIVE_ERRORS = (tarfile.TarError, zipfile.BadZipFile, EOFError, OSError, ValueError, lzma.LZMAError,
                  zlib.error)


def read_archive(body: bytes) -> None:
    """Read the whole archive ``body``, every member to its end, so that a damaged one raises.

    A zip archive's members are checked against their CRC (``testzip``). A tar archive is
    decompressed whole first (gzip, bzip2, xz: their own CRC and length checks), its members read,
    and what follows the last member must be the zero blocks that end a tar archive: tarfile
    stops quietly at a damaged header, which would drop the members after it.
    """
    if zipfile.is_zipfile(io.BytesIO(body)):
        with zipfile.ZipFile(io.BytesIO(body)) as archive:
            bad = archive.testzip()
        if bad is not None:
            raise zipfile.BadZipFile(f"member {bad} fails its CRC check")
        return
    if body[:2] == b"\x1f\x8b":
        body = gzip.decompress(body)
    elif body[:3] == b"BZh":
        body = bz2.decompress(body)
    elif body[:6] == b"\xfd7zXZ\x00":
        body = lzma.decompress(body)
    with tarfile.open(fileobj=io.BytesIO(body), mode="r:") as archive:
        for member in archive:
            if member.isfile():
                with archive.extractfile(member) as source:
                    if len(source.read()) != member.size:
                        raise tarfile.ReadError(f"member {member.name} is cut short")
        end = archive.offset
    if body[end:].strip(b"\x00"):
        raise tarfile.ReadError(f"a damaged header at byte {end} of the tar stream (the members "
                                "after it would be lost)")


def unpack(path: Path) -> Path:
    """Unpack the archive ``path`` next to itself, in the folder of its name without suffix (the
    archive's own top folder, where all members lie in one, dropped as pyhf does for zip files);
    regular files only, none outside that folder."""
    name = path.name
    for suffix in ARCHIVE_SUFFIXES:
        if name.lower().endswith(suffix):
            name = name[:-len(suffix)]
    target = path.parent / (name or "unpacked")
    with contextlib.ExitStack() as stack:
        if zipfile.is_zipfile(path):
            archive = stack.enter_context(zipfile.ZipFile(path))
            members = {m.filename: m for m in archive.infolist() if not m.is_dir()}
            read = archive.open
        else:
            archive = stack.enter_context(tarfile.open(path, mode="r:*"))
            members = {m.name: m for m in archive.getmembers() if m.isfile()}
            read = archive.extractfile
        names = [m for m in members if "__MACOSX" not in Path(m).parts]  # macOS's leftovers
        drop = int(len({Path(m).parts[0] for m in names}) == 1 and all(len(Path(m).parts) > 1 for m in names))
        root = target.resolve()
        for member in names:
            destination = (target / Path(*Path(member).parts[drop:])).resolve()
            if root not in destination.parents:
                continue  # an absolute path, or a way out (..)
            destination.parent.mkdir(parents=True, exist_ok=True)
            with read(members[member]) as source, open(destination, "wb") as sink:
                shutil.copyfileobj(source, sink)
    return target
