"""Option types and error handling shared by the ``likelihub`` commands (and plugins' commands).

Options are checked by their click types as the command line is read, before any work: a bad
value ends the command with a usage error (exit status 2) naming the option and the value.

- :data:`FINITE` (and :class:`FiniteFloat` with bounds): numbers, refusing NaN and infinities;
- :data:`CONFIDENCE_LEVEL`: a finite number strictly between 0 and 1;
- :class:`OutputFile`: a file that can be written (its directory exists and is writable; its
  suffix is one of those given), so that a long computation never ends in "cannot write";
- :data:`EXECUTOR`: ``processes``, ``serial`` or a Dask scheduler's address.

:func:`reporting_errors` turns likelihub's errors into one line and exit status 1;
:func:`one_line` writes any message on one line.
"""

from __future__ import annotations

import contextlib
import math

import click

from likelihub.errors import LikelihubError
from likelihub.running.scan_output import output_path_problem, write_atomically
from likelihub.running.scanning import executor_problem

__all__ = ["PlotFile", "FiniteFloat", "FINITE", "CONFIDENCE_LEVEL", "OutputFile", "ExecutorType", "EXECUTOR",
           "reporting_errors", "one_line", "write_output", "emit_json"]


def one_line(message: str) -> str:
    """``message`` on one line (line breaks and runs of spaces become one space)."""
    return " ".join(str(message).split())


class FiniteFloat(click.FloatRange):
    """A finite number (no NaN, no infinity), within optional bounds as :class:`click.FloatRange`."""

    name = "number"

    def convert(self, value, param, ctx):
        number = click.FLOAT.convert(value, param, ctx)
        if not math.isfinite(number):
            self.fail(f"{value!r} is not a finite number", param, ctx)
        return super().convert(number, param, ctx)

    def _describe_range(self) -> str:
        if self.min is None and self.max is None:
            return "finite"  # (click's FloatRange would say "x<=None")
        return super()._describe_range()


FINITE = FiniteFloat()
CONFIDENCE_LEVEL = FiniteFloat(0.0, 1.0, min_open=True, max_open=True)


class OutputFile(click.ParamType):
    """The path of a file to write, checked before any work: its directory exists and is
    writable, it is not a directory, and its suffix is one of ``suffixes`` (where given)."""

    name = "file"

    def __init__(self, suffixes: tuple[str, ...] = (), suffix_message: str | None = None):
        self.suffixes = tuple(suffixes)
        self.suffix_message = suffix_message

    def convert(self, value, param, ctx):
        path = str(value)
        if self.suffixes and not path.endswith(self.suffixes):
            message = self.suffix_message or f"the suffix must be one of {', '.join(self.suffixes)}"
            self.fail(f"{path}: {message}", param, ctx)
        problem = output_path_problem(path)
        if problem:
            self.fail(f"cannot write {path}: {problem}", param, ctx)
        return path


def plot_suffix_problem(path: str) -> str | None:
    """Why matplotlib cannot write the image ``path`` (its suffix names no format it writes), or
    None; None too where matplotlib is missing (the command says so once the result is out)."""
    try:
        from matplotlib.figure import Figure
    except ImportError:
        return None
    formats = Figure().canvas.get_supported_filetypes()
    suffix = path.rsplit(".", 1)[-1].lower() if "." in path.rsplit("/", 1)[-1] else ""
    if suffix in formats:
        return None
    return f"the suffix names the image format; matplotlib writes {', '.join(sorted(formats))}"


class PlotFile(OutputFile):
    """The path of an image to draw: an :class:`OutputFile` whose suffix is a format matplotlib
    writes (checked before any work)."""

    name = "image"

    def convert(self, value, param, ctx):
        path = super().convert(value, param, ctx)
        problem = plot_suffix_problem(path)
        if problem:
            self.fail(f"{path}: {problem}", param, ctx)
        return path


class ExecutorType(click.ParamType):
    """Where a scan runs: ``processes`` (a local pool), ``serial``, or the address of a Dask
    scheduler (``tcp://host:8786``)."""

    name = "executor"

    def convert(self, value, param, ctx):
        problem = executor_problem(value)
        if problem:
            self.fail(problem, param, ctx)
        return value


EXECUTOR = ExecutorType()


@contextlib.contextmanager
def reporting_errors():
    """Turn likelihub's errors into a one-line message and exit status 1 (no traceback)."""
    try:
        yield
    except LikelihubError as error:
        raise click.ClickException(one_line(error)) from None


def emit_json(result, output_file: str | None) -> None:
    """Print ``result`` as indented JSON (sorted keys), or write it to ``output_file``."""
    import json

    text = json.dumps(result, indent=4, sort_keys=True)
    if output_file:
        write_output(text + "\n", output_file)
    else:
        click.echo(text)


def write_output(text: str, path: str) -> None:
    """Write ``text`` to ``path`` atomically; a failure is one line and exit status 1."""
    try:
        write_atomically(path, text)
    except OSError as error:
        raise click.ClickException(f"cannot write {path}: {error.strerror or error}") from None
