"""Reading the tables of the point source ``simplified.signal_grid`` (:mod:`likelihub_simplified.grid`):
a JSON object or a CSV file, as one JSON-like document, and its points.

A point's signal is one list of yields (one component, POI ``mu``) or a mapping ``{poi_name: yields}``
of two or more components, the same POI names at every point (:func:`grid_points`). In a CSV file,
the header says which: plain yield columns are one component; columns ``<poi>/<bin>`` (e.g.
``mu_ggH/SR1``) are one component per distinct ``<poi>`` (:func:`csv_components`).
"""

from __future__ import annotations

import csv
import json
import os
from collections.abc import Mapping
from pathlib import Path

import numpy as np

from likelihub.errors import InvalidArgumentError, InvalidModelError
from likelihub.plugin import ScanPoint

__all__ = ["read_table", "csv_document", "csv_components", "grid_points", "array_argument", "SEPARATOR"]

#: Separates the POI from the bin in a CSV header cell of several signal components: ``mu_a/SR1``.
SEPARATOR = "/"


def read_table(source, label_columns: list[str]) -> tuple[dict, str]:
    """The grid as a JSON-like document, and the label errors name (the file, or "the grid")."""
    if isinstance(source, Mapping):
        return dict(source), "the grid"
    if not isinstance(source, (str, os.PathLike)):
        raise InvalidArgumentError(f"a grid is a mapping or a .json or .csv file, not "
                                   f"{type(source).__name__}", argument="source")
    path, label = Path(source), str(source)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise InvalidModelError(f"cannot be read ({type(error).__name__}: {error})", file=label) from None
    if path.suffix.lower() == ".csv":
        return csv_document(text, label_columns, label), label
    try:
        document = json.loads(text)
    except ValueError as error:
        raise InvalidModelError(f"is not JSON ({error})", file=label) from None
    if not isinstance(document, dict) or "points" not in document:
        raise InvalidModelError('a signal grid is a JSON object with "points"', file=label)
    return document, label


def csv_document(text: str, label_columns: list[str], label: str) -> dict:
    """A CSV grid as the JSON document: the point's name first, then label columns (named by
    ``label_columns``) and yield columns in any order."""
    rows = [row for row in csv.reader(text.splitlines()) if row and any(cell.strip() for cell in row)]
    if len(rows) < 2:
        raise InvalidModelError("a CSV grid needs a header and one row per point", file=label)
    header = [cell.strip() for cell in rows[0]]
    missing = [c for c in label_columns if c not in header[1:]]
    if missing:
        raise InvalidArgumentError(f"no column {', '.join(map(repr, missing))} in {label}",
                                   argument="label_columns")
    labels = [header.index(c) for c in label_columns]
    yields = [i for i in range(1, len(header)) if i not in labels]
    components = csv_components(header, yields, label)
    points = []
    for number, row in enumerate(rows[1:], start=2):
        if len(row) != len(header):
            raise InvalidModelError(f"line {number} has {len(row)} cells, the header {len(header)}",
                                    file=label)
        try:
            signal = ([float(row[i]) for i in yields] if components is None else
                      {poi: [float(row[i]) for i in columns] for poi, columns in components.items()})
            points.append({"name": row[0].strip(), "values": [float(row[i]) for i in labels],
                           "signal": signal})
        except ValueError as error:
            raise InvalidModelError(f"line {number}: {error}", file=label) from None
    return {"points": points, "labels": list(label_columns)}


def csv_components(header: list[str], columns: list[int], label: str) -> dict[str, list[int]] | None:
    """The columns of each signal component, ``{poi: [column index per bin]}``, or None for one
    component (no yield column's header holds a ``/``).

    Every yield column is then ``<poi>/<bin>``: the POI a Python identifier, the bin not empty (it
    may hold further ``/``: the POI ends at the first). Two or more POIs, each with the bins of the
    first, in any order (the first's order is the bins' order); anything else is an error naming
    the column.
    """
    marked = [i for i in columns if SEPARATOR in header[i]]
    if not marked:
        return None
    plain = [header[i] for i in columns if SEPARATOR not in header[i]]
    if plain:
        raise InvalidModelError(
            f"column {plain[0]!r} has no '<poi>/' prefix but column {header[marked[0]]!r} has one: "
            "either every yield column is '<poi>/<bin>' (several signal components) or none holds a "
            "'/' (one component); name label columns with label_columns", file=label)
    by_poi: dict[str, dict[str, int]] = {}
    for i in columns:
        poi, _, bin_label = (part.strip() for part in header[i].partition(SEPARATOR))
        if not poi.isidentifier() or not bin_label:
            raise InvalidModelError(f"column {header[i]!r}: a signal component's column is named "
                                    "'<poi>/<bin>', the POI a Python identifier and the bin not empty",
                                    file=label)
        if bin_label in by_poi.setdefault(poi, {}):
            raise InvalidModelError(f"column {header[i]!r} appears twice", file=label)
        by_poi[poi][bin_label] = i
    if len(by_poi) < 2:
        raise InvalidModelError(
            f"every yield column is of the one component {next(iter(by_poi))!r}: several signal components "
            "need two or more POIs; one component's columns hold no '/' (its POI is 'mu')", file=label)
    (first, reference), *others = by_poi.items()
    for poi, columns_of in others:
        extra = [b for b in columns_of if b not in reference]
        if extra:
            raise InvalidModelError(f"column {poi + SEPARATOR + extra[0]!r}: component {first!r} has no bin "
                                    f"{extra[0]!r} (its bins: {', '.join(reference)})", file=label)
        absent = [b for b in reference if b not in columns_of]
        if absent:
            raise InvalidModelError(f"no column {poi + SEPARATOR + absent[0]!r}: component {poi!r} lacks "
                                    f"the bin {absent[0]!r} of component {first!r}", file=label)
    return {poi: [columns_of[b] for b in reference] for poi, columns_of in by_poi.items()}


