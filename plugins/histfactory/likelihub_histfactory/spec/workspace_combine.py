"""Combining two HistFactory workspaces, with pyhf's join modes (pyhf 0.7.6 ``Workspace.combine``).

    spec = combine_specs(left_spec, right_spec, join="outer", merge_channels=False)

``"none"``: no channel, observation or measurement name may be common; ``"outer"``: common items
must be identical, and measurements of the same name (same POI) merge their parameter settings;
``"left outer"`` / ``"right outer"``: for a common name, the left (right) workspace's item wins.
The result is a plain specification; :class:`~.workspace.Workspace` validates it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping

from likelihub.errors import InvalidModelError

__all__ = ["JOINS", "combine_specs"]

#: Ways :func:`combine_specs` joins channels, observations and measurements (as pyhf).
JOINS = ("none", "outer", "left outer", "right outer")


def _copy(spec):
    return json.loads(json.dumps(spec))


def _join_items(join: str, left: list, right: list, merge_key: str | None = None) -> list:
    """Join lists of named items: the primary side's items, then the other side's as ``join`` says."""
    primary, secondary = (right, left) if join == "right outer" else (left, right)
    joined = _copy(primary)
    names = [item["name"] for item in joined]
    for item in secondary:
        if item["name"] in names and merge_key is not None:
            target = joined[names.index(item["name"])]
            target[merge_key] = _join_items("left outer", target[merge_key], item[merge_key])
        elif (join == "none" or (join == "outer" and item not in primary)
              or (join in ("left outer", "right outer") and item["name"] not in names)):
            joined.append(_copy(item))
    return joined


def _join_named(kind: str, join: str, left: list, right: list, merge_key: str | None = None) -> list:
    joined = _join_items(join, left, right, merge_key)
    if join == "none":
        common = sorted({i["name"] for i in left} & {i["name"] for i in right})
        if common:
            raise InvalidModelError(f"both workspaces have {kind} {common}; choose a join other than "
                                    f"'none' ({', '.join(JOINS)})")
    elif join == "outer":
        names = [i["name"] for i in joined]
        clashing = sorted({n for n in names if names.count(n) > 1})
        if clashing:
            raise InvalidModelError(f"{kind} {clashing} differ between the workspaces; an outer "
                                    "join needs them identical (or use 'left outer'/'right outer')")
    return joined


def _join_measurements(join: str, left: list, right: list) -> list:
    joined = _join_named("measurements", join, left, right) if join != "outer" else (
        _join_items(join, left, right))
    if join != "outer":
        return joined
    grouped: dict[str, list] = {}
    for measurement in joined:
        grouped.setdefault(measurement["name"], []).append(measurement)
    merged = []
    for name, group in grouped.items():
        pois = sorted({m["config"]["poi"] for m in group})
        if len(pois) > 1:
            raise InvalidModelError(f"measurement {name!r} has different POIs {pois} in the two "
                                    "workspaces")
        if len(group) == 1:
            merged.append(group[0])
            continue
        parameters = _join_items("outer", *(m["config"]["parameters"] for m in group))
        names = [p["name"] for p in parameters]
        clashing = sorted({n for n in names if names.count(n) > 1})
        if clashing:
            raise InvalidModelError(f"measurement {name!r} sets parameters {clashing} differently "
                                    "in the two workspaces")
        merged.append({"name": name, "config": {"poi": pois[0], "parameters": parameters}})
    return merged


def combine_specs(left: Mapping, right: Mapping, join: str, merge_channels: bool) -> dict:
    """The specification of two workspaces combined (see :meth:`.workspace.Workspace.combine`).

    Raises
    ------
    ValueError
        For an unknown ``join``, or ``merge_channels`` without an outer join.
    InvalidModelError
        For workspaces of different versions, common names a join does not allow, measurements
        of the same name with different POIs or conflicting parameter settings.
    """
    if join not in JOINS:
        raise ValueError(f"join must be one of {JOINS}, got {join!r}")
    if merge_channels and join == "none":
        raise ValueError("merge_channels needs an outer join ('outer', 'left outer', 'right outer')")
    if left["version"] != right["version"]:
        raise InvalidModelError(f"workspaces of versions {left['version']} and {right['version']} "
                                "cannot be combined")
    return {
        "channels": _join_named("channels", join, left["channels"], right["channels"],
                                "samples" if merge_channels else None),
        "measurements": _join_measurements(join, left["measurements"], right["measurements"]),
        "observations": _join_named("observations", join, left["observations"],
                                    right["observations"]),
        "version": left["version"],
    }
