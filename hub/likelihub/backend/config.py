"""ModelConfig: the parameters of a model and the layout of its data."""

from __future__ import annotations

import numbers
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from likelihub.arguments import numbers_array
from likelihub.errors import InvalidModelError

__all__ = ["ModelConfig", "DataLayout"]


def _is_index(value) -> bool:
    return isinstance(value, (numbers.Integral, np.integer)) and not isinstance(value, (bool, np.bool_))


@dataclass(frozen=True)
class DataLayout:
    """How each entry of the data is distributed, for the generic toy sampler.

    Parameters
    ----------
    kinds
        One of ``"poisson"`` or ``"normal"`` per data entry (main then auxiliary).
    widths
        Standard deviation of each ``"normal"`` entry (ignored for Poisson entries).
    """

    kinds: tuple[str, ...]
    widths: np.ndarray

    def __post_init__(self):
        kinds = tuple(self.kinds)
        bad = sorted({k for k in kinds if k not in ("poisson", "normal")})
        if bad:
            raise InvalidModelError(f"data kinds must be 'poisson' or 'normal', got {bad}")
        widths = np.broadcast_to(np.asarray(self.widths, dtype=float), (len(kinds),)).copy()
        object.__setattr__(self, "kinds", kinds)
        object.__setattr__(self, "widths", widths)

    def sample(self, expected: np.ndarray, size: int, rng: np.random.Generator) -> np.ndarray:
        """Draw ``size`` data sets around ``expected``: shape (size, len(expected))."""
        expected = np.asarray(expected, dtype=float)
        is_poisson = np.array([k == "poisson" for k in self.kinds])
        out = np.empty((size, expected.size))
        out[:, is_poisson] = rng.poisson(np.clip(expected[is_poisson], 0.0, None), (size, is_poisson.sum()))
        normal = ~is_poisson
        out[:, normal] = rng.normal(expected[normal], self.widths[normal], (size, normal.sum()))
        return out


