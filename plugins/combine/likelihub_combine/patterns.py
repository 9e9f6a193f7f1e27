"""Regular expressions typed by the user (card lines, options), compiled with a clear error."""

from __future__ import annotations

import re

from likelihub.errors import InvalidArgumentError, InvalidModelError

__all__ = ["compile_regex"]


def compile_regex(text: str, *, what: str, error: type = InvalidModelError, **location) -> re.Pattern:
    """``re.compile(text)``; a bad expression raises ``error`` (:class:`InvalidModelError` for
    card lines, :class:`InvalidArgumentError` for options) saying ``<what> '<text>' is not a
    regular expression (...)`` with ``location`` (``file=...``, or ``argument=...``)."""
    try:
        return re.compile(text)
    except re.error as problem:
        raise error(f"{what} {text!r} is not a regular expression ({problem})", **location) from None


def argument_regex(text: str, *, what: str, argument: str) -> re.Pattern:
    """:func:`compile_regex` for an option: an :class:`InvalidArgumentError` naming ``argument``."""
    return compile_regex(text, what=what, error=InvalidArgumentError, argument=argument)
