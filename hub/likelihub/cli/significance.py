"""``likelihub significance FILE``: the discovery significance of a file of any installed format.

    likelihub significance model.json                     # {"Z_obs": ..., "p0_obs": ..., "Z_exp": ...}
    likelihub significance CMS-SUS-20-004-eff.json --signal signal.json --mu-asimov 0.5

The observed significance is that of the data against the background-only hypothesis (q0,
arXiv:1007.1727); the expected one, of the Asimov data at ``--mu-asimov`` (1 by default), as
:meth:`likelihub.StatisticalModel.significance` computes them (asymptotic formulae). The output is
one JSON object in the style of ``pyhf cls``: ``p0_obs``, ``Z_obs``, ``p0_exp``, ``Z_exp``,
``mu_asimov`` and ``poi``.
"""

from __future__ import annotations

import click

from likelihub.cli.formats import FormatCommand, file_argument, open_file
from likelihub.cli.options import FINITE, OutputFile, emit_json, reporting_errors

__all__ = ["significance_command"]


@click.command("significance", cls=FormatCommand)
@file_argument
@click.option("--output-file", type=OutputFile(), default=None,
              help="Write the JSON here instead of printing it.")
@click.option("--mu-asimov", type=FINITE, default=1.0, show_default=True,
              help="Signal strength of the Asimov data of the expected significance.")
@click.option("--poi", "poi", default=None, metavar="NAME",
              help="Test this parameter instead of the model's POI (the others are profiled).")
@click.pass_context
def significance_command(ctx: click.Context, file: str, format_name: str | None, output_file: str | None,
                         mu_asimov: float, poi: str | None, **format_options):
    """Discovery significance (q0, asymptotic): observed, and expected at --mu-asimov."""
    with reporting_errors():
        model = open_file(ctx, file, format_name)
        if poi is not None:
            model = model.with_poi(poi)
        result = model.significance(mu_asimov=mu_asimov)
    emit_json({"p0_obs": result.p_obs, "Z_obs": result.z_obs, "p0_exp": result.p_exp, "Z_exp": result.z_exp,
               "mu_asimov": result.mu_asimov, "poi": model.config.poi_name}, output_file)
