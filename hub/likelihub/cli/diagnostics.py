"""``likelihub pulls|correlations|yields|ranking FILE``: the fit diagnostics of a file of any
installed format (:mod:`likelihub.diagnostics`), as JSON, with an optional plot.

    likelihub pulls BkgOnly.json -p patch.json --plot pulls.png
    likelihub correlations card.txt --threshold 0.2          # the matrix, and the pairs above 0.2
    likelihub yields BkgOnly.json --prefit --plot prefit.png # pre-fit yields per channel and bin
    likelihub ranking BkgOnly.json -p patch.json --top 15 --plot ranking.png

FILE and its options are those of ``likelihub fit`` (:mod:`likelihub.cli.formats`); errors print
one line and exit 1.
"""

from __future__ import annotations

import click

from likelihub.cli.formats import FormatCommand
from likelihub.cli.models import _model_options, _open, _plot
from likelihub.cli.options import FiniteFloat, PlotFile, emit_json, reporting_errors

__all__ = ["pulls_command", "correlations_command", "yields_command", "ranking_command", "COMMANDS"]


def _plot_option(what: str):
    return click.option("--plot", "plot_file", type=PlotFile(), default=None,
                        help=f"Also draw {what} into this image file (PNG, PDF, ... by its suffix).")


def _draw(draw, plot_file: str | None, output_file: str | None) -> None:
    if plot_file:
        with reporting_errors():
            _plot(draw, plot_file, output_file)


@click.command("pulls", cls=FormatCommand)
@_model_options
@_plot_option("the pulls and constraints")
@click.pass_context
def pulls_command(ctx: click.Context, file: str, format_name: str | None, output_file: str | None,
                  plot_file: str | None, **format_options):
    """Pulls (theta-hat - theta_0) / sigma_0 and constraints sigma-hat / sigma_0 of the constrained
    parameters at the best fit; unconstrained ones with their best fit only."""
    from likelihub import diagnostics

    model = _open(ctx, file, format_name)
    with reporting_errors():
        result = diagnostics.pulls(model)
    emit_json(result.to_dict(), output_file)

    def draw():
        from likelihub import plot_diagnostics

        return plot_diagnostics.pulls_plot(result, include_unconstrained=True)
    _draw(draw, plot_file, output_file)


@click.command("correlations", cls=FormatCommand)
@_model_options
@click.option("--threshold", type=FiniteFloat(0.0, 1.0), default=0.0, show_default=True,
              help="List the pairs with |correlation| at least this (strongest first), and plot only "
                   "the parameters that have one.")
@_plot_option("the correlation matrix")
@click.pass_context
def correlations_command(ctx: click.Context, file: str, format_name: str | None, output_file: str | None,
                         threshold: float, plot_file: str | None, **format_options):
    """Correlation matrix of the free parameters at the best fit (from the inverse Hessian)."""
    from likelihub import diagnostics

    model = _open(ctx, file, format_name)
    with reporting_errors():
        result = diagnostics.correlations(model)
    output = result.to_dict()
    output["pairs"] = [{"parameters": [a, b], "correlation": rho} for a, b, rho in result.pairs(threshold)
                       if threshold > 0]
    emit_json(output, output_file)

    def draw():
        from likelihub import plot_diagnostics

        return plot_diagnostics.correlation_plot(result, threshold=threshold)
    _draw(draw, plot_file, output_file)


@click.command("yields", cls=FormatCommand)
@_model_options
@click.option("--prefit", is_flag=True,
              help="Pre-fit yields: parameters at their pre-fit centres, bands from the pre-fit widths "
                   "(uncorrelated). By default post-fit, bands from the fit's covariance.")
@click.option("--propagation", type=click.Choice(["variations", "linear"]), default="variations",
              show_default=True,
              help="Each parameter's effect on the yields: its +-1 sigma variations symmetrised "
                   "(cabinetry's) or the derivative times sigma.")
@click.option("--log", "log_scale", is_flag=True, help="Logarithmic y axis in the plot.")
@_plot_option("the stacked yields per channel with the band and the data")
@click.pass_context
def yields_command(ctx: click.Context, file: str, format_name: str | None, output_file: str | None,
                   prefit: bool, propagation: str, log_scale: bool, plot_file: str | None,
                   **format_options):
    """Yields per channel, sample and bin with standard deviations, the totals and the data."""
    from likelihub import diagnostics

    model = _open(ctx, file, format_name)
    with reporting_errors():
        result = diagnostics.yields(model, prefit=prefit, propagation=propagation)
    emit_json(result.to_dict(), output_file)

    def draw():
        from likelihub import plot_diagnostics

        return plot_diagnostics.yields_plot(result, log=log_scale)
    _draw(draw, plot_file, output_file)


@click.command("ranking", cls=FormatCommand)
@_model_options
@click.option("--parameter", "parameters", multiple=True, metavar="NAME",
              help="Rank only this parameter (repeatable); every free parameter but the POI by default.")
@click.option("--top", type=click.IntRange(min=1), default=20, show_default=True,
              help="Parameters shown in the plot, largest post-fit impact first (the JSON has all).")
@_plot_option("the impacts of the top parameters with their pulls")
@click.pass_context
def ranking_command(ctx: click.Context, file: str, format_name: str | None, output_file: str | None,
                    parameters: tuple[str, ...], top: int, plot_file: str | None, **format_options):
    """Impacts of the nuisance parameters on the POI: mu-hat with each held at its best fit +-1 sigma
    (post-fit) and +- its pre-fit width, less the nominal mu-hat (cabinetry's ranking)."""
    from likelihub import diagnostics

    model = _open(ctx, file, format_name)
    with reporting_errors():
        result = diagnostics.ranking(model, parameters=list(parameters) or None)
    emit_json(result.to_dict(), output_file)

    def draw():
        from likelihub import plot_diagnostics

        return plot_diagnostics.ranking_plot(result, top=top)
    _draw(draw, plot_file, output_file)


#: The commands, for the ``likelihub`` group.
COMMANDS = (pulls_command, correlations_command, yields_command, ranking_command)
