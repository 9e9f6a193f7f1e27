"""Compile a HistFactory specification into the dense arrays the likelihood kernels read.

The expected yield of sample ``s`` in bin ``b`` (an *entry*) is

    rate_sb = (nominal_sb + sum_histosys shift_sb(alpha)) * prod_factors f_sb(theta)

and the expected count of bin ``b`` is the sum of its entries' rates. Each entry owns a run of
*terms* (CSR layout: ``term_start[e]:term_start[e+1]``); a term is one modifier acting on one
entry: its kind (:mod:`likelihub_histfactory.interpolation`), the index of its parameter, and its
coefficients (what each modifier type compiles to: :mod:`likelihub_histfactory.modifiers`).
Auxiliary data follow the main data in the order of the constrained parameters, each with its
parameter, its kind (Gaussian or Poisson) and its width (sigma, or the Poisson scale tau).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from likelihub.errors import InvalidModelError

from ..interpolation import N_COEFFICIENTS
from ..modifiers import DEFAULT_INTERPOLATION_CODES, INTERPOLATED, MODIFIERS
from ..modifiers.base import check_yields
from .parameters import collect_parameter_sets
from .sample_terms import SampleCache, place_parameters, sample_terms

__all__ = ["CompiledModel", "Layout", "compile_model", "DEFAULT_INTERPOLATION_CODES"]

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
    """The interpolation code of each interpolated modifier type: pyhf's defaults, overridden."""
    codes = dict(DEFAULT_INTERPOLATION_CODES)
    for key, value in (interpolation_codes or {}).items():
        if key not in codes:
            raise InvalidModelError(f"interpolation codes are set for {' and '.join(map(repr, codes))}, "
                                    f"not {key!r}", argument="interpolation_codes")
        codes[key] = str(value).removeprefix("code")
    for name, module in INTERPOLATED.items():
        if codes[name] not in module.INTERPOLATION_CODES:
            raise InvalidModelError(f"{name} interpolation code must be one of "
                                    f"{sorted(module.INTERPOLATION_CODES)}, got {codes[name]!r}",
                                    argument="interpolation_codes")
    return codes


class Layout:
    """Channels, samples and bins in pyhf's order, with every sample's validated yields."""

    def __init__(self, spec: dict, source: str | None, cache: SampleCache | None = None):
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
        self._modifiers = []
        for c in self.channels:
            for name in self.samples:
                sample = self.by_channel[c].get(name)
                if sample is None:
                    continue
                data, modifiers = self._checked(sample, c, name, cache)
                self.nominal[name][self.bins(c)] = data
                self._modifiers.append((c, name, modifiers))

    def _checked(self, sample: dict, c: str, s: str, cache: SampleCache | None) -> tuple:
        """The sample's nominal yields and its sorted modifiers, checked (cached)."""
        def compute():
            where = {"file": self.source, "channel": c, "sample": s}
            return (check_yields(sample.get("data"), self.nbins[c], where, "sample data"),
                    self._sorted_modifiers(c, s))
        if cache is None:
            return compute()
        return cache.get("layout", sample, (c, self.nbins[c]), compute)

    def bins(self, channel: str) -> slice:
        return slice(self.offset[channel], self.offset[channel] + self.nbins[channel])

    def locate(self, global_bin: int) -> tuple[str, int]:
        """(channel, bin within the channel) of a global bin."""
        channel = next(c for c in reversed(self.channels) if self.offset[c] <= global_bin)
        return channel, int(global_bin - self.offset[channel])

    def check_totals(self) -> None:
        """Each bin's total nominal yield must be finite (each yield is: their sum may overflow)."""
        with np.errstate(over="ignore"):
            total = sum(self.nominal.values())
        bad = np.flatnonzero(~np.isfinite(total))
        if bad.size:
            channel, local = self.locate(int(bad[0]))
            largest = max(self.samples, key=lambda s: self.nominal[s][bad[0]])
            value = float(self.nominal[largest][bad[0]])
            raise InvalidModelError("the samples' nominal yields add up to more than the largest "
                                    f"floating-point number ({value!r} in this sample)", file=self.source,
                                    channel=channel, sample=largest, bin=local)

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
            if modifier["type"] not in MODIFIERS:
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


def compile_model(spec: dict, observations: Mapping[str, list], poi: str | None,
                  interpolation_codes: Mapping[str, str] | None = None,
                  source: str | None = None, cache: SampleCache | None = None) -> CompiledModel:
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
    cache
        Keeps each sample's terms for the next model built from the same samples (a scan).
    """
    codes = _codes(interpolation_codes)
    layout = Layout(spec, source, cache)
    layout.check_totals()
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
        if MODIFIERS[mtype].PER_BIN:
            bin_parameter[name] = MODIFIERS[mtype].bin_parameters(layout, items, start[name])

    entry_bin, entry_sample, entry_nominal, term_start = [], [], [], [np.zeros(1, dtype=np.int64)]
    codes_key = tuple(sorted(codes.items()))
    kinds, parameters, coefficients = [], [], []
    n_terms = 0
    for c, s, modifiers in layout.samples_in_channels():
        bins = layout.bins(c)
        entry_bin.append(np.arange(bins.start, bins.stop))
        entry_sample.append(np.full(layout.nbins[c], layout.samples.index(s)))
        entry_nominal.append(layout.nominal[s][bins])
        term_start.append(n_terms + len(modifiers) * np.arange(1, layout.nbins[c] + 1))
        n_terms += len(modifiers) * layout.nbins[c]
        sample = layout.by_channel[c][s]
        key = (c, layout.nbins[c], codes_key)
        terms = (sample_terms(layout, c, s, modifiers, codes, source) if cache is None else
                 cache.get("terms", sample, key, sample_terms, layout, c, s, modifiers, codes, source))
        placed = place_parameters(terms, start, bin_parameter, bins)
        kinds.append(np.broadcast_to(terms.kinds, placed.shape).reshape(-1))
        parameters.append(placed.reshape(-1))
        coefficients.append(terms.coefficients.reshape(-1, N_COEFFICIENTS))

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
    if cache is not None:
        cache.sweep()
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
