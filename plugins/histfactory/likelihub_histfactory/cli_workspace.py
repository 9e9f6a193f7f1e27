"""pyhf's workspace commands: ``likelihub digest|combine|prune|rename|sort``, as ``pyhf`` 0.7.6's.

    likelihub digest BkgOnly.json -a sha256 -a md5 --json
    likelihub combine left.json right.json --join "left outer" --merge-channels --output-file both.json
    likelihub prune BkgOnly.json -c VR_cuts -t staterror -m lumi --measurement other
    likelihub rename BkgOnly.json -c SR_cuts SR -s ttbar top -m mu_SIG mu --measurement Meas M
    likelihub sort BkgOnly.json

Options, defaults and outputs are pyhf's (``pyhf digest|combine|prune|rename|sort``): the
workspace JSON is printed indented by 4 with sorted keys (the same text as pyhf's), or written to
``--output-file``; ``digest`` prints ``algorithm:hexdigest`` lines, or a JSON object with
``--json``. A workspace is a JSON file, ``-`` for standard input, or (beyond pyhf) a member of a
HEPData pallet (``--member``). The operations are :class:`~.spec.workspace.Workspace`'s. Errors
(an unknown channel, sample, modifier or measurement; names two workspaces share that the join
does not allow; an unknown hash algorithm) print one line naming the thing, and exit 1.
"""

from __future__ import annotations

from pathlib import Path

import click

from likelihub.errors import InvalidModelError
from likelihub.plugin import OutputFile, emit_json
from likelihub.plugin import reporting_errors as _reporting_errors

from .cli_sources import document
from .cli_sources import reading as _reading

__all__ = ["workspace_commands", "digest_command", "combine_command", "prune_command",
           "rename_command", "sort_command", "MODIFIER_TYPES"]

#: Modifier types ``prune -t`` accepts (pyhf's ``modifiers.histfactory_set``).
MODIFIER_TYPES = ("histosys", "lumi", "normfactor", "normsys", "shapefactor", "shapesys", "staterror")

_OUTPUT_HELP = "The location of the output json file. If not specified, prints to screen."
_MEMBER_HELP = "Member of a .tar.gz pallet holding the workspace (beyond pyhf)."


def _load(path: str, member: str | None = None):
    from .spec.workspace import Workspace

    if path != "-" and Path(path).is_dir():
        raise InvalidModelError("is a directory, not a workspace (a JSON file, or a pallet with --member)",
                                file=path)
    return Workspace.load(document(path), member=member)


def _combine_members(members: tuple[str, ...], sources: tuple[str, str]) -> tuple[str | None, str | None]:
    """The members of combine's two inputs: one ``--member`` for each input that is a pallet, two
    for the first and the second input in order."""
    from .spec.io import is_archive

    if len(members) > 2:
        raise click.UsageError(f"--member is given {len(members)} times: give it once (each pallet "
                               "among the inputs) or twice (WORKSPACE_ONE's, then WORKSPACE_TWO's)")
    if len(members) == 2:
        return members[0], members[1]
    if not members:
        return None, None
    pallets = [source != "-" and is_archive(source) for source in sources]
    if not any(pallets):
        raise click.UsageError("--member is given but neither workspace is a pallet (.tar.gz, .tgz, .tar)")
    return tuple(members[0] if pallet else None for pallet in pallets)


def _output_file():
    return click.option("--output-file", type=OutputFile(), default=None, help=_OUTPUT_HELP)


def _member():
    return click.option("--member", default=None, help=_MEMBER_HELP)


@click.command("digest")
@click.argument("workspace", default="-")
@click.option("-a", "--algorithm", "algorithms", default=["sha256"], multiple=True, show_default=True,
              help="The hashing algorithm used to compute the workspace digest (repeatable; any of "
                   "Python's hashlib).")
@click.option("-j/-p", "--json/--plaintext", "output_json",
              help="Output the hash values as a JSON dictionary or plaintext strings.")
@_member()
def digest_command(workspace, algorithms, output_json, member):
    """Digests of the workspace (as `pyhf digest`: the hash of its canonical JSON)."""
    import json

    with _reporting_errors(), _reading(workspace):
        ws = _load(workspace, member)
        digests = {}
        for algorithm in algorithms:
            try:
                digests[algorithm] = ws.digest(algorithm)
            except ValueError as error:
                raise click.ClickException(f"--algorithm {algorithm}: {error}") from None
    if output_json:
        click.echo(json.dumps(digests, indent=4, sort_keys=True))
    else:
        click.echo("\n".join(f"{name}:{value}" for name, value in digests.items()))


@click.command("combine")
@click.argument("workspace_one", default="-")
@click.argument("workspace_two", default="-")
@click.option("-j", "--join", type=click.Choice(["none", "outer", "left outer", "right outer"]),
              default="none", show_default=True,
              help="The join operation to apply when combining the two workspaces.")
