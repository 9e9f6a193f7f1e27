"""``likelihub cls|limit|fit FILE``: CLs, upper limits and fits of a file of any installed format.

    likelihub cls BkgOnly.json -p patch.json --mu 1.0          # {"CLs_exp": [...], "CLs_obs": ...}
    likelihub cls 1Lbb.tar.gz --member BkgOnly.json --patchset patchset.json --patch-name NAME
    likelihub limit datacard.txt -m 125 --plot brazil.png      # observed and expected upper limits
    likelihub limit model.json --calculator toys --ntoys 2000 --seed 1   # from toys, reproducibly
    likelihub fit datacard.txt --freeze lumi                   # best-fit parameters, -2 log L

FILE is read by the installed format that recognises it (or the one ``--format`` names:
:mod:`likelihub.cli.formats`), with the options of that format; the output is pyhf's (``pyhf cls``,
``pyhf fit --value``) whatever the format. Options are checked before any work (output
directories, finite numbers, --cl within (0, 1), --mu within the POI's bounds once the model is
read); errors print one line and exit 1. ``--calculator``, ``--ntoys`` and ``--seed``:
:mod:`likelihub.cli.calculator`; the Brazil plots' grids: :mod:`likelihub.cli.brazil`.
"""

from __future__ import annotations

import math
import re

import click

from likelihub.cli.brazil import limit_grid, refined_scan
from likelihub.cli.calculator import calculator_arguments, calculator_options
from likelihub.cli.formats import FormatCommand, file_argument, open_file
from likelihub.cli.options import CONFIDENCE_LEVEL, FINITE, OutputFile, PlotFile, emit_json, reporting_errors
from likelihub.cli.verbosity import progress_choice

__all__ = ["cls_command", "limit_command", "fit_command", "PLOT_EXTRA"]

#: What ``--plot`` says where matplotlib is missing (after the result is printed).
PLOT_EXTRA = "matplotlib is not installed: pip install 'likelihub[plot]'"


def _model_options(function):
    """FILE, ``--format`` and ``--output-file``."""
    function = click.option("--output-file", type=OutputFile(), default=None,
                            help="Write the JSON here instead of printing it.")(function)
    return file_argument(function)


def _open(ctx: click.Context, file: str, format_name: str | None, poi: str | None = None):
    """The model in ``file``; with ``poi``, testing that parameter (``StatisticalModel.with_poi``)."""
    with reporting_errors():
        model = open_file(ctx, file, format_name)
        return model if poi is None else model.with_poi(poi)


def _check_mu(model, mu: float, test_stat: str) -> None:
    """Refuse a tested mu outside the bounds the test statistic fits the POI within."""
    from likelihub.infer.profile import poi_bounds_for

    with reporting_errors():
        poi = model.config.require_poi()
    low, high = poi_bounds_for(model.config, test_stat)[poi]
    if not low <= mu <= high:
        raise click.BadParameter(f"{mu:g} lies outside the bounds [{low:g}, {high:g}] of the "
                                 f"parameter of interest {model.config.parameter_names[poi]!r}",
                                 param_hint="--mu")


def _plot(draw, plot_file: str, output_file: str | None) -> None:
    """Draw the plot after the result was printed; without matplotlib, say how to install it."""
    try:
        ax = draw()
    except ImportError as error:
        if "matplotlib" not in str(error):
            raise
        where = f"written to {output_file}" if output_file else "printed above"
        raise click.ClickException(f"the result is {where}, but the plot {plot_file} was not "
                                   f"drawn: {PLOT_EXTRA}") from None
    _save(ax, plot_file)


def _plot_start(model, test_stat: str) -> float:
    """Where the Brazil plot starts: mu = 0, or the POI's lower bound where it lies above 0."""
    from likelihub.infer.profile import poi_bounds_for

    return max(0.0, float(poi_bounds_for(model.config, test_stat)[model.config.require_poi()][0]))


def _brazil_plot(scan, limit, cl):
    """The Brazil band of the CLs scan ``scan`` drawn into a new figure (no pyplot, no GUI)."""
    from matplotlib.figure import Figure

    from likelihub import plot

    ax = Figure(figsize=(6.4, 4.8)).subplots()
    return plot.brazil_band(scan, limit=limit, cl=cl, ax=ax)


def _save(ax, path: str) -> None:
    from likelihub import plot

    try:
        plot.save(ax, path)
    except (OSError, ValueError) as error:
        raise click.ClickException(f"cannot write the plot {path}: {error}") from None


def _band_options(command):
    """--band, --blind and --poi, of cls and limit."""
    command = click.option(
        "--poi", "poi", default=None, metavar="NAME",
        help="Test this parameter instead of the model's POI (any free parameter, e.g. another POI "
             "of the model; the others are profiled: Combine's --redefineSignalPOIs).")(command)
    command = click.option(
        "--blind", is_flag=True,
        help="The a-priori expected band only, from the pre-fit Asimov data (parameters at their "
             "initial values, POI 0); the data are not looked at (Combine's --run blind).")(command)
    return click.option(
        "--band", type=click.Choice(["sigma", "percentiles"]), default="sigma", show_default=True,
        help="Expected band: -2..+2 sigma (pyhf) or 2.5, 16, 50, 84, 97.5% (Combine's "
             "AsymptoticLimits).")(command)


