"""The module the entry point names: hooks only, so that discovering plugins stays cheap."""

from __future__ import annotations

from likelihub.plugin import hookimpl

from . import __version__


@hookimpl
def likelihub_register_backends(register):
    """Register ``example.counting``; the factory is imported only when the backend is used."""
    register(
        "example.counting",
        "likelihub_example_counting.backend:CountingExperiment",
        version=__version__,
        author="Your Name",
        description="One Poisson count with a Gaussian-constrained background (template plugin).",
        references=["arXiv:1007.1727"],
        core_versions=">=0.1,<0.2",
    )
