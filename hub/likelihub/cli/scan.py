"""``likelihub scan``: every point of a family of models, on local processes or a Dask cluster.

    likelihub scan 1Lbb.tar.gz --member BkgOnly.json --patchset patchset.json --output cls.csv
    likelihub scan 1Lbb.tar.gz --member BkgOnly.json --patchset patchset.json --output cls.csv --resume
    likelihub scan signal_grid.json --what upper_limit --output limits.csv

SOURCE is read by a point source of an installed plugin (:mod:`likelihub.running.points`): the one
named by ``--kind``, else the one that recognises it. Each source adds its own options (the
HistFactory source ``--patchset``, ``--member``, ``--measurement``, ``--patch-name``; the simplified
signal grid ``--backend``, ``--background``, ...): ``likelihub scan --help`` lists them.

With ``--output``, rows are appended to the file as they finish; Ctrl-C, ``kill`` (SIGTERM) or a
worker's death stops the scan at once (the workers with it), keeps the rows written, and says how
many; ``--resume`` computes only the points the file lacks. The options are checked before any
work: the output's directory, --mu (finite, within the POI's bounds), --cl, --executor.
"""

from __future__ import annotations

import warnings

import click

from likelihub.cli.options import (
    CONFIDENCE_LEVEL,
    EXECUTOR,
    FINITE,
    FiniteFloat,
    OutputFile,
    one_line,
    reporting_errors,
)
from likelihub.errors import ExecutorError, PluginWarning
from likelihub.running.scan_formats import SUFFIXES, count_rows
from likelihub.running.scanning import CONNECT_TIMEOUT
from likelihub.running.worker_processes import exit_status, interrupt_on_termination

__all__ = ["scan_command", "ScanCommand"]


class ScanCommand(click.Command):
    """A click command that adds, on first use, the options of every installed point source
    (:meth:`likelihub.running.points.PointSource.command_options`), and remembers which
    source offered which."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._own = list(self.params)
        self._registry = None
        self.source_options: dict[str, list[str]] = {}

    def _load_source_options(self) -> None:
        from likelihub.registry.plugins import default_registry

        registry = default_registry()
        if registry is self._registry:
            return
        params = list(self._own)
        taken = {p.name for p in params}
        self.source_options = {}
        for name, info in sorted(registry.point_sources.items()):
            try:
                options = list(info.load().command_options())
            except Exception as error:  # a broken source (listed by `likelihub plugins`)
                warnings.warn(f"point source {name!r} offers no options: {one_line(error)}",
                              PluginWarning, stacklevel=2)
                continue
            self.source_options[name] = [o.name for o in options]
            for option in options:
                if option.name not in taken:  # shared by two sources: one option
                    params.append(option)
                    taken.add(option.name)
        self.params = params
        self._registry = registry

    def get_params(self, ctx: click.Context) -> list:
        self._load_source_options()
        return super().get_params(ctx)


def _kept(output_file: str | None) -> str:
    if not output_file:
        return "no rows were kept (with --output FILE, an interrupted scan keeps its rows)"
    return (f"{count_rows(output_file)} points are kept in {output_file}; add --resume to the same "
            "command to compute the others")


def _choose_source(command: ScanCommand, source: str, kind: str | None, given: dict):
    """The point source (named by --kind, else recognising SOURCE), and its options of ``given``
    (refusing options of other sources)."""
    from likelihub.registry.catalogue import find_point_source, get_point_source

    chosen = get_point_source(kind) if kind is not None else find_point_source(source, **given)
    own = set(command.source_options.get(chosen.name, ()))
    foreign = sorted(set(given) - own)
    if foreign:
        names = ", ".join("--" + name.replace("_", "-") for name in foreign)
        raise click.UsageError(f"{names}: not an option of the point source {chosen.name!r}")
    return chosen, given


@click.command("scan", cls=ScanCommand)
@click.argument("source")
@click.option("--kind", default=None,
              help="The point source that reads SOURCE (`likelihub plugins` lists them); by "
                   "default, the one that recognises it.")
@click.option("--mu", type=FINITE, default=1.0, show_default=True,
              help="Tested signal strength (CLs; finite, within the POI's bounds).")
@click.option("--what", type=click.Choice(["cls", "upper_limit"]), default="cls", show_default=True,
              help="CLs at --mu, or the upper limit on mu, of each point.")
@click.option("--cl", type=CONFIDENCE_LEVEL, default=0.95, show_default=True,
              help="Confidence level of limits, between 0 and 1.")
@click.option("--output", "output_file", default=None,
              type=OutputFile(SUFFIXES, "the output's suffix must be .json or .csv (or .jsonl for "
                                        "JSON lines)"),
              help="Write the rows here as they finish: CSV (.csv), JSON (.json) or JSON lines "
                   "(.jsonl); a table is printed otherwise.")
@click.option("--resume", is_flag=True,
              help="Keep the rows --output holds (of an interrupted scan) and compute only the "
                   "missing points.")
@click.option("--executor", type=EXECUTOR, default="processes", show_default=True,
              help="'processes' (local pool), 'serial', or a Dask scheduler address (tcp://host:8786).")
@click.option("--connect-timeout", type=FiniteFloat(0.0, min_open=True), default=CONNECT_TIMEOUT,
              show_default=True, help="Seconds to wait for the Dask scheduler of --executor.")
@click.option("--workers", type=click.IntRange(min=1), default=None,
              help="Local processes (default: one per core).")
@click.option("--progress/--no-progress", default=None, help="Progress bar (default: on a terminal).")
@click.pass_context
def scan_command(ctx: click.Context, source: str, kind: str | None, mu: float, what: str, cl: float,
                 output_file: str | None, resume: bool, executor: str, connect_timeout: float,
                 workers: int | None, progress: bool | None, **source_options):
    """CLs (or upper limits) of every point of SOURCE (a workspace and its patchset, a signal
    grid, ...), on local processes or a Dask cluster."""
    from likelihub.cli.verbosity import progress_choice
    from likelihub.running.scan import scan

    progress = progress_choice(ctx) if progress is None else progress  # --quiet: no bar
    if resume and not output_file:
        raise click.BadParameter("needs --output, the file of the scan to resume", param_hint="--resume")
    given = {name: value for name, value in source_options.items() if value is not None and value != ()}
    before = count_rows(output_file) if resume else 0
    try:
        with reporting_errors(), interrupt_on_termination():
            chosen, options = _choose_source(ctx.command, source, kind, given)
            inputs, options = chosen.from_command_line(source, options)
            try:
                result = scan(*inputs, kind=chosen, mu=mu, what=what,
                              executor=None if executor == "processes" else executor, cl=cl,
                              max_workers=workers, progress=progress, output=output_file,
                              resume=resume, connect_timeout=connect_timeout, **options)
            except ExecutorError as error:
                if output_file and count_rows(output_file):
                    raise ExecutorError(f"{error}; {_kept(output_file)}") from None
                raise
    except KeyboardInterrupt as interrupt:
        click.echo(f"interrupted: {_kept(output_file)}", err=True)
        raise click.exceptions.Exit(exit_status(interrupt)) from None
    failed = sum(1 for row in result.rows if row.get("error"))
    if output_file:
        resumed = f" ({before} of them were there already)" if resume and before else ""
        click.echo(f"{len(result.rows)} points ({failed} failed) written to {output_file}{resumed}")
    else:
        click.echo(str(result))
    if failed:
        raise click.exceptions.Exit(1)  # rows were written; the failures are in them
