"""``likelihub xml2json``: HistFactory XML + ROOT histograms to a pyhf JSON workspace, as ``pyhf xml2json``.

    likelihub xml2json config/FitConfig.xml --basedir . --output-file workspace.json
    likelihub xml2json /analysis/FitConfig.xml -v /data/hists:/eos/atlas/hists --hide-progress

Options are pyhf 0.7.6's; the workspace is printed as pyhf prints it (indented by 4, sorted keys)
or written to ``--output-file``. The reader is :func:`.spec.readxml.read_xml` (uproot reads the
ROOT files: ``pip install 'likelihub-histfactory[xmlio]'``). What pyhf JSON cannot hold is left
out with a warning (:class:`.spec.readxml.XMLWarning`, shown by the command line on one line,
``Warning: ... [XMLWarning]``, and hidden by ``likelihub --quiet``); errors print one line naming
the file and element. Progress bars follow the core's commands: on a terminal only, unless
``--track-progress`` or ``--hide-progress`` says otherwise; none under ``--quiet``.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from likelihub.plugin import OutputFile, emit_json
from likelihub.plugin import reporting_errors as _reporting_errors

__all__ = ["xml2json_command"]


class MountPath(click.ParamType):
    """``LOCAL:WRITTEN``: a folder here and the path the XML writes for it (as pyhf's ``-v``)."""

    name = "local:written"

    def convert(self, value, param, ctx):
        if isinstance(value, tuple):
            return value
        parts = str(value).split(":")
        if len(parts) != 2 or not all(parts):
            self.fail(f"{value!r} is not LOCAL:WRITTEN (two paths separated by one colon)", param, ctx)
        local, written = parts
        if not Path(local).exists():
            self.fail(f"{local!r} (of {value!r}) does not exist", param, ctx)
        return Path(local).resolve(), Path(written)


@click.command("xml2json")
@click.argument("entrypoint_xml", type=click.Path(exists=True, dir_okay=False))
@click.option("--basedir", type=click.Path(exists=True, file_okay=False), default=None,
              help="The base directory for the XML files to point relative to (default: the current "
                   "directory).")
@click.option("-v", "--mount", "mounts", type=MountPath(), multiple=True,
              help="LOCAL:WRITTEN: files the XML names under WRITTEN are read from LOCAL (repeatable; "
                   "as Docker volume mounts).")
@click.option("--output-file", type=OutputFile(), default=None,
              help="The location of the output json file. If not specified, prints to screen.")
@click.option("--track-progress/--hide-progress", default=None,
              help="Progress bars over channels and samples (standard error) [default: where standard "
                   "error is a terminal, and not under likelihub --quiet].")
@click.option("--validation-as-error/--validation-as-warning", default=True, show_default=True,
              help="An invalid workspace is an error, or a warning (the workspace is printed anyway).")
def xml2json_command(entrypoint_xml, basedir, mounts, output_file, track_progress, validation_as_error):
    """HistFactory XML (the top-level Combination file) + ROOT histograms to a pyhf JSON workspace
    (as `pyhf xml2json`)."""
    from .spec.readxml import read_xml

    try:
        with _reporting_errors():
            spec = read_xml(entrypoint_xml, basedir=basedir, mounts=mounts,
                            track_progress=_progress(track_progress),
                            on_invalid="error" if validation_as_error else "warn")
    except ModuleNotFoundError as error:
        raise click.ClickException(str(error)) from None
    emit_json(spec, output_file)


def _progress(asked: bool | None) -> bool:
    """Bars as the core's commands show them: as asked (--track-progress, --hide-progress), else
    none under ``likelihub --quiet``, else where standard error is a terminal."""
    if asked is not None:
        return asked
    context = click.get_current_context(silent=True)
    root = context.find_root() if context is not None else None
    if root is not None and root.meta.get("likelihub.quiet"):
        return False
    stream = sys.stderr
    return bool(getattr(stream, "isatty", None) and stream.isatty())
