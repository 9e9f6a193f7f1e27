"""``--calculator``, ``--ntoys`` and ``--seed`` of ``likelihub cls`` and ``likelihub limit``: the
calculator behind CLs and limits, as the API takes it (:meth:`likelihub.StatisticalModel.cls`).

    likelihub cls model.json --calculator toys --ntoys 5000 --seed 42
    likelihub limit card.txt --calculator toys --ntoys 1000 --seed 1

The same seed gives the same toys, and the same numbers as the API called with
``rng=numpy.random.default_rng(seed)``; without ``--seed`` the toys differ from run to run.
"""

from __future__ import annotations

import click

from likelihub.hypothesis_tests import CALCULATORS

__all__ = ["calculator_options", "calculator_arguments", "DEFAULT_NTOYS"]

#: Toys per hypothesis where --ntoys is not given (the API's default).
DEFAULT_NTOYS = 2000


def calculator_options(command):
    """--calculator, --ntoys and --seed."""
    command = click.option(
        "--seed", type=click.IntRange(min=0), default=None,
        help="Seed of the toys' random generator (numpy.random.default_rng(SEED)): the same seed, "
             "the same toys. [--calculator toys]")(command)
    command = click.option(
        "--ntoys", type=click.IntRange(min=1), default=None,
        help=f"Toys per hypothesis (default: {DEFAULT_NTOYS}). [--calculator toys]")(command)
    return click.option(
        "--calculator", type=click.Choice(list(CALCULATORS)), default="asymptotic", show_default=True,
        help="asymptotic formulae (arXiv:1007.1727), toys (pseudo-experiments), or chi2 (Wilks).")(command)


def calculator_arguments(calculator: str, ntoys: int | None, seed: int | None) -> dict:
    """The keywords of ``model.cls`` (``cls_scan``, ``upper_limit``) for the options; a fresh
    generator of ``seed`` each call, so that each computation draws the toys the API would.

    Raises
    ------
    click.UsageError
        ``--ntoys`` or ``--seed`` without ``--calculator toys``.
    """
    if calculator != "toys":
        given = [flag for flag, value in (("--ntoys", ntoys), ("--seed", seed)) if value is not None]
        if given:
            verb = "apply" if len(given) > 1 else "applies"
            raise click.UsageError(f"{' and '.join(given)} {verb} to --calculator toys, not {calculator}")
        return {"calculator": calculator}
    import numpy as np

    return {"calculator": "toys", "ntoys": DEFAULT_NTOYS if ntoys is None else ntoys,
            "rng": np.random.default_rng(seed)}
