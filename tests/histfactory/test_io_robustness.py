"""Reading pallets that are truncated, corrupt, too large or not text (issue 11, item 4).

Every failure is an ``InvalidModelError`` naming the file (and member), never an ``EOFError``
(which click reports as "Aborted!") or a ``tarfile.ReadError``; members above the size limit are
refused before they are read; a member's bytes are decoded block by block, never held whole
beside its text. All archives are written to ``tmp_path`` from small documents made here (and,
where the shared data are present, from a truncated copy of a published pallet).
"""

from __future__ import annotations

import gzip
import io
import json
import tarfile
import tracemalloc
from pathlib import Path

import pytest

import likelihub
from likelihub.errors import InvalidModelError
from likelihub_histfactory.spec import io as hf_io
from likelihub_histfactory.spec.io import archive_members, read_json, read_json_members
from likelihub_histfactory.spec.workspace import Workspace

DATA = Path(__file__).parent / "data"


def _pallet(path: Path, members: dict[str, bytes]) -> Path:
    with tarfile.open(path, "w:gz") as archive:
        for name, content in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(content)
            archive.addfile(info, io.BytesIO(content))
    return path


@pytest.fixture()
def pallet(tmp_path) -> Path:
    """A pallet of a workspace and a patch, plus 200 kB of padding so that truncation bites."""
    return _pallet(tmp_path / "pallet.tar.gz", {
        "RegionA/BkgOnly.json": (DATA / "multi_channel.json").read_bytes(),
        "RegionA/patch.signal.json": (DATA / "two_bin_signal_patch.json").read_bytes(),
        "RegionA/padding.json": json.dumps({"x": list(range(40_000))}).encode(),
    })


def _truncated(source: Path, target: Path, fraction: float) -> Path:
    data = source.read_bytes()
    target.write_bytes(data[:int(len(data) * fraction)])
    return target


def _error(call, *args, **kwargs) -> InvalidModelError:
    with pytest.raises(InvalidModelError) as caught:
        call(*args, **kwargs)
    return caught.value


@pytest.mark.parametrize("fraction", [0.02, 0.3, 0.6, 0.95, 0.999])
def test_truncated_pallet_is_an_error_naming_the_file(pallet, tmp_path, fraction):
    # was: EOFError "Compressed file ended before the end-of-stream marker was reached" (CLI: "Aborted!")
    broken = _truncated(pallet, tmp_path / "broken.tar.gz", fraction)
    for call, args in ((read_json, (broken, "BkgOnly.json")), (archive_members, (broken,)),
                       (read_json_members, (broken, ["RegionA/patch.signal.json"])),
                       (Workspace.load, (broken, "BkgOnly.json"))):
        error = _error(call, *args)
        assert error.location["file"] == str(broken)
        assert "cannot be read" in error.reason


def test_truncated_published_pallet_through_the_factory(shared_data, tmp_path):
    source = shared_data / "histfactory" / "atlas-susy-2018-06-3L-eRJR.tar.gz"
    broken = _truncated(source, tmp_path / "3L.tar.gz", 0.5)
    error = _error(likelihub.get_backend("histfactory"), broken, member="BkgOnly.json",
                   patchset="patchset.json", patch_name="ERJR_350p0_0p0")
    assert error.location == {"file": str(broken)} and "truncated or corrupt" in error.reason


def test_not_a_gzip_file_and_a_corrupt_stream(tmp_path, pallet):
    fake = tmp_path / "fake.tar.gz"
    fake.write_bytes(b"\x1f\x8b\x08\x00" + b"\x00" * 60)   # a gzip header, then nothing sensible
    assert _error(read_json, fake, "x.json").location == {"file": str(fake)}
    data = bytearray(pallet.read_bytes())
    data[40:60] = bytes(20)                               # zeros over the start of the deflate data
    corrupt = tmp_path / "corrupt.tar.gz"
    corrupt.write_bytes(bytes(data))
    assert _error(read_json, corrupt, "BkgOnly.json").location["file"].startswith(str(corrupt))


def test_member_that_is_not_utf8_or_not_json(tmp_path):
    path = _pallet(tmp_path / "p.tar.gz", {"latin.json": '{"name": "caf\u00e9"}'.encode("latin-1"),
                                           "broken.json": b'{"channels": [1, 2,]}',
                                           "bom.json": b'\xef\xbb\xbf{"a": 1}'})
    error = _error(read_json, path, "latin.json")
    assert error.location == {"file": f"{path}:latin.json"} and "not UTF-8" in error.reason
    error = _error(read_json, path, "broken.json")
    assert error.location == {"file": f"{path}:broken.json"} and "line 1, column 20" in error.reason
    assert read_json(path, "bom.json")[0] == {"a": 1}   # a UTF-8 byte-order mark is allowed


def test_member_above_the_limit_is_refused_naming_archive_and_member(tmp_path, monkeypatch):
    # a 3 MB member and a 1 MB limit (the default is 1 GiB: hf_io.MAX_JSON_BYTES)
    big = json.dumps({"values": [0.5] * 600_000}).encode()
    path = _pallet(tmp_path / "big.tar.gz", {"big.json": big, "small.json": b"{}"})
    error = _error(read_json, path, "big.json", max_bytes=1 << 20)
    assert error.location == {"file": f"{path}:big.json"}
    assert f"the document is {len(big)} bytes, more than the {1 << 20}" in error.reason
    assert _error(read_json_members, path, ["small.json", "big.json"], max_bytes=1 << 20).location == {
        "file": f"{path}:big.json"}
    monkeypatch.setenv(hf_io.MAX_JSON_BYTES_VARIABLE, str(1 << 20))
    assert _error(read_json, path, "big.json").location == {"file": f"{path}:big.json"}
    assert read_json(path, "small.json")[0] == {}
    plain = tmp_path / "big.json"
    plain.write_bytes(big)
    assert _error(read_json, plain).location == {"file": str(plain)}
    monkeypatch.setenv(hf_io.MAX_JSON_BYTES_VARIABLE, "lots")
    assert _error(read_json, path, "small.json").location == {"argument": hf_io.MAX_JSON_BYTES_VARIABLE}
    monkeypatch.delenv(hf_io.MAX_JSON_BYTES_VARIABLE)
    assert read_json(path, "big.json")[0]["values"][0] == 0.5
    assert _error(read_json, path, "big.json", max_bytes=0).location == {"argument": "max_bytes"}


def test_a_member_is_not_held_as_bytes_beside_its_text(tmp_path):
    # A 4 MB member that parses to one 4 MB string: reading it held its bytes, their decoded text and
    # the parsed string at once (3 x 4 MB, plus the archive's buffers); decoded block by block, at
    # most the text twice (joining the blocks) or the text and the string. Python's allocations
    # (tracemalloc) are deterministic, whatever the CPU: the bound 2.5 x N separates the two.
    n = 4_000_000
    path = _pallet(tmp_path / "blob.tar.gz", {"blob.json": json.dumps({"blob": "x" * n}).encode()})
    tracemalloc.start()
    try:
        document, _ = read_json(path, "blob.json")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert len(document["blob"]) == n
    assert peak < 2.5 * n


def test_plain_gzip_json_is_not_an_archive(tmp_path):
    # a .json.gz is neither an archive nor JSON text: refused naming the file, not UnicodeDecodeError
    path = tmp_path / "ws.json"
    path.write_bytes(gzip.compress(b'{"a": 1}'))
    assert _error(read_json, path).location == {"file": str(path)}
