"""One HTTP download with the standard library (:mod:`urllib`), its failures as one-line errors.

:func:`download` follows redirects (a DOI to HEPData), waits at most ``timeout`` seconds for each
connection and read, and turns every failure into a :class:`~likelihub.errors.FetchError`
naming the address: no network or no such host, a refused connection, a timeout, an HTTP error
status (404: no such record or resource).
"""

from __future__ import annotations

import http.client
import socket
import urllib.error
import urllib.request
from typing import NamedTuple

from likelihub.errors import FetchError, one_line

__all__ = ["download", "Response"]


class Response(NamedTuple):
    """A download: the body, its Content-Type and Content-Disposition ("" where absent), and the
    address it came from after redirects."""

    body: bytes
    content_type: str
    disposition: str
    url: str


def _reason(error: BaseException) -> str:
    reason = getattr(error, "reason", None) or error
    if isinstance(reason, (TimeoutError, socket.timeout)):
        return "timed out"
    return one_line(getattr(reason, "strerror", None) or reason)


def download(url: str, *, accept: str = "*/*", timeout: float = 60.0) -> Response:
    """What ``url`` answers (redirects followed, the ``Accept`` header kept).

    Raises
    ------
    FetchError
        The server cannot be reached, does not answer within ``timeout`` seconds, or answers with
        an error status; ``url`` is no http(s) address.
    """
    from likelihub import __version__

    if not url.lower().startswith(("http://", "https://")):
        raise FetchError(f"{url}: not an http(s) address")
    try:
        request = urllib.request.Request(url, headers={"Accept": accept,
                                                       "User-Agent": f"likelihub/{__version__}"})
        with urllib.request.urlopen(request, timeout=timeout) as response:
            body = response.read()
            headers, final = response.headers, response.geturl()
    except urllib.error.HTTPError as error:
        error.close()  # its response stays open otherwise
        hint = " (no such record or resource)" if error.code == 404 else ""
        raise FetchError(f"{url}: HTTP error {error.code} {one_line(error.reason)}{hint}") from None
    except (urllib.error.URLError, TimeoutError, ConnectionError, http.client.HTTPException) as error:
        raise FetchError(f"{url}: cannot download: {_reason(error)} (no network, or the server is "
                         "down?)") from None
    except ValueError as error:  # a malformed address
        raise FetchError(f"{url}: {one_line(error)}") from None
    return Response(body, headers.get("Content-Type", ""), headers.get("Content-Disposition", ""), final)
