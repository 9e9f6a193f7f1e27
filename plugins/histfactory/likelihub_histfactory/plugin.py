"""The plugin module named by the ``likelihub.backends`` entry point: hooks only, imports nothing heavy."""

from __future__ import annotations

import likelihub

from . import __version__

__all__ = ["likelihub_register_backends", "likelihub_register_commands",
           "likelihub_register_point_sources", "likelihub_register_examples",
           "likelihub_register_formats"]


@likelihub.hookimpl
def likelihub_register_backends(register):
    """Register the ``histfactory`` backend (factory imported on first use)."""
    register(
        "histfactory",
        "likelihub_histfactory.factory:build_model",
        version=__version__,
        author="likelihub developers",
        description="HistFactory likelihoods from pyhf JSON workspaces (schema 1.0.0), numba kernels.",
        references=["doi:10.21105/joss.02823", "CERN-OPEN-2012-016", "doi:10.17182/hepdata.89408"],
        core_versions=">=0.1,<0.2",
    )


@likelihub.hookimpl
def likelihub_register_commands(register):
    """Register the HistFactory command-line commands ``likelihub patchset``, ``likelihub simplify``,
    pyhf's workspace commands ``digest``, ``combine``, ``prune``, ``rename``, ``sort`` and ``xml2json``."""
    from .cli import commands

    for command in commands:
        register(command)


@likelihub.hookimpl
def likelihub_register_point_sources(register):
    """Register ``histfactory.patchset``: a background workspace and its signal patches."""
    register("histfactory.patchset", "likelihub_histfactory.points:PatchsetSource", version=__version__,
             description="a background-only workspace and its signal points: a pyhf patchset, a "
                         "pattern of patch files or a folder of them",
             core_versions=">=0.1,<0.2")


@likelihub.hookimpl
def likelihub_register_examples(register):
    """Register the example workspace of ``likelihub demo`` (package data)."""
    register("histfactory.example", "likelihub_histfactory.example:example_model", version=__version__,
             description="a pyhf JSON workspace: a 3-bin signal region and a 2-bin control region, "
                         "nine modifiers of six types",
             location="likelihub_histfactory/data/example_workspace.json", core_versions=">=0.1,<0.2")


@likelihub.hookimpl
def likelihub_register_formats(register):
    """Register workspaces as the files of ``likelihub cls|limit|fit|inspect``."""
    register("histfactory", backend="histfactory",
             detect="likelihub_histfactory.cli_format:is_workspace",
             options="likelihub_histfactory.cli_format:OPTIONS",
             open="likelihub_histfactory.cli_format:open_workspace",
             inspect="likelihub_histfactory.cli_format:inspect_workspace",
             summary="likelihub_histfactory.cli_summary:summarise",
             label="HistFactory workspaces", version=__version__,
             description="pyhf JSON workspaces (a .json file, - for standard input) and HEPData "
                         "pallets (.tar.gz)", core_versions=">=0.1,<0.2",
             fallback=True)  # it claims every .json file: formats that read the content come first
