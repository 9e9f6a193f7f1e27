"""Command-line conversion between Combine datacards and pyhf JSON workspaces.

    likelihub datacard2pyhf datacard.txt -m 125 -o workspace.json
    likelihub pyhf2datacard workspace.json -o datacard.txt [--shapes-file datacard.shapes.root]

Only exact conversions succeed unless ``--approximate`` is given (then each approximation is
listed as a warning). An error is one line naming the file and line, channel, process and
systematic, with exit status 1.
"""

from __future__ import annotations

import json
import os
import warnings
from pathlib import Path

import click

from likelihub.plugin import FINITE, OutputFile, reporting_errors, write_output

__all__ = ["commands", "datacard2pyhf_command", "pyhf2datacard_command"]

_CODES_NOTE = (
    "note: the workspace is the card's likelihood with interpolation codes normsys code1 and "
    "histosys code4p (pyhf: modifier_settings={'normsys': {'interpcode': 'code1'}, 'histosys': "
    "{'interpcode': 'code4p'}}; likelihub's histfactory backend: interpolation_codes={'normsys': "
    "'1', 'histosys': '4p'})"
)


def _warnings_to_stderr(caught) -> None:
    for warning in caught:
        click.echo(f"warning: {warning.message}", err=True)


@click.command("datacard2pyhf")
@click.argument("card")
@click.option(
    "-m", "--mass", default=None, help="The value of $MASS in the card's shapes lines (Combine's -m)."
)
@click.option(
    "-o",
    "--output-file",
    "output",
    type=OutputFile(),
    default=None,
    help="Write the workspace here (JSON) instead of printing it.",
)
@click.option("--rMin", "r_min", type=FINITE, default=0.0, show_default=True, help="Lower bound of r.")
@click.option("--rMax", "r_max", type=FINITE, default=20.0, show_default=True, help="Upper bound of r.")
@click.option(
    "--approximate",
    is_flag=True,
    help="Convert what has no exact pyhf equivalent approximately (listed as warnings).",
)
def datacard2pyhf_command(card, mass, output, r_min, r_max, approximate):
    """Convert a Combine text datacard into a pyhf JSON workspace with the same likelihood."""
    from .convert.to_pyhf import convert_card

    with reporting_errors(), warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        conversion = convert_card(card, mass=mass, approximate=approximate, r_range=(r_min, r_max))
    _warnings_to_stderr(caught)
    text = json.dumps(conversion.workspace, indent=2) + "\n"
    if output:
        write_output(text, output)
    else:
        click.echo(text, nl=False)
    click.echo(_CODES_NOTE, err=True)


@click.command("pyhf2datacard")
@click.argument("workspace")
@click.option(
    "-o", "--output-file", "output", type=OutputFile(), required=True, help="The datacard to write."
)
@click.option(
    "--shapes-file",
    type=OutputFile(suffixes=(".root",)),
    default=None,
    help="The ROOT file of the templates (default: the card's name with .shapes.root).",
)
@click.option("--measurement", default=None, help="The measurement to convert (the first by default).")
@click.option(
    "--normsys-code",
    type=click.Choice(["1", "4"]),
    default="4",
    show_default=True,
    help="The workspace's normsys interpolation code (pyhf's default 4 has no exact lnN).",
)
@click.option(
    "--histosys-code",
    type=click.Choice(["0", "2", "4p"]),
    default="4p",
    show_default=True,
    help="The workspace's histosys interpolation code.",
)
@click.option(
    "--approximate",
    is_flag=True,
    help="Convert what has no exact Combine equivalent approximately (listed as warnings).",
)
def pyhf2datacard_command(
    workspace, output, shapes_file, measurement, normsys_code, histosys_code, approximate
):
    """Convert a pyhf JSON workspace into a Combine text datacard (and a ROOT file of templates)."""
    from .convert.from_pyhf import convert_workspace
    from .convert.histograms import write_histograms

    card_path = Path(output)
    shapes_path = Path(shapes_file) if shapes_file else card_path.with_name(card_path.stem + ".shapes.root")
    relative = os.path.relpath(shapes_path.resolve(), card_path.resolve().parent)
    with reporting_errors(), warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        conversion = convert_workspace(
            workspace,
            measurement=measurement,
            approximate=approximate,
            shapes_file=relative,
            interpolation_codes={"normsys": normsys_code, "histosys": histosys_code},
        )
        if conversion.histograms:
            write_histograms(conversion.histograms, shapes_path)
    _warnings_to_stderr(caught)
    write_output(conversion.card_text, str(card_path))
    low, high = conversion.r_range
    written = f" and {shapes_path}" if conversion.histograms else ""
    click.echo(f"wrote {card_path}{written}; run combine with --rMin {low:g} --rMax {high:g}", err=True)


#: click commands registered under ``likelihub`` by the plugin's hook.
commands: list = [datacard2pyhf_command, pyhf2datacard_command]
