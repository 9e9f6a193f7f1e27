"""The NumPy reference of the Combine likelihood: expected counts and log L, written for clarity.

The definition the tests hold the kernels (:mod:`.cpu`, :mod:`.stacked`) to: the yields of
:class:`~likelihub_combine.model.Yields` (``factors``, ``shapes``), the autoMCStats terms of
:meth:`~likelihub_combine.mcstats.MCStats.add`, and

    log L = sum_b [n_b log nu_b - nu_b - lgamma(n_b + 1)]          (nu_b raised to 1e-300)
          - sum_Gaussian [(theta - a)^2 / (2 sigma^2) + log((sigma_low + sigma_high) / 2) + log(2 pi) / 2]
          + sum_Poisson  [a log theta - theta - lgamma(a + 1)]     (theta raised to 1e-300)

with sigma the width on the parameter's side of its global observable a. The backend's
numpy path (``CombineDatacard(..., kernels=False)``) evaluates the likelihood with it.
"""

from __future__ import annotations

import numpy as np
from scipy.special import gammaln

from ..mcstats import MCStats
from ..model import Yields
from .layout import Constraints

__all__ = ["expected_main", "logpdf"]

_LOG_SQRT_2PI = 0.5 * np.log(2 * np.pi)


def expected_main(yields: Yields, mc_stats: MCStats | None, pars: np.ndarray) -> np.ndarray:
    """Expected events in every bin at ``pars``."""
    pars = np.asarray(pars, dtype=float)
    factors = yields.factors(pars)
    per_column = (yields.norm * factors)[:, None] * yields.shapes(pars)
    nu = per_column.sum(axis=0)
    if mc_stats is not None:
        coefficient = yields.norm * factors / mc_stats.integrals
        mc_stats.add(nu, per_column, coefficient, pars)
    return nu


def logpdf(yields: Yields, mc_stats: MCStats | None, constraints: Constraints, pars: np.ndarray,
           data: np.ndarray) -> float:
    """The log-likelihood of ``data`` (bins, then global observables) at ``pars``."""
    pars = np.asarray(pars, dtype=float)
    data = np.asarray(data, dtype=float)
    nu = np.maximum(expected_main(yields, mc_stats, pars), 1e-300)
    observed = data[: nu.size]
    value = float(np.sum(observed * np.log(nu) - nu - gammaln(observed + 1.0)))
    c = constraints
    if c.normal_parameter.size:
        theta = pars[c.normal_parameter]
        center = data[c.normal_datum]
        sigma = np.where(theta < center, c.sigma_low, c.sigma_high)
        value -= float(np.sum(0.5 * ((theta - center) / sigma) ** 2
                              + np.log(0.5 * (c.sigma_low + c.sigma_high)) + _LOG_SQRT_2PI))
    if c.poisson_parameter.size:
        mean = np.maximum(pars[c.poisson_parameter], 1e-300)
        count = data[c.poisson_datum]
        value += float(np.sum(count * np.log(mean) - mean - gammaln(count + 1.0)))
    return value
