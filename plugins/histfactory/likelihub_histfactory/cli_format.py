"""The HistFactory file format of the core's commands ``likelihub cls|limit|fit|inspect FILE``.

    likelihub cls BkgOnly.json -p patch.json --mu 1.0
    likelihub cls 1Lbb.tar.gz --member BkgOnly.json --patchset patchset.json --patch-name NAME
    likelihub inspect 1Lbb.tar.gz --member BkgOnly.json

A workspace is a JSON file, ``-`` (standard input) or a HEPData pallet (``.tar.gz``) with
``--member``; patches and patchsets given by a name are read from the same pallet where it has
such a member (a file of that name in the current directory is then ignored, and a note says
so: write ``./patchset.json`` for the file), else from the file (:mod:`.cli_sources`). Errors
name the file, channel, sample, modifier and bin.
"""

from __future__ import annotations

import json

import click

from likelihub.plugin import file_head, text_table

from .cli_sources import document, pallet_patches, pallet_patchset, reading

__all__ = ["is_workspace", "OPTIONS", "open_workspace", "inspect_workspace"]

#: Suffixes of workspaces: JSON, and HEPData pallets (tar archives).
SUFFIXES = (".json", ".tar.gz", ".tgz", ".tar")


def is_workspace(path: str) -> bool:
    """Whether ``path`` is a workspace: ``-`` (standard input), a ``.json`` file or a pallet
    (``.tar.gz``, ``.tgz``, ``.tar``), or a file whose text starts with ``{`` (a JSON object)."""
    if path == "-" or str(path).lower().endswith(SUFFIXES):
        return True
    return file_head(path, 256).lstrip().startswith(b"{")


#: The options of a workspace (``likelihub cls --help`` lists them).
OPTIONS = [
    click.Option(["--member"], default=None,
                 help="Member of a .tar.gz pallet holding the workspace (path, or unique file name)."),
    click.Option(["-p", "--patch", "patches"], multiple=True,
                 help="JSON patch to apply (repeatable); a path that is no file is read from the pallet."),
    click.Option(["--patchset"], default=None,
                 help="Patchset holding the signal patch (a file, or a member of the pallet)."),
    click.Option(["--patch-name"], default=None, help="Name of the patch of --patchset to apply."),
    click.Option(["--measurement"], default=None, help="Measurement to use (the first by default)."),
]


def _build(workspace, member, patches, patchset, patch_name, measurement):
    import likelihub

    with reading(workspace):
        return likelihub.get_backend("histfactory")(
            document(workspace), patches=pallet_patches(patches, workspace),
            measurement=measurement, member=member,
            patchset=pallet_patchset(patchset, workspace), patch_name=patch_name)


def open_workspace(path: str, *, member: str | None = None, patches=(), patchset: str | None = None,
                   patch_name: str | None = None, measurement: str | None = None):
    """The HistFactory model of the workspace ``path`` (``-``: standard input), patched."""
    return _build(path, member, patches, patchset, patch_name, measurement)


def _summary(ws, measurements: list[dict]) -> dict:
    return {
        "channels": [{"name": c, "bins": n} for c, n in ws.channel_nbins.items()],
        "samples": ws.samples,
        "parameters": ws.parameter_summary(),
        "modifiers": [{"name": n, "type": t} for n, t in ws.modifiers],
        "measurements": [{"name": m["name"], "poi": m["config"]["poi"],
                          "parameters": sorted(p["name"] for p in m["config"]["parameters"])}
                         for m in measurements],
    }


def _patched(path: str, member, patches, patchset, patch_name):
    """The workspace of ``path`` with ``patches``, then the patch ``patch_name`` of ``patchset``."""
    from likelihub.errors import InvalidModelError

    from .spec.patchset import load_patchset
    from .spec.workspace import Workspace

    ws = Workspace.load(document(path), member=member).apply_patches(pallet_patches(patches, path))
    if (patchset is None) != (patch_name is None):
        raise InvalidModelError("--patchset and --patch-name go together (the patch of the patchset "
                                "to apply)", argument="patchset" if patchset is None else "patch_name")
    if patchset is not None:
        ws = load_patchset(pallet_patchset(patchset, path), origin=ws.file).apply(ws, patch_name)
    return ws


def inspect_workspace(path: str, *, as_json: bool = False, member: str | None = None, patches=(),
                      patchset: str | None = None, patch_name: str | None = None,
                      measurement: str | None = None) -> str:
    """Channels and bins, samples, parameters, modifiers and measurements of a workspace (the one
    ``measurement`` where given), patched: tables, or one JSON object."""
    with reading(path):
        ws = _patched(path, member, patches, patchset, patch_name)
        measurements = ws.measurements if measurement is None else [ws.measurement(measurement)]
    summary = _summary(ws, measurements)
    if as_json:
        return json.dumps(summary, indent=1)
    lines = [f"Workspace {ws.file or '(standard input)'}", ""]
    lines += text_table([["channels", len(summary["channels"])], ["bins", sum(ws.channel_nbins.values())],
                         ["samples", len(ws.samples)], ["parameters", len(summary["parameters"])],
                         ["modifiers", len(ws.modifiers)], ["measurements", len(ws.measurements)]],
                        ["summary", "count"]) + [""]
    lines += text_table([[c["name"], c["bins"]] for c in summary["channels"]], ["channel", "bins"]) + [""]
    lines += text_table([[p["name"], p["constraint"], p["components"], ", ".join(p["modifiers"])]
                         for p in summary["parameters"]],
                        ["parameter", "constraint", "components", "modifiers"]) + [""]
    lines += text_table([[m["name"], m["poi"], ", ".join(m["parameters"]) or "-"]
                         for m in summary["measurements"]], ["measurement", "poi", "parameter settings"])
    return "\n".join(lines)
