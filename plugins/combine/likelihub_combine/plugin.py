"""The plugin module named by the ``likelihub.backends`` entry point: hooks only, imports nothing heavy."""

from __future__ import annotations

import likelihub

from . import __version__

__all__ = ["likelihub_register_backends", "likelihub_register_point_sources", "likelihub_register_formats",
           "likelihub_register_commands"]


@likelihub.hookimpl
def likelihub_register_backends(register):
    """Register ``combine.datacard`` (factory imported on first use)."""
    register(
        "combine.datacard",
        "likelihub_combine.backend:datacard",
        version=__version__,
        author="likelihub developers",
        description="CMS Combine text datacard (counting and TH1 shape channels; POI r)",
        references=["CMS-CAT-23-001", "arXiv:2404.06614"],
        core_versions=">=0.1,<0.2",
    )


@likelihub.hookimpl
def likelihub_register_point_sources(register):
    """Register ``combine.cards``: a set of datacards, one model per card (e.g. per mass point)."""
    register(
        "combine.cards",
        "likelihub_combine.points:CardSetSource",
        version=__version__,
        description="a set of Combine datacards (mapping, list, pattern or folder), one model per card",
    )


@likelihub.hookimpl
def likelihub_register_formats(register):
    """Register text datacards as files of ``likelihub cls|limit|fit|inspect`` (options -m,
    --freeze, --rMin, --rMax as Combine's)."""
    register("combine.datacard", backend="combine.datacard",
             detect="likelihub_combine.cli_format:is_datacard",
             options="likelihub_combine.cli_format:OPTIONS",
             open="likelihub_combine.cli_format:open_datacard",
             label="Combine datacards", version=__version__,
             description="CMS Combine text datacards (imax/jmax/kmax, bin, observation, process, "
                         "rate lines; TH1 shapes)", core_versions=">=0.1,<0.2")


@likelihub.hookimpl
def likelihub_register_commands(register):
    """Register ``likelihub datacard2pyhf`` and ``likelihub pyhf2datacard`` (imported on first use)."""
    from .convert_cli import commands

    for command in commands:
        register(command)

