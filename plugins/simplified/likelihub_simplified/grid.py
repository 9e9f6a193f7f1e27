"""The point source ``simplified.signal_grid``: a table of signal yields, one simplified likelihood
per point, scanned by the core (``likelihub.scan``, ``likelihub scan``).

    lh.scan("grid.json")                                  # points and shared inputs in one file
    lh.scan("grid.csv", background=b, data=n, covariance=cov, backend="simplified.correlated_background")
    lh.scan("grid.json", poi="mu_VBF", what="upper_limit")  # points of several signal components
    likelihub scan grid.csv --background b.json --data n.json --covariance cov.json --what upper_limit
    likelihub scan grid.csv --likelihood CMS-SUS-20-004-eff.json --what upper_limit

The table: a JSON object ``{"points": [{"name": ..., "signal": [s_1, ..., s_N], "values": [...]}, ...],
"labels": [...], "background": [...], "data": [...], "covariance": [[...]], "third_moments": [...],
"uncertainties": [...], "backend": "simplified...."}`` (``points`` may also map names to signals;
``labels``, ``values`` and the shared inputs are optional there), or a CSV file: a header, then one
row per point, its name first and one signal yield per bin (columns named by ``label_columns``
hold label values instead). What every point shares -- background, data, covariance, third
moments, uncertainties -- comes from the JSON object or from options (which win); ``likelihood=``
(``--likelihood FILE``) reads them from a simplified likelihood's file, the layout of
``likelihub cls FILE`` (:mod:`likelihub_simplified.cli_inputs`: observed, background, covariance,
third_moment, and background_uncertainty where it has no covariance), above the JSON object's and
below the options'.

Several signal components, each with its own POI (as the factories take them): a point's
``"signal"`` is then ``{poi_name: [s_1, ..., s_N], ...}`` (two or more POIs, Python identifiers,
the same at every point; their order is the first point's), and in a CSV file every yield column
is named ``<poi>/<bin>`` (``mu_ggH/SR1, mu_ggH/SR2, mu_VBF/SR1, mu_VBF/SR2``; each POI with the
first POI's bins, in any order; see :mod:`likelihub_simplified.grid_tables`). The first POI is
tested; ``poi=`` (``--poi``) tests another (any free parameter, as
:meth:`likelihub.StatisticalModel.with_poi`), the other POIs profiled. At a point where a
component other than the tested one has no signal in any bin, its POI is held at 0: it does not
enter that point's likelihood, and a free parameter without effect would leave the fits' Hessian
singular.

Each point's model is ``get_backend(backend)(signal_yields=signal, background_yields=background,
data=data, covariance_matrix=covariance, ...)``, the shared inputs passed under the backend's
argument names: by default, the rule of ``likelihub cls FILE``,
``simplified.third_moment_expansion`` where third moments are given, else
``simplified.correlated_background`` with a covariance, else ``simplified.uncorrelated_background``
with uncertainties (inputs of ``likelihood=`` the backend takes no argument for are left out);
then, with ``poi=`` or a component held at 0, ``model.with_poi(poi, fixed=...)``.
"""

from __future__ import annotations

import hashlib
import inspect
import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import click
import numpy as np

import likelihub
from likelihub.errors import InvalidArgumentError
from likelihub.plugin import PointFamily, PointSource, ScanPoint

from .grid_tables import array_argument, grid_points, read_table

__all__ = ["SignalGridSource", "GridModels", "SHARED", "DEFAULT_BACKEND"]

#: Shared inputs: option (and JSON key) -> the simplified factories' argument name.
SHARED = {"background": "background_yields", "data": "data", "covariance": "covariance_matrix",
          "third_moments": "third_moment", "uncertainties": "absolute_uncertainties"}
DEFAULT_BACKEND = "simplified.correlated_background"
_OPTIONS = {"backend", "label_columns", "poi", "likelihood", *SHARED}


@dataclass
class GridModels:
    """The model of a point: ``get_backend(backend)(signal_yields=point.payload, **shared)``,
    testing ``poi`` (by default the first POI), components without signal held at 0."""

    backend: str
    shared: Mapping[str, Any] = field(default_factory=dict)
    poi: str | None = None

    def __call__(self, point: ScanPoint):
        signal = point.payload
        model = likelihub.get_backend(self.backend)(signal_yields=signal, **self.shared)
        if not isinstance(signal, Mapping):
            return model if self.poi is None else model.with_poi(self.poi)
        tested = next(iter(signal)) if self.poi is None else self.poi
        silent = {name: 0.0 for name, yields in signal.items()
                  if name != tested and all(value == 0 for value in yields)}
        if self.poi is None and not silent:
            return model
        return model.with_poi(tested, fixed=silent)