def grid_points(document: Mapping, label: str) -> tuple[list[ScanPoint], int]:
    """The points (each payload a list of yields, or ``{poi: yields}`` in the first point's POI
    order) and the number of bins; every point has the first point's components and bins."""
    entries = document["points"]
    if isinstance(entries, Mapping):
        entries = [{"name": name, "signal": signal} for name, signal in entries.items()]
    if not isinstance(entries, list) or not entries:
        raise InvalidModelError('"points" must be a non-empty list (or mapping) of points', file=label)
    points, names, first = [], set(), None
    for entry in entries:
        if not isinstance(entry, Mapping) or "name" not in entry or "signal" not in entry:
            raise InvalidModelError('each point needs a "name" and a "signal" (one yield per bin, or '
                                    '{poi: yields} of several components)', file=label)
        name = str(entry["name"])
        if name in names:
            raise InvalidModelError(f"two points are called {name!r}", file=label)
        names.add(name)
        signal = _signal(entry["signal"], name, label)
        first = first or (name, signal)
        points.append(ScanPoint(name, tuple(entry.get("values", ())),
                                payload=_like_first(signal, name, first, label)))
    return points, _bins(first[1])


def _signal(signal, point: str, label: str) -> list | dict:
    """One point's signal: a list of floats, or {poi: list of floats} of two or more components."""
    where = {"file": label, "argument": "signal"}
    if isinstance(signal, Mapping):
        bad = [poi for poi in signal if not isinstance(poi, str) or not poi.isidentifier()]
        if bad:
            raise InvalidModelError(f"point {point!r}: the POI names of signal components must be Python "
                                    f"identifiers, got {bad[0]!r}", **where)
        if len(signal) < 2:
            raise InvalidModelError(f"point {point!r}: a mapping of signal components needs two or more "
                                    "{poi: yields} entries; give one component as a list (its POI is 'mu')",
                                    **where)
    components = signal.items() if isinstance(signal, Mapping) else [(None, signal)]
    out = {}
    for poi, values in components:
        what = "signal" if poi is None else f"signal[{poi!r}]"
        try:
            array = np.asarray(values, dtype=float)
        except (TypeError, ValueError):
            array = None
        if array is None or array.ndim != 1 or array.size == 0:
            raise InvalidModelError(f"point {point!r}: {what} must be a list of numbers, one per bin",
                                    **where)
        out[poi] = array.tolist()
    return out[None] if None in out else out


def _pois(signal) -> tuple[str, ...]:
    """The POI names of a point's signal; () for one list."""
    return tuple(signal) if isinstance(signal, dict) else ()


def _bins(signal) -> int:
    """The number of bins of a point's signal (of its first component)."""
    return len(next(iter(signal.values())) if isinstance(signal, dict) else signal)


def _like_first(signal, point: str, first: tuple, label: str) -> list | dict:
    """``signal`` checked against the first point's (POI names and bins), its POIs in that order."""
    first_name, first_signal = first
    pois, mine = _pois(first_signal), _pois(signal)
    if set(mine) != set(pois):
        def describe(names):
            return f"signal components {list(names)}" if names else "one signal list"

        raise InvalidModelError(f"point {point!r} has {describe(mine)}, the first point {first_name!r} "
                                f"{describe(pois)}: every point has the same POIs", file=label,
                                argument="signal")
    components = {poi: signal[poi] for poi in pois} if pois else {None: signal}
    for poi, values in components.items():
        if len(values) != _bins(first_signal):
            what = "signal yields" if poi is None else f"yields of {poi!r}"
            raise InvalidModelError(f"point {point!r} has {len(values)} {what}, the first point "
                                    f"{first_name!r} {_bins(first_signal)}", file=label, argument="signal")
    return components[None] if None in components else components


def array_argument(value: str, name: str):
    """A command line's array: JSON text, or a .json or .csv file of numbers."""
    text = value.strip()
    try:
        if text.startswith("["):
            return json.loads(text)
        if not text.lower().endswith(".csv"):
            return json.loads(Path(text).read_text(encoding="utf-8"))
        rows = [[float(cell) for cell in row] for row in csv.reader(Path(text).read_text().splitlines())
                if row]
        if len(rows) == 1:  # one line: a vector
            return rows[0]
        return [row[0] for row in rows] if all(len(row) == 1 for row in rows) else rows
    except (OSError, ValueError) as error:
        raise InvalidArgumentError(f"{value!r} is neither a JSON array nor a readable .json or .csv file "
                                   f"of numbers ({type(error).__name__})", argument=name) from None