@click.command("cls", cls=FormatCommand)
@_model_options
@click.option("--mu", "--test-poi", "mu", type=FINITE, default=1.0, show_default=True,
              help="Tested signal strength (finite, within the POI's bounds).")
@click.option("--test-stat", type=click.Choice(["qtilde", "q"]), default="qtilde", show_default=True)
@_band_options
@calculator_options
@click.option("--plot", "plot_file", type=PlotFile(), default=None,
              help="Also draw CLs versus mu from 0 to 2 mu (Brazil band, tested mu marked; more points "
                   "where the curves cross 0.05) into this image file (PNG, PDF, ... by its suffix).")
@click.pass_context
def cls_command(ctx: click.Context, file: str, format_name: str | None, output_file: str | None,
                mu: float, test_stat: str, band: str, blind: bool, poi: str | None, calculator: str,
                ntoys: int | None, seed: int | None, plot_file: str | None, **format_options):
    """CLs of the signal strength --mu, observed and expected band (asymptotic, or --calculator
    toys), as `pyhf cls`."""
    calculation = calculator_arguments(calculator, ntoys, seed)
    model = _open(ctx, file, format_name, poi)
    _check_mu(model, mu, test_stat)
    with reporting_errors():
        result = model.cls(mu, test_statistic=test_stat, band=band, blind=blind,
                           progress=progress_choice(ctx), **calculation)
    emit_json({"CLs_obs": result.cls_obs, "CLs_exp": list(result.cls_exp)}, output_file)
    if plot_file:
        def draw():
            def scan(mus):
                return model.cls_scan(mus, test_statistic=test_stat, band=band, blind=blind,
                                      progress=progress_choice(ctx),
                                      **calculator_arguments(calculator, ntoys, seed))

            ax = _brazil_plot(refined_scan(scan, 2.0 * mu, 0.05, start=_plot_start(model, test_stat)),
                              None, 0.95)
            ax.axvline(mu, color="grey", ls="-.", lw=1, label=rf"tested $\mu$ = {mu:g}")
            ax.legend(loc="upper right", fontsize="small")
            return ax

        with reporting_errors():
            _plot(draw, plot_file, output_file)


@click.command("limit", cls=FormatCommand)
@_model_options
@click.option("--cl", type=CONFIDENCE_LEVEL, default=0.95, show_default=True,
              help="Confidence level, between 0 and 1.")
@click.option("--test-stat", type=click.Choice(["qtilde", "q"]), default="qtilde", show_default=True)
@_band_options
@calculator_options
@click.option("--plot", "plot_file", type=PlotFile(), default=None,
              help="Also draw the Brazil band (CLs versus mu from 0, expected band, limits marked, more "
                   "points near them) into this image file (PNG, PDF, ... by its suffix).")
@click.pass_context
def limit_command(ctx: click.Context, file: str, format_name: str | None, output_file: str | None,
                  cl: float, test_stat: str, band: str, blind: bool, poi: str | None, calculator: str,
                  ntoys: int | None, seed: int | None, plot_file: str | None, **format_options):
    """Upper limit on the signal strength (CLs = 1 - cl), observed and expected band (--band),
    asymptotic or from toys (--calculator toys)."""
    calculation = calculator_arguments(calculator, ntoys, seed)
    model = _open(ctx, file, format_name, poi)
    with reporting_errors():
        result = model.upper_limit(cl=cl, test_statistic=test_stat, band=band, blind=blind,
                                   progress=progress_choice(ctx), **calculation)
    emit_json({"observed": result.observed, "expected": list(result.expected), "cl": cl,
           "poi": model.config.poi_name}, output_file)
    if plot_file:
        limits = [v for v in (result.observed, *(result.expected or ()))
                  if v is not None and math.isfinite(v)]
        top = 1.25 * max(limits) if limits else 10.0

        def draw():
            grid = limit_grid(top, limits, start=_plot_start(model, test_stat))
            scan = model.cls_scan(grid, test_statistic=test_stat, band=band, blind=blind,
                                  progress=progress_choice(ctx),
                                  **calculator_arguments(calculator, ntoys, seed))
            return _brazil_plot(scan, result, cl)

        with reporting_errors():
            _plot(draw, plot_file, output_file)


def _grouped(names, values) -> dict[str, list[float]]:
    """Values by parameter, components ``name[i]`` gathered into one list (pyhf's layout)."""
    grouped: dict[str, list[float]] = {}
    for name, value in zip(names, values, strict=True):
        match = re.fullmatch(r"(.*)\[(\d+)\]", name)
        grouped.setdefault(match.group(1) if match else name, []).append(float(value))
    return grouped


@click.command("fit", cls=FormatCommand)
@_model_options
@click.pass_context
def fit_command(ctx: click.Context, file: str, format_name: str | None, output_file: str | None,
                **format_options):
    """Maximum-likelihood fit: best-fit parameters, uncertainties and -2 log L, as `pyhf fit --value`."""
    model = _open(ctx, file, format_name)
    with reporting_errors():
        result = model.fit()
    names = result.parameter_names
    output = {"mle_parameters": _grouped(names, result.values), "twice_nll": result.twice_nll,
              "converged": bool(result.converged)}
    if result.uncertainties is not None:
        output["uncertainties"] = _grouped(names, result.uncertainties)
    emit_json(output, output_file)
