"""``likelihub simplify WORKSPACE``: a HistFactory model as a simplified likelihood (JSON).

    likelihub simplify sbottom.tar.gz --member RegionA/BkgOnly.json \\
        -p RegionA/patch.sbottom_1300_205_60.json -o sbottom_1300_205_60.json
    likelihub simplify 1Lbb.tar.gz --member BkgOnly.json --patchset patchset.json \\
        --patch-name C1N2_Wh_hbb_900_250 --channel SRHMEM_mct2 --ntoys 200000 --seed 7

The workspace options are those of ``likelihub cls`` (:mod:`.cli_format`); the conversion is
:func:`likelihub_histfactory.simplify.simplify`. The JSON goes to ``-o`` (or standard output); a
summary (bins kept, channels fitted, toys) to standard error.
"""

from __future__ import annotations

import json

import click

from likelihub.plugin import OutputFile, reporting_errors, text_table, write_output

from .cli_sources import document, pallet_patches, pallet_patchset, reading
from .simplified_json import DEFAULT_TOYS, FITS

__all__ = ["simplify_command"]


@click.command("simplify")
@click.argument("workspace")
@click.option("--member", default=None, help="Member of a .tar.gz pallet holding the workspace.")
@click.option("-p", "--patch", "patches", multiple=True,
              help="JSON patch to apply (repeatable); a path that is no file is read from the pallet.")
@click.option("--patchset", default=None, help="Patchset holding the signal patch (a file, or a member "
                                               "of the pallet).")
@click.option("--patch-name", default=None, help="Name of the patch of --patchset to apply.")
@click.option("--measurement", default=None, help="Measurement to use (the first by default).")
@click.option("--channel", "channels", multiple=True,
              help="Channel to keep (repeatable); default: the signal regions (channels with signal "
                   "named SR, not CR or VR).")
@click.option("--fit", type=click.Choice(FITS), default="control", show_default=True,
              help="Background-only fit of the channels not kept (control) or of every channel (all).")
@click.option("--ntoys", "n_toys", type=click.IntRange(min=10), default=DEFAULT_TOYS, show_default=True,
              help="Number of parameter draws.")
@click.option("--seed", type=click.IntRange(min=0), default=0, show_default=True, help="Seed of the draws.")
@click.option("-o", "--output", "output_file", type=OutputFile(suffixes=(".json",)), default=None,
              help="Write the JSON here (default: standard output).")
def simplify_command(workspace, member, patches, patchset, patch_name, measurement, channels, fit, n_toys,
                     seed, output_file):
    """Turn a HistFactory model into a simplified likelihood: per-bin background, covariance and
    third moments from toys at the background-only fit, and the patch's signal (JSON)."""
    from .simplify import simplify

    with reporting_errors(), reading(workspace):
        result = simplify(document(workspace), patches=pallet_patches(patches, workspace),
                          measurement=measurement, member=member,
                          patchset=pallet_patchset(patchset, workspace), patch_name=patch_name,
                          channels=list(channels) or None, fit=fit, n_toys=n_toys, seed=seed)
    text = json.dumps(result.to_dict(), indent=1) + "\n"
    if output_file:
        write_output(text, output_file)
    else:
        click.echo(text, nl=False)
    meta = result.metadata
    click.echo(f"kept {', '.join(meta['kept_channels'])}; background-only fit of "
               f"{', '.join(meta['fit_channels']) or 'no channel (constraint terms only)'}; "
               f"{meta['n_toys']} toys (seed {meta['seed']}; {meta['rejected_fraction']:.1%} of the draws "
               "rejected, outside the model's domain)",
               err=True)
    rows = [[name, f"{n:g}", f"{b:.4g}", f"{s:.3g}", f"{m3:.3g}", f"{sig:.4g}"]
            for name, n, b, s, m3, sig in zip(result.region_names, result.observed, result.background,
                                              result.covariance.diagonal() ** 0.5, result.third_moment,
                                              result.signal, strict=True)]
    click.echo("\n".join(text_table(rows, ["bin", "observed", "background", "sqrt(cov)", "m3", "signal"])),
               err=True)
