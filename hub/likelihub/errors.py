"""The exception hierarchy of likelihub.

Every error raised on purpose by likelihub or one of its plugins derives from
:class:`LikelihubError`. Errors about a model say *where* the problem lies: pass the
location as keywords (``file``, ``channel``, ``sample``, ``modifier``, ``bin``,
``argument``) and they are written in front of the message, in that order. Every message is
one line: line breaks and runs of spaces (a numpy array's repr, a schema validator's text)
are folded into single spaces.

What each class means and when it is raised: ``docs/errors.md``.
"""

from __future__ import annotations

__all__ = [
    "one_line",
    "LikelihubError",
    "InvalidModelError",
    "InvalidDataError",
    "InvalidArgumentError",
    "UnknownBackendError",
    "PluginError",
    "FitError",
    "FitTimeLimitError",
    "LimitError",
    "ExecutorError",
    "ScanOutputError",
    "CapabilityError",
    "FetchError",
    "PluginWarning",
]

_LOCATION_KEYS = ("file", "channel", "sample", "modifier", "bin", "argument")


def _format_location(location: dict) -> str:
    parts = [f"{key} {location[key]!r}" for key in _LOCATION_KEYS if location.get(key) is not None]
    return ", ".join(parts)


def one_line(message) -> str:
    """``message`` as one line: whitespace runs, line breaks included, become single spaces."""
    return " ".join(str(message).split())


class LikelihubError(Exception):
    """Base class of every error likelihub raises on purpose; its message is one line."""

    def __init__(self, message="", *args):
        super().__init__(one_line(message), *args)


class InvalidModelError(LikelihubError, ValueError):
    """A model specification is wrong: schema, shapes, values, names.

    Parameters
    ----------
    message
        What is wrong.
    **location
        Where it is wrong: ``file``, ``channel``, ``sample``, ``modifier``, ``bin``,
        ``argument``; those given are named in front of the message.
    """

    def __init__(self, message: str, **location):
        unknown = set(location) - set(_LOCATION_KEYS)
        if unknown:
            raise TypeError(f"unknown location keys {sorted(unknown)}")
        self.location = {k: v for k, v in location.items() if v is not None}
        self.reason = one_line(message)
        where = _format_location(self.location)
        super().__init__(f"{where}: {message}" if where else message)


class InvalidDataError(InvalidModelError):
    """Observed data (or data passed to a method) of the wrong length or with invalid values."""


class InvalidArgumentError(InvalidModelError):
    """An argument of a public function or method is not what it claims to be.

    A wrong type (``rng=5``, ``mu="1"``, ``ntoys=1.5``), a non-finite number, a parameter vector
    of the wrong length, an unknown choice, or a signal strength outside the POI's bounds where
    the method needs it inside. The message starts with ``argument '<name>'``.
    """


class UnknownBackendError(LikelihubError, LookupError):
    """No backend is registered under the requested name."""


class PluginError(LikelihubError, RuntimeError):
    """A plugin could not be loaded or registered something invalid."""


class FitError(LikelihubError, RuntimeError):
    """A maximum-likelihood fit did not reach a valid minimum.

    Attributes
    ----------
    result
        The best (but invalid) :class:`~likelihub.fits.engine.FitResult` found, if any.
    """

    def __init__(self, message: str, result=None):
        super().__init__(message)
        self.result = result


class FitTimeLimitError(FitError):
    """An inference call (a CLs, a limit, a toy run) ran past its ``time_limit`` fit option."""


class LimitError(LikelihubError, RuntimeError):
    """An upper limit could not be bracketed or found."""


class ExecutorError(LikelihubError, RuntimeError):
    """The executor of a scan or of toys is not one likelihub knows, cannot be reached, or lost a
    worker."""


class ScanOutputError(LikelihubError, OSError):
    """A scan's output cannot be written, is being written by another scan, or cannot be resumed
    (rows of another scan, other settings, unreadable lines); the message names the file."""


class CapabilityError(LikelihubError, TypeError):
    """The backend lacks an optional capability that the requested method needs."""


class FetchError(LikelihubError, OSError):
    """A download (``likelihub fetch``) failed: no network, a timeout, an HTTP error status, or a
    file that is not what it claims (an HTML page, a broken archive); the message names the URL."""


class PluginWarning(RuntimeWarning):
    """A plugin failed to load or is incompatible; the other plugins still load."""
