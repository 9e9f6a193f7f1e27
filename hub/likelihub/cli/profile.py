"""``likelihub scan-profile FILE``: a profile-likelihood scan of one or two parameters.

    likelihub scan-profile ws.json --parameter mu --range 0 3 --points 31 --plot mu.png
    likelihub scan-profile card.txt --physics-option 'map=.*/S:r1[1,0,20]' ... \\
        --parameter r1 --range 0 4 --points 41 --parameter2 r2 --range2 0 3 --points2 31 -o scan.csv

FILE is read as by ``likelihub fit FILE`` (any installed format, with its options). Every grid
point is a conditional fit, the others profiled (:meth:`likelihub.StatisticalModel.profile_scan`).
The output is JSON (printed, or ``-o scan.json``): the scan's ``to_dict`` with, for one parameter,
its 68% and 95% CL ``crossings`` and, for two, the 68% and 95% CL ``contours`` (Wilks, 2 degrees of
freedom); or ``-o scan.csv``: one row per grid point (the scanned values, ``twice_delta_nll``,
``nll``, the fit's status, every parameter's conditional value). ``--plot`` draws -2 Delta ln L
(one parameter) or the contours over a colour map (two). The options are checked before any work.
"""

from __future__ import annotations

import csv
import io

import click

from likelihub.cli.formats import FormatCommand, file_argument, open_file
from likelihub.cli.models import _plot
from likelihub.cli.options import FINITE, OutputFile, PlotFile, emit_json, reporting_errors, write_output
from likelihub.cli.verbosity import progress_choice
from likelihub.profile_results import ONE_SIGMA

__all__ = ["scan_profile_command", "rows_csv"]

#: The confidence levels of the crossings (1D) and contours (2D) in the JSON output.
LEVELS = (ONE_SIGMA, 0.95)


def rows_csv(rows: list[dict]) -> str:
    """The CSV text of ``rows`` (dictionaries with the same keys: the header)."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def _grid(ctx: click.Context, model, name: str, value_range, points: int, flag: str) -> dict:
    """{name: (low, high, points)}, the name and range checked against the model (usage errors)."""
    names = model.config.parameter_names
    if name not in names:
        shown = ", ".join(names[:8]) + (", ..." if len(names) > 8 else "")
        raise click.BadParameter(f"no parameter {name!r} in the model (parameters: {shown})", ctx=ctx,
                                 param_hint=f"--parameter{flag}")
    low, high = value_range
    if not low < high:
        raise click.BadParameter(f"needs LOW < HIGH, got {low:g} {high:g}", ctx=ctx,
                                 param_hint=f"--range{flag}")
    return {name: (float(low), float(high), int(points))}


def _draw(result, plot_file: str, output_file: str | None) -> None:
    def draw():
        from matplotlib.figure import Figure

        from likelihub import plot

        ax = Figure(figsize=(6.4, 4.8)).subplots()
        if len(result.parameters) == 1:
            return plot.profile_likelihood_scan(result, ax=ax)
        return plot.profile_scan_2d(result, levels=LEVELS, ax=ax)

    with reporting_errors():
        _plot(draw, plot_file, output_file)


@click.command("scan-profile", cls=FormatCommand)
@file_argument
@click.option("--parameter", "parameter", required=True, metavar="NAME",
              help="The (first) scanned parameter: any free parameter of the model.")
@click.option("--range", "value_range", type=(FINITE, FINITE), required=True, metavar="LOW HIGH",
              help="Its grid's ends (within the parameter's bounds).")
@click.option("--points", type=click.IntRange(min=2), default=21, show_default=True,
              help="Grid points of the first parameter, evenly spaced from LOW to HIGH.")
@click.option("--parameter2", default=None, metavar="NAME", help="A second scanned parameter (a 2D scan).")
@click.option("--range2", type=(FINITE, FINITE), default=None, metavar="LOW HIGH",
              help="The second parameter's grid's ends (required with --parameter2).")
@click.option("--points2", type=click.IntRange(min=2), default=None,
              help="Grid points of the second parameter [default: --points].")
@click.option("-o", "--output", "output_file", default=None,
              type=OutputFile((".json", ".csv"), "the output is JSON (.json) or CSV (.csv)"),
              help="Write the result here (.json: the scan as JSON; .csv: one row per grid point) "
                   "instead of printing its JSON.")
@click.option("--plot", "plot_file", type=PlotFile(), default=None,
              help="Also draw the scan (one parameter: -2 Delta ln L with the 68% and 95% CL levels; "
                   "two: the 68% and 95% CL contours over a colour map) into this image file.")
@click.pass_context
def scan_profile_command(ctx: click.Context, file: str, format_name: str | None, parameter: str,
                         value_range, points: int, parameter2: str | None, range2, points2: int | None,
                         output_file: str | None, plot_file: str | None, **format_options):
    """Profile-likelihood scan of one or two parameters: -2 Delta ln L on a grid, every point a
    conditional fit with the other parameters profiled (Combine's MultiDimFit --algo grid)."""
    if (parameter2 is None) != (range2 is None):
        raise click.UsageError("--parameter2 and --range2 go together (a 2D scan needs both)", ctx=ctx)
    if points2 is not None and parameter2 is None:
        raise click.UsageError("--points2 needs --parameter2 and --range2", ctx=ctx)
    if parameter2 is not None and parameter2 == parameter:
        raise click.BadParameter(f"{parameter!r} is already the first scanned parameter", ctx=ctx,
                                 param_hint="--parameter2")
    with reporting_errors():
        model = open_file(ctx, file, format_name)
    grid = _grid(ctx, model, parameter, value_range, points, "")
    if parameter2 is not None:
        grid.update(_grid(ctx, model, parameter2, range2, points2 or points, "2"))
    with reporting_errors():
        result = model.profile_scan(grid, progress=progress_choice(ctx))
    if output_file and output_file.endswith(".csv"):
        write_output(rows_csv(result.rows()), output_file)
    else:
        with reporting_errors():
            output = result.to_dict()
            if parameter2 is None:
                output["crossings"] = [{"cl": cl, "ends": list(result.crossings(cl))} for cl in LEVELS]
            else:
                output["contours"] = [c.to_dict() for c in result.contours(LEVELS)]
        emit_json(output, output_file)
    if plot_file:
        _draw(result, plot_file, output_file)
