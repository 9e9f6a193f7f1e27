"""``likelihub fetch`` and :mod:`likelihub.fetching` against a stand-in HEPData on 127.0.0.1
(tests/hub/hepdata_server.py; no internet): identifiers, the cache and its SHA-256 check, pyhf's
``Accept`` header behind a DOI, archives unpacked, and one-line errors (no network, timeouts, 404,
a web page instead of a file, a broken archive). Every checksum asserted is hashlib's SHA-256 of
the bytes the server sent."""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import re
import socket
import tarfile

import pytest
from click.testing import CliRunner

from likelihub.cli import cli
from likelihub.errors import FetchError, InvalidArgumentError
from likelihub.fetching import ARCHIVE_ACCEPT, cache_folder, fetch, parse_identifier

from .hepdata_server import SIMPLIFIED, pallet, serve, zip_pallet

DOI = "10.17182/hepdata.1234.v1"


@pytest.fixture
def hepdata(tmp_path, monkeypatch):
    """The server, with a record (ins1234567) holding a pallet, a simplified likelihood and a
    macro; DOIs of its resources; the cache in tmp_path/cache."""
    with serve() as server:
        url = server.url
        tgz, archive = pallet(tmp_path), zip_pallet(tmp_path)
        record = {"record": {"inspire_id": "1234567", "title": "A made-up search", "resources": [
            {"url": f"{url}/record/resource/101?landing_page=true", "type": "HistFactory",
             "description": "Archive of full likelihoods in the HistFactory JSON format",
             "filename": "Likelihoods.tar.gz"},
            {"url": f"{url}/record/resource/102?landing_page=true", "filename": "SL.json",
             "description": "Simplified likelihood: covariance and third moments"},
            {"url": f"{url}/record/resource/103?landing_page=true", "filename": "figure3.C",
             "description": "ROOT macro of Figure 3"}]}}
        nothing = {"record": {"resources": [{"url": "/record/resource/103", "filename": "figure3.C"}]}}
        gzip = {"Content-Type": "application/gzip",
                "Content-Disposition": 'attachment; filename="Likelihoods.tar.gz"'}
        server.routes.update({
            "/record/ins1234567?format=json": (200, {}, json.dumps(record).encode()),
            "/record/ins7654321?format=json": (200, {}, json.dumps(nothing).encode()),
            "/record/ins1111111?format=json": (200, {}, b"<html>maintenance</html>"),
            "/record/resource/101?view=true": (200, gzip, tgz),
            "/record/resource/102?view=true": (200, {"Content-Type": "application/json"}, SIMPLIFIED),
            f"/doi/{DOI}/r1": (302, {"Location": "/record/resource/101?view=true"}, b""),
            f"/doi/{DOI}/r2": (302, {"Location": "/files/Likelihoods.zip"}, b""),
            "/files/Likelihoods.zip": (200, {"Content-Type": "application/zip"}, archive),
            f"/doi/{DOI}": (200, {"Content-Type": "text/html"}, b"<!DOCTYPE html><html>record</html>"),
            f"/doi/{DOI}/r3": (200, {"Content-Disposition": "attachment; filename=broken.tar.gz"},
                               b"\x1f\x8b not really gzip"),
        })
        monkeypatch.setenv("LIKELIHUB_HEPDATA_URL", url)
        monkeypatch.setenv("LIKELIHUB_DOI_URL", f"{url}/doi")
        monkeypatch.setenv("LIKELIHUB_CACHE", str(tmp_path / "cache"))
        server.tgz, server.zip = tgz, archive
        yield server


