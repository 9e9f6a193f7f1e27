"""Downloading published likelihoods from HEPData into a local cache (``likelihub fetch``).

An identifier is

- an INSPIRE record, ``ins1755298`` (or ``1755298``): HEPData's record
  ``<hepdata>/record/ins1755298?format=json`` is read, and every resource it lists
  (any entry naming an address ``/record/resource/<id>``) whose ``type`` is HistFactory, HS3 or
  Combine, or whose description or file name says likelihood, HistFactory, pyhf, workspace or
  statistical model (HEPData's own trigger words), is downloaded from
  ``<hepdata>/record/resource/<id>?view=true``;
- a DOI, ``10.17182/hepdata.90607.v3/r3`` (also ``doi:...`` or ``https://doi.org/...``):
  ``<doi>/10.17182/...`` is asked for the file itself with pyhf's header
  ``Accept: application/x-tar, application/zip`` (HEPData's content negotiation behind the DOI
  of a resource, as ``pyhf contrib download`` does); JSON files (a CMS simplified likelihood)
  are taken too;
- any other ``http(s)://`` address of a file.

``<hepdata>`` is https://www.hepdata.net and ``<doi>`` https://doi.org, or the environment
variables :data:`HEPDATA_URL_VARIABLE` and :data:`DOI_URL_VARIABLE` (a mirror; the tests' local
server). Downloads go to ``<cache>/hepdata/<identifier>/`` (:func:`cache_folder`), next to a
``manifest.json`` with each file's address, size and SHA-256; archives (``.tar.gz``, ``.tgz``,
``.tar``, ``.zip``) are also unpacked next to themselves (regular files only, none outside).
A second fetch reads the cache, once every file's SHA-256 matches the manifest (a file changed
since is downloaded again); ``force=True`` downloads anyway. Only the standard library's
:mod:`urllib` is used, with a timeout; every failure is a :class:`~likelihub.errors.FetchError`
naming the address.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import re
import shutil
import tarfile
import urllib.parse
import zipfile
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from likelihub.archives import ARCHIVE_ERRORS, ARCHIVE_SUFFIXES, read_archive, unpack
from likelihub.downloading import download
from likelihub.errors import FetchError, InvalidArgumentError, one_line

__all__ = ["fetch", "parse_identifier", "cache_folder", "Identifier", "Fetched", "FetchedFile",
           "HEPDATA_URL_VARIABLE", "DOI_URL_VARIABLE", "CACHE_VARIABLE", "ARCHIVE_SUFFIXES"]

_log = logging.getLogger(__name__)

#: Environment variables: HEPData's address, the DOI resolver's, and the cache folder.
HEPDATA_URL_VARIABLE = "LIKELIHUB_HEPDATA_URL"
DOI_URL_VARIABLE = "LIKELIHUB_DOI_URL"
CACHE_VARIABLE = "LIKELIHUB_CACHE"
HEPDATA_URL = "https://www.hepdata.net"
DOI_URL = "https://doi.org"

#: pyhf's ``Accept`` header for a resource behind a DOI (pyhf.contrib.utils.download).
ARCHIVE_ACCEPT = "application/x-tar, application/zip"
#: Resource types and words that mark a HEPData resource as a likelihood.
LIKELIHOOD_TYPES = ("histfactory", "hs3", "combine")
LIKELIHOOD_WORDS = ("likelihood", "histfactory", "pyhf", "workspace", "statistical model")
MANIFEST = "manifest.json"
_RESOURCE = re.compile(r"/record/resource/(\d+)")


@dataclass(frozen=True)
class Identifier:
    """What to fetch: ``kind`` "inspire", "doi" or "url", its ``value`` and the cache ``key``."""

    kind: str
    value: str
    key: str

    @property
    def shown(self) -> str:
        """The identifier as a user names it: ``ins<number>`` for an INSPIRE record (``5``,
        ``ins5`` and ``inspire:5`` alike), else its value."""
        return self.key if self.kind == "inspire" else self.value


@dataclass
class FetchedFile:
    """A downloaded file: its name and path in the cache, its address, size and SHA-256, and
    where it was unpacked (archives)."""

    name: str
    path: Path
    url: str
    size: int
    sha256: str
    unpacked: Path | None = None


@dataclass
class Fetched:
    """The files of one identifier in the cache, and whether they were ``downloaded`` now."""

    identifier: Identifier
    folder: Path
    files: list[FetchedFile] = field(default_factory=list)
    downloaded: bool = True


def parse_identifier(text: str) -> Identifier:
    """The :class:`Identifier` of ``text`` (INSPIRE id, DOI or address).

    Raises
    ------
    InvalidArgumentError
        ``text`` is none of them.
    """
    value = str(text).strip()
    doi = re.sub(r"^(doi:|https?://(dx\.)?doi\.org/)", "", value, flags=re.IGNORECASE)
    if re.fullmatch(r"10\.\d{4,9}/\S+", doi):
        return Identifier("doi", doi, re.sub(r"[^A-Za-z0-9.-]+", "_", doi))
    match = re.fullmatch(r"(?:ins|inspire:)?(\d{1,10})", value, flags=re.IGNORECASE)
    if match:
        return Identifier("inspire", match.group(1), f"ins{match.group(1)}")
    if re.match(r"https?://\S+$", value):
        digest = hashlib.sha256(value.encode()).hexdigest()[:12]
        name = re.sub(r"[^A-Za-z0-9.-]+", "_", value.split("://", 1)[1])[:60]
        return Identifier("url", value, f"url_{name}_{digest}")
    raise InvalidArgumentError(f"{value!r} is no INSPIRE id (ins1755298), DOI (10.17182/hepdata.90607.v3/r3) "
                               "or http(s) address", argument="identifier")


def cache_folder(explicit: str | os.PathLike | None = None) -> Path:
    """Where downloads go: ``explicit``, else ``$LIKELIHUB_CACHE``, else
    ``$XDG_CACHE_HOME/likelihub``, else ``~/.cache/likelihub``."""
    if explicit:
        return Path(explicit).expanduser()
    if os.environ.get(CACHE_VARIABLE):
        return Path(os.environ[CACHE_VARIABLE]).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base).expanduser() / "likelihub"


def _base(variable: str, default: str) -> str:
    """The address in ``$variable`` (else ``default``), refused where it is no http(s) address."""
    base = (os.environ.get(variable) or default).rstrip("/")
    try:
        parts = urllib.parse.urlsplit(base)
        parts.port  # noqa: B018 (a bad port raises here)
    except ValueError as error:
        raise FetchError(f"${variable}={base!r} is not a valid address: {error}") from None
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        raise FetchError(f"${variable}={base!r} is not a valid address (http(s)://host[:port][/path])")
    return base


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _resources(record, base: str) -> list[dict]:
    """The resources a HEPData record's JSON lists: every object with a string naming
    ``/record/resource/<id>``, as {id, url, name, description, type}, once per id."""
    found: dict[str, dict] = {}

    def walk(node) -> None:
        if isinstance(node, dict):
            for value in node.values():
                match = _RESOURCE.search(value) if isinstance(value, str) else None
                if match and match.group(1) not in found:
                    text = {k: str(node.get(k) or "") for k in ("description", "file_description", "type",
                                                                 "file_type", "filename", "name", "location")}
                    found[match.group(1)] = {
                        "id": match.group(1), "url": f"{base}/record/resource/{match.group(1)}?view=true",
                        "name": Path(text["filename"] or text["location"] or text["name"]).name,
                        "description": text["description"] or text["file_description"],
                        "type": text["type"] or text["file_type"]}
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(record)
    return list(found.values())


def _is_likelihood(resource: dict) -> bool:
    if resource["type"].strip().lower() in LIKELIHOOD_TYPES:
        return True
    words = f"{resource['description']} {resource['name']}".lower()
    return any(word in words for word in LIKELIHOOD_WORDS)


def _sources(identifier: Identifier, timeout: float) -> list[tuple[str, str, str]]:
    """(address, Accept header, file name or "") of each file to download."""
    if identifier.kind == "url":
        return [(identifier.value, "*/*", "")]
    if identifier.kind == "doi":
        return [(f"{_base(DOI_URL_VARIABLE, DOI_URL)}/{identifier.value}", ARCHIVE_ACCEPT, "")]
    base = _base(HEPDATA_URL_VARIABLE, HEPDATA_URL)
    url = f"{base}/record/ins{identifier.value}?format=json"
    body = download(url, accept="application/json", timeout=timeout).body
    try:
        record = json.loads(body)
    except ValueError:
        raise FetchError(f"{url}: HEPData's record is not JSON (is {identifier.key} a HEPData "
                         "record?)") from None
    resources = _resources(record, base)
    chosen = [r for r in resources if _is_likelihood(r)]
    _log.info("%s: %d resources, %d of them likelihoods", identifier.key, len(resources), len(chosen))
    if not chosen:
        listed = ", ".join(r["name"] or r["id"] for r in resources) or "none"
        raise FetchError(f"{url}: the record lists no likelihood among its resources ({listed}); fetch "
                         "one by its DOI (10.17182/hepdata.<record>.v<version>/r<n>)")
    return [(r["url"], ARCHIVE_ACCEPT + ", application/json, */*;q=0.1", r["name"]) for r in chosen]


def _file_name(url: str, disposition: str, suggested: str, body: bytes) -> str:
    """The downloaded file's name: the server's (Content-Disposition), the record's, the
    address's last part where it has a suffix, else one from the first bytes."""
    match = re.search(r"filename\*?=(?:UTF-8'')?\"?([^\";]+)\"?", disposition or "")
    for name in (match.group(1) if match else "", suggested, url.split("?", 1)[0].rsplit("/", 1)[-1]):
        name = Path(name.strip()).name
        if name and "." in name and name not in (".", ".."):
            return name
    if body[:2] == b"\x1f\x8b":
        return "resource.tar.gz"
    if body[:4] == b"PK\x03\x04":
        return "resource.zip"
    return "resource.json" if body.lstrip()[:1] in (b"{", b"[") else "resource"


