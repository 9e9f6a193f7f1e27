"""``likelihub demo``: the main job on an example model that an installed plugin offers.

Plugins offer example models through the hook ``likelihub_register_examples``
(:mod:`likelihub.registry.offers`); the HistFactory plugin's is a pyhf JSON workspace with a signal
region of three bins and a control region of two. The demo builds the example (the first by name,
or ``--example NAME``), fits it, and prints CLs at mu = 1 and the 95% CL upper limit, observed and
expected band, as a recaster would compute them, and which plugin gave the model.
"""

from __future__ import annotations

import json
import time

import click

from likelihub.cli.options import FINITE, reporting_errors
from likelihub.registry.catalogue import get_example

__all__ = ["demo_command"]


@click.command("demo")
@click.option("--example", "example_name", default=None,
              help="Which installed example (`likelihub plugins` lists them; default: the first).")
@click.option("--workspace", type=click.Path(exists=True, dir_okay=False), default=None,
              help="A file of the example plugin's format instead of its example (HistFactory: a "
                   "pyhf JSON workspace).")
@click.option("--mu", type=FINITE, default=1.0, show_default=True, help="Signal strength to test.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def demo_command(example_name: str | None, workspace: str | None, mu: float, as_json: bool):
    """Fit, CLs and upper limit on an installed plugin's example model (or WORKSPACE)."""
    with reporting_errors():
        example = get_example(example_name)
        source = workspace or example.location or example.name
        start = time.perf_counter()
        model = example.build(workspace)
        fit = model.fit()
        cls = model.cls(mu)
        limit = model.upper_limit()
    seconds = time.perf_counter() - start
    if as_json:
        click.echo(json.dumps({"example": example.name, "plugin": example.plugin, "workspace": source,
                               "fit": fit.to_dict(), "cls": cls.to_dict(),
                               "upper_limit": limit.to_dict(), "seconds": seconds}, indent=1))
        return
    click.echo(f"Model: {source} (example {example.name!r} of plugin {example.plugin!r})")
    click.echo(model.describe())
    click.echo(str(fit))
    click.echo(str(cls))
    click.echo(str(limit))
    click.echo(f"({seconds:.2f} s, including compilation on a first run)")
