"""Compile a HistFactory specification into the dense arrays the likelihood kernels read.

The expected yield of sample ``s`` in bin ``b`` (an *entry*) is

    rate_sb = (nominal_sb + sum_histosys shift_sb(alpha)) * prod_factors f_sb(theta)

and the expected count of bin ``b`` is the sum of its entries' rates. Each entry owns a run of
*terms* (CSR layout: ``term_start[e]:term_start[e+1]``); a term is one modifier acting on one
entry: its kind (:mod:`.interpolation`), the index of its parameter, and its coefficients.
Auxiliary data follow the main data in the order of the constrained parameters, each with its
parameter, its kind (Gaussian or Poisson) and its width (sigma, or the Poisson scale tau).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from likelihub.errors import InvalidModelError

from .interpolation import (
    HISTOSYS_CODES,
    N_COEFFICIENTS,
    NORMSYS_CODES,
    TERM_FACTOR,
    TERM_NORMSYS_CODE4,
)
from .parameters import MODIFIER_TYPES, check_yields, collect_parameter_sets, shared_mask

__all__ = ["CompiledModel", "compile_model", "DEFAULT_INTERPOLATION_CODES"]

#: pyhf's defaults.
DEFAULT_INTERPOLATION_CODES = {"normsys": "4", "histosys": "4p"}

#: Modifier types with one parameter per bin.
PER_BIN_TYPES = ("shapefactor", "shapesys", "staterror")


@dataclass(frozen=True)
class CompiledModel:
    """A HistFactory model as dense arrays (see the module docstring for the layout)."""

    parameter_names: tuple[str, ...]
    poi_index: int | None
    init: np.ndarray
    bounds: np.ndarray
    fixed: np.ndarray
    channel_names: tuple[str, ...]
    channel_bins: tuple[int, ...]
    sample_names: tuple[str, ...]
    observed: np.ndarray
    n_main: int
    entry_bin: np.ndarray
    entry_sample: np.ndarray
    entry_nominal: np.ndarray
    term_start: np.ndarray
    term_kind: np.ndarray
    term_parameter: np.ndarray
    term_coefficients: np.ndarray
    aux_parameter: np.ndarray
    aux_is_poisson: np.ndarray
    aux_width: np.ndarray
    interpolation_codes: Mapping[str, str]

    @property
    def n_parameters(self) -> int:
        """Number of parameters."""
        return len(self.parameter_names)

    @property
    def n_aux(self) -> int:
        """Number of auxiliary data."""
        return int(self.aux_parameter.size)


def _codes(interpolation_codes: Mapping[str, str] | None) -> dict[str, str]:
    codes = dict(DEFAULT_INTERPOLATION_CODES)
    for key, value in (interpolation_codes or {}).items():
        if key not in codes:
            raise InvalidModelError(f"interpolation codes are set for 'normsys' and 'histosys', "
                                    f"not {key!r}", argument="interpolation_codes")
        codes[key] = str(value).removeprefix("code")
    if codes["normsys"] not in NORMSYS_CODES:
        raise InvalidModelError(f"normsys interpolation code must be one of {sorted(NORMSYS_CODES)}, "
                                f"got {codes['normsys']!r}", argument="interpolation_codes")
    if codes["histosys"] not in HISTOSYS_CODES:
        raise InvalidModelError(f"histosys interpolation code must be one of "
                                f"{sorted(HISTOSYS_CODES)}, got {codes['histosys']!r}",
                                argument="interpolation_codes")
    return codes


class _Layout:
    """Channels, samples and bins in pyhf's order, with every sample's validated yields."""

    def __init__(self, spec: dict, source: str | None):
        channels = spec.get("channels")
        if not channels:
            raise InvalidModelError("the specification has no channels", file=source)
        self.source = source
        self.by_channel = {}
        for channel in channels:
            samples = channel.get("samples") or []
            if not samples:
                raise InvalidModelError("channel has no samples", file=source, channel=channel.get("name"))
            if channel["name"] in self.by_channel:
                raise InvalidModelError("channel defined twice", file=source, channel=channel["name"])
            self.by_channel[channel["name"]] = {s["name"]: s for s in samples}
            if len(self.by_channel[channel["name"]]) != len(samples):
                raise InvalidModelError("two samples share a name", file=source, channel=channel["name"])
        self.channels = sorted(self.by_channel)
        self.samples = sorted({s for c in self.by_channel.values() for s in c})
        self.nbins = {c["name"]: len(c["samples"][0].get("data") or []) for c in channels}
        self.offset, start = {}, 0
        for c in self.channels:
            self.offset[c] = start
            start += self.nbins[c]
        self.n_bins = start
        # nominal[sample][global bin]; zero where the sample is not in the channel
        self.nominal = {s: np.zeros(self.n_bins) for s in self.samples}
        for c in self.channels:
            for name, sample in self.by_channel[c].items():
                where = {"file": source, "channel": c, "sample": name}
                data = check_yields(sample.get("data"), self.nbins[c], where, "sample data")
                self.nominal[name][self.bins(c)] = data
        self._modifiers = [(c, s, self._sorted_modifiers(c, s)) for c in self.channels
                           for s in self.samples if s in self.by_channel[c]]

    def bins(self, channel: str) -> slice:
        return slice(self.offset[channel], self.offset[channel] + self.nbins[channel])

    def _sorted_modifiers(self, c: str, s: str) -> list:
        """The sample's modifiers sorted by (name, type), as pyhf; checks duplicates and types."""
        modifiers = self.by_channel[c][s].get("modifiers") or []
        keys = [(m["name"], m["type"]) for m in modifiers]
        if len(set(keys)) != len(keys):
            key = next(k for k in keys if keys.count(k) > 1)
            raise InvalidModelError(f"the {key[1]} modifier appears twice on the sample",
                                    file=self.source, channel=c, sample=s, modifier=key[0])
        modifiers = sorted(modifiers, key=lambda m: (m["name"], m["type"]))
        for modifier in modifiers:
            if modifier["type"] not in MODIFIER_TYPES:
                raise InvalidModelError(f"unknown modifier type {modifier['type']!r}",
                                        file=self.source, channel=c, sample=s, modifier=modifier["name"])
        return modifiers

    def samples_in_channels(self) -> list[tuple[str, str, list]]:
        """(channel, sample name, its sorted modifiers) in pyhf's order."""
        return self._modifiers

    def walk(self):
        """(channel, sample name, sample, modifier) in pyhf's order."""
        for c, s, modifiers in self._modifiers:
            sample = self.by_channel[c][s]
            for modifier in modifiers:
                yield c, s, sample, modifier