def test_an_inspire_record_brings_its_likelihoods_into_the_cache(hepdata, tmp_path):
    fetched = fetch("ins1234567")
    folder = tmp_path / "cache" / "hepdata" / "ins1234567"
    assert fetched.folder == folder and fetched.downloaded
    assert [f.name for f in fetched.files] == ["Likelihoods.tar.gz", "SL.json"]  # not the macro
    pallet_file, simplified = fetched.files
    assert pallet_file.sha256 == hashlib.sha256(hepdata.tgz).hexdigest()
    assert simplified.sha256 == hashlib.sha256(SIMPLIFIED).hexdigest()
    assert pallet_file.path.read_bytes() == hepdata.tgz and simplified.unpacked is None
    assert sorted(p.name for p in pallet_file.unpacked.rglob("*") if p.is_file()) == [
        "BkgOnly.json", "README.md", "patchset.json"]
    manifest = json.loads((folder / "manifest.json").read_text())
    assert [f["sha256"] for f in manifest["files"]] == [pallet_file.sha256, simplified.sha256]
    assert hepdata.requests[0] == ("/record/ins1234567?format=json", "application/json")


def test_the_cache_is_read_again_and_force_downloads_again(hepdata):
    first = fetch("1234567")
    asked = len(hepdata.requests)
    again = fetch("ins1234567")
    assert not again.downloaded and len(hepdata.requests) == asked  # no request at all
    assert [(f.name, f.sha256) for f in again.files] == [(f.name, f.sha256) for f in first.files]
    forced = fetch("ins1234567", force=True)
    assert forced.downloaded and len(hepdata.requests) == 2 * asked


def test_a_cached_file_that_changed_is_downloaded_again(hepdata, caplog):
    first = fetch("ins1234567")
    first.files[1].path.write_text('{"observed": [0]}')
    again = fetch("ins1234567")
    assert again.downloaded and again.files[1].path.read_bytes() == SIMPLIFIED
    assert "differs from the one downloaded (SHA-256)" in caplog.text


def test_a_doi_asks_for_the_archive_as_pyhf_does_and_follows_redirects(hepdata):
    fetched = fetch(f"https://doi.org/{DOI}/r1")
    assert fetched.identifier.kind == "doi" and fetched.files[0].name == "Likelihoods.tar.gz"
    assert hepdata.requests[0] == (f"/doi/{DOI}/r1", ARCHIVE_ACCEPT)
    assert hepdata.requests[1] == ("/record/resource/101?view=true", ARCHIVE_ACCEPT)


def test_a_zip_archive_is_unpacked_without_macos_leftovers(hepdata):
    file = fetch(f"doi:{DOI}/r2").files[0]
    assert file.name == "Likelihoods.zip" and file.sha256 == hashlib.sha256(hepdata.zip).hexdigest()
    # the archive's one top folder dropped (as pyhf does for zip files)
    assert sorted(str(p.relative_to(file.unpacked)) for p in file.unpacked.rglob("*") if p.is_file()) == [
        "BkgOnly.json", "patchset.json"]


def test_an_archive_member_cannot_land_outside_its_folder(hepdata, tmp_path):
    import io

    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for name in ("../escaped.json", "/tmp/absolute.json", "inside.json"):
            info = tarfile.TarInfo(name)
            info.size = 2
            archive.addfile(info, io.BytesIO(b"{}"))
    hepdata.routes[f"/doi/{DOI}/r4"] = (200, {"Content-Disposition": "filename=evil.tgz"}, buffer.getvalue())
    file = fetch(f"{DOI}/r4").files[0]
    assert [p.name for p in file.unpacked.rglob("*")] == ["inside.json"]
    assert not (file.path.parent / "escaped.json").exists()


def test_two_resources_of_one_name_are_both_kept(hepdata):
    twins = {"resources": [{"url": f"/record/resource/{n}", "type": "HistFactory"} for n in (101, 104)]}
    hepdata.routes["/record/ins2222222?format=json"] = (200, {}, json.dumps(twins).encode())
    hepdata.routes["/record/resource/104?view=true"] = hepdata.routes["/record/resource/101?view=true"]
    files = fetch("ins2222222").files
    assert [f.name for f in files] == ["Likelihoods.tar.gz", "2_Likelihoods.tar.gz"]
    assert [f.unpacked.name for f in files] == ["Likelihoods", "2_Likelihoods"]


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.parametrize("identifier, match", [
    (f"{DOI}/r9", r"/doi/10\.17182/hepdata\.1234\.v1/r9: HTTP error 404 .*\(no such record or resource\)"),
    (DOI, "got a web page, not a file"),
    (f"{DOI}/r3", "broken.tar.gz is not an archive that opens"),
    ("ins7654321", r"lists no likelihood among its resources \(figure3.C\)"),
    ("ins1111111", "HEPData's record is not JSON"),
])
def test_failures_are_one_line_fetch_errors_naming_the_address(hepdata, identifier, match):
    with pytest.raises(FetchError, match=match) as error:
        fetch(identifier)
    assert "\n" not in str(error.value)


