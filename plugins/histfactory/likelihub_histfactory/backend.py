"""The ``histfactory`` backend factory (work in progress)."""

from __future__ import annotations

__all__ = ["build_model"]


def build_model(workspace, patches=(), measurement=None, **options):
    """Build a HistFactory backend from a pyhf JSON workspace (not yet implemented)."""
    raise NotImplementedError("the HistFactory likelihood engine is being written")
