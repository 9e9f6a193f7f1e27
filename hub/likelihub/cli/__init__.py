"""The ``likelihub`` command line (click); plugins add commands through a pluggy hook."""

from .main import cli, main

__all__ = ["cli", "main"]
