"""Reading a pyhf JSON workspace for conversion: channels, samples, modifiers and the measurement.

The structure is checked as far as the conversion reads it (the ``histfactory`` backend checks the
rest against pyhf's schema); every error names the file, channel, sample and modifier.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from likelihub.errors import InvalidModelError

__all__ = ["Sample", "Channel", "read_workspace", "MODIFIER_TYPES", "PYHF_DEFAULTS"]

MODIFIER_TYPES = ("normfactor", "normsys", "histosys", "staterror", "shapesys", "shapefactor", "lumi")
#: pyhf's default initial value and bounds of each modifier type's parameters.
PYHF_DEFAULTS = {
    "normfactor": (1.0, (0.0, 10.0)),
    "shapefactor": (1.0, (0.0, 10.0)),
    "lumi": (1.0, (0.0, 10.0)),
    "normsys": (0.0, (-5.0, 5.0)),
    "histosys": (0.0, (-5.0, 5.0)),
    "staterror": (1.0, (1e-10, 10.0)),
    "shapesys": (1.0, (1e-10, 10.0)),
}


@dataclass
class Sample:
    """A sample of a channel: its nominal yields and modifiers (the workspace's dicts)."""

    name: str
    nominal: np.ndarray
    modifiers: list[dict]


@dataclass
class Channel:
    """A channel: its observed counts and samples."""

    name: str
    observed: np.ndarray
    samples: list[Sample]


def _numbers(values, n: int | None, what: str, **location) -> np.ndarray:
    try:
        array = np.asarray(values, dtype=float)
    except (TypeError, ValueError):
        raise InvalidModelError(f"{what} must be a list of numbers, got {values!r:.60}", **location) from None
    if array.ndim != 1 or (n is not None and array.size != n) or not np.all(np.isfinite(array)):
        expected = f"{n} finite numbers" if n is not None else "a list of finite numbers"
        raise InvalidModelError(f"{what} must be {expected}, got {values!r:.60}", **location)
    return array


def _field(mapping, key: str, kind, what: str, **location):
    if not isinstance(mapping, Mapping) or key not in mapping or not isinstance(mapping[key], kind):
        raise InvalidModelError(f"{what} needs {key!r} ({getattr(kind, '__name__', kind)})", **location)
    return mapping[key]


def read_workspace(
    spec: Mapping, source: str | None, measurement: str | None
) -> tuple[list[Channel], str, dict[str, dict], str]:
    """The channels, the POI, the measurement's parameter settings (by name) and its name."""
    where = {"file": source}
    observed = {}
    for entry in _field(spec, "observations", list, "a pyhf workspace", **where):
        name = _field(entry, "name", str, "an observation", **where)
        observed[name] = _numbers(
            _field(entry, "data", list, "an observation", **where),
            None,
            "the observed counts",
            channel=name,
            **where,
        )
    channels = []
    for channel in _field(spec, "channels", list, "a pyhf workspace", **where):
        name = _field(channel, "name", str, "a channel", **where)
        if name not in observed:
            raise InvalidModelError("the channel has no observation", channel=name, **where)
        n = observed[name].size
        samples = []
        for sample in _field(channel, "samples", list, "a channel", channel=name, **where):
            sample_name = _field(sample, "name", str, "a sample", channel=name, **where)
            here = {**where, "channel": name, "sample": sample_name}
            nominal = _numbers(
                _field(sample, "data", list, "a sample", **here), n, "the nominal yields", **here
            )
            modifiers = _field(sample, "modifiers", list, "a sample", **here)
            for modifier in modifiers:
                _check_modifier(modifier, n, here)
            samples.append(Sample(sample_name, nominal, modifiers))
        channels.append(Channel(name, observed[name], samples))
    measurements = _field(spec, "measurements", list, "a pyhf workspace", **where)
    chosen = measurements[0] if measurement is None and measurements else None
    for entry in measurements:
        if isinstance(entry, Mapping) and entry.get("name") == measurement:
            chosen = entry
    if chosen is None:
        names = [m.get("name") for m in measurements if isinstance(m, Mapping)]
        raise InvalidModelError(
            f"no measurement {measurement!r} (the workspace has {names})", argument="measurement", **where
        )
    config = _field(chosen, "config", Mapping, "a measurement", **where)
    poi = _field(config, "poi", str, "a measurement's config", **where)
    settings = {}
    for entry in config.get("parameters", []):
        settings[_field(entry, "name", str, "a measurement's parameter setting", **where)] = entry
    return channels, poi, settings, str(chosen.get("name"))


def _check_modifier(modifier, n: int, here: dict) -> None:
    name = _field(modifier, "name", str, "a modifier", **here)
    kind = _field(modifier, "type", str, "a modifier", **here, modifier=name)
    where = {**here, "modifier": name}
    if kind not in MODIFIER_TYPES:
        raise InvalidModelError(
            f"unknown modifier type {kind!r} (pyhf's: {', '.join(MODIFIER_TYPES)})", **where
        )
    data = modifier.get("data")
    if kind == "normsys":
        for key in ("hi", "lo"):
            value = data.get(key) if isinstance(data, Mapping) else None
            if not isinstance(value, int | float) or not math.isfinite(value) or value <= 0:
                raise InvalidModelError(f"normsys {key} must be a positive number, got {value!r}", **where)
    elif kind == "histosys":
        for key in ("hi_data", "lo_data"):
            _numbers(data.get(key) if isinstance(data, Mapping) else None, n, f"histosys {key}", **where)
    elif kind in ("staterror", "shapesys"):
        values = _numbers(data, n, f"{kind} uncertainties", **where)
        if np.any(values < 0):
            raise InvalidModelError(f"{kind} uncertainties must not be negative", **where)


def setting(settings: dict[str, dict], name: str, kind: str, component: int = 0):
    """(init, (low, high), fixed) of parameter ``name`` (component ``component``): the
    measurement's where it sets them, else pyhf's defaults for ``kind``."""
    init, bounds = PYHF_DEFAULTS[kind]
    entry = settings.get(name, {})
    if "inits" in entry and component < len(entry["inits"]):
        init = float(entry["inits"][component])
    if "bounds" in entry and component < len(entry["bounds"]):
        bounds = tuple(float(x) for x in entry["bounds"][component])
    return init, bounds, bool(entry.get("fixed", False))
