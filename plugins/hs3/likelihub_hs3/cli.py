"""Command-line conversion between pyhf JSON workspaces and HS3 files.

    likelihub pyhf2hs3 BkgOnly.json -p patch.json -o model_hs3.json
    likelihub hs32pyhf model_hs3.json [--analysis NAME] -o workspace.json

An error is one line naming the file and where, with exit status 1.
"""

from __future__ import annotations

import json

import click

from likelihub.plugin import OutputFile, reporting_errors, write_output

__all__ = ["commands", "pyhf2hs3_command", "hs32pyhf_command"]


@click.command("pyhf2hs3")
@click.argument("workspace")
@click.option("-p", "--patch", "patches", multiple=True, help="JSON patch file to apply first (repeatable).")
@click.option("-o", "--output-file", "output", type=OutputFile(), default=None,
              help="Write the HS3 file here instead of printing it.")
@click.option("--normsys-code", type=click.Choice(["1", "4"]), default="4", show_default=True,
              help="The workspace's normsys interpolation code.")
@click.option("--histosys-code", type=click.Choice(["0", "2", "4p"]), default="4p", show_default=True,
              help="The workspace's histosys interpolation code.")
@click.option("--shapesys-vals", type=click.Choice(["absolute", "relative"]), default="absolute",
              show_default=True, help="Write shapesys uncertainties as pyhs3 (absolute) or ROOT (relative) "
                                      "read them.")
def pyhf2hs3_command(workspace, patches, output, normsys_code, histosys_code, shapesys_vals):
    """Write a pyhf JSON workspace as an HS3 v0.2 file with the same likelihood."""
    from .writer import write_hs3

    with reporting_errors():
        document = write_hs3(workspace, patches=patches, shapesys_vals=shapesys_vals,
                             interpolation_codes={"normsys": normsys_code, "histosys": histosys_code})
    text = json.dumps(document, indent=1) + "\n"
    if output:
        write_output(text, output)
    else:
        click.echo(text, nl=False)


@click.command("hs32pyhf")
@click.argument("source")
@click.option("--analysis", default=None, help="The analysis to convert (default: the observed-data one).")
@click.option("--likelihood", default=None, help="The likelihood to convert, instead of an analysis.")
@click.option("-o", "--output-file", "output", type=OutputFile(), default=None,
              help="Write the workspace here (JSON) instead of printing it.")
@click.option("--shapesys-vals", type=click.Choice(["auto", "relative", "absolute"]), default="auto",
              show_default=True, help="What the file's shapesys vals are (auto: ROOT's relative for files "
                                      "ROOT wrote, else absolute).")
@click.option("--staterror-constraint", type=click.Choice(["auto", "Gauss", "Poisson"]), default="auto",
              show_default=True, help="Constraint of staterrors that name none (auto: ROOT's Poisson for "
                                      "files ROOT wrote, else Gauss).")
def hs32pyhf_command(source, analysis, likelihood, output, shapesys_vals, staterror_constraint):
    """Write an HS3 HistFactory likelihood as a pyhf JSON workspace (per-bin parameters renamed
    to pyhf's name[i]: the names are listed on standard error)."""
    from .factory import hs3_to_pyhf

    with reporting_errors():
        conversion = hs3_to_pyhf(source, analysis=analysis, likelihood=likelihood,
                                 shapesys_vals=shapesys_vals, staterror_constraint=staterror_constraint)
    text = json.dumps(conversion.workspace, indent=2) + "\n"
    if output:
        write_output(text, output)
    else:
        click.echo(text, nl=False)
    renamed = {k: v for k, v in conversion.names.items() if k != v}
    if renamed:
        click.echo("note: pyhf name -> HS3 name: " + ", ".join(f"{k} -> {v}" for k, v in renamed.items()),
                   err=True)
    codes = conversion.interpolation_codes
    if codes != {"normsys": "4", "histosys": "4p"}:
        click.echo(f"note: build the workspace with interpolation codes {codes} (likelihub's histfactory "
                   "backend: interpolation_codes=...)", err=True)


#: click commands registered under ``likelihub`` by the plugin's hook.
commands: list = [pyhf2hs3_command, hs32pyhf_command]
