"""``likelihub scan``: every signal point of a patchset, on local processes or a Dask cluster.

    likelihub scan 1Lbb.tar.gz --member BkgOnly.json --patchset patchset.json --output cls.csv
    likelihub scan 1Lbb.tar.gz --member BkgOnly.json --patchset patchset.json --output cls.csv --resume

With ``--output``, rows are appended to the file as they finish; Ctrl-C, ``kill`` (SIGTERM) or a
worker's death stops the scan at once (the workers with it), keeps the rows written, and says how
many; ``--resume`` computes only the points the file lacks. The options are checked before any
work: the output's directory, --mu (finite, within the POI's bounds), --cl, --executor.
"""

from __future__ import annotations

import click

from likelihub.cli.options import CONFIDENCE_LEVEL, EXECUTOR, FINITE, FiniteFloat, OutputFile
from likelihub.cli.options import reporting_errors as _reporting_errors
from likelihub.errors import ExecutorError
from likelihub.running.scan_formats import SUFFIXES, count_rows
from likelihub.running.scanning import CONNECT_TIMEOUT
from likelihub.running.worker_processes import exit_status, interrupt_on_termination

from .cli_sources import pallet_patchset, reading

__all__ = ["scan_command"]


def _executor(executor: str):
    """``processes`` -> a local process pool (None), ``serial``, or a Dask scheduler address."""
    return None if executor == "processes" else executor


def _kept(output_file: str | None) -> str:
    if not output_file:
        return "no rows were kept (with --output FILE, an interrupted scan keeps its rows)"
    return (f"{count_rows(output_file)} points are kept in {output_file}; add --resume to the same "
            "command to compute the others")


@click.command("scan")
@click.argument("workspace")
@click.option("--patchset", required=True,
              help="Patchset of the signal points (a member of the workspace's pallet, or a file), "
                   "or a pattern of patch files ('RegionA/patch.*.json').")
@click.option("--member", default=None,
              help="Member of a .tar.gz pallet holding the background-only workspace.")
@click.option("--measurement", default=None, help="Measurement to use (the first by default).")
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
def scan_command(workspace, patchset, member, measurement, mu, what, cl, output_file, resume,
                 executor, connect_timeout, workers, progress):
    """CLs (or upper limits) of every signal point of a patchset, on local processes or a Dask cluster."""
    from .scan import scan

    if resume and not output_file:
        raise click.BadParameter("needs --output, the file of the scan to resume", param_hint="--resume")
    options = {} if measurement is None else {"measurement": measurement}
    before = count_rows(output_file) if resume else 0
    try:
        with _reporting_errors(), reading(workspace), interrupt_on_termination():
            try:
                result = scan(workspace, pallet_patchset(patchset, workspace), mu=mu, what=what,
                              executor=_executor(executor), member=member, cl=cl,
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
