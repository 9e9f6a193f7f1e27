"""The HistFactory plugin's commands: ``likelihub patchset extract|apply|verify|inspect``, as pyhf's;
``likelihub digest|combine|prune|rename|sort`` (:mod:`.cli_workspace`) and ``likelihub xml2json``
(:mod:`.cli_xml`), as pyhf's too; ``likelihub simplify`` (:mod:`.cli_simplify`).

    likelihub patchset inspect patchset.json
    likelihub patchset extract patchset.json --name C1N2_Wh_hbb_900_250
    likelihub patchset apply BkgOnly.json patchset.json --name C1N2_Wh_hbb_900_250
    likelihub patchset verify 1Lbb.tar.gz patchset.json --member BkgOnly.json

``likelihub cls|limit|fit|inspect WORKSPACE`` are the core's commands (:mod:`likelihub.cli`), on a
file of this plugin's format (:mod:`.cli_format`); ``likelihub scan`` too, with the options of
this plugin's point source (:mod:`.points`). A patchset given by a name is read from the pallet
where it has such a member (:mod:`.cli_sources`). Errors print one line naming the file, patch
and digest, and exit 1.
"""

from __future__ import annotations

import click

from likelihub.plugin import OutputFile, emit_json, text_table
from likelihub.plugin import reporting_errors as _reporting_errors

from .cli_sources import document, pallet_patchset
from .cli_sources import reading as _reading

__all__ = ["commands", "patchset_group"]


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
    return PatchSet(document(path), member=member)


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
    emit_json(result, output_file)


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
        ws = Workspace.load(document(background_only), member=member)
        patched = _patchset(patchset, archive_of=background_only).apply(ws, name)
    emit_json(patched.to_dict(), output_file)


@patchset_group.command("verify")
@click.argument("background_only")
@click.argument("patchset")
@click.option("--member", default=None, help="Member of a .tar.gz pallet holding the workspace.")
def verify_command(background_only, patchset, member):
    """Check that the patchset was made for this background-only workspace (its digests)."""
    from .spec.workspace import Workspace

    with _reporting_errors(), _reading(background_only):
        ws = Workspace.load(document(background_only), member=member)
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
    click.echo("\n".join(text_table([[p.name, *p.values] for p in patches], ["name", *patches.labels])))


def _simplify_command():
    from .cli_simplify import simplify_command

    return simplify_command


def _workspace_commands() -> list:
    from .cli_workspace import workspace_commands
    from .cli_xml import xml2json_command

    return [*workspace_commands, xml2json_command]


#: click commands registered under ``likelihub`` by the plugin's hook.
commands: list = [patchset_group, _simplify_command(), *_workspace_commands()]
