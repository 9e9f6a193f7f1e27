"""The terms of one sample in one channel (see :mod:`.compile`), and a cache of them for scans.

:func:`sample_terms` turns a sample's sorted modifiers into term kinds and coefficients, bin after
bin, with each term's parameter named (``names``; per-bin modifiers flagged in ``per_bin``);
:func:`place_parameters` gives the parameter indices of one model. Coefficients do not depend on
where the parameters sit in the parameter vector, so a scan, which builds one model per signal
point from one background-only workspace, computes them once per background sample
(:class:`SampleCache`) and only the signal samples anew.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Hashable
from dataclasses import dataclass

import numpy as np

from likelihub.errors import InvalidModelError

from ..interpolation import (
    HISTOSYS_CODES,
    N_COEFFICIENTS,
    NORMSYS_CODES,
    TERM_FACTOR,
    TERM_NORMSYS_CODE4,
)
from .parameters import check_yields

__all__ = ["SampleTerms", "SampleCache", "sample_terms", "place_parameters", "PER_BIN_TYPES"]

#: Modifier types with one parameter per bin.
PER_BIN_TYPES = ("shapefactor", "shapesys", "staterror")


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
    :class:`~.workspace.Workspace` never changes them; patched copies are new objects).
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


def _term_source(modifier: dict, layout, c: str, s: str, source) -> tuple:
    """One normsys or histosys modifier on one sample, checked term by term: ``(hi, lo)``, the
    factors (normsys) or the yields (histosys). The slow path, whose errors name the modifier."""
    mtype, name = modifier["type"], modifier["name"]
    where = {"file": source, "channel": c, "sample": s, "modifier": name}
    data = modifier.get("data")
    if not isinstance(data, dict):
        raise InvalidModelError(f"{mtype} data must be an object", **where)
    if mtype == "normsys":
        hi, lo = data.get("hi"), data.get("lo")
        if not all(isinstance(x, int | float) and math.isfinite(x) and x > 0 for x in (hi, lo)):
            raise InvalidModelError(f"normsys factors hi and lo must be positive numbers, got "
                                    f"hi={hi!r}, lo={lo!r}", **where)
        return float(hi), float(lo)
    return (check_yields(data.get("hi_data"), layout.nbins[c], where, "histosys hi_data"),
            check_yields(data.get("lo_data"), layout.nbins[c], where, "histosys lo_data"))


def _gather_fast(normsys: list, histosys: list, n_bins: int):
    """The normsys factors and histosys yields of one sample's modifiers as arrays, or None
    where any is not plainly valid (then :func:`_term_source` finds and names the fault)."""
    try:
        factors = np.array([[m["data"]["hi"] for m in normsys], [m["data"]["lo"] for m in normsys]])
        yields = [m["data"]["hi_data"] for m in histosys] + [m["data"]["lo_data"] for m in histosys]
        if not all(isinstance(x, list) for x in yields):
            return None
        yields = np.array(yields, dtype=float).reshape(2 * len(histosys), -1)
    except (TypeError, KeyError, ValueError):
        return None
    if normsys and (factors.dtype.kind not in "if" or not np.all(np.isfinite(factors) & (factors > 0))):
        return None
    if histosys and (yields.shape[1] != n_bins or not np.all(np.isfinite(yields) & (yields >= 0))):
        return None
    factors = factors.astype(float).reshape(2, -1)
    yields = yields.reshape(2, len(histosys), n_bins)
    return factors[0], factors[1], yields[0], yields[1]


def _gather(normsys: list, histosys: list, layout, c: str, s: str, source):
    """The hi and lo factors of the normsys modifiers and yields of the histosys modifiers."""
    arrays = _gather_fast(normsys, histosys, layout.nbins[c])
    if arrays is None:
        pairs = [[_term_source(m, layout, c, s, source) for m in group] for group in (normsys, histosys)]
        arrays = (np.array([p[0] for p in pairs[0]], dtype=float),
                  np.array([p[1] for p in pairs[0]], dtype=float),
                  np.array([p[0] for p in pairs[1]], dtype=float).reshape(-1, layout.nbins[c]),
                  np.array([p[1] for p in pairs[1]], dtype=float).reshape(-1, layout.nbins[c]))
    return arrays


def _code4_polynomials(hi: np.ndarray, lo: np.ndarray) -> np.ndarray:
    """:func:`~.interpolation.code4_polynomial` for many (hi, lo) pairs at once, bit for bit: the
    same 6x6 system (same matrix, same right-hand sides), solved one pair at a time by LAPACK.

    ``log_base**2`` of the scalar code is C's ``pow``; on an array numpy squares instead, which is
    one ulp away in ~0.1% of cases, so the square is taken with an array of exponents (``pow``).
    """
    powers = np.arange(1, 7)
    rows, rhs = [], []
    for sign, base in ((1.0, hi), (-1.0, lo)):
        x = sign * 1.0
        log_base = sign * np.log(base)
        rows += [x**powers, powers * x ** (powers - 1), powers * (powers - 1) * x ** (powers - 2.0)]
        rhs += [base - 1.0, log_base * base, np.power(log_base, np.full_like(log_base, 2.0)) * base]
    system = np.broadcast_to(np.array(rows), (hi.size, 6, 6))
    return np.linalg.solve(system, np.stack(rhs, axis=1)[:, :, None])[:, :, 0]


def sample_terms(layout, c: str, s: str, modifiers: list, codes: dict, source) -> SampleTerms:
    """The terms of sample ``s`` in channel ``c``, bin after bin, modifiers sorted within each bin.

    ``layout`` is the model's ``compile._Layout`` (bins, nominal yields); ``modifiers`` the
    sample's modifiers sorted as pyhf sorts them; ``codes`` the interpolation codes.
    """
    n_bins, bins = layout.nbins[c], layout.bins(c)
    types = [m["type"] for m in modifiers]
    kinds = np.full(len(modifiers), TERM_FACTOR, dtype=np.int64)
    coefficients = np.zeros((n_bins, len(modifiers), N_COEFFICIENTS))
    normsys = [j for j, t in enumerate(types) if t == "normsys"]
    histosys = [j for j, t in enumerate(types) if t == "histosys"]
    hi, lo, hi_data, lo_data = _gather([modifiers[j] for j in normsys], [modifiers[j] for j in histosys],
                                       layout, c, s, source)
    if normsys:
        where = normsys
        kinds[where] = NORMSYS_CODES[codes["normsys"]]
        factors = np.zeros((len(normsys), N_COEFFICIENTS))
        factors[:, 0], factors[:, 1], factors[:, 2], factors[:, 3] = hi, lo, np.log(hi), np.log(lo)
        if NORMSYS_CODES[codes["normsys"]] == TERM_NORMSYS_CODE4:
            factors[:, 4:] = _code4_polynomials(hi, lo)
        coefficients[:, where, :] = factors
    if histosys:
        where = histosys
        kinds[where] = HISTOSYS_CODES[codes["histosys"]]
        nominal = layout.nominal[s][bins]
        hi_data, lo_data = hi_data.T, lo_data.T
        coefficients[:, where, 0] = hi_data - nominal[:, None]
        coefficients[:, where, 1] = nominal[:, None] - lo_data
        coefficients[:, where, 2] = 0.5 * (hi_data + lo_data) - nominal[:, None]
        coefficients[:, where, 3] = 0.5 * (hi_data - lo_data)
    return SampleTerms(kinds, tuple(m["name"] for m in modifiers), tuple(t in PER_BIN_TYPES for t in types),
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
