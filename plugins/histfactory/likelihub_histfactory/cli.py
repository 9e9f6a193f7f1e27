"""Command-line commands of the HistFactory plugin, pyhf-compatible where pyhf has the command.

    likelihub cls BkgOnly.json -p patch.json --mu 1.0          # {"CLs_exp": [...], "CLs_obs": ...}
    likelihub cls 1Lbb.tar.gz --member BkgOnly.json --patchset patchset.json --patch-name NAME
    likelihub limit WORKSPACE ... --plot brazil.png            # observed and expected upper limits
    likelihub fit WORKSPACE ...                                # best-fit parameters, -2 log L
    likelihub inspect WORKSPACE                                # channels, samples, parameters
    likelihub patchset extract|apply|verify|inspect ...

``likelihub scan 1Lbb.tar.gz --member BkgOnly.json --patchset patchset.json`` is the core's command
(:mod:`likelihub.cli.scan`), with the options of this plugin's point source (:mod:`.points`).

A workspace is a JSON file, ``-`` (standard input) or a HEPData pallet (``.tar.gz``) with
``--member``; patches and patchsets given by a name are read from the same pallet where it has
such a member (a file of that name in the current directory is then ignored, and a note says
so: write ``./patchset.json`` for the file), else from the file. Errors print one line naming
the file, channel, sample, modifier and bin, and exit 1; options are checked before any work
(output directories, finite numbers, --cl within (0, 1), --mu within the POI's bounds).
"""

from __future__ import annotations

import json
import math
import re
import sys

import click

from likelihub.plugin import CONFIDENCE_LEVEL, FINITE, OutputFile, write_output
from likelihub.plugin import reporting_errors as _reporting_errors

from .cli_sources import pallet_patches, pallet_patchset
from .cli_sources import reading as _reading

__all__ = ["commands", "cls_command", "limit_command", "fit_command", "inspect_command",
           "patchset_group"]

#: What ``--plot`` says where matplotlib is missing (after the result is printed).
PLOT_EXTRA = "matplotlib is not installed: pip install 'likelihub[plot]'"


def _source(path: str):
    """A workspace source: ``-`` reads JSON from standard input."""
    if path != "-":
        return path
    try:
        return json.load(sys.stdin)
    except json.JSONDecodeError as error:
        raise click.ClickException(f"standard input is not valid JSON: {error}") from None


def _emit(result, output_file: str | None) -> None:
    text = json.dumps(result, indent=4, sort_keys=True)
    if output_file:
        write_output(text + "\n", output_file)
    else:
        click.echo(text)


def _model_options(function):
    """WORKSPACE and the options that choose the model: member, patches, patchset, measurement."""
    options = [
        click.argument("workspace", default="-"),
        click.option("--member", default=None,
                     help="Member of a .tar.gz pallet holding the workspace (path, or unique file name)."),
        click.option("-p", "--patch", "patches", multiple=True,
                     help="JSON patch to apply (repeatable); a path that is no file is read from "
                          "the pallet."),
        click.option("--patchset", default=None,
                     help="Patchset holding the signal patch (a file, or a member of the pallet)."),
        click.option("--patch-name", default=None, help="Name of the patch of --patchset to apply."),
        click.option("--measurement", default=None, help="Measurement to use (the first by default)."),
        click.option("--output-file", type=OutputFile(), default=None,
                     help="Write the JSON here instead of printing it."),
    ]
    for option in reversed(options):
        function = option(function)
    return function


def _build(workspace, member, patches, patchset, patch_name, measurement):
    import likelihub

    with _reading(workspace):
        return likelihub.get_backend("histfactory")(
            _source(workspace), patches=pallet_patches(patches, workspace),
            measurement=measurement, member=member,
            patchset=pallet_patchset(patchset, workspace), patch_name=patch_name)


def _check_mu(model, mu: float, test_stat: str) -> None:
    """Refuse a tested mu outside the bounds the test statistic fits the POI within."""
    from likelihub.plugin import poi_bounds_for

    with _reporting_errors():
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


@click.command("cls")
@_model_options
@click.option("--mu", "--test-poi", "mu", type=FINITE, default=1.0, show_default=True,
              help="Tested signal strength (finite, within the POI's bounds).")
@click.option("--test-stat", type=click.Choice(["qtilde", "q"]), default="qtilde", show_default=True)
@click.option("--plot", "plot_file", type=OutputFile(), default=None,
              help="Also draw CLs versus mu from 0 to 2 mu (Brazil band, tested mu marked) into "
                   "this image file (PNG, PDF, ... by its suffix).")