def test_no_network_and_a_silent_server_are_fetch_errors(hepdata, monkeypatch):
    with pytest.raises(FetchError, match="cannot download: timed out"):
        fetch(f"{DOI}/slow", timeout=0.3)
    monkeypatch.setenv("LIKELIHUB_DOI_URL", f"http://127.0.0.1:{_closed_port()}")
    with pytest.raises(FetchError, match=r"cannot download: .*refused.* \(no network, or the server is "
                                         r"down\?\)"):
        fetch(f"{DOI}/r1")


def test_identifiers_are_read_or_refused():
    assert parse_identifier("ins1755298").key == "ins1755298"
    assert parse_identifier(" 1755298 ").value == "1755298"
    doi = "10.17182/hepdata.90607.v3/r3"
    assert parse_identifier(f"https://doi.org/{doi}").value == doi
    assert parse_identifier("doi:10.17182/hepdata.90607.v3/r3").key == "10.17182_hepdata.90607.v3_r3"
    assert parse_identifier("https://example.org/a.json").kind == "url"
    with pytest.raises(InvalidArgumentError, match="argument 'identifier': 'atlas' is no INSPIRE id"):
        parse_identifier("atlas")


def test_the_cache_folder_is_the_option_then_likelihub_cache_then_xdg(monkeypatch, tmp_path):
    monkeypatch.setenv("LIKELIHUB_CACHE", str(tmp_path / "a"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "b"))
    assert cache_folder(tmp_path / "c") == tmp_path / "c"
    assert cache_folder() == tmp_path / "a"
    monkeypatch.delenv("LIKELIHUB_CACHE")
    assert cache_folder() == tmp_path / "b" / "likelihub"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert cache_folder() == tmp_path / "home" / ".cache" / "likelihub"


def test_the_command_prints_what_it_fetched_and_where(hepdata, tmp_path):
    runner = CliRunner()
    result = runner.invoke(cli, ["fetch", "ins1234567", "--cache-dir", str(tmp_path / "mine")])
    assert result.exit_code == 0, result.output
    folder = tmp_path / "mine" / "hepdata" / "ins1234567"
    assert result.stdout.startswith(f"ins1234567: 2 files in {folder} (downloaded)")
    assert "README.md" in result.stdout and "text, 1 line" in result.stdout
    # the simplified likelihood is described by its format where that plugin is installed (its 3
    # bins, the third moments served), else by its keys (the generic description)
    from likelihub.registry.plugins import default_registry

    if "simplified" in default_registry().formats:
        assert "simplified likelihood: 3 bins, observed and background, covariance, third moment" \
            in result.stdout
    else:
        assert "JSON object, keys: observed, background, covariance, third_moments" in result.stdout
    report = json.loads(runner.invoke(cli, ["fetch", "ins1234567", "--cache-dir", str(tmp_path / "mine"),
                                            "--json"]).stdout)
    assert report["downloaded"] is False
    assert report["files"][1]["sha256"] == hashlib.sha256(SIMPLIFIED).hexdigest()


def test_the_command_fails_on_one_line(hepdata):
    result = CliRunner().invoke(cli, ["fetch", f"{DOI}/r9"])
    assert result.exit_code == 1 and result.stdout == ""
    assert result.stderr.startswith("Error: ") and len(result.stderr.splitlines()) == 1
    assert "Traceback" not in result.output
    result = CliRunner().invoke(cli, ["-v", "fetch", "nonsense"])
    assert result.exit_code == 1 and "argument 'identifier'" in result.stderr


