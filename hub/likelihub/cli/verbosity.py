"""What the ``likelihub`` command line says besides its results: log messages, warnings, progress.

- ``likelihub -v ...`` shows the info messages of the ``likelihub`` loggers (files read, fits
  falling back, scan chunks), ``-vv`` the debug messages too; ``--quiet`` (``-q``) shows only
  errors: no info, no warnings, no progress bars. Messages go to standard error through the
  standard :mod:`logging` module (the logger ``likelihub`` and its children, one per module).
- Warnings (:mod:`warnings`) are printed on one line each, ``Warning: <message> [<category>]``,
  without the source line Python's default display adds, and each message once per command.

:func:`cli_output` installs both for the duration of one command only: the ``likelihub`` logger's
level and handler, the warning filters and :func:`warnings.showwarning` are restored afterwards
(no state changes at import, none survive the command). Warning filters given to Python
(``python -W error``, ``PYTHONWARNINGS``) are kept as given.
"""

from __future__ import annotations

import contextlib
import logging
import sys
import warnings
from collections.abc import Iterator

import click

from likelihub.errors import one_line

__all__ = ["cli_output", "OneLineWarnings", "progress_choice", "LOGGER_NAME"]

#: The root of likelihub's loggers (each module logs to ``logging.getLogger(__name__)``).
LOGGER_NAME = "likelihub"

#: Warning categories Python hides by default, hidden by the command line too.
_HIDDEN = (DeprecationWarning, PendingDeprecationWarning, ImportWarning, ResourceWarning)


class _EchoHandler(logging.Handler):
    """Writes log records to the current standard error (through click, so that tests' runners
    capture them), one line each: ``info: ...``, ``debug (module): ...``."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            message = one_line(record.getMessage())
            if record.levelno >= logging.WARNING:
                text = f"Warning: {message}"
            elif record.levelno >= logging.INFO:
                text = f"info: {message}"
            else:
                text = f"debug ({record.name}): {message}"
            click.echo(text, err=True)
        except Exception:  # a logging failure never ends the command
            self.handleError(record)


class OneLineWarnings:
    """A :func:`warnings.showwarning` that prints ``Warning: <message> [<category>]`` on one line
    to standard error, each (category, message) once; with ``quiet``, nothing."""

    def __init__(self, quiet: bool = False):
        self.quiet = quiet
        self.seen: set[tuple[str, str]] = set()

    def __call__(self, message, category, filename, lineno, file=None, line=None) -> None:
        text = one_line(message)
        key = (category.__name__, text)
        if self.quiet or key in self.seen:
            return
        self.seen.add(key)
        click.echo(f"Warning: {text} [{category.__name__}]", err=True)


def _level(verbose: int, quiet: bool) -> int:
    if quiet:
        return logging.ERROR
    return {0: logging.WARNING, 1: logging.INFO}.get(verbose, logging.DEBUG)


@contextlib.contextmanager
def cli_output(*, verbose: int = 0, quiet: bool = False) -> Iterator[None]:
    """For the duration of one command: log messages of ``likelihub.*`` at the level ``verbose``
    asks for (0: warnings, 1: info, 2 or more: debug; ``quiet``: errors only) on standard error,
    and warnings on one line each (none with ``quiet``); everything restored afterwards."""
    logger = logging.getLogger(LOGGER_NAME)
    handler = _EchoHandler()
    saved_level = logger.level
    logger.addHandler(handler)
    logger.setLevel(_level(verbose, quiet))
    try:
        with warnings.catch_warnings():
            if not sys.warnoptions:  # every warning reaches the display, which shows each once
                warnings.simplefilter("always")
                for category in _HIDDEN:
                    warnings.simplefilter("ignore", category)
            warnings.showwarning = OneLineWarnings(quiet)
            yield
    finally:
        logger.removeHandler(handler)
        logger.setLevel(saved_level)


def progress_choice(ctx: click.Context | None) -> bool | None:
    """The ``progress`` argument of the commands' computations: False under ``--quiet``, else None
    (a bar where standard error is a terminal)."""
    root = ctx.find_root() if ctx is not None else None
    if root is not None and root.meta.get("likelihub.quiet"):
        return False
    return None