def _check(url: str, name: str, body: bytes, content_type: str) -> None:
    """Refuse an HTML page in place of a file, an archive that does not open, broken JSON."""
    if "html" in content_type.lower() or body.lstrip()[:15].lower().startswith((b"<!doctype html", b"<html")):
        raise FetchError(f"{url}: got a web page, not a file (a record's landing page? a DOI must name a "
                         "resource, 10.17182/hepdata.<record>.v<version>/r<n>)")
    lower = name.lower()
    if lower.endswith(ARCHIVE_SUFFIXES) or "tar" in content_type or "zip" in content_type:
        try:
            read_archive(body)
        except ARCHIVE_ERRORS as error:
            raise FetchError(f"{url}: {name} is not an archive that opens (tar or zip): "
                             f"{one_line(error) or type(error).__name__}") from None
    elif lower.endswith(".json"):
        try:
            json.loads(body)
        except ValueError as error:
            raise FetchError(f"{url}: {name} is not valid JSON: {error}") from None


def _cached(identifier: Identifier, folder: Path) -> Fetched | None:
    """The cache's files of ``identifier`` where the manifest lists them all with their SHA-256."""
    try:
        manifest = json.loads((folder / MANIFEST).read_text())
        files = [FetchedFile(f["name"], folder / f["name"], f["url"], int(f["size"]), f["sha256"],
                             folder / f["unpacked"] if f.get("unpacked") else None)
                 for f in manifest["files"]]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    for file in files:
        if not file.path.is_file() or _sha256(file.path) != file.sha256:
            _log.warning("%s: the cached %s differs from the one downloaded (SHA-256): downloading "
                         "again", identifier.key, file.name)
            return None
        if file.unpacked is not None and not file.unpacked.is_dir():
            file.unpacked = unpack(file.path)
    return Fetched(identifier, folder, files, downloaded=False)