def _term_source(modifier: dict, layout: _Layout, c: str, s: str, source) -> tuple:
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


def _gather(normsys: list, histosys: list, layout: _Layout, c: str, s: str, source):
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


def _sample_terms(layout: _Layout, c: str, s: str, modifiers: list, codes: dict, start: dict,
                  bin_parameter: dict, source) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The terms of one sample in one channel, bin after bin, modifiers sorted within each bin:
    kinds, parameter indices and coefficients, shaped (bins, modifiers[, coefficients])."""
    n_bins, bins = layout.nbins[c], layout.bins(c)
    types = [m["type"] for m in modifiers]
    kinds = np.full(len(modifiers), TERM_FACTOR, dtype=np.int64)
    parameters = np.empty((n_bins, len(modifiers)), dtype=np.int64)
    coefficients = np.zeros((n_bins, len(modifiers), N_COEFFICIENTS))
    parameters[:] = [-1 if t in PER_BIN_TYPES else start[m["name"]]
                     for t, m in zip(types, modifiers, strict=True)]
    for j, modifier_type in enumerate(types):
        if modifier_type in PER_BIN_TYPES:
            parameters[:, j] = bin_parameter[modifiers[j]["name"]][bins]
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
    return np.broadcast_to(kinds, parameters.shape), parameters, coefficients


def compile_model(spec: dict, observations: Mapping[str, list], poi: str | None,
                  interpolation_codes: Mapping[str, str] | None = None,
                  source: str | None = None) -> CompiledModel:
    """Compile a specification (``{"channels": ..., "parameters": ...}``, patches applied).

    Parameters
    ----------
    spec
        ``channels`` (pyhf JSON) and ``parameters`` (the measurement's parameter configurations).
    observations
        Observed counts by channel name.
    poi
        Name of the parameter of interest, or None.
    interpolation_codes
        ``{"normsys": "1"|"4", "histosys": "0"|"2"|"4p"}``; pyhf's defaults (4, 4p) otherwise.
    source
        File name to quote in error messages.
    """
    codes = _codes(interpolation_codes)
    layout = _Layout(spec, source)
    sets, uses = collect_parameter_sets(layout, spec.get("parameters", []), source)
    names, start = [], {}
    for paramset in sets.values():
        start[paramset.name] = len(names)
        names += paramset.parameter_names()
    init = np.concatenate([ps.inits for ps in sets.values()])
    bounds = np.concatenate([ps.bounds for ps in sets.values()]).reshape(-1, 2)
    fixed = np.concatenate([ps.fixed for ps in sets.values()]).astype(bool)

    poi_index = None
    if poi is not None:
        if poi not in sets:
            raise InvalidModelError(f"the parameter of interest {poi!r} is not a parameter of the "
                                    "model", file=source, argument="poi")
        if not sets[poi].is_scalar:
            raise InvalidModelError("the parameter of interest must be a single parameter",
                                    file=source, modifier=poi)
        poi_index = start[poi]

    # per-bin modifiers: parameter index of each masked global bin
    bin_parameter = {}
    for (mtype, name), items in uses.items():
        if mtype in ("shapefactor", "shapesys", "staterror"):
            mask = shared_mask(layout, items)
            index = np.full(layout.n_bins, -1)
            index[mask] = start[name] + np.arange(int(mask.sum()))
            bin_parameter[name] = index

    entry_bin, entry_sample, entry_nominal, term_start = [], [], [], [np.zeros(1, dtype=np.int64)]
    kinds, parameters, coefficients = [], [], []
    n_terms = 0
    for c, s, modifiers in layout.samples_in_channels():
        bins = layout.bins(c)
        entry_bin.append(np.arange(bins.start, bins.stop))
        entry_sample.append(np.full(layout.nbins[c], layout.samples.index(s)))
        entry_nominal.append(layout.nominal[s][bins])
        term_start.append(n_terms + len(modifiers) * np.arange(1, layout.nbins[c] + 1))
        n_terms += len(modifiers) * layout.nbins[c]
        sample_terms = _sample_terms(layout, c, s, modifiers, codes, start, bin_parameter, source)
        for out, array in zip((kinds, parameters, coefficients), sample_terms, strict=True):
            out.append(array.reshape(-1, *array.shape[2:]))

    observed_main = []
    for c in layout.channels:
        if c not in observations:
            raise InvalidModelError("no observed data for the channel", file=source, channel=c)
        observed_main.append(check_yields(observations[c], layout.nbins[c],
                                           {"file": source, "channel": c}, "observed data"))
    aux_parameter, aux_is_poisson, aux_width, auxdata = [], [], [], []
    for paramset in sets.values():
        if paramset.constraint is None:
            continue
        aux_parameter += range(start[paramset.name], start[paramset.name] + paramset.n_parameters)
        aux_is_poisson += [paramset.constraint == "poisson"] * paramset.n_parameters
        aux_width += paramset.widths
        auxdata += paramset.auxdata
    observed = np.concatenate(observed_main + [np.asarray(auxdata, dtype=float)])
    return CompiledModel(
        parameter_names=tuple(names), poi_index=poi_index, init=init, bounds=bounds, fixed=fixed,
        channel_names=tuple(layout.channels),
        channel_bins=tuple(layout.nbins[c] for c in layout.channels),
        sample_names=tuple(layout.samples), observed=observed, n_main=layout.n_bins,
        entry_bin=np.concatenate(entry_bin).astype(np.int64),
        entry_sample=np.concatenate(entry_sample).astype(np.int64),
        entry_nominal=np.concatenate(entry_nominal).astype(float),
        term_start=np.concatenate(term_start).astype(np.int64),
        term_kind=np.concatenate(kinds).astype(np.int64),
        term_parameter=np.concatenate(parameters).astype(np.int64),
        term_coefficients=np.concatenate(coefficients).reshape(-1, N_COEFFICIENTS).astype(float),
        aux_parameter=np.asarray(aux_parameter, dtype=np.int64),
        aux_is_poisson=np.asarray(aux_is_poisson, dtype=bool),
        aux_width=np.asarray(aux_width, dtype=float),
        interpolation_codes=codes,
    )
