"""Fixed values and bounds, handled in one place for every fit.

A fit holds some parameters fixed: those its model's configuration fixes, and those the caller
fixes at a value (``fixed_values``, {index: value}: the POI of a conditional fit, a user's
``fixed=``). :func:`fit_parameters` turns them into what every minimiser of :mod:`likelihub.fits`
sees: which parameters are free, the starting point (or one per fit of a batch) with each fixed
value in place, and the bounds, widened where a fixed value lies outside them (a POI tested
beyond its range) so that the full parameter vector always lies within them. A fixed
parameter's bounds never constrain a fit; only the free parameters' bounds reach the minimisers.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

__all__ = ["FitParameters", "fit_parameters"]


@dataclass(frozen=True)
class FitParameters:
    """The parameters of a fit (:func:`fit_parameters`).

    Attributes
    ----------
    start
        The starting point, shape (P,), or one per fit of a batch, shape (N, P); fixed
        parameters at their values.
    bounds
        (P, 2) lower and upper bounds, each holding its parameter's fixed value.
    fixed
        (P,) True where the parameter is held fixed.
    """

    start: np.ndarray
    bounds: np.ndarray
    fixed: np.ndarray

    @property
    def free(self) -> np.ndarray:
        """(P,) True where the parameter is fitted."""
        return ~self.fixed


def fit_parameters(config, *, fixed_values: Mapping[int, float] | None = None,
                   init: np.ndarray | None = None, bounds: np.ndarray | None = None,
                   rows: int | None = None) -> FitParameters:
    """Free parameters, start and bounds of a fit of a model with configuration ``config``.

    Parameters
    ----------
    config
        The model's :class:`~likelihub.backend.config.ModelConfig` (its ``fixed``, ``init`` and
        ``bounds`` are the defaults).
    fixed_values
        {index: value} of parameters held fixed on top of the config's fixed ones.
    init
        Starting point (P,) or starting points (N, P); the config's ``init`` by default.
    bounds
        (P, 2) bounds; the config's by default.
    rows
        Where given, the start is broadcast to ``rows`` starting points (a batch of fits).

    Returns
    -------
    FitParameters
        New arrays: the caller's are never written.
    """
    bounds = np.array(config.bounds if bounds is None else bounds, dtype=float)
    start = np.array(config.init if init is None else init, dtype=float)
    if rows is not None:
        start = np.broadcast_to(start, (rows, config.n_parameters)).copy()
    fixed = np.array(config.fixed, dtype=bool)
    for index, value in (fixed_values or {}).items():
        fixed[index] = True
        start[..., index] = value
        bounds[index] = (min(bounds[index, 0], value), max(bounds[index, 1], value))
    return FitParameters(start, bounds, fixed)