def cls_command(workspace, member, patches, patchset, patch_name, measurement, output_file, mu,
                test_stat, plot_file):
    """CLs of the signal strength --mu, observed and expected band (asymptotic), as `pyhf cls`."""
    with _reporting_errors():
        model = _build(workspace, member, patches, patchset, patch_name, measurement)
        _check_mu(model, mu, test_stat)
        result = model.cls(mu, test_statistic=test_stat)
    _emit({"CLs_obs": result.cls_obs, "CLs_exp": list(result.cls_exp)}, output_file)
    if plot_file:
        def draw():
            ax = _brazil_plot(model, _grid(2.0 * mu), test_stat, None, 0.95)
            ax.axvline(mu, color="grey", ls="-.", lw=1, label=rf"tested $\mu$ = {mu:g}")
            ax.legend(loc="upper right", fontsize="small")
            return ax

        with _reporting_errors():
            _plot(draw, plot_file, output_file)


@click.command("limit")
@_model_options
@click.option("--cl", type=CONFIDENCE_LEVEL, default=0.95, show_default=True,
              help="Confidence level, between 0 and 1.")
@click.option("--test-stat", type=click.Choice(["qtilde", "q"]), default="qtilde", show_default=True)
@click.option("--plot", "plot_file", type=OutputFile(), default=None,
              help="Also draw the Brazil band (CLs versus mu, expected band, limits marked) into "
                   "this image file (PNG, PDF, ... by its suffix).")
def limit_command(workspace, member, patches, patchset, patch_name, measurement, output_file, cl,
                  test_stat, plot_file):
    """Upper limit on the signal strength (CLs = 1 - cl), observed and expected band (-2..+2 sigma)."""
    with _reporting_errors():
        model = _build(workspace, member, patches, patchset, patch_name, measurement)
        result = model.upper_limit(cl=cl, test_statistic=test_stat)
    _emit({"observed": result.observed, "expected": list(result.expected), "cl": cl,
           "poi": model.config.poi_name}, output_file)
    if plot_file:
        limits = [v for v in (result.observed, *result.expected) if v is not None and math.isfinite(v)]
        top = 1.25 * max(limits) if limits else 10.0
        with _reporting_errors():
            _plot(lambda: _brazil_plot(model, _grid(top), test_stat, result, cl), plot_file,
                  output_file)


def _grid(top: float, points: int = 30) -> list[float]:
    """Signal strengths from top / points to top (CLs at mu = 0 is 1 by construction)."""
    top = top if math.isfinite(top) and top > 0 else 1.0
    return [top * (i + 1) / points for i in range(points)]


def _brazil_plot(model, mus, test_stat, limit, cl):
    """The Brazil band of ``model`` on ``mus`` drawn into a new figure (no pyplot, no GUI)."""
    from matplotlib.figure import Figure

    from likelihub.plugin import plot

    ax = Figure(figsize=(6.4, 4.8)).subplots()
    return plot.brazil_band(model.cls_scan(mus, test_statistic=test_stat), limit=limit, cl=cl, ax=ax)


def _save(ax, path: str) -> None:
    from likelihub.plugin import plot

    try:
        plot.save(ax, path)
    except (OSError, ValueError) as error:
        raise click.ClickException(f"cannot write the plot {path}: {error}") from None


def _grouped(names, values) -> dict[str, list[float]]:
    """Values by parameter, components ``name[i]`` gathered into one list (pyhf's layout)."""
    grouped: dict[str, list[float]] = {}
    for name, value in zip(names, values, strict=True):
        match = re.fullmatch(r"(.*)\[(\d+)\]", name)
        grouped.setdefault(match.group(1) if match else name, []).append(float(value))
    return grouped


@click.command("fit")
@_model_options
def fit_command(workspace, member, patches, patchset, patch_name, measurement, output_file):
    """Maximum-likelihood fit: best-fit parameters, uncertainties and -2 log L, as `pyhf fit --value`."""
    with _reporting_errors():
        model = _build(workspace, member, patches, patchset, patch_name, measurement)
        result = model.fit()
    names = result.parameter_names
    output = {"mle_parameters": _grouped(names, result.values), "twice_nll": result.twice_nll,
              "converged": bool(result.converged)}
    if result.uncertainties is not None:
        output["uncertainties"] = _grouped(names, result.uncertainties)
    _emit(output, output_file)


def _table(rows, header) -> list[str]:
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    lines = ["  ".join(str(c).ljust(w) for c, w in zip(header, widths, strict=True)).rstrip()]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(str(c).ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in rows]
    return lines


def _summary(ws) -> dict:
    return {
        "channels": [{"name": c, "bins": n} for c, n in ws.channel_nbins.items()],
        "samples": ws.samples,
        "parameters": ws.parameter_summary(),
        "modifiers": [{"name": n, "type": t} for n, t in ws.modifiers],
        "measurements": [{"name": m["name"], "poi": m["config"]["poi"],
                          "parameters": sorted(p["name"] for p in m["config"]["parameters"])}
                         for m in ws.measurements],
    }


