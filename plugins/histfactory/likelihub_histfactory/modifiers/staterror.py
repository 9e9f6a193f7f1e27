"""The ``staterror`` modifier: the statistical uncertainty of the simulated samples, one factor
``gamma_k`` per bin shared by the samples that carry it (Barlow-Beeston lite).

One parameter per bin of every channel it acts on, ``name[k]``, initial value 1, bounds
[1e-10, 10], Gaussian-constrained around 1 with pyhf's width ``sqrt(sum_s delta_s^2) / sum_s nom_s``
per bin over the samples carrying it; bins of zero width (no uncertainty, or no yield) have their
parameter fixed (width 1, as pyhf). Every sample carrying a staterror must carry it in the same
channels. Parameter sets are ordered by name (pyhf). Widths must lie within
:data:`.constraints.RELATIVE_WIDTH_LIMITS`. Its terms are plain factors
(:mod:`likelihub_histfactory.interpolation.factor`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import numpy as np

from likelihub.errors import InvalidModelError

from .base import ParameterSet, check_length, check_values, check_yields, shared_mask
from .constraints import RELATIVE_WIDTH_LIMITS, describe_width, outside_limits

__all__ = ["NAME", "PER_BIN", "CONSTRAINT", "SHARING_GROUP", "SORTED_BY_NAME", "INTERPOLATION_CODES",
           "check_data", "check_sharing", "n_parameters", "parameter_set", "bin_parameters", "widths"]

NAME = "staterror"
PER_BIN = True
CONSTRAINT = "normal"
SHARING_GROUP = NAME
#: pyhf orders the staterror parameter sets by name (the others by first appearance).
SORTED_BY_NAME = True
INTERPOLATION_CODES = None


def check_data(modifier: Mapping, n_bins: int, location: dict) -> None:
    """One finite, non-negative uncertainty per bin of the channel."""
    check_length(modifier["data"], n_bins, "staterror uncertainties", location)
    check_values(modifier["data"], "staterror uncertainty", location, nonnegative=True)


def check_sharing(name: str, uses: list, where: Callable[[tuple], dict]) -> None:
    """The samples carrying the staterror ``name`` (``uses``: type, bins, channel, sample,
    modifier) carry it in the same channels."""
    channels: dict[str, list[str]] = {}
    for use in uses:
        channels.setdefault(use[3]["name"], []).append(use[2]["name"])
    first = next(iter(channels))
    for sample, carried in channels.items():
        if sorted(carried) != sorted(channels[first]):
            use = next(u for u in uses if u[3]["name"] == sample)
            raise InvalidModelError(
                f"a staterror shared by samples must act on the same channels for each (as pyhf "
                f"requires): sample {first!r} carries {name!r} in {sorted(channels[first])}, sample "
                f"{sample!r} in {sorted(carried)}", **where(use))


def n_parameters(bins_by_channel: Mapping[str, int]) -> int:
    """One per bin of every channel it acts on."""
    return sum(bins_by_channel.values())


def widths(layout, uses: list, deltas: np.ndarray, mask: np.ndarray) -> tuple[list[float], list[bool]]:
    """pyhf's staterror widths of the masked global bins, and which are fixed (zero width).

    Parameters
    ----------
    layout
        The model's :class:`~likelihub_histfactory.compile.model.Layout` (``nominal``, ``locate``,
        ``source``).
    uses
        The modifier's (channel, sample name, sample, modifier) uses.
    deltas
        The uncertainties of each use (rows) in every global bin (zero outside its channel).
    mask
        The global bins the modifier acts on.
    """
    samples = sorted({s for _, s, _, _ in uses})
    total = sum(layout.nominal[s] for s in samples)
    positive = total > 0
    with np.errstate(over="ignore", under="ignore"):
        # pyhf's formula (its numbers), and the same width without squares for the check
        relative_sq = np.sum(np.where(positive, deltas / np.where(positive, total, 1.0), 0.0) ** 2, axis=0)
        relative = np.where(positive, np.hypot.reduce(deltas, axis=0) / np.where(positive, total, 1.0), 0.0)
    constrained = positive & np.any(deltas > 0, axis=0) & mask
    bad = np.flatnonzero(constrained & outside_limits(relative))
    if bad.size:
        b = int(bad[0])
        c, local = layout.locate(b)
        row = int(np.argmax(deltas[:, b]))
        raise InvalidModelError(
            f"the staterror's relative width sqrt(sum delta^2) / sum nominal {describe_width(relative[b])} "
            f"(staterror data {float(deltas[row, b])!r} on a total nominal yield of {float(total[b])!r}); "
            "widths "
            f"must lie within {RELATIVE_WIDTH_LIMITS}: use 0 for no uncertainty (the parameter is "
            "then fixed)", file=layout.source, channel=c, sample=uses[row][1],
            modifier=uses[row][3]["name"], bin=local)
    widths = np.where(constrained, np.sqrt(relative_sq), 0.0)[mask]
    fixed = widths == 0
    widths[fixed] = 1.0
    return widths.tolist(), fixed.tolist()


def parameter_set(name: str, uses: list, layout, source: str | None) -> ParameterSet:
    """A Gaussian-constrained parameter per bin of the channels it acts on (see the module docstring)."""
    deltas = np.zeros((len(uses), layout.n_bins))
    for row, (c, s, _, modifier) in enumerate(uses):
        where = {"file": layout.source, "channel": c, "sample": s, "modifier": modifier["name"]}
        deltas[row, layout.bins(c)] = check_yields(modifier.get("data"), layout.nbins[c], where,
                                                   "staterror data")
    sigmas, fixed = widths(layout, uses, deltas, shared_mask(layout, uses))
    n = len(sigmas)
    return ParameterSet(name, NAME, n, CONSTRAINT, [1.0] * n, [[1e-10, 10.0]] * n, list(fixed),
                        is_scalar=False, auxdata=[1.0] * n, widths=list(sigmas))


def bin_parameters(layout, uses: list, start: int) -> np.ndarray:
    """The parameter index of each global bin (-1 where none): one per bin it acts on."""
    index = np.full(layout.n_bins, -1)
    mask = shared_mask(layout, uses)
    index[mask] = start + np.arange(int(mask.sum()))
    return index