class SignalGridSource(PointSource):
    """A table of signal yields (JSON or CSV, or a mapping as the JSON object) and what the
    points share: ``open(table, backend=..., background=..., data=..., covariance=...,
    third_moments=..., uncertainties=..., label_columns=..., poi=...)``."""

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
        """The backend, a digest of each shared input given as an option, and the tested POI, always
        (None: the first), so that a scan resumed without ``poi`` is not taken for one with it."""
        settings = {"poi": repr(options.get("poi"))}
        for name, value in sorted(options.items()):
            if name in SHARED:
                array = np.asarray(value, dtype=float)
                settings[name] = f"{array.shape} sha256:{hashlib.sha256(array.tobytes()).hexdigest()[:16]}"
            else:
                settings[name] = repr(value)
        return settings

    def open(self, source, /, *more, backend: str | None = None, label_columns: Sequence[str] = (),
             poi: str | None = None, likelihood: str | None = None, **shared) -> PointFamily:
        """Read the table; check that every point has the first point's POIs and bins, and every
        shared input one number per bin; ``poi``: the parameter each point tests; ``likelihood``:
        a simplified likelihood's file holding the shared inputs."""
        if more:
            raise InvalidArgumentError("a signal grid is one table", argument="source")
        unknown = sorted(set(shared) - set(SHARED))
        if unknown:
            raise InvalidArgumentError(f"unknown option(s) {', '.join(unknown)} (shared inputs: "
                                       f"{', '.join(SHARED)})", argument="options")
        if poi is not None and not isinstance(poi, str):
            raise InvalidArgumentError(f"must be a parameter name, got {poi!r}", argument="poi")
        document, label = read_table(source, list(label_columns))
        inputs = {name: document[name] for name in SHARED if document.get(name) is not None}
        from_file = _likelihood_inputs(likelihood) if likelihood is not None else {}
        inputs.update(from_file)
        inputs.update({name: value for name, value in shared.items() if value is not None})
        backend = str(backend or document.get("backend") or _default_backend(inputs))
        inputs = _taken(backend, inputs, {name for name in from_file if shared.get(name) is None})
        points, bins = grid_points(document, label)
        _check_shapes(bins, inputs)
        arguments = {SHARED[name]: np.asarray(value, dtype=float).tolist() for name, value in inputs.items()}
        builder = GridModels(str(backend), arguments, poi)
        mismatch = _signature_mismatch(str(backend), arguments)
        if mismatch:  # what every point shares would fail every point: say so once
            raise InvalidArgumentError(f"{backend} cannot be built from the shared inputs "
                                       f"{', '.join(inputs) or '(none)'}: {mismatch}", argument="backend")
        try:
            builder(points[0])
        except InvalidArgumentError as error:
            if error.location.get("argument") in ("poi", "signal_yields"):  # the POIs: every point's
                raise InvalidArgumentError(f"{error.reason} (at the first point, {points[0].name!r})",
                                           argument=error.location["argument"]) from None
        except Exception:
            pass  # the point's row reports it
        return PointFamily(builder, points, labels=document.get("labels", []))

    def command_options(self) -> list:
        """--backend, the shared inputs (JSON text, or a .json or .csv file), --label-columns, --poi."""
        def shared(name: str, what: str) -> click.Option:
            return click.Option([f"--{name.replace('_', '-')}", name], default=None,
                                help=f"[simplified grid] {what}: a JSON array, or a .json or .csv file "
                                     "(default: the grid's JSON).")

        return [
            click.Option(["--backend"], default=None,
                         help="[simplified grid] The backend of each point (default, as `likelihub cls "
                              "FILE`: simplified.third_moment_expansion with third moments, else "
                              "simplified.correlated_background with a covariance, else "
                              "simplified.uncorrelated_background with uncertainties)."),
            shared("background", "Background yield per bin"),
            shared("data", "Observed count per bin"),
            shared("covariance", "Background covariance matrix"),
            shared("third_moments", "Third moment of each bin's background"),
            shared("uncertainties", "Absolute background uncertainty per bin"),
            click.Option(["--likelihood"], default=None, metavar="FILE",
                         help="[simplified grid] A simplified likelihood's JSON file (observed, background, "
                              "covariance, third_moment: the layout of `likelihub cls FILE`) holding the "
                              "shared inputs (the options above win)."),
            click.Option(["--label-columns"], default=None,
                         help="[simplified grid] Columns of a CSV grid holding label values, not "
                              "signal yields (comma-separated)."),
            click.Option(["--poi", "poi"], default=None, metavar="NAME",
                         help="[simplified grid] The parameter each point tests, e.g. the POI of another "
                              "signal component (default: the first; the other POIs are profiled)."),
        ]

    def from_command_line(self, source: str, options: dict[str, Any]) -> tuple[tuple, dict[str, Any]]:
        """Shared inputs read from JSON text or files; --label-columns split at commas."""
        options = dict(options)
        for name in SHARED:
            if options.get(name) is not None:
                options[name] = array_argument(options[name], name)
        if options.get("label_columns") is not None:
            options["label_columns"] = [c.strip() for c in options["label_columns"].split(",") if c.strip()]
        return (source,), options


