"""The term-by-term compiler of commit 5104d1d, frozen: the reference the vectorised compiler must equal.

``likelihub_histfactory.compile`` was rewritten to build its arrays with NumPy (one pass per sample
of a channel instead of one Python step per term); this is the previous code, verbatim apart from
its imports, kept only so that test_compile_identity.py can check that every array of the new
compiler is identical (same order, same bits) to what this one produces. No tests here.
"""


from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from likelihub.errors import InvalidModelError
from likelihub_histfactory.interpolation import (
    HISTOSYS_CODES,
    N_COEFFICIENTS,
    NORMSYS_CODES,
    TERM_FACTOR,
    term_coefficients,
)
from likelihub_histfactory.parameters import (
    MODIFIER_TYPES,
    ParameterSet,
    apply_measurement_config,
    default_parameter_set,
)

__all__ = ["compile_model"]

#: pyhf's defaults.
DEFAULT_INTERPOLATION_CODES = {"normsys": "4", "histosys": "4p"}


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


def _check_yields(values, n: int, where: dict, what: str) -> np.ndarray:
    array = np.asarray(values, dtype=float) if isinstance(values, list) else None
    if array is None or array.ndim != 1:
        raise InvalidModelError(f"{what} must be a list of numbers", **where)
    if array.size != n:
        raise InvalidModelError(f"{what} has {array.size} bins, the channel has {n}", **where)
    bad = np.flatnonzero(~np.isfinite(array) | (array < 0))
    if bad.size:
        raise InvalidModelError(f"{what} is {array[bad[0]]!r}: yields must be finite and "
                                "non-negative", bin=int(bad[0]), **where)
    return array


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
                data = _check_yields(sample.get("data"), self.nbins[c], where, "sample data")
                self.nominal[name][self.bins(c)] = data

    def bins(self, channel: str) -> slice:
        return slice(self.offset[channel], self.offset[channel] + self.nbins[channel])

    def walk(self):
        """(channel, sample name, sample, modifier) in pyhf's order; checks duplicates."""
        for c in self.channels:
            for s in self.samples:
                sample = self.by_channel[c].get(s)
                if sample is None:
                    continue
                modifiers = sample.get("modifiers") or []
                keys = [(m["name"], m["type"]) for m in modifiers]
                for key in keys:
                    if keys.count(key) > 1:
                        raise InvalidModelError(f"the {key[1]} modifier appears twice on the sample",
                                                file=self.source, channel=c, sample=s, modifier=key[0])
                for modifier in sorted(modifiers, key=lambda m: (m["name"], m["type"])):
                    if modifier["type"] not in MODIFIER_TYPES:
                        raise InvalidModelError(f"unknown modifier type {modifier['type']!r}",
                                                file=self.source, channel=c, sample=s,
                                                modifier=modifier["name"])
                    yield c, s, sample, modifier


def _staterror_widths(layout: _Layout, uses: list) -> tuple[list[float], list[bool]]:
    """pyhf's staterror widths: sqrt(sum_s delta_s^2) / sum_s nom_s over the modifier's samples."""
    samples = sorted({s for _, s, _, _ in uses})
    total = sum(layout.nominal[s] for s in samples)
    relative_sq = np.zeros(layout.n_bins)
    for c, _, _, modifier in uses:
        where = {"file": layout.source, "channel": c, "sample": _, "modifier": modifier["name"]}
        delta = np.zeros(layout.n_bins)
        delta[layout.bins(c)] = _check_yields(modifier.get("data"), layout.nbins[c], where,
                                              "staterror data")
        positive = total > 0
        relative_sq[positive] += (delta[positive] / total[positive]) ** 2
    mask = _shared_mask(layout, uses)
    widths = np.sqrt(relative_sq)[mask]
    fixed = widths == 0
    widths[fixed] = 1.0
    return widths.tolist(), fixed.tolist()


def _shared_mask(layout: _Layout, uses: list) -> np.ndarray:
    """Global bins a per-bin modifier acts on; every sample using it must use it on the same bins."""
    masks = {}
    for c, s, _, _ in uses:
        masks.setdefault(s, np.zeros(layout.n_bins, bool))[layout.bins(c)] = True
    first = next(iter(masks.values()))
    for s, mask in masks.items():
        if not np.array_equal(mask, first):
            raise InvalidModelError("the per-bin modifier acts on different channels for different "
                                    "samples", file=layout.source, sample=s, modifier=uses[0][3]["name"])
    return first


