"""The ``shapefactor`` modifier: a free factor per bin (a data-driven background shape).

One parameter per bin, ``name[k]``, unconstrained, initial value 1, bounds [0, 10]. Shared by name
as pyhf shares it: bin k of every channel it acts on is coupled to ``name[k]``; it has as many
parameters as the bins of the first channel (in sorted order) it acts on, which must have at
least as many bins as the others (pyhf would read a wrong parameter otherwise). Its terms are plain
factors (:mod:`likelihub_histfactory.interpolation.factor`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import numpy as np

from likelihub.errors import InvalidModelError

from .base import ParameterSet, no_data_checks

__all__ = ["NAME", "PER_BIN", "CONSTRAINT", "SHARING_GROUP", "SORTED_BY_NAME", "INTERPOLATION_CODES",
           "check_data", "check_sharing", "n_parameters", "parameter_set", "bin_parameters"]

NAME = "shapefactor"
PER_BIN = True
CONSTRAINT = None
SHARING_GROUP = NAME
SORTED_BY_NAME = False
INTERPOLATION_CODES = None

check_data = no_data_checks


def _too_many_bins(name: str, n: int, first: str, channel: str, bins: int) -> str:
    return (f"shapefactor {name!r} has {n} parameters, the bins of channel {first!r} (the first channel "
            f"it acts on), but channel {channel!r} has {bins} bins: bin k of every channel is coupled to "
            f"parameter k, and there is none for bin {n} (pyhf would use the model's first parameter "
            "there); name the channels so that the one with the most bins sorts first, or give the "
            "shapefactors distinct names")


def check_sharing(name: str, uses: list, where: Callable[[tuple], dict]) -> None:
    """The first channel (sorted by name) of the ``uses`` (type, bins, channel, sample, modifier)
    of one name has at least as many bins as the others."""
    ordered = sorted(uses, key=lambda use: use[2]["name"])
    first, n = ordered[0][2]["name"], ordered[0][1]
    for use in ordered[1:]:
        if use[1] > n:
            raise InvalidModelError(_too_many_bins(name, n, first, use[2]["name"], use[1]), **where(use))


def n_parameters(bins_by_channel: Mapping[str, int]) -> int:
    """The bins of the first channel in sorted order."""
    return bins_by_channel[min(bins_by_channel)]


def parameter_set(name: str, uses: list, layout, source: str | None) -> ParameterSet:
    """Free parameters starting at 1 within [0, 10], as many as the bins of the first channel it
    acts on (the channels are walked in sorted order), which must have the most."""
    c, _, _, modifier = uses[0]
    n = layout.nbins[c]
    for other, s, _, _ in uses[1:]:
        if layout.nbins[other] > n:
            raise InvalidModelError(_too_many_bins(modifier["name"], n, c, other, layout.nbins[other]),
                                    file=source, channel=other, sample=s, modifier=modifier["name"])
    return ParameterSet(name, NAME, n, CONSTRAINT, [1.0] * n, [[0.0, 10.0]] * n, [False] * n,
                        is_scalar=False)


def bin_parameters(layout, uses: list, start: int) -> np.ndarray:
    """The parameter index of each global bin (-1 where none): ``start + k`` in bin k of every
    channel it acts on (pyhf's coupling)."""
    index = np.full(layout.n_bins, -1)
    for c, _, _, _ in uses:
        index[layout.bins(c)] = start + np.arange(layout.nbins[c])
    return index
