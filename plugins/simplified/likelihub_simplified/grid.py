"""The point source ``simplified.signal_grid``: a table of signal yields, one simplified likelihood
per point, scanned by the core (``likelihub.scan``, ``likelihub scan``).

    lh.scan("grid.json")                                  # points and shared inputs in one file
    lh.scan("grid.csv", background=b, data=n, covariance=cov, backend="simplified.correlated_background")
    likelihub scan grid.csv --background b.json --data n.json --covariance cov.json --what upper_limit

The table: a JSON object ``{"points": [{"name": ..., "signal": [s_1, ..., s_N], "values": [...]}, ...],
"labels": [...], "background": [...], "data": [...], "covariance": [[...]], "third_moments": [...],
"uncertainties": [...], "backend": "simplified...."}`` (``points`` may also map names to signal
lists; ``labels``, ``values`` and the shared inputs are optional there), or a CSV file: a header,
then one row per point, its name first and one signal yield per bin (columns named by
``label_columns`` hold label values instead). What every point shares -- background, data,
covariance, third moments, uncertainties -- comes from the JSON object or from options (which win).

Each point's model is ``get_backend(backend)(signal_yields=signal, background_yields=background,
data=data, covariance_matrix=covariance, ...)``, the shared inputs passed under the backend's
argument names: by default ``simplified.correlated_background``, or
``simplified.third_moment_expansion`` where third moments are given.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import click
import numpy as np

import likelihub
from likelihub.errors import InvalidArgumentError, InvalidModelError
from likelihub.plugin import PointFamily, PointSource, ScanPoint

__all__ = ["SignalGridSource", "GridModels", "SHARED", "DEFAULT_BACKEND"]

#: Shared inputs: option (and JSON key) -> the simplified factories' argument name.
SHARED = {"background": "background_yields", "data": "data", "covariance": "covariance_matrix",
          "third_moments": "third_moment", "uncertainties": "absolute_uncertainties"}
DEFAULT_BACKEND = "simplified.correlated_background"
_OPTIONS = {"backend", "label_columns", *SHARED}


@dataclass
class GridModels:
    """The model of a point: ``get_backend(backend)(signal_yields=point.payload, **shared)``."""

    backend: str
    shared: Mapping[str, Any] = field(default_factory=dict)

    def __call__(self, point: ScanPoint):
        return likelihub.get_backend(self.backend)(signal_yields=point.payload, **self.shared)


class SignalGridSource(PointSource):
    """A table of signal yields (JSON or CSV, or a mapping as the JSON object) and what the
    points share: ``open(table, backend=..., background=..., data=..., covariance=...,
    third_moments=..., uncertainties=..., label_columns=...)``."""

    def recognises(self, source, /, *more, **options) -> bool:
        """A mapping with ``points``, a ``.csv`` file, or a ``.json`` file holding ``points``."""
        if more or set(options) - _OPTIONS:
            return False
        if isinstance(source, Mapping):
            return "points" in source
        if not isinstance(source, (str, os.PathLike)):
            return False
        suffix = Path(source).suffix.lower()
        if suffix == ".csv":
            return True
        if suffix != ".json" or not os.path.isfile(source):
            return False
        try:
            document = json.loads(Path(source).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return False
        return isinstance(document, dict) and "points" in document

    def settings(self, options: Mapping[str, Any]) -> dict[str, str]:
        """The backend and a digest of each shared input given as an option."""
        settings = {}
        for name, value in sorted(options.items()):
            if name in SHARED:
                array = np.asarray(value, dtype=float)
                settings[name] = f"{array.shape} sha256:{hashlib.sha256(array.tobytes()).hexdigest()[:16]}"
            else:
                settings[name] = repr(value)
        return settings

    def open(self, source, /, *more, backend: str | None = None, label_columns: Sequence[str] = (),
             **shared) -> PointFamily:
        """Read the table; check that every point and shared input has one number per bin."""
        if more:
            raise InvalidArgumentError("a signal grid is one table", argument="source")
        unknown = sorted(set(shared) - set(SHARED))
        if unknown:
            raise InvalidArgumentError(f"unknown option(s) {', '.join(unknown)} (shared inputs: "
                                       f"{', '.join(SHARED)})", argument="options")
        document, label = _read_table(source, list(label_columns))
        inputs = {name: document[name] for name in SHARED if document.get(name) is not None}
        inputs.update({name: value for name, value in shared.items() if value is not None})
        backend = backend or document.get("backend") or (
            "simplified.third_moment_expansion" if "third_moments" in inputs else DEFAULT_BACKEND)
        points = _points(document, label)
        _check_shapes(points, inputs, label)
        arguments = {SHARED[name]: np.asarray(value, dtype=float).tolist() for name, value in inputs.items()}
        builder = GridModels(str(backend), arguments)
        try:  # inputs the backend does not take (or lacks) would fail every point: say so once
            builder(points[0])
        except TypeError as error:
            raise InvalidArgumentError(f"{backend} cannot be built from the shared inputs "
                                       f"{', '.join(inputs) or '(none)'}: {error}",
                                       argument="backend") from None
        except Exception:
            pass  # the point's row reports it
        return PointFamily(builder, points, labels=document.get("labels", []))

    def command_options(self) -> list:
        """--backend, the shared inputs (JSON text, or a .json or .csv file), --label-columns."""
        def shared(name: str, what: str) -> click.Option:
            return click.Option([f"--{name.replace('_', '-')}", name], default=None,
                                help=f"[simplified grid] {what}: a JSON array, or a .json or .csv file "
                                     "(default: the grid's JSON).")

        return [
            click.Option(["--backend"], default=None,
                         help=f"[simplified grid] The backend of each point (default: {DEFAULT_BACKEND}, "
                              "or simplified.third_moment_expansion with third moments)."),
            shared("background", "Background yield per bin"),
            shared("data", "Observed count per bin"),
            shared("covariance", "Background covariance matrix"),
            shared("third_moments", "Third moment of each bin's background"),
            shared("uncertainties", "Absolute background uncertainty per bin"),
            click.Option(["--label-columns"], default=None,
                         help="[simplified grid] Columns of a CSV grid holding label values, not "
                              "signal yields (comma-separated)."),
        ]

    def from_command_line(self, source: str, options: dict[str, Any]) -> tuple[tuple, dict[str, Any]]:
        """Shared inputs read from JSON text or files; --label-columns split at commas."""
        options = dict(options)
        for name in SHARED:
            if options.get(name) is not None:
                options[name] = _array_argument(options[name], name)
        if options.get("label_columns") is not None:
            options["label_columns"] = [c.strip() for c in options["label_columns"].split(",") if c.strip()]
        return (source,), options


def _read_table(source, label_columns: list[str]) -> tuple[dict, str]:
    """The grid as a JSON-like document, and the label errors name."""
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
        return _csv_document(text, label_columns, label), label
    try:
        document = json.loads(text)
    except ValueError as error:
        raise InvalidModelError(f"is not JSON ({error})", file=label) from None
    if not isinstance(document, dict) or "points" not in document:
        raise InvalidModelError('a signal grid is a JSON object with "points"', file=label)
    return document, label


def _csv_document(text: str, label_columns: list[str], label: str) -> dict:
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
    points = []
    for number, row in enumerate(rows[1:], start=2):
        if len(row) != len(header):
            raise InvalidModelError(f"line {number} has {len(row)} cells, the header {len(header)}",
                                    file=label)
        try:
            points.append({"name": row[0].strip(), "values": [float(row[i]) for i in labels],
                           "signal": [float(row[i]) for i in yields]})
        except ValueError as error:
            raise InvalidModelError(f"line {number}: {error}", file=label) from None
    return {"points": points, "labels": list(label_columns)}


def _points(document: Mapping, label: str) -> list[ScanPoint]:
    entries = document["points"]
    if isinstance(entries, Mapping):
        entries = [{"name": name, "signal": signal} for name, signal in entries.items()]
    if not isinstance(entries, list) or not entries:
        raise InvalidModelError('"points" must be a non-empty list (or mapping) of points', file=label)
    points, names = [], set()
    for entry in entries:
        if not isinstance(entry, Mapping) or "name" not in entry or "signal" not in entry:
            raise InvalidModelError('each point needs a "name" and a "signal" (one yield per bin)',
                                    file=label)
        name = str(entry["name"])
        if name in names:
            raise InvalidModelError(f"two points are called {name!r}", file=label)
        names.add(name)
        signal = np.asarray(entry["signal"], dtype=float)
        points.append(ScanPoint(name, tuple(entry.get("values", ())), payload=signal.tolist()))
    return points


def _check_shapes(points: list[ScanPoint], inputs: Mapping, label: str) -> None:
    """One number per bin everywhere (a covariance N x N), before any point is computed."""
    bins = len(points[0].payload)
    for point in points:
        if np.ndim(point.payload) != 1 or len(point.payload) != bins:
            raise InvalidModelError(f"point {point.name!r} has {np.size(point.payload)} signal yields, "
                                    f"the first point {bins}", file=label)
    for name, value in inputs.items():
        expected = (bins, bins) if name == "covariance" else (bins,)
        shape = np.shape(value)
        if shape != expected:
            raise InvalidArgumentError(f"shape {shape}, expected {expected} ({bins} bins, as the "
                                       "signal yields)", argument=name)


def _array_argument(value: str, name: str):
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