@click.command("inspect")
@click.argument("workspace", default="-")
@click.option("--member", default=None, help="Member of a .tar.gz pallet holding the workspace.")
@click.option("-p", "--patch", "patches", multiple=True, help="JSON patch to apply first (repeatable).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of tables.")
def inspect_command(workspace, member, patches, as_json):
    """Summarise a workspace: channels and bins, samples, parameters, modifiers, measurements."""
    from .spec.workspace import Workspace

    with _reporting_errors(), _reading(workspace):
        ws = Workspace.load(_source(workspace), member=member).apply_patches(
            pallet_patches(patches, workspace))
    summary = _summary(ws)
    if as_json:
        click.echo(json.dumps(summary, indent=1))
        return
    lines = [f"Workspace {ws.file or '(standard input)'}", ""]
    lines += _table([["channels", len(summary["channels"])], ["bins", sum(ws.channel_nbins.values())],
                     ["samples", len(ws.samples)], ["parameters", len(summary["parameters"])],
                     ["modifiers", len(ws.modifiers)], ["measurements", len(ws.measurements)]],
                    ["summary", "count"]) + [""]
    lines += _table([[c["name"], c["bins"]] for c in summary["channels"]], ["channel", "bins"]) + [""]
    lines += _table([[p["name"], p["constraint"], p["components"], ", ".join(p["modifiers"])]
                     for p in summary["parameters"]],
                    ["parameter", "constraint", "components", "modifiers"]) + [""]
    lines += _table([[m["name"], m["poi"], ", ".join(m["parameters"]) or "-"]
                     for m in summary["measurements"]], ["measurement", "poi", "parameter settings"])
    click.echo("\n".join(lines))


# -- patchsets ------------------------------------------------------------------------------------
def _patchset(path: str, member: str | None = None, archive_of=None):
    from pathlib import Path

    from .spec.io import is_archive
    from .spec.patchset import PatchSet

    if archive_of is not None:
        chosen = pallet_patchset(path, archive_of)  # the pallet's member, where a file has its name
        if isinstance(chosen, PatchSet):
            return chosen
        if is_archive(archive_of) and not Path(path).is_file():
            return PatchSet(archive_of, member=path)
    return PatchSet(_source(path), member=member)


@click.group("patchset")
def patchset_group():
    """Patchsets: extract, apply, verify and inspect (as `pyhf patchset`)."""


@patchset_group.command("extract")
@click.argument("patchset", default="-")
@click.option("--name", required=True, help="Name of the patch to extract.")
@click.option("--member", default=None, help="Member of a .tar.gz pallet holding the patchset.")
@click.option("--with-metadata/--without-metadata", default=False,
              help="Print {metadata, patch} with the patchset's metadata merged in.")
@click.option("--output-file", type=OutputFile(), default=None,
              help="Write the JSON here instead of printing it.")
def extract_command(patchset, name, member, with_metadata, output_file):
    """Print one patch of a patchset (its JSON patch operations)."""
    with _reporting_errors(), _reading(patchset):
        patches = _patchset(patchset, member)
        patch = patches[name]
    result = patch.operations
    if with_metadata:
        result = {"metadata": {**patch.metadata, **patches.metadata}, "patch": patch.operations}
    _emit(result, output_file)


@patchset_group.command("apply")
@click.argument("background_only")
@click.argument("patchset")
@click.option("--name", required=True, help="Name of the patch to apply.")
@click.option("--member", default=None, help="Member of a .tar.gz pallet holding the workspace.")
@click.option("--output-file", type=OutputFile(), default=None,
              help="Write the JSON here instead of printing it.")
def apply_command(background_only, patchset, name, member, output_file):
    """Print the background-only workspace with a patch of the patchset applied (digest verified)."""
    from .spec.workspace import Workspace

    with _reporting_errors(), _reading(background_only):
        ws = Workspace.load(_source(background_only), member=member)
        patched = _patchset(patchset, archive_of=background_only).apply(ws, name)
    _emit(patched.to_dict(), output_file)


@patchset_group.command("verify")
@click.argument("background_only")
@click.argument("patchset")
@click.option("--member", default=None, help="Member of a .tar.gz pallet holding the workspace.")
def verify_command(background_only, patchset, member):
    """Check that the patchset was made for this background-only workspace (its digests)."""
    from .spec.workspace import Workspace

    with _reporting_errors(), _reading(background_only):
        ws = Workspace.load(_source(background_only), member=member)
        _patchset(patchset, archive_of=background_only).verify(ws)
    click.echo("All good.")


@patchset_group.command("inspect")
@click.argument("patchset", default="-")
@click.option("--member", default=None, help="Member of a .tar.gz pallet holding the patchset.")
def inspect_patchset_command(patchset, member):
    """List the patches of a patchset with their label values."""
    with _reporting_errors(), _reading(patchset):
        patches = _patchset(patchset, member)
    click.echo(f"{patches.description}\n{len(patches)} patches; labels {', '.join(patches.labels)}; "
               f"references {patches.references}\n")
    click.echo("\n".join(_table([[p.name, *p.values] for p in patches], ["name", *patches.labels])))


#: click commands registered under ``likelihub`` by the plugin's hook.
commands: list = [cls_command, limit_command, fit_command, inspect_command, patchset_group]
