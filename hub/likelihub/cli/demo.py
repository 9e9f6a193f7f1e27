"""``likelihub demo``: the main job on the small example model shipped with likelihub.

The example (``likelihub/data/example_workspace.json``) is a pyhf JSON workspace: a signal region
with three bins and a control region with two, nine modifiers of six types. The demo builds it with
the ``histfactory`` backend, fits it, and prints CLs at mu = 1 and the 95% CL upper limit, observed
and expected band, as a recaster would compute them.
"""

from __future__ import annotations

import json
import time
from importlib.resources import files

import click

from likelihub.cli.options import FINITE
from likelihub.registry.plugins import get_backend

__all__ = ["demo_command", "EXAMPLE_WORKSPACE"]

EXAMPLE_WORKSPACE = files("likelihub").joinpath("data", "example_workspace.json")


@click.command("demo")
@click.option("--workspace", type=click.Path(exists=True, dir_okay=False), default=None,
              help="A pyhf JSON workspace instead of the shipped example.")
@click.option("--mu", type=FINITE, default=1.0, show_default=True, help="Signal strength to test.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def demo_command(workspace: str | None, mu: float, as_json: bool):
    """Fit, CLs and upper limit on the shipped example model (or WORKSPACE)."""
    source = workspace or str(EXAMPLE_WORKSPACE)
    start = time.perf_counter()
    model = get_backend("histfactory")(workspace=source)
    fit = model.fit()
    cls = model.cls(mu)
    limit = model.upper_limit()
    seconds = time.perf_counter() - start
    if as_json:
        click.echo(json.dumps({"workspace": source, "fit": fit.to_dict(), "cls": cls.to_dict(),
                               "upper_limit": limit.to_dict(), "seconds": seconds}, indent=1))
        return
    click.echo(f"Model: {source}")
    click.echo(model.describe())
    click.echo(str(fit))
    click.echo(str(cls))
    click.echo(str(limit))
    click.echo(f"({seconds:.2f} s, including compilation on a first run)")
