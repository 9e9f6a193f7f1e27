"""The inputs of the simplified factories, validated: the signal (one component or several), the
background and the data, bin names, and the bounds of each signal strength.

``signal_yields`` may be a mapping ``{poi_name: yields}`` of two or more signal components, each
with its own POI (see :mod:`likelihub_simplified.factories`).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from likelihub.errors import InvalidArgumentError, InvalidModelError

from .validation import as_counts, as_yields

__all__ = ["Signal", "poi_bounds", "signal_inputs", "check_poi_names", "bin_names_of"]


def poi_bounds(signal: np.ndarray, background: np.ndarray, observed: np.ndarray) -> tuple[float, float]:
    """(low, high) bounds of mu: the lowest mu with non-negative yields, and a far upper bound."""
    positive = signal > 0
    total = float(signal[positive].sum())
    if total == 0:
        return -10.0, 10.0
    low = -float(np.min(background[positive] / signal[positive]))
    high = 10.0 * max(float(np.sum(np.abs(observed))), float(np.sum(background)), 1.0) / total
    return low, high


class Signal:
    """The validated signal: one component ``mu`` (``yields`` shape (N,)) or several (K, N)."""

    def __init__(self, names: tuple[str, ...], yields: np.ndarray):
        self.names = names
        self.yields = yields

    @property
    def components(self) -> np.ndarray:
        """(K, N): one row per component."""
        return np.atleast_2d(self.yields)

    def bounds(self, background: np.ndarray, observed: np.ndarray) -> list[tuple[float, float]]:
        """:func:`poi_bounds` of each component alone."""
        return [poi_bounds(s, background, observed) for s in self.components]


def _signal(signal_yields, n: int) -> Signal:
    """``signal_yields``: one array (POI "mu") or a mapping {poi_name: yields} of two or more components."""
    if not isinstance(signal_yields, Mapping):
        return Signal(("mu",), as_yields(signal_yields, "signal_yields", n))
    if len(signal_yields) < 2:
        raise InvalidArgumentError(
            f"a mapping of signal components needs two or more {{poi_name: yields}} entries, got "
            f"{len(signal_yields)}; pass one component as an array (its POI is 'mu')",
            argument="signal_yields")
    names = []
    for name in signal_yields:
        if not isinstance(name, str) or not name.isidentifier():
            raise InvalidArgumentError(f"POI names must be identifiers (strings), got {name!r}",
                                       argument="signal_yields")
        names.append(name)
    rows = [as_yields(values, f"signal_yields[{name!r}]", n) for name, values in signal_yields.items()]
    return Signal(tuple(names), np.array(rows))


def check_poi_names(signal: Signal, others) -> None:
    """POI names must not be those of other parameters."""
    clash = sorted(set(signal.names) & set(others))
    if clash:
        raise InvalidArgumentError(f"POI names {clash} are also names of other parameters of the model",
                                   argument="signal_yields")


def signal_inputs(signal_yields, background_yields, data, counts: bool = True):
    background = as_yields(background_yields, "background_yields")
    n = background.size
    if n == 0:
        raise InvalidModelError("no bins", argument="background_yields")
    signal = _signal(signal_yields, n)
    observed = as_counts(data, "data", n) if counts else as_yields(data, "data", n)
    return signal, background, observed


def bin_names_of(bin_names, n: int) -> list[str] | None:
    if bin_names is None:
        return None
    names = [str(b) for b in bin_names]
    if len(names) != n:
        raise InvalidModelError(f"has {len(names)} names for {n} bins", argument="bin_names")
    return names
