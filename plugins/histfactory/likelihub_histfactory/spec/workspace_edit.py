"""Editing a HistFactory workspace's specification: pruning and renaming, as pyhf's ``Workspace``.

    spec = prune_and_rename(spec, channels=["VR"], rename_samples={"ttbar": "top"}, file="ws.json")

Pruning a channel removes its observations; pruning a modifier removes its parameter settings;
renaming a channel renames its observations; renaming a modifier renames its parameter settings
and the POI. Every name must exist. Returns a new specification; the caller validates it.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence

from likelihub.errors import InvalidModelError

__all__ = ["prune_and_rename"]


def _require(kind: str, names: Iterable[str], known: Iterable[str], file: str | None) -> None:
    known = set(known)
    for name in names:
        if name not in known:
            raise InvalidModelError(f"no {kind} {name!r} in the workspace; there are "
                                    f"{sorted(known)}", file=file)


def prune_and_rename(spec: Mapping, channels: Sequence[str] = (), samples: Sequence[str] = (),
                     modifiers: Sequence[str] = (), modifier_types: Sequence[str] = (),
                     measurements: Sequence[str] = (), rename_channels: Mapping[str, str] | None = None,
                     rename_samples: Mapping[str, str] | None = None,
                     rename_modifiers: Mapping[str, str] | None = None,
                     rename_measurements: Mapping[str, str] | None = None,
                     file: str | None = None) -> dict:
    """A copy of the workspace ``spec`` without the named items, and with names replaced.

    Raises
    ------
    InvalidModelError
        For a name to prune or rename that the workspace does not have (naming ``file``).
    """
    rename_channels = rename_channels or {}
    rename_samples = rename_samples or {}
    rename_modifiers = rename_modifiers or {}
    rename_measurements = rename_measurements or {}
    all_modifiers = {(m["name"], m["type"]) for c in spec["channels"] for s in c["samples"]
                     for m in s["modifiers"]}
    _require("channel", [*channels, *rename_channels], [c["name"] for c in spec["channels"]], file)
    _require("sample", [*samples, *rename_samples],
             {s["name"] for c in spec["channels"] for s in c["samples"]}, file)
    _require("modifier", [*modifiers, *rename_modifiers], {n for n, _ in all_modifiers}, file)
    _require("modifier type", modifier_types, {t for _, t in all_modifiers}, file)
    _require("measurement", [*measurements, *rename_measurements],
             [m["name"] for m in spec["measurements"]], file)
    spec = json.loads(json.dumps(spec))
    new_channels = []
    for channel in spec["channels"]:
        if channel["name"] in channels:
            continue
        channel["name"] = rename_channels.get(channel["name"], channel["name"])
        channel["samples"] = [s for s in channel["samples"] if s["name"] not in samples]
        for sample in channel["samples"]:
            sample["name"] = rename_samples.get(sample["name"], sample["name"])
            sample["modifiers"] = [m for m in sample["modifiers"] if m["name"] not in modifiers
                                   and m["type"] not in modifier_types]
            for modifier in sample["modifiers"]:
                modifier["name"] = rename_modifiers.get(modifier["name"], modifier["name"])
        new_channels.append(channel)
    spec["channels"] = new_channels
    spec["observations"] = [dict(o, name=rename_channels.get(o["name"], o["name"]))
                            for o in spec["observations"] if o["name"] not in channels]
    new_measurements = []
    for measurement in spec["measurements"]:
        if measurement["name"] in measurements:
            continue
        measurement["name"] = rename_measurements.get(measurement["name"], measurement["name"])
        config = measurement["config"]
        config["poi"] = rename_modifiers.get(config["poi"], config["poi"])
        config["parameters"] = [dict(p, name=rename_modifiers.get(p["name"], p["name"]))
                                for p in config["parameters"] if p["name"] not in modifiers]
        new_measurements.append(measurement)
    spec["measurements"] = new_measurements
    return spec
