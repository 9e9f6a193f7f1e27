"""The plugin module named by the ``likelihub.backends`` entry point: hooks only, imports nothing heavy."""

from __future__ import annotations

import likelihub

from . import __version__

__all__ = ["likelihub_register_backends", "likelihub_register_point_sources"]


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