def _likelihood_inputs(path) -> dict:
    """The shared inputs of the simplified likelihood's file ``path``."""
    from .cli_inputs import read_simplified_file

    if not isinstance(path, (str, os.PathLike)):
        raise InvalidArgumentError(f"must be the path of a simplified likelihood's file, got {path!r}",
                                   argument="likelihood")
    inputs = read_simplified_file(str(path))
    uncertainties = inputs.background_uncertainty
    if inputs.covariance is not None:  # as `likelihub cls FILE`: sqrt(covariance_ii) where there is one
        uncertainties = np.sqrt(np.clip(np.diag(np.asarray(inputs.covariance, dtype=float)), 0.0, None))
    found = {"background": inputs.background, "data": inputs.observed, "covariance": inputs.covariance,
             "third_moments": inputs.third_moment, "uncertainties": uncertainties}
    return {name: value for name, value in found.items() if value is not None}


def _default_backend(inputs: Mapping) -> str:
    """The rule of ``likelihub cls FILE`` (:func:`likelihub_simplified.cli_format.choose_model`):
    the third-moment expansion with third moments, else the correlated background with a
    covariance, else uncorrelated background uncertainties with uncertainties per bin."""
    if "third_moments" in inputs:
        return "simplified.third_moment_expansion"
    if "covariance" in inputs:
        return "simplified.correlated_background"
    if "uncertainties" in inputs:
        return "simplified.uncorrelated_background"
    return DEFAULT_BACKEND


def _taken(backend: str, inputs: Mapping, optional: set) -> dict:
    """``inputs`` less those of ``optional`` (read from ``--likelihood``'s file) that the factory of
    ``backend`` takes no argument for: the file's covariance is not an error of the uncorrelated model."""
    parameters = inspect.signature(likelihub.get_backend(backend)).parameters
    return {name: value for name, value in inputs.items()
            if name not in optional or SHARED[name] in parameters}


def _check_shapes(bins: int, inputs: Mapping) -> None:
    """One number per bin in every shared input (a covariance N x N), before any point is computed."""
    for name, value in inputs.items():
        expected = (bins, bins) if name == "covariance" else (bins,)
        shape = np.shape(value)
        if shape != expected:
            raise InvalidArgumentError(f"shape {shape}, expected {expected} ({bins} bins, as the "
                                       "signal yields)", argument=name)


def _signature_mismatch(backend: str, arguments: Mapping[str, Any]) -> str:
    """What the factory of ``backend`` lacks or misses among ``arguments`` (besides ``signal_yields``):
    "" where they fit its signature."""
    parameters = inspect.signature(likelihub.get_backend(backend)).parameters
    unknown = [name for name in arguments if name not in parameters]
    missing = [p.name for p in parameters.values() if p.default is inspect.Parameter.empty
               and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
               and p.name not in arguments and p.name != "signal_yields"]
    return "; ".join([*([f"it takes no {unknown}"] if unknown else []),
                      *([f"it needs {missing}"] if missing else [])])