@_output_file()
@click.option("--merge-channels/--no-merge-channels", default=False,
              help="Whether or not to deeply merge channels. Can only be done with outer joins.")
@click.option("--member", "members", multiple=True,
              help="Member of a .tar.gz pallet holding a workspace (beyond pyhf): once, for each input "
                   "that is a pallet; twice, WORKSPACE_ONE's then WORKSPACE_TWO's.")
def combine_command(workspace_one, workspace_two, join, output_file, merge_channels, members):
    """Combine two workspaces into one (as `pyhf combine`).

    Channels, observations and measurements are joined: with --join none no name may be common;
    with outer, common items must be identical (measurements of the same name and POI merge their
    parameter settings); with left outer (right outer) the left (right) workspace's item wins.
    """
    if workspace_one == "-" and workspace_two == "-":
        raise click.UsageError("only one of the two workspaces can be read from standard input")
    if merge_channels and join == "none":
        raise click.ClickException("--merge-channels needs an outer join (--join outer, 'left outer' "
                                   "or 'right outer'), not --join none")
    member_one, member_two = _combine_members(members, (workspace_one, workspace_two))
    with _reporting_errors():
        with _reading(workspace_one):
            left = _load(workspace_one, member_one)
        with _reading(workspace_two):
            right = _load(workspace_two, member_two)
        if join in ("left outer", "right outer"):
            click.echo(f"warning: --join {join!r} is unsafe: for a name both workspaces use, the "
                       f"{join.split()[0]} workspace's item is kept without comparing them", err=True)
        combined = left.combine(right, join=join, merge_channels=merge_channels)
    emit_json(combined.to_dict(), output_file)


@click.command("prune")
@click.argument("workspace", default="-")
@_output_file()
@click.option("-c", "--channel", "channels", multiple=True, metavar="<CHANNEL>...",
              help="Channel to remove, with its observations (repeatable).")
@click.option("-s", "--sample", "samples", multiple=True, metavar="<SAMPLE>...",
              help="Sample to remove from every channel (repeatable).")
@click.option("-m", "--modifier", "modifiers", multiple=True, metavar="<MODIFIER>...",
              help="Modifier to remove, with its parameter settings (repeatable).")
@click.option("-t", "--modifier-type", "modifier_types", multiple=True, type=click.Choice(MODIFIER_TYPES),
              help="Modifier type to remove (repeatable).")
@click.option("--measurement", "measurements", multiple=True, metavar="<MEASUREMENT>...",
              help="Measurement to remove (repeatable).")
@_member()
def prune_command(workspace, output_file, channels, samples, modifiers, modifier_types, measurements,
                  member):
    """Prune channels, samples, modifiers, modifier types or measurements (as `pyhf prune`)."""
    with _reporting_errors(), _reading(workspace):
        pruned = _load(workspace, member).prune(
            channels=channels, samples=samples, modifiers=modifiers, modifier_types=modifier_types,
            measurements=measurements)
    emit_json(pruned.to_dict(), output_file)


def _pairs():
    return {"multiple": True, "type": click.Tuple([str, str]), "metavar": "<PATTERN> <REPLACE>..."}


@click.command("rename")
@click.argument("workspace", default="-")
@_output_file()
@click.option("-c", "--channel", "channels", help="Channel to rename: OLD NEW (repeatable).", **_pairs())
@click.option("-s", "--sample", "samples", help="Sample to rename: OLD NEW (repeatable).", **_pairs())
@click.option("-m", "--modifier", "modifiers", help="Modifier to rename: OLD NEW (repeatable).",
              **_pairs())
@click.option("--measurement", "measurements", help="Measurement to rename: OLD NEW (repeatable).",
              **_pairs())
@_member()
def rename_command(workspace, output_file, channels, samples, modifiers, measurements, member):
    """Rename channels, samples, modifiers or measurements (as `pyhf rename`).

    Renaming a channel renames its observations; renaming a modifier renames its parameter
    settings and the POI.
    """
    with _reporting_errors(), _reading(workspace):
        renamed = _load(workspace, member).rename(
            channels=dict(channels), samples=dict(samples), modifiers=dict(modifiers),
            measurements=dict(measurements))
    emit_json(renamed.to_dict(), output_file)


@click.command("sort")
@click.argument("workspace", default="-")
@_output_file()
@_member()
def sort_command(workspace, output_file, member):
    """Sort the workspace (as `pyhf sort`): channels, samples, modifiers (by name and type),
    measurements, parameter settings and observations by name."""
    with _reporting_errors(), _reading(workspace):
        ordered = _load(workspace, member).sorted()
    emit_json(ordered.to_dict(), output_file)


#: The commands registered under ``likelihub`` by the plugin's hook (with ``patchset``).
workspace_commands: list = [digest_command, combine_command, prune_command, rename_command, sort_command]