def _damaged_header(tgz: bytes) -> bytes:
    """The pallet with its second member's header overwritten (at byte 2048 of the tar stream:
    the first member, 481 bytes of data, fills blocks 512 to 1023 and a tar header is 512 bytes;
    tarfile's listing of it stops quietly after the first member), gzipped again (a valid gzip)."""
    raw = bytearray(gzip.decompress(tgz))
    assert tarfile.open(fileobj=io.BytesIO(bytes(raw))).getmembers()[1].offset == 2048
    raw[2048 + 10:2048 + 18] = b"\xff" * 8
    return gzip.compress(bytes(raw))


def _flipped(data: bytes) -> bytes:
    """``data`` with 4 bytes in its middle inverted (gzip's CRC-32, zip's member CRC fail)."""
    middle = len(data) // 2
    return data[:middle] + bytes(b ^ 0xFF for b in data[middle:middle + 4]) + data[middle + 4:]


@pytest.mark.parametrize("damage, name", [("flipped", "Likelihoods.tar.gz"), ("header", "Likelihoods.tar.gz"),
                                          ("zip", "Likelihoods.zip")])
def test_a_damaged_archive_is_refused_and_leaves_nothing_in_the_cache(hepdata, tmp_path, damage, name):
    body = {"flipped": lambda: _flipped(hepdata.tgz), "header": lambda: _damaged_header(hepdata.tgz),
            "zip": lambda: _flipped(hepdata.zip)}[damage]()
    hepdata.routes[f"/doi/{DOI}/r4"] = (200, {"Content-Disposition": f"attachment; filename={name}"}, body)
    with pytest.raises(FetchError, match=f"/r4: {re.escape(name)} is not an archive that opens") as error:
        fetch(f"{DOI}/r4")
    assert "\n" not in str(error.value)
    assert not (tmp_path / "cache" / "hepdata" / "10.17182_hepdata.1234.v1_r4").exists()
    result = CliRunner().invoke(cli, ["fetch", f"{DOI}/r4"])
    assert result.exit_code == 1 and result.stdout == ""
    assert result.stderr.startswith("Error: http://") and len(result.stderr.splitlines()) == 1


def test_a_failure_after_a_first_file_removes_it_and_the_new_folder(hepdata, tmp_path):
    # resource 101 (the pallet) is written and unpacked, then 102 answers a damaged JSON file
    hepdata.routes["/record/resource/102?view=true"] = (200, {}, b'{"observed": [1,')
    with pytest.raises(FetchError, match="SL.json is not valid JSON"):
        fetch("ins1234567")
    assert not (tmp_path / "cache" / "hepdata" / "ins1234567").exists()
    # a failed force fetch over a good cache: the folder stays, without a manifest (not served)
    hepdata.routes["/record/resource/102?view=true"] = (200, {}, SIMPLIFIED)
    fetch("ins1234567")
    hepdata.routes["/record/resource/101?view=true"] = (200, {}, _flipped(hepdata.tgz))
    with pytest.raises(FetchError, match="not an archive that opens"):
        fetch("ins1234567", force=True)
    assert not (tmp_path / "cache" / "hepdata" / "ins1234567" / "manifest.json").exists()


@pytest.mark.parametrize("given", ["ins1234567", "1234567", "INS1234567"])
def test_an_inspire_record_is_named_ins_and_its_number(hepdata, given):
    result = CliRunner().invoke(cli, ["fetch", given])
    assert result.exit_code == 0 and result.stdout.startswith("ins1234567: 2 files in ")
    report = json.loads(CliRunner().invoke(cli, ["fetch", given, "--json"]).stdout)
    assert report["identifier"] == "ins1234567"


@pytest.mark.parametrize("address", ["http://[::1", "ftp://example.org", "hepdata.net", "http://host:port"])
def test_an_invalid_hepdata_address_names_the_variable(hepdata, monkeypatch, address):
    monkeypatch.setenv("LIKELIHUB_HEPDATA_URL", address)
    with pytest.raises(FetchError, match=r"^\$LIKELIHUB_HEPDATA_URL=.* is not a valid address"):
        fetch("ins1234567")
    result = CliRunner().invoke(cli, ["fetch", "ins1234567"])
    assert result.exit_code == 1 and "LIKELIHUB_HEPDATA_URL" in result.stderr and "JSON" not in result.stderr
