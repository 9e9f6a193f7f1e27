"""An HS3 document read and indexed: its top-level components by name, references checked.

    doc = Document.load("workspace.json")
    doc.distribution("model_SR")            # the struct, or an error naming the file
    choice = doc.choose(analysis=None, likelihood=None)

HS3 v0.2 (github.com/hep-statistics-serialization-standard) has the top-level components
``distributions``, ``functions``, ``data``, ``likelihoods``, ``domains``, ``parameter_points``,
``analyses``, ``metadata`` and ``misc``, each an array of structs with a unique ``name`` (but
``metadata`` and ``misc``). Analyses name their domains as ``domain`` (the standard) or
``domains`` (ROOT, pyhs3); both are read.

Which likelihood a model is built from (:meth:`Document.choose`): the analysis or likelihood
named, else the only analysis (likelihood), else the one whose name contains ``obsData`` (ROOT
writes one analysis on the observed data, ``..._obsData``, and one on Asimov data); otherwise
the caller must name one.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from likelihub.errors import InvalidArgumentError, InvalidModelError

__all__ = ["Document", "Choice", "COMPONENTS"]

#: The top-level components that are arrays of named structs.
COMPONENTS = ("distributions", "functions", "data", "likelihoods", "domains", "parameter_points",
              "analyses")


def _read(source) -> tuple[dict, str | None]:
    """The JSON object of ``source`` (a mapping, or the path of a JSON file) and its file name."""
    if isinstance(source, Mapping):
        return dict(source), None
    if not isinstance(source, (str, os.PathLike)):
        raise InvalidArgumentError(f"must be an HS3 document (a dict) or the path of a JSON file, got "
                                   f"{type(source).__name__}", argument="source")
    path = Path(source)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise InvalidModelError(f"cannot read the file: {error.strerror or error}", file=str(path)) from None
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        raise InvalidModelError(f"not JSON: {error.msg} at line {error.lineno}, column {error.colno}",
                                file=str(path)) from None
    if not isinstance(document, dict):
        raise InvalidModelError(f"an HS3 document is a JSON object, got a {type(document).__name__}",
                                file=str(path))
    return document, str(path)


@dataclass(frozen=True)
class Choice:
    """The likelihood a model is built from, with what its analysis says.

    Attributes
    ----------
    name
        The analysis's name, else the likelihood's.
    likelihood
        The likelihood struct (``distributions``, ``data``, optional ``aux_distributions``).
    pois
        The analysis's parameters of interest (may be empty).
    domains
        Names of the analysis's domains (empty: every domain of the document).
    init
        Name of the analysis's parameter point, or None.
    """

    name: str
    likelihood: dict
    pois: tuple[str, ...] = ()
    domains: tuple[str, ...] = ()
    init: str | None = None


@dataclass
class Document:
    """An HS3 document: its components indexed by name (:meth:`load` reads and checks it)."""

    raw: dict
    file: str | None = None
    index: dict = field(default_factory=dict)

    @classmethod
    def load(cls, source) -> Document:
        """Read ``source`` (a dict or a JSON file) and index its components by name.

        Raises
        ------
        likelihub.errors.InvalidModelError
            An unreadable file, a component that is not an array of named structs, a name used
            twice within a component.
        """
        if isinstance(source, Document):
            return source
        raw, file = _read(source)
        document = cls(raw, file)
        for component in COMPONENTS:
            entries = raw.get(component, [])
            if not isinstance(entries, list):
                raise InvalidModelError(f"{component!r} must be an array, got {type(entries).__name__}",
                                        file=file, argument=component)
            named: dict[str, dict] = {}
            for position, entry in enumerate(entries):
                if not isinstance(entry, dict) or not isinstance(entry.get("name"), str):
                    raise InvalidModelError(f"entry {position} of {component!r} is not a struct with a "
                                            f"'name' string", file=file, argument=component)
                if entry["name"] in named:
                    raise InvalidModelError(f"the name {entry['name']!r} is used twice in {component!r}",
                                            file=file, argument=component)
                named[entry["name"]] = entry
            document.index[component] = named
        metadata = raw.get("metadata", {})
        if not isinstance(metadata, dict):
            raise InvalidModelError("'metadata' must be a struct", file=file, argument="metadata")
        return document

    # -- lookups ---------------------------------------------------------------------------------
    def get(self, component: str, name: str, *, referrer: str) -> dict:
        """The struct ``name`` of ``component``; an error naming ``referrer`` (who refers to it)
        and the names there are."""
        entries = self.index[component]
        if not isinstance(name, str) or name not in entries:
            known = sorted(entries)
            listed = f"{known[:10]}{' ...' if len(known) > 10 else ''}" if known else "none"
            raise InvalidModelError(f"{referrer} refers to {name!r}, which is not in {component!r} "
                                    f"(names there: {listed})", file=self.file)
        return entries[name]

    def distribution(self, name: str, *, referrer: str) -> dict:
        return self.get("distributions", name, referrer=referrer)

    @property
    def packages(self) -> tuple[str, ...]:
        """Names of the packages that wrote the file (``metadata.packages``), lower case."""
        packages = self.raw.get("metadata", {}).get("packages", []) or []
        return tuple(str(p.get("name", "")).lower() for p in packages if isinstance(p, dict))

    @property
    def written_by_root(self) -> bool:
        """Whether ROOT wrote the file (``metadata.packages`` names ROOT)."""
        return "root" in self.packages

    def shapesys_convention(self) -> str:
        """What a shapesys's ``vals`` are in this file: ``misc.likelihub.shapesys_vals`` where
        likelihub wrote it, ``"relative"`` where ROOT wrote it, else ``"absolute"`` (pyhs3)."""
        misc = self.raw.get("misc", {})
        recorded = misc.get("likelihub", {}).get("shapesys_vals") if isinstance(misc, dict) else None
        if recorded in ("relative", "absolute"):
            return recorded
        return "relative" if self.written_by_root else "absolute"

    # -- which likelihood ------------------------------------------------------------------------
    def choose(self, *, analysis: str | None = None, likelihood=None) -> Choice:
        """The likelihood to build (see the module docstring); ``likelihood`` may also be a struct
        ``{"distributions": [...], "data": [...]}`` for a file without likelihoods."""
        if analysis is not None and likelihood is not None:
            raise InvalidArgumentError("give an analysis or a likelihood, not both", argument="likelihood")
        if isinstance(likelihood, Mapping):
            return Choice(str(likelihood.get("name", "likelihood")), self._checked_likelihood(
                dict(likelihood), "the likelihood argument"))
        if likelihood is not None and not isinstance(likelihood, str):
            raise InvalidArgumentError(f"must be a likelihood's name or a struct, got "
                                       f"{type(likelihood).__name__}", argument="likelihood")
        if analysis is not None and not isinstance(analysis, str):
            raise InvalidArgumentError(f"must be an analysis's name, got {type(analysis).__name__}",
                                       argument="analysis")
        analyses = self.index["analyses"]
        if analysis is not None:
            return self._analysis(self.get("analyses", analysis, referrer="argument 'analysis'"))
        if likelihood is not None:
            entry = self.get("likelihoods", likelihood, referrer="argument 'likelihood'")
            using = [a for a in analyses.values() if a.get("likelihood") == likelihood]
            if len(using) == 1:
                return self._analysis(using[0])
            return Choice(likelihood, self._checked_likelihood(entry, f"likelihood {likelihood!r}"))
        for component, make in (("analyses", self._analysis), ("likelihoods", self._bare)):
            entries = list(self.index[component].values())
            if len(entries) == 1:
                return make(entries[0])
            observed = [e for e in entries if "obsData" in e["name"]
                        or "obsData" in str(e.get("likelihood", ""))]
            if len(observed) == 1:
                return make(observed[0])
            if entries:
                raise InvalidArgumentError(
                    f"the file has {len(entries)} {component} ({sorted(e['name'] for e in entries)}): "
                    f"name one", argument="analysis" if component == "analyses" else "likelihood")
        raise InvalidModelError("the file defines no likelihood (no 'likelihoods' or 'analyses' "
                                "entry): in Python, pass likelihood={'distributions': [...], 'data': "
                                "[...]} naming its distributions and data; the command line needs a file "
                                "that names one", file=self.file, argument="likelihoods")

    def _bare(self, entry: dict) -> Choice:
        return Choice(entry["name"], self._checked_likelihood(entry, f"likelihood {entry['name']!r}"))

    def _analysis(self, entry: dict) -> Choice:
        where = f"analysis {entry['name']!r}"
        likelihood = self.get("likelihoods", entry.get("likelihood"), referrer=where)
        domains = entry.get("domains", entry.get("domain", []))
        domains = [domains] if isinstance(domains, str) else list(domains or [])
        for name in domains:
            self.get("domains", name, referrer=where)
        init = entry.get("init")
        if init is not None:
            self.get("parameter_points", init, referrer=where)
        pois = entry.get("parameters_of_interest", entry.get("parameter_of_interest", [])) or []
        pois = [pois] if isinstance(pois, str) else list(pois)
        return Choice(entry["name"], self._checked_likelihood(likelihood, f"likelihood "
                                                                          f"{likelihood['name']!r}"),
                      tuple(pois), tuple(domains), init)

    def _checked_likelihood(self, entry: dict, where: str) -> dict:
        distributions, data = entry.get("distributions"), entry.get("data")
        if not isinstance(distributions, list) or not isinstance(data, list) or not distributions:
            raise InvalidModelError(f"{where} needs non-empty arrays 'distributions' and 'data'",
                                    file=self.file, argument="likelihoods")
        if len(distributions) != len(data):
            raise InvalidModelError(f"{where} pairs {len(distributions)} distributions with "
                                    f"{len(data)} data", file=self.file, argument="likelihoods")
        for name in distributions:
            self.distribution(name, referrer=where)
        for datum in data:
            if isinstance(datum, str):
                self.get("data", datum, referrer=where)
            elif not _is_number(datum):
                raise InvalidModelError(f"{where} has a datum {datum!r} that is neither a data name nor "
                                        "a number", file=self.file, argument="likelihoods")
        if entry.get("aux_distributions"):
            raise InvalidModelError(f"{where} has aux_distributions {entry['aux_distributions']}, which "
                                    "this reader does not support yet", file=self.file,
                                    argument="likelihoods")
        return entry

    # -- parameters --------------------------------------------------------------------------------
    def parameter_point(self, choice: Choice, name: str | None = None) -> dict[str, dict]:
        """The parameter point's entries by name: ``name``, else the analysis's ``init``, else
        ``default_values``, else the first point (empty where there is none)."""
        points = self.index["parameter_points"]
        name = name or choice.init or ("default_values" if "default_values" in points else None)
        if name is None and points:
            name = next(iter(points))
        if name is None:
            return {}
        point = self.get("parameter_points", name, referrer="the model's parameter point")
        entries = {}
        for entry in point.get("parameters", []) or []:
            if not isinstance(entry, dict) or not isinstance(entry.get("name"), str) or not _is_number(
                    entry.get("value")):
                raise InvalidModelError(f"parameter point {name!r} has an entry {entry!r} without a name "
                                        "and a numeric value", file=self.file, argument="parameter_points")
            entries[entry["name"]] = entry
        return entries

    def bounds(self, choice: Choice) -> dict[str, tuple[float, float]]:
        """Bounds of each parameter named in a domain: the analysis's domains first, then the
        others (``default_domain`` among them) for what they leave out."""
        ordered = list(choice.domains) + [d for d in self.index["domains"] if d not in choice.domains]
        bounds: dict[str, tuple[float, float]] = {}
        for name in ordered:
            domain = self.index["domains"][name]
            for axis in domain.get("axes", []) or []:
                if not isinstance(axis, dict) or not isinstance(axis.get("name"), str):
                    raise InvalidModelError(f"domain {name!r} has an axis {axis!r} without a name",
                                            file=self.file, argument="domains")
                low, high = axis.get("min", -math.inf), axis.get("max", math.inf)
                if not (_is_bound(low) and _is_bound(high)) or not low <= high:
                    raise InvalidModelError(f"domain {name!r} gives {axis['name']!r} the bounds "
                                            f"[{low}, {high}]", file=self.file, argument="domains")
                bounds.setdefault(axis["name"], (float(low), float(high)))
        return bounds


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _is_bound(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and not math.isnan(value)


def is_number(value) -> bool:
    """A finite JSON number (not a boolean)."""
    return _is_number(value)


def names_of(values: Sequence) -> list[str]:
    """The strings among ``values`` (references), in order."""
    return [v for v in values if isinstance(v, str)]
