"""The terms of one sample in one channel (see :mod:`.model`), and a cache of them for scans.

:func:`sample_terms` turns a sample's sorted modifiers into term kinds and coefficients, bin after
bin, with each term's parameter named (``names``; per-bin modifiers flagged in ``per_bin``);
:func:`place_parameters` gives the parameter indices of one model. Coefficients do not depend on
where the parameters sit in the parameter vector, so a scan, which builds one model per signal
point from one background-only workspace, computes them once per background sample
(:class:`SampleCache`) and only the signal samples anew.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from dataclasses import dataclass

import numpy as np

from ..interpolation import N_COEFFICIENTS, TERM_FACTOR
from ..modifiers import INTERPOLATED, MODIFIERS

__all__ = ["SampleTerms", "SampleCache", "sample_terms", "place_parameters"]


@dataclass(frozen=True)
class SampleTerms:
    """One sample's terms in one channel: ``kinds`` (K,), ``coefficients`` (bins, K, C), and the
    parameter of each term by name (``names``), per bin where ``per_bin``."""

    kinds: np.ndarray
    names: tuple[str, ...]
    per_bin: tuple[bool, ...]
    coefficients: np.ndarray


class SampleCache:
    """What compiling a sample yields, kept from one model to the next built from one workspace.

    Keyed by the sample object itself (held, so that its identity stays unique) and a key of what
    else the value depends on. Samples a model no longer has are dropped by :meth:`sweep` (after
    each model): a scan keeps the background's samples and forgets each point's signal samples.
    The samples must not be changed in place while the cache is in use (a
    :class:`~likelihub_histfactory.spec.workspace.Workspace` never changes them; patched copies are
    new objects).
    """

    def __init__(self) -> None:
        self._entries: dict[tuple[str, int], tuple[object, Hashable, object]] = {}
        self._used: set[tuple[str, int]] = set()

    def get(self, what: str, sample: dict, key: Hashable, compute: Callable, *args):
        """The cached ``what`` of ``sample`` for ``key``; ``compute(*args)`` on a miss."""
        slot = (what, id(sample))
        self._used.add(slot)
        entry = self._entries.get(slot)
        if entry is not None and entry[0] is sample and entry[1] == key:
            return entry[2]
        value = compute(*args)
        self._entries[slot] = (sample, key, value)
        return value

    def sweep(self) -> None:
        """Forget the samples not asked for since the last sweep."""
        self._entries = {slot: entry for slot, entry in self._entries.items() if slot in self._used}
        self._used = set()

    def __len__(self) -> int:
        return len(self._entries)


def sample_terms(layout, c: str, s: str, modifiers: list, codes: dict, source) -> SampleTerms:
    """The terms of sample ``s`` in channel ``c``, bin after bin, modifiers sorted within each bin.

    ``layout`` is the model's :class:`~.model.Layout` (bins, nominal yields); ``modifiers`` the
    sample's modifiers sorted as pyhf sorts them; ``codes`` the interpolation codes. The
    modifiers of an interpolated type (:data:`~likelihub_histfactory.modifiers.INTERPOLATED`)
    compile through their module's ``terms``, all of a sample's at once; every other term is a
    plain factor (no coefficients).
    """
    types = [m["type"] for m in modifiers]
    kinds = np.full(len(modifiers), TERM_FACTOR, dtype=np.int64)
    coefficients = np.zeros((layout.nbins[c], len(modifiers), N_COEFFICIENTS))
    for name, module in INTERPOLATED.items():
        where = [j for j, t in enumerate(types) if t == name]
        if where:
            kinds[where], coefficients[:, where, :] = module.terms([modifiers[j] for j in where], layout,
                                                                   c, s, codes[name], source)
    return SampleTerms(kinds, tuple(m["name"] for m in modifiers), tuple(MODIFIERS[t].PER_BIN for t in types),
                       coefficients)


def place_parameters(terms: SampleTerms, start: dict[str, int], bin_parameter: dict[str, np.ndarray],
                     bins: slice) -> np.ndarray:
    """Parameter index of each term (bins, K) in one model: ``start[name]`` for a scalar
    parameter, ``bin_parameter[name][bin]`` for a per-bin one (global bin ``bins``)."""
    n_bins = bins.stop - bins.start
    parameters = np.empty((n_bins, len(terms.names)), dtype=np.int64)
    parameters[:] = [-1 if binned else start[name] for name, binned in zip(terms.names, terms.per_bin,
                                                                            strict=True)]
    for j, binned in enumerate(terms.per_bin):
        if binned:
            parameters[:, j] = bin_parameter[terms.names[j]][bins]
    return parameters