def _parameter_sets(layout: _Layout, measurement_parameters: list, source):
    uses: dict[tuple[str, str], list] = {}
    for item in layout.walk():
        modifier = item[3]
        uses.setdefault((modifier["type"], modifier["name"]), []).append(item)
    sets: dict[str, ParameterSet] = {}
    for modifier_type in MODIFIER_TYPES:
        keys = [k for k in uses if k[0] == modifier_type]
        if modifier_type == "staterror":
            keys.sort()
        for key in keys:
            name, first = key[1], uses[key][0]
            c, s, sample, modifier = first
            widths = fixed = None
            n = layout.nbins[c]
            if modifier_type == "shapesys":
                if len(uses[key]) > 1:
                    raise InvalidModelError("a shapesys modifier cannot be shared by name (pyhf "
                                            "forbids it)", file=source, channel=uses[key][1][0],
                                            sample=uses[key][1][1], modifier=name)
                where = {"file": source, "channel": c, "sample": s, "modifier": name}
                delta = _check_yields(modifier.get("data"), n, where, "shapesys data")
                nominal = layout.nominal[s][layout.bins(c)]
                valid = (nominal > 0) & (delta > 0)
                widths = np.where(valid, nominal**2 / np.where(valid, delta, 1.0) ** 2, 1.0).tolist()
                fixed = (~valid).tolist()
            elif modifier_type == "staterror":
                widths, fixed = _staterror_widths(layout, uses[key])
                n = len(widths)
            elif modifier_type == "shapefactor":
                n_masked = int(_shared_mask(layout, uses[key]).sum())
                if n_masked != n:
                    raise InvalidModelError(f"shapefactor acts on {n_masked} bins but has {n} "
                                            "parameters", file=source, modifier=name)
            new = default_parameter_set(name, modifier_type, n, widths, fixed)
            if name in sets:
                old = sets[name]
                if (old.constraint, old.n_parameters, old.is_scalar) != (
                        new.constraint, new.n_parameters, new.is_scalar):
                    raise InvalidModelError(
                        f"modifiers of types {old.modifier_type} and {modifier_type} share the name "
                        "but not the kind of parameter; use distinct names", file=source,
                        channel=c, sample=s, modifier=name)
                old.shared_types.add(modifier_type)
                continue
            sets[name] = new
    configs = {}
    for config in measurement_parameters or []:
        if config.get("name") in configs:
            raise InvalidModelError("the measurement configures this parameter twice",
                                    file=source, modifier=config.get("name"))
        configs[config.get("name")] = config
    for paramset in sets.values():
        apply_measurement_config(paramset, configs.get(paramset.name, {}), source)
    return sets, uses


def _term_source(modifier: dict, layout: _Layout, c: str, s: str, codes: dict, start: dict,
                 bin_parameter: dict, source):
    """One modifier on one sample, checked: (kind, parameter index or per-bin indices, hi, lo).

    For normsys, ``hi`` holds the term's coefficients and ``lo`` is None.
    """
    mtype, name = modifier["type"], modifier["name"]
    where = {"file": source, "channel": c, "sample": s, "modifier": name}
    if mtype in ("normfactor", "lumi"):
        return TERM_FACTOR, start[name], None, None
    if mtype in ("shapefactor", "shapesys", "staterror"):
        return TERM_FACTOR, bin_parameter[name], None, None
    data = modifier.get("data")
    if not isinstance(data, dict):
        raise InvalidModelError(f"{mtype} data must be an object", **where)
    if mtype == "normsys":
        hi, lo = data.get("hi"), data.get("lo")
        if not all(isinstance(x, int | float) and math.isfinite(x) and x > 0 for x in (hi, lo)):
            raise InvalidModelError(f"normsys factors hi and lo must be positive numbers, got "
                                    f"hi={hi!r}, lo={lo!r}", **where)
        kind = NORMSYS_CODES[codes["normsys"]]
        return kind, start[name], term_coefficients(kind, 1.0, float(hi), float(lo)), None
    hi = _check_yields(data.get("hi_data"), layout.nbins[c], where, "histosys hi_data")
    lo = _check_yields(data.get("lo_data"), layout.nbins[c], where, "histosys lo_data")
    return HISTOSYS_CODES[codes["histosys"]], start[name], hi, lo


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
    sets, uses = _parameter_sets(layout, spec.get("parameters", []), source)
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
            mask = _shared_mask(layout, items)
            index = np.full(layout.n_bins, -1)
            index[mask] = start[name] + np.arange(int(mask.sum()))
            bin_parameter[name] = index

    entries: dict[tuple[str, str], list] = {}
    for c, s, _, modifier in layout.walk():
        entries.setdefault((c, s), []).append(_term_source(modifier, layout, c, s, codes, start,
                                                           bin_parameter, source))
    entry_bin, entry_sample, entry_nominal, term_start = [], [], [], [0]
    kinds, parameters, coefficients = [], [], []
    for c in layout.channels:
        for s in layout.samples:
            if s not in layout.by_channel[c]:
                continue
            for b in range(layout.offset[c], layout.offset[c] + layout.nbins[c]):
                nominal = layout.nominal[s][b]
                entry_bin.append(b)
                entry_sample.append(layout.samples.index(s))
                entry_nominal.append(nominal)
                for kind, parameter, hi, lo in entries.get((c, s), []):
                    i = b - layout.offset[c]
                    kinds.append(kind)
                    parameters.append(int(parameter[b]) if isinstance(parameter, np.ndarray) else parameter)
                    if kind == TERM_FACTOR:
                        coefficients.append(np.zeros(N_COEFFICIENTS))
                    elif lo is None:  # normsys: the same factor in every bin
                        coefficients.append(hi)
                    else:
                        coefficients.append(term_coefficients(kind, nominal, hi[i], lo[i]))
                term_start.append(len(kinds))

    observed_main = []
    for c in layout.channels:
        if c not in observations:
            raise InvalidModelError("no observed data for the channel", file=source, channel=c)
        observed_main.append(_check_yields(observations[c], layout.nbins[c],
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
        entry_bin=np.asarray(entry_bin, dtype=np.int64),
        entry_sample=np.asarray(entry_sample, dtype=np.int64),
        entry_nominal=np.asarray(entry_nominal, dtype=float),
        term_start=np.asarray(term_start, dtype=np.int64),
        term_kind=np.asarray(kinds, dtype=np.int64),
        term_parameter=np.asarray(parameters, dtype=np.int64),
        term_coefficients=np.asarray(coefficients, dtype=float).reshape(-1, N_COEFFICIENTS),
        aux_parameter=np.asarray(aux_parameter, dtype=np.int64),
        aux_is_poisson=np.asarray(aux_is_poisson, dtype=bool),
        aux_width=np.asarray(aux_width, dtype=float),
        interpolation_codes=codes,
    )
