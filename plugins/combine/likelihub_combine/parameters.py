"""The parameters of a datacard's likelihood, as text2workspace.py makes them: names, initial
values, ranges and constraint terms.

Conventions (Combine's ``ModelTools.py``, ``PhysicsModel.py``; ``docs/combine.md`` lists them):

- the POI ``r``: initial value 1, range [0, 20];
- ``lnN``, ``shape?``, ``shapeN``: a Gaussian nuisance in [-7, 7]; ``shape``: in [-4, 4]; each
  with its global observable (0), constraint 0.5 (theta - theta_In)^2;
- ``lnU``: flat in [-1, 1], no constraint;
- ``gmN N``: the control-region mean, constrained by Poisson(N | theta), global observable N;
  range as Combine's (the band where Poisson(N | theta) > 1e-12);
- ``gmM u``: Combine's Gamma(n; k = 1/u^2, scale theta = u^2) (mean 1, sd u) multiplying the yields,
  n in [max(0.01, 1 - 5u), 1 + 5u], initial value 1, its global observable the shape k. The
  parameter here is m = n / theta: the Gamma density in m is m^(k-1) e^(-m) / Gamma(k), a
  Poisson(k - 1 | m) in m, so it is held as a Poisson constraint with global observable k - 1
  (Combine's Asimov sets k = n / theta + 1, the same k - 1 = m) and the yields scale by theta * m;
- ``param mean sigma``: a Gaussian (bifurcated for ``-low/+high``) of width sigma around the
  global observable ``mean``, range mean +- 4 sigma; ``flatParam``: no constraint;
- ``rateParam``, ``extArg``: free, unbounded unless a range is given (a ``param`` line of the
  same name constrains it);
- autoMCStats: one Gaussian per bin in [-7, 7] (Barlow-Beeston-lite), or per process Poisson
  counts (see :mod:`likelihub_combine.mcstats`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from scipy.stats import poisson

from likelihub.errors import InvalidModelError

__all__ = ["Parameter", "ParameterTable", "gmn_range", "gmm_parameter"]

#: Range of the POI r in Combine's default physics model.
POI_RANGE = (0.0, 20.0)


@dataclass
class Parameter:
    """One parameter: ``constraint`` is None (free), "normal" (Gaussian of width ``sigma_low``
    below ``center`` and ``sigma_high`` above) or "poisson" (Poisson(center | parameter))."""

    name: str
    init: float
    low: float
    high: float
    constraint: str | None = None
    center: float = 0.0
    sigma_low: float = 1.0
    sigma_high: float = 1.0
    origin: str = ""


def gmn_range(count: int) -> tuple[float, float]:
    """Combine's range of a gmN parameter: from N+1 (0 for N = 0) down by factors 0.8 and up by
    factors 1.2 while Poisson(N | bound) stays above 1e-12."""
    low = 0.0 if count == 0 else count + 1.0
    while low > 0 and poisson.pmf(count, low) > 1e-12:
        low *= 0.8
    high = count + 1.0
    while poisson.pmf(count, high) > 1e-12:
        high *= 1.2
    return low, high


def gmm_parameter(name: str, uncertainty: float) -> Parameter:
    """The parameter m = n / theta of a gmM line of relative uncertainty ``uncertainty`` (u):
    Combine's n in [max(0.01, 1 - 5u), 1 + 5u] starting at 1, theta = u^2, shape k = 1 / u^2;
    a Poisson constraint of m with global observable k - 1 (see the module's docstring)."""
    theta = uncertainty * uncertainty
    shape = 1.0 / theta
    low, high = max(0.01, 1.0 - 5.0 * uncertainty) / theta, (1.0 + 5.0 * uncertainty) / theta
    return Parameter(name, shape, low, high, "poisson", center=shape - 1.0, origin="gmM")


class ParameterTable:
    """The parameters in order of creation, looked up by name."""

    def __init__(self):
        self.items: list[Parameter] = []
        self._index: dict[str, int] = {}

    def __contains__(self, name: str) -> bool:
        return name in self._index

    def __len__(self) -> int:
        return len(self.items)

    def index(self, name: str) -> int:
        return self._index[name]

    def get(self, name: str) -> Parameter:
        return self.items[self._index[name]]

    def add(self, parameter: Parameter) -> int:
        """Add ``parameter`` (its name must be new); its index."""
        self._index[parameter.name] = len(self.items)
        self.items.append(parameter)
        return len(self.items) - 1

    def nuisance(
        self, name: str, kind: str, *, where: str, count: int | None = None, uncertainty: float | None = None
    ) -> int:
        """The index of systematic ``name`` of type ``kind``, made on first use; a second line of
        another type with the same name is an error (except lnN with shape?, as Combine).
        ``count`` is a gmN line's N, ``uncertainty`` a gmM line's relative uncertainty."""
        if name in self._index:
            existing = self.get(name)
            compatible = {existing.origin, kind} <= {"lnN", "shape?", "shape", "shapeN", "shapeN2"}
            if existing.origin != kind and not compatible:
                raise InvalidModelError(
                    f"the name is used by a {existing.origin} line and a {kind} line",
                    file=where,
                    modifier=name,
                )
            if kind == "gmM" and existing.center != gmm_parameter(name, uncertainty).center:
                raise InvalidModelError(
                    "two gmM lines of the name give different uncertainties", file=where, modifier=name
                )
            return self._index[name]
        if kind == "lnU":
            return self.add(Parameter(name, 0.0, -1.0, 1.0, None, origin=kind))
        if kind == "gmN":
            low, high = gmn_range(count)
            init = float(count)  # the card's rate alpha * N (Combine starts its fits at N + 1)
            return self.add(Parameter(name, init, low, high, "poisson", center=float(count), origin=kind))
        if kind == "gmM":
            return self.add(gmm_parameter(name, uncertainty))
        width = 4.0 if kind == "shape" else 7.0
        return self.add(Parameter(name, 0.0, -width, width, "normal", origin=kind))

    def free(
        self, name: str, value: float, bounds: tuple[float, float] | None, *, where: str, origin: str
    ) -> int:
        """A free parameter (rateParam, extArg): made on first use; a later line of the same
        name must agree on the value."""
        if name in self._index:
            return self._index[name]
        low, high = bounds if bounds is not None else (-math.inf, math.inf)
        if not low <= value <= high:
            raise InvalidModelError(
                f"initial value {value} outside its range [{low}, {high}]", file=where, modifier=name
            )
        return self.add(Parameter(name, value, low, high, None, origin=origin))

    def constrain(
        self, name: str, mean: float, sigma_low: float, sigma_high: float, bounds: tuple[float, float] | None
    ) -> int:
        """Apply a ``param`` line: a Gaussian around ``mean`` (made as a new parameter if no line
        named it before), its range mean +- 4 sigma unless given, its initial value the mean."""
        low, high = bounds if bounds is not None else (mean - 4 * sigma_low, mean + 4 * sigma_high)
        if name in self._index:
            parameter = self.get(name)
            parameter.init, parameter.low, parameter.high = mean, low, high
            parameter.constraint, parameter.center = "normal", mean
            parameter.sigma_low, parameter.sigma_high = sigma_low, sigma_high
            return self._index[name]
        return self.add(
            Parameter(name, mean, low, high, "normal", mean, sigma_low, sigma_high, origin="param")
        )
