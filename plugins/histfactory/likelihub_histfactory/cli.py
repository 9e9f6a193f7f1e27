"""Command-line commands of the HistFactory plugin (stub: filled in by the workspace-tooling work)."""

from __future__ import annotations

__all__ = ["commands"]

#: click commands registered under ``likelihub``.
commands: list = []