def _discard(folder: Path, written: list[Path], *, remove_folder: bool) -> None:
    """After a failed fetch: remove what it wrote (files, unpacked folders), and ``folder`` itself
    where it made it (else only where it is left empty); failures to remove are ignored."""
    for path in written:
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path, ignore_errors=True)
        else:
            with contextlib.suppress(OSError):
                path.unlink(missing_ok=True)
    if remove_folder:
        shutil.rmtree(folder, ignore_errors=True)
    else:
        with contextlib.suppress(OSError):
            folder.rmdir()  # only where empty


def fetch(identifier: str, *, cache_dir: str | os.PathLike | None = None, force: bool = False,
          timeout: float = 60.0) -> Fetched:
    """Download the likelihoods of ``identifier`` into the cache (see the module docstring).

    Parameters
    ----------
    identifier
        An INSPIRE id (``ins1755298``), a DOI (``10.17182/hepdata.90607.v3/r3``) or an address.
    cache_dir
        The cache folder (default: :func:`cache_folder`).
    force
        Download even where the cache holds the files already.
    timeout
        Seconds to wait for the server, for each connection and each read.

    Raises
    ------
    InvalidArgumentError
        ``identifier`` is none of those.
    FetchError
        No network, a timeout, an HTTP error, an HTML page instead of the file, a broken archive,
        a record without likelihoods, or a cache that cannot be written.
    """
    parsed = parse_identifier(identifier)
    folder = cache_folder(cache_dir) / "hepdata" / parsed.key
    if not force:
        cached = _cached(parsed, folder)
        if cached is not None:
            _log.info("%s: in the cache, %s", parsed.key, folder)
            return cached
    fetched = Fetched(parsed, folder)
    existed = folder.is_dir()
    written: list[Path] = []
    try:
        folder.mkdir(parents=True, exist_ok=True)
        (folder / MANIFEST).unlink(missing_ok=True)  # until every file is in
        for url, accept, suggested in _sources(parsed, timeout):
            _log.info("downloading %s", url)
            body, content_type, disposition, final = download(url, accept=accept, timeout=timeout)
            name = _file_name(final, disposition, suggested, body)
            if any(f.name == name for f in fetched.files):  # two resources of one name
                name = f"{len(fetched.files) + 1}_{name}"
            _check(url, name, body, content_type)
            path = folder / name
            partial = path.with_name(path.name + ".part")
            written += [partial, path]
            partial.write_bytes(body)
            os.replace(partial, path)
            file = FetchedFile(name, path, url, len(body), hashlib.sha256(body).hexdigest())
            if name.lower().endswith(ARCHIVE_SUFFIXES) or zipfile.is_zipfile(path) or \
                    tarfile.is_tarfile(path):
                file.unpacked = unpack(path)
                written.append(file.unpacked)
            fetched.files.append(file)
        manifest = {"identifier": parsed.value, "kind": parsed.kind,
                    "fetched": datetime.now(timezone.utc).isoformat(timespec="seconds"),
                    "files": [{"name": f.name, "url": f.url, "size": f.size, "sha256": f.sha256,
                               "unpacked": f.unpacked.name if f.unpacked else None} for f in fetched.files]}
        (folder / MANIFEST).write_text(json.dumps(manifest, indent=1) + "\n")
    except BaseException as error:
        _discard(folder, written, remove_folder=not existed)
        if isinstance(error, FetchError) or not isinstance(error, OSError):
            raise
        raise FetchError(f"cannot write the cache {folder}: {error.strerror or error}") from None
    return fetched
