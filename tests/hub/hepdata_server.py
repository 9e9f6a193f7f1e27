"""A stand-in for HEPData and doi.org on 127.0.0.1 (http.server in a thread) for the tests of
``likelihub fetch``: no test reaches the internet.

:func:`serve` answers the paths of ``routes`` (path with its query -> (status, headers, body));
a path ending ``/slow`` answers after :data:`SLOW` seconds. It records each request's path and
``Accept`` header. :func:`pallet` and :func:`zip_pallet` build HEPData-like archives in a folder
from the tiny workspaces of tests/histfactory/data.
"""

from __future__ import annotations

import contextlib
import http.server
import io
import tarfile
import threading
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path

DATA = Path(__file__).resolve().parents[1] / "histfactory" / "data"
#: The pallet's members: a background-only workspace, a patchset of 3 patches (labels mass and
#: width), a README, as in ATLAS's pallets on HEPData.
MEMBERS = {"BkgOnly.json": DATA / "two_bin_background.json",
           "patchset.json": DATA / "two_bin_signal_points.json"}
README = b"Likelihoods of a made-up search, for likelihub's tests.\n"
#: A CMS-style simplified likelihood (the layout of ../shared/data/simplified): three bins.
SIMPLIFIED = (b'{"observed": [12, 7, 3], "background": [10.5, 6.1, 2.4], '
              b'"covariance": [[4.0, 0.5, 0.1], [0.5, 2.25, 0.2], [0.1, 0.2, 1.0]], '
              b'"third_moments": [1.2, 0.5, 0.1]}')
SLOW = 2.0


def pallet(folder: Path, name: str = "Likelihoods") -> bytes:
    """A gzipped tar archive ``name/BkgOnly.json, name/patchset.json, name/README.md``."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for member, source in MEMBERS.items():
            archive.add(source, arcname=f"{name}/{member}")
        info = tarfile.TarInfo(f"{name}/README.md")
        info.size = len(README)
        archive.addfile(info, io.BytesIO(README))
    data = buffer.getvalue()
    (folder / f"{name}.tar.gz").write_bytes(data)
    return data


def zip_pallet(folder: Path) -> bytes:
    """The same members in a zip archive, with macOS's ``__MACOSX`` leftovers (skipped)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for member, source in MEMBERS.items():
            archive.write(source, f"Likelihoods/{member}")
        archive.writestr("__MACOSX/._BkgOnly.json", b"\x00")
    data = buffer.getvalue()
    (folder / "Likelihoods.zip").write_bytes(data)
    return data


class Server:
    """The running server: its ``url``, ``routes`` to fill and the ``requests`` it had."""

    def __init__(self):
        self.routes: dict[str, tuple[int, dict, bytes]] = {}
        self.requests: list[tuple[str, str]] = []
        self.url = ""


@contextlib.contextmanager
def serve() -> Iterator[Server]:
    server = Server()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 (http.server's name)
            server.requests.append((self.path, self.headers.get("Accept", "")))
            if self.path.endswith("/slow"):
                time.sleep(SLOW)
            status, headers, body = server.routes.get(self.path, (404, {}, b"not found"))
            try:
                self.send_response(status)
                for key, value in headers.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):  # the client gave up (timeout)
                pass

        def log_message(self, *args):  # quiet
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    server.url = f"http://127.0.0.1:{httpd.server_address[1]}"
    try:
        yield server
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(5)
