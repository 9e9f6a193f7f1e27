"""A small NumPy backend for HS3 likelihoods of ``gaussian_dist``, ``poisson_dist`` and
``product_dist`` distributions (with the ``functions`` of :mod:`.functions`).

    backend = GenericBackend(document, choice, point, pois=["r"])

Each distribution of the likelihood is paired with a datum: a number (its one observable's
value), ``point`` data (``value``) or ``unbinned`` data (``entries``, one row of the ``axes``'
observables per event). A product is the product of its factors: a factor whose observable the
datum gives is a term per event; a factor whose observable it does not give is a constraint term,
counted once in the likelihood (as RooFit does; HS3 leaves it open), its observable a global
observable whose value is the parameter point's. The data of the backend are the events'
observables, then the global observables (auxiliary data).

Terms, normalised as the standard writes them:

- ``gaussian_dist`` (``normal_dist``) of ``x`` around ``mean`` with width ``sigma``; an event's
  Gaussian is normalised over its observable's axis ``[min, max]`` where the data give finite
  bounds (HS3: a pdf is normalised over its observable's domain), a global observable's over the
  real line;
- ``poisson_dist``: ``x log(mean) - mean - lgamma(x + 1)``, the continued Poisson (ROOT's
  ``noRounding``, Combine's counting likelihood), never renormalised to an axis.

Any other distribution type, ``binned`` data and weighted events are errors naming them.
Parameters: every leaf the distributions read that is not an observable, in order of first use;
values from the parameter point (else the middle of the domain, or 0), bounds from the domains,
fixed where the point says ``const``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from likelihub import ModelConfig
from likelihub.errors import InvalidDataError, InvalidModelError

from .document import is_number
from .functions import ValueGraph

__all__ = ["GenericBackend", "SUPPORTED_DISTRIBUTIONS"]

#: The distribution types of :class:`GenericBackend`.
SUPPORTED_DISTRIBUTIONS = ("gaussian_dist", "normal_dist", "poisson_dist", "product_dist")
_LOG_SQRT_2PI = 0.5 * math.log(2 * math.pi)


@dataclass(frozen=True)
class _Term:
    kind: str                 # "gaussian" or "poisson"
    name: str                 # the distribution's name
    slot: int                 # index of its observable's value in the data
    mean: object
    sigma: object = None
    low: float = -math.inf    # bounds of a Gaussian event's observable
    high: float = math.inf


def _std_normal_cdf(z: float) -> float:
    return 0.5 * math.erfc(-z / math.sqrt(2.0))


class GenericBackend:
    """The likelihood of HS3 Gaussian, Poisson and product distributions (module docstring)."""

    def __init__(self, document, choice, point: dict, pois=()):
        self.document, self.graph = document, ValueGraph(document)
        self.name = choice.name
        self._terms: list[_Term] = []
        self._observed: list[float] = []
        self._global: dict[str, int] = {}
        self._leaves: list[frozenset] = []
        observables: set[str] = set()
        pending = []
        for dist_name, datum in zip(choice.likelihood["distributions"], choice.likelihood["data"],
                                    strict=True):
            factors = self._primitives(dist_name, dist_name)
            events, bounds = self._events(dist_name, datum, factors)
            for event in events:
                for factor in factors:
                    if factor["x"] in event:
                        low, high = bounds.get(factor["x"], (-math.inf, math.inf))
                        self._add(factor, len(self._observed), low, high)
                        self._observed.append(event[factor["x"]])
            observables |= {x for event in events for x in event}
            pending += [f for f in factors if not any(f["x"] in e for e in events)]
        self.n_main = len(self._observed)
        for factor in pending:
            if factor["name"] in self._global:
                continue
            factor = _global_roles(factor, point)
            x = factor["x"]
            if x not in point and not is_number(x):
                raise InvalidModelError(f"distribution {factor['name']!r}: its observable {x!r} has no datum "
                                        "and no value in the parameter point", file=document.file)
            self._global[factor["name"]] = len(self._observed)
            self._add(factor, len(self._observed))
            self._observed.append(float(x) if is_number(x) else float(point[x]["value"]))
            observables.add(x)
        self.data = np.array(self._observed, dtype=float)
        self.data.setflags(write=False)
        self._observables = observables
        self.config = self._config(document.bounds(choice), point, pois, observables)
        self._names = tuple(self.config.parameter_names)

    # -- reading -----------------------------------------------------------------------------------
    def _primitives(self, name: str, referrer: str) -> list[dict]:
        dist = self.document.distribution(name, referrer=f"distribution {referrer!r}")
        kind = dist.get("type")
        if kind == "product_dist":
            factors = dist.get("factors")
            if not isinstance(factors, list):
                raise InvalidModelError(f"product_dist {name!r} needs an array 'factors'",
                                        file=self.document.file)
            return [p for factor in factors for p in self._primitives(factor, name)]
        if kind not in SUPPORTED_DISTRIBUTIONS:
            raise InvalidModelError(
                f"distribution {name!r} has type {kind!r}, which likelihub's HS3 reader does not "
                f"evaluate (it does histfactory_dist and {list(SUPPORTED_DISTRIBUTIONS)})",
                file=self.document.file)
        x = dist.get("x")
        if not isinstance(x, str) and not is_number(x):
            raise InvalidModelError(f"distribution {name!r} needs an observable 'x'", file=self.document.file)
        needed = ("mean", "sigma") if kind != "poisson_dist" else ("mean",)
        for key in needed:
            if key not in dist:
                raise InvalidModelError(f"{kind} {name!r} needs {key!r}", file=self.document.file)
        return [{"name": name, "kind": "poisson" if kind == "poisson_dist" else "gaussian", "x": x,
                 "mean": dist["mean"], "sigma": dist.get("sigma")}]

    def _events(self, dist_name: str, datum, factors: list[dict]) -> tuple[list[dict], dict]:
        where = {"file": self.document.file, "argument": f"datum of {dist_name!r}"}
        observed = [f["x"] for f in factors if isinstance(f["x"], str)]
        if is_number(datum) or (isinstance(datum, str) and self._data(datum).get("type") == "point"):
            value = datum if is_number(datum) else self._data(datum).get("value")
            axes = [] if is_number(datum) else self._data(datum).get("axes", []) or []
            names = [a.get("name") for a in axes] or sorted(set(observed))
            if len(names) != 1 or not is_number(value):
                raise InvalidModelError(f"a single value fits a distribution of one observable; "
                                        f"{dist_name!r} has {sorted(set(observed))}", **where)
            return [{names[0]: float(value)}], _bounds(axes)
        entry = self._data(datum)
        if entry.get("type") != "unbinned":
            raise InvalidModelError(f"{dist_name!r} is paired with {entry.get('type')!r} data {datum!r}; a "
                                    "Gaussian, Poisson or product distribution takes point or unbinned data",
                                    **where)
        if entry.get("weights") is not None:
            raise InvalidModelError(f"weighted events (data {datum!r}) are not supported", **where)
        axes, rows = entry.get("axes", []) or [], entry.get("entries")
        names = [a.get("name") for a in axes]
        if not isinstance(rows, list) or not all(isinstance(r, list) and len(r) == len(names)
                                                 and all(is_number(v) for v in r) for r in rows):
            raise InvalidModelError(f"data {datum!r} needs 'entries', rows of {len(names)} numbers (one per "
                                    "axis)", **where)
        return [dict(zip(names, map(float, row), strict=True)) for row in rows], _bounds(axes)

    def _data(self, name: str) -> dict:
        return self.document.get("data", name, referrer="the likelihood")

    def _add(self, factor: dict, slot: int, low: float = -math.inf, high: float = math.inf) -> None:
        mean = self.graph.value(factor["mean"])
        sigma = None if factor["sigma"] is None else self.graph.value(factor["sigma"])
        self._terms.append(_Term(factor["kind"], factor["name"], slot, mean, sigma, low, high))
        self._leaves.append(self.graph.leaves(factor["mean"]))
        if factor["sigma"] is not None:
            self._leaves.append(self.graph.leaves(factor["sigma"]))

    def _config(self, domain: dict, point: dict, pois, observables: set) -> ModelConfig:
        names: list[str] = []
        for leaves in self._leaves:
            names += sorted(n for n in leaves if n not in observables and n not in names)
        for poi in pois:
            if poi not in names:
                raise InvalidModelError(f"the parameter of interest {poi!r} is not a parameter of the model "
                                        f"({names[:8]})", file=self.document.file, argument="poi")
        bounds = [domain.get(n, (-math.inf, math.inf)) for n in names]
        init, fixed = [], []
        for name, (low, high) in zip(names, bounds, strict=True):
            if name in point:
                init.append(float(point[name]["value"]))
            elif math.isfinite(low) and math.isfinite(high):
                init.append(0.5 * (low + high))
            else:
                init.append(min(max(0.0, low), high))
            fixed.append(bool(point.get(name, {}).get("const", False)))
        bounds = [(min(lo, x), max(hi, x)) if f else (lo, hi)
                  for (lo, hi), x, f in zip(bounds, init, fixed, strict=True)]
        indices = [names.index(p) for p in pois]
        return ModelConfig(parameter_names=names, poi_index=indices[0] if indices else None, init=init,
                           bounds=bounds, fixed=fixed, n_main=self.n_main, pois=indices or None)

    # -- the contract ------------------------------------------------------------------------------
    def _values(self, pars) -> dict:
        pars = np.asarray(pars, dtype=float)
        if pars.shape != (len(self._names),):
            raise InvalidDataError(f"parameters have shape {pars.shape}; the model has {len(self._names)}",
                                   argument="pars")
        return dict(zip(self._names, pars.tolist(), strict=True))

    def _moments(self, values: dict) -> list[tuple[float, float | None]]:
        return [(t.mean(values), None if t.sigma is None else t.sigma(values)) for t in self._terms]

    def logpdf(self, pars, data) -> float:
        """log L: the sum of the terms (module docstring) at ``pars`` for ``data``."""
        data = np.asarray(data, dtype=float)
        if data.shape != self.data.shape:
            raise InvalidDataError(f"data have shape {data.shape}; the model expects {self.data.shape}",
                                   argument="data")
        total = []
        for term, (mean, sigma) in zip(self._terms, self._moments(self._values(pars)), strict=True):
            x = float(data[term.slot])
            if term.kind == "poisson":
                if mean < 0 or not math.isfinite(mean):
                    return -math.inf
                total.append(x * math.log(mean) - mean - math.lgamma(x + 1.0) if mean > 0 else
                             (0.0 if x == 0 else -math.inf))
                continue
            if not sigma > 0:
                return -math.inf
            z = (x - mean) / sigma
            log_norm = math.log(sigma) + _LOG_SQRT_2PI
            if math.isfinite(term.low) or math.isfinite(term.high):
                mass = (_std_normal_cdf((term.high - mean) / sigma)
                        - _std_normal_cdf((term.low - mean) / sigma))
                log_norm += math.log(mass) if mass > 0 else math.inf
            total.append(-0.5 * z * z - log_norm)
        return math.fsum(total)

    def expected_data(self, pars) -> np.ndarray:
        """The mean of each term: the expected value of each datum."""
        return np.array([mean for mean, _ in self._moments(self._values(pars))], dtype=float)

    def sample(self, pars, size: int, rng: np.random.Generator) -> np.ndarray:
        """``size`` data sets drawn at ``pars``: Poisson or Gaussian per datum."""
        moments = self._moments(self._values(pars))
        out = np.empty((int(size), len(self._terms)))
        for term, (mean, sigma) in zip(self._terms, moments, strict=True):
            out[:, term.slot] = (rng.poisson(max(mean, 0.0), size) if term.kind == "poisson"
                                 else rng.normal(mean, sigma, size))
        return out

    def describe(self) -> str:
        """The likelihood's terms and parameters."""
        kinds = [t.kind for t in self._terms]
        return (f"HS3 likelihood {self.name!r}: {kinds.count('gaussian')} Gaussian and "
                f"{kinds.count('poisson')} Poisson terms, {self.n_main} data and {len(self._global)} global "
                f"observables, "
                f"{len(self._names)} parameters ({int(np.sum(self.config.fixed))} fixed)")


def _global_roles(factor: dict, point: dict) -> dict:
    """A constraint term with its global observable as ``x``: ROOT writes a HistFactory Gaussian
    constraint with the parameter as ``x`` and the global observable (constant) as ``mean``; the
    Gaussian is symmetric in the two, so they swap where ``x`` is free and ``mean`` constant."""
    x, mean = factor["x"], factor["mean"]
    x_free = isinstance(x, str) and not point.get(x, {}).get("const", False)
    mean_constant = is_number(mean) or (isinstance(mean, str) and point.get(mean, {}).get("const", False))
    if factor["kind"] == "gaussian" and x_free and mean_constant:
        return {**factor, "x": mean, "mean": x}
    return factor


def _bounds(axes: list) -> dict[str, tuple[float, float]]:
    out = {}
    for axis in axes:
        if isinstance(axis, dict) and isinstance(axis.get("name"), str):
            low, high = axis.get("min", -math.inf), axis.get("max", math.inf)
            out[axis["name"]] = (float(low) if is_number(low) else -math.inf,
                                 float(high) if is_number(high) else math.inf)
    return out
