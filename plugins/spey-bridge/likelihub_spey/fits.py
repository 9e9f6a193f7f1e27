"""likelihub's fits behind spey's fast paths: each fit made once, warm-started from its neighbours.

spey asks a backend for the profile likelihood at many values of the POI (a CLs needs a few, an
upper limit tens), on the observed data and on Asimov data. :class:`FitCache` makes each of
these fits with likelihub's fitter (:meth:`likelihub.StatisticalModel.fit`) once per data set, and
starts each conditional fit from the nearest one already made, as likelihub's own calculators do.

spey's ``allow_negative_signal`` bounds the POI below at 0 or lets it go down to the lowest value
with non-negative yields; each choice is a model with those POI bounds (:func:`with_poi_bounds`),
the likelihood unchanged.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Mapping

import numpy as np

from likelihub import FitResult, StatisticalModel

__all__ = ["BoundedBackend", "with_poi_bounds", "DataFits", "FitCache"]


class BoundedBackend:
    """A likelihub backend with another configuration (other bounds), the likelihood its own.

    Every method and capability (gradient, Hessian, sampling) is the backend's, reached through
    attribute lookup; only ``config`` is the view's.
    """

    def __init__(self, backend, config):
        self.backend = backend
        self.config = config

    def __getattr__(self, name: str):
        # reached only for what the view lacks; never for its own state (copying and pickling look
        # up dunder names before __init__ has run)
        if name.startswith("__") or name == "backend":
            raise AttributeError(name)
        return getattr(self.backend, name)


def with_poi_bounds(model: StatisticalModel, low: float, high: float) -> StatisticalModel:
    """``model`` with the POI's bounds (low, high); itself where they are its bounds already."""
    config = model.config
    poi = config.require_poi()
    if tuple(config.bounds[poi]) == (low, high):
        return model
    bounds = np.array(config.bounds, dtype=float)
    bounds[poi] = (low, high)
    init = np.array(config.init, dtype=float)
    init[poi] = min(max(init[poi], low), high)
    view = BoundedBackend(model.backend, config.replace(bounds=bounds, init=init))
    return StatisticalModel(view, name=model.name, fit_options=model.fit_options)


class DataFits:
    """The fits of one data set: free fits and conditional fits, keyed by what they hold fixed.

    Parameters
    ----------
    data
        The data set (main then auxiliary data).
    start
        Where its first fits start (the model's initial values; for Asimov data, the parameters
        they were made at: their exact minimum).
    """

    def __init__(self, data: np.ndarray, start: np.ndarray):
        self.data = data
        self.start = start
        self.fits: dict[tuple, FitResult] = {}

    def nearest(self, allow_negative: bool, fixed: Mapping[str, float]) -> np.ndarray:
        """The best start for a fit holding ``fixed``: the fit holding the same parameters at the
        nearest values (and the same POI bounds), else :attr:`start`; ``fixed`` set in it."""
        names = frozenset(fixed)
        best, distance = self.start, np.inf
        for (allow, held), result in self.fits.items():
            if allow != allow_negative or frozenset(name for name, _ in held) != names or not held:
                continue
            gap = sum(abs(value - fixed[name]) for name, value in held)
            if gap < distance:
                best, distance = result.values, gap
        return np.array(best, dtype=float)


class FitCache:
    """likelihub's fits of one model on the data sets spey asks about, each made once.

    Parameters
    ----------
    models
        ``{allow_negative_signal: model}``: the model with the POI bounded below at its lowest
        physical value (True) or at 0 (False).
    size
        How many data sets are remembered (the least recently used is forgotten first; toys each
        bring a new one).
    """

    def __init__(self, models: Mapping[bool, StatisticalModel], size: int = 64):
        self.models = dict(models)
        self.size = size
        self._sets: OrderedDict[object, DataFits] = OrderedDict()

    def __contains__(self, key) -> bool:
        return key in self._sets

    def data_set(self, key, data=None, start=None) -> DataFits:
        """The fits of the data set called ``key`` (made from ``data`` the first time)."""
        fits = self._sets.get(key)
        if fits is None:
            config = self.models[True].config
            fits = DataFits(np.asarray(data, dtype=float),
                            np.array(config.init if start is None else start, dtype=float))
            self._sets[key] = fits
            while len(self._sets) > self.size:
                self._sets.popitem(last=False)
        else:
            self._sets.move_to_end(key)
        return fits

    def fit(self, fits: DataFits, *, fixed: Mapping[str, float] | None = None,
            allow_negative: bool = True, init=None) -> FitResult:
        """The fit of ``fits``' data holding ``fixed`` ({name: value}; the others free), the POI
        bounded as ``allow_negative`` says where it is free. A fit from a given ``init`` is made
        from there and not remembered; the others are made once, from the nearest fit made."""
        fixed = {name: float(value) for name, value in (fixed or {}).items()}
        model = self.models[bool(allow_negative)]
        if init is not None:
            return model.fit(data=fits.data, fixed=fixed, init=np.asarray(init, dtype=float),
                             uncertainties=False)
        key = (bool(allow_negative), tuple(sorted(fixed.items())))
        result = fits.fits.get(key)
        if result is None:
            start = fits.nearest(bool(allow_negative), fixed)
            for name, value in fixed.items():
                start[model.config.index(name)] = value
            low, high = np.array(model.config.bounds, dtype=float).T
            free = ~np.isin(model.config.parameter_names, list(fixed))
            start[free] = np.clip(start[free], low[free], high[free])
            result = model.fit(data=fits.data, fixed=fixed, init=start, uncertainties=False)
            fits.fits[key] = result
        return result
