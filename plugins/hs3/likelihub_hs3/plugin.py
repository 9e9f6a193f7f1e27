"""The plugin module named by the ``likelihub.backends`` entry point: hooks only, imports nothing heavy."""

from __future__ import annotations

import likelihub

from . import __version__

__all__ = ["likelihub_register_backends", "likelihub_register_commands", "likelihub_register_formats"]


@likelihub.hookimpl
def likelihub_register_backends(register):
    """Register the ``hs3`` backend (factory imported on first use)."""
    register(
        "hs3",
        "likelihub_hs3.factory:hs3",
        version=__version__,
        author="likelihub developers",
        description="HS3 v0.2 JSON likelihoods (ROOT, pyhs3): histfactory_dist through the histfactory "
                    "backend; gaussian_dist, poisson_dist, product_dist and functions in NumPy.",
        references=["https://github.com/hep-statistics-serialization-standard/"
                    "hep-statistics-serialization-standard", "CERN-OPEN-2012-016"],
        core_versions=">=0.1,<0.2",
    )


@likelihub.hookimpl
def likelihub_register_commands(register):
    """Register ``likelihub pyhf2hs3`` and ``likelihub hs32pyhf`` (imported on first use)."""
    from .cli import commands

    for command in commands:
        register(command)


@likelihub.hookimpl
def likelihub_register_formats(register):
    """Register HS3 files as files of ``likelihub cls|limit|fit|inspect`` (recognised by their
    content, before the HistFactory format's claim on every ``.json`` file)."""
    register("hs3", backend="hs3",
             detect="likelihub_hs3.cli_format:is_hs3",
             options="likelihub_hs3.cli_format:OPTIONS",
             open="likelihub_hs3.cli_format:open_hs3",
             label="HS3 files", version=__version__,
             description="HS3 v0.2 JSON (a .json file with 'distributions' and 'metadata.hs3_version')",
             core_versions=">=0.1,<0.2")
