"""The ``likelihub`` command line (click); plugins add file formats (read by ``cls``, ``limit``,
``fit``, ``inspect``) and commands through pluggy hooks."""

from likelihub.cli.main import cli, main

__all__ = ["cli", "main"]
