"""The ``likelihub`` command line (click); plugins add commands through a pluggy hook."""

from likelihub.cli.main import cli, main

__all__ = ["cli", "main"]