@dataclass(frozen=True)
class ModelConfig:
    """The parameters of a model: names, parameter of interest, initial values, bounds.

    Parameters
    ----------
    parameter_names
        One name per parameter, in the order of the parameter vector.
    poi_index
        Index of the parameter of interest (the signal strength mu), or None for a model without one.
    init
        Initial value of each parameter (for fits; fixed parameters stay there).
    bounds
        A (low, high) pair per parameter; infinite values are allowed.
    fixed
        One boolean per parameter; None means none is fixed.
    n_main
        Number of main measurements at the front of the data; the rest are auxiliary data
        (global observables). None means the data are all main measurements.
    data_layout
        Optional :class:`DataLayout` that lets the core draw toys for a backend without ``sample``.
    pois
        Indices of every parameter of interest (a model may have several: a physics model's
        couplings, normalisation factors a user promotes), the tested one ``poi_index`` among
        them; None means ``poi_index`` alone. The others are free parameters in fits and tests
        (profiled) unless fixed; :meth:`likelihub.model.StatisticalModel.with_poi` tests another.
    """

    parameter_names: Sequence[str]
    poi_index: int | None
    init: Sequence[float]
    bounds: Sequence[Sequence[float]]
    fixed: Sequence[bool] | None = None
    n_main: int | None = None
    data_layout: DataLayout | None = field(default=None, compare=False)
    pois: Sequence[int] | None = None

    def __post_init__(self):
        names = tuple(str(n) for n in self.parameter_names)
        n = len(names)
        duplicates = sorted({x for x in names if names.count(x) > 1})
        if duplicates:
            raise InvalidModelError(f"parameter names must be unique, repeated: {duplicates}")
        init = numbers_array(self.init, argument="init", error=InvalidModelError).reshape(-1)
        bounds = numbers_array(self.bounds, argument="bounds", error=InvalidModelError)
        fixed = np.zeros(n, bool) if self.fixed is None else np.array(self.fixed, dtype=bool)
        if init.shape != (n,):
            raise InvalidModelError(f"init has {init.size} values for {n} parameters", argument="init")
        if bounds.shape != (n, 2):
            raise InvalidModelError(
                f"bounds must be one (low, high) pair per parameter: shape {bounds.shape}, "
                f"expected ({n}, 2)",
                argument="bounds",
            )
        if fixed.shape != (n,):
            raise InvalidModelError(f"fixed has {fixed.size} values for {n} parameters", argument="fixed")
        for i, name in enumerate(names):
            low, high = bounds[i]
            if np.isnan(low) or np.isnan(high) or not low <= high:
                raise InvalidModelError(f"bounds ({low}, {high}) are not ordered", argument=name)
            if not low <= init[i] <= high:
                raise InvalidModelError(
                    f"initial value {init[i]} lies outside the bounds ({low}, {high})", argument=name
                )
        if self.poi_index is not None:
            if not _is_index(self.poi_index):
                raise InvalidModelError(f"must be an integer or None, got {self.poi_index!r}",
                                        argument="poi_index")
            if not 0 <= int(self.poi_index) < n:
                raise InvalidModelError(f"poi_index {self.poi_index} out of range for {n} parameters")
        object.__setattr__(self, "pois", self._checked_pois(n))
        if self.n_main is not None and not (_is_index(self.n_main) and int(self.n_main) >= 0):
            raise InvalidModelError(f"must be a non-negative integer or None, got {self.n_main!r}",
                                    argument="n_main")
        for key, value in (("parameter_names", names), ("init", init), ("bounds", bounds), ("fixed", fixed)):
            if isinstance(value, np.ndarray):
                value.setflags(write=False)
            object.__setattr__(self, key, value)
        if self.poi_index is not None:
            object.__setattr__(self, "poi_index", int(self.poi_index))

    def _checked_pois(self, n: int) -> tuple[int, ...]:
        """``pois`` as a tuple of distinct indices holding ``poi_index`` (empty without a POI)."""
        if self.poi_index is None:
            if self.pois:
                raise InvalidModelError("pois are given but poi_index is None: which one is tested?",
                                        argument="pois")
            return ()
        pois = (int(self.poi_index),) if self.pois is None else tuple(self.pois)
        if not all(_is_index(i) and 0 <= int(i) < n for i in pois) or len(set(pois)) != len(pois):
            raise InvalidModelError(f"must be distinct parameter indices below {n}, got {pois!r}",
                                    argument="pois")
        if int(self.poi_index) not in pois:
            raise InvalidModelError(f"must hold poi_index {self.poi_index}, got {pois!r}", argument="pois")
        return tuple(int(i) for i in pois)

    @property
    def n_parameters(self) -> int:
        """Number of parameters."""
        return len(self.parameter_names)

    @property
    def poi_name(self) -> str | None:
        """Name of the parameter of interest."""
        return None if self.poi_index is None else self.parameter_names[self.poi_index]

    @property
    def poi_names(self) -> tuple[str, ...]:
        """Names of every parameter of interest, the tested one among them."""
        return tuple(self.parameter_names[i] for i in self.pois)

    def index(self, name: str) -> int:
        """Position of the parameter called ``name``."""
        try:
            return self.parameter_names.index(name)
        except ValueError:
            raise InvalidModelError(f"no parameter called {name!r}") from None

    def require_poi(self) -> int:
        """The POI index; an error for a model without parameter of interest."""
        if self.poi_index is None:
            raise InvalidModelError("this model has no parameter of interest (poi_index is None)")
        return self.poi_index

    def parameters(self, values: Mapping[str, float] | None = None) -> np.ndarray:
        """A parameter vector at ``init`` with the named entries of ``values`` replaced."""
        pars = self.init.copy()
        for name, value in (values or {}).items():
            pars[self.index(name)] = value
        return pars

    def replace(self, **changes) -> ModelConfig:
        """A copy with some fields changed (e.g. ``bounds`` or ``fixed``). A new ``poi_index``
        without ``pois`` keeps the POIs where they hold it, and is the only POI otherwise."""
        fields = dict(
            parameter_names=self.parameter_names, poi_index=self.poi_index, init=self.init,
            bounds=self.bounds, fixed=self.fixed, n_main=self.n_main, data_layout=self.data_layout,
            pois=self.pois,
        )
        if "poi_index" in changes and "pois" not in changes:
            # the POIs are kept where they hold the new tested one; otherwise it alone is a POI
            poi = changes["poi_index"]
            fields["pois"] = self.pois if poi is not None and poi in self.pois else None
        fields.update(changes)
        return ModelConfig(**fields)
