"""The HistFactory plugin's example model (``likelihub demo``), offered through the hook
``likelihub_register_examples``.

The example (``likelihub_histfactory/data/example_workspace.json``, package data) is a pyhf JSON
workspace: a signal region with three bins and a control region with two, nine modifiers of six
types; pyhf 0.7.6's CLs, fit and limits on it are in ``tests/test_demo.py``.
"""

from __future__ import annotations

from importlib.resources import files

import likelihub

__all__ = ["EXAMPLE_WORKSPACE", "example_model"]

EXAMPLE_WORKSPACE = files("likelihub_histfactory").joinpath("data", "example_workspace.json")


def example_model(source: str | None = None) -> likelihub.StatisticalModel:
    """The ``histfactory`` model of the shipped example workspace, or of the pyhf JSON workspace
    ``source``."""
    return likelihub.get_backend("histfactory")(workspace=str(source or EXAMPLE_WORKSPACE))
