"""``likelihub inspect FILE``: what a file of any installed format holds.

A format may register its own summary (``inspect``: the HistFactory plugin's lists channels,
samples, modifiers and measurements); for the others the command prints the model's
``describe()`` and a table of its parameters (initial value, bounds, fixed, the POI), or, with
``--json``, the same as one JSON object.
"""

from __future__ import annotations

import json
import math

import click

from likelihub.cli.formats import FormatCommand, chosen_format, file_argument, readable_file
from likelihub.cli.options import reporting_errors
from likelihub.cli.tables import text_table

__all__ = ["inspect_command", "model_summary"]


def _bound(value: float) -> float | None:
    return float(value) if math.isfinite(value) else None


def model_summary(model, *, as_json: bool = False) -> str:
    """The model's ``describe()`` and a table of its parameters (or the same as JSON)."""
    config = model.config
    fixed = config.fixed if config.fixed is not None else [False] * config.n_parameters
    parameters = [{"name": name, "init": float(init), "bounds": [_bound(low), _bound(high)],
                   "fixed": bool(held), "poi": i == config.poi_index}
                  for i, (name, init, (low, high), held)
                  in enumerate(zip(config.parameter_names, config.init, config.bounds, fixed, strict=True))]
    if as_json:
        return json.dumps({"description": model.describe(), "poi": config.poi_name,
                           "parameters": parameters}, indent=1)
    rows = [[p["name"], f"{init:g}", f"[{low:g}, {high:g}]", "fixed" if p["fixed"] else "",
             "POI" if p["poi"] else ""]
            for p, init, (low, high) in zip(parameters, config.init, config.bounds, strict=True)]
    return "\n".join([model.describe(), "",
                      *text_table(rows, ["parameter", "init", "bounds", "fixed", "role"])])


@click.command("inspect", cls=FormatCommand)
@file_argument
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of tables.")
@click.pass_context
def inspect_command(ctx: click.Context, file: str, format_name: str | None, as_json: bool,
                    **format_options):
    """Summarise FILE: its channels, samples and parameters (what its format tells)."""
    with reporting_errors(), readable_file(file) as readable:
        info, options = chosen_format(ctx, readable, format_name)
        inspect = info.inspector()
        if inspect is not None:
            text = inspect(readable, as_json=as_json, **options)
        else:
            text = model_summary(info.open_model(readable, **options), as_json=as_json)
        text = text.replace(readable, "standard input") if file == "-" else text
    click.echo(text)
