"""Profile likelihood fits of one data set, cached: the free fit and conditional fits at fixed mu.

A :class:`Profiler` makes each fit when asked for it. It can also say which fit it would make and
from where (:meth:`Profiler.pending`, a :class:`FitRequest`), and take that fit made elsewhere
(:meth:`Profiler.accept`): :mod:`likelihub.infer.lockstep` makes the requested fits of many
models together, in lock-step, each from the start its profiler would use alone.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from likelihub.errors import FitError, FitTimeLimitError
from likelihub.fits.budget import Deadline, deadline_from
from likelihub.fits.engine import FitResult, fit
from likelihub.infer.test_statistics import statistics_from_minima

__all__ = ["Profiler", "FitRequest", "poi_bounds_for"]


def poi_bounds_for(config, test_statistic: str) -> np.ndarray:
    """The bounds a test statistic fits with: for q~_mu the POI is held at or above zero.

    Cowan et al. (arXiv:1007.1727, eq. 16) define q~_mu with mu-hat < 0 replaced by 0, which is
    what a fit with the POI bounded below at zero computes; pyhf fits q~_mu with its models' POI
    bounds, which start at zero, so both agree.
    """
    bounds = np.array(config.bounds, dtype=float)
    if test_statistic == "qtilde":
        poi = config.require_poi()
        bounds[poi, 0] = max(bounds[poi, 0], 0.0)
        bounds[poi, 1] = max(bounds[poi, 1], bounds[poi, 0])
    return bounds


@dataclass(frozen=True, eq=False)
class FitRequest:
    """A fit a :class:`Profiler` needs: of its data, the POI fixed at ``mu`` (None: free), from
    ``start``, within the profiler's bounds.

    Attributes
    ----------
    profiler
        Whose fit it is (its backend, data, bounds, deadline and fit options).
    mu
        The POI's fixed value; None for the free fit.
    start
        The full parameter vector the fit starts from (the POI at ``mu`` where fixed).
    """

    profiler: Profiler
    mu: float | None
    start: np.ndarray


class Profiler:
    """Fits of one backend to one data set with the POI free or fixed, each done once.

    Parameters
    ----------
    backend
        Object satisfying the backend contract.
    data
        The data set.
    bounds
        Parameter bounds for every fit ((P, 2)).
    fit_options
        Keywords passed to :func:`likelihub.fits.engine.fit` (``method``, ``edm_max``, ...).
    start
        Where the fits start; the config's initial values by default.
    label
        What the data are ("observed data", "Asimov data", "toy 3"), for the messages of failed fits.
    deadline
        The inference call's :class:`~likelihub.fits.budget.Deadline`; by default one of the fit
        options' ``time_limit`` from now (:mod:`likelihub.fits.budget`).
    """

    def __init__(self, backend, data: np.ndarray, bounds: np.ndarray,
                 fit_options: Mapping | None = None, start: np.ndarray | None = None,
                 label: str = "observed data", deadline: Deadline | None = None):
        self.backend = backend
        self.data = np.asarray(data, dtype=float)
        self.bounds = np.asarray(bounds, dtype=float)
        self.poi = backend.config.require_poi()
        self.label = label
        self.deadline = deadline_from(fit_options, deadline)
        self.fit_options = dict(fit_options or {})
        self.fit_options.pop("time_limit", None)
        self.start = np.array(backend.config.init if start is None else start, dtype=float)
        self._free: FitResult | None = None
        self._conditional: dict[float, FitResult] = {}

    def _warm_start(self, mu: float) -> np.ndarray:
        if not self._conditional:
            start = self.start.copy()
        else:
            nearest = min(self._conditional, key=lambda m: abs(m - mu))
            start = self._conditional[nearest].values.copy()
        start[self.poi] = mu
        return start

    def _free_start(self) -> np.ndarray:
        """Where the free fit starts: the best conditional fit where it is lower than the start
        (the free minimum lies near it; the Asimov data's start is its exact minimum, and lower)."""
        if self._conditional:
            best = min(self._conditional.values(), key=lambda r: r.nll)
            if best.nll < self._nll_at_start():
                return best.values
        return self.start

    def _fit(self, mu: float | None, start: np.ndarray, **options) -> FitResult:
        """One fit of these data from ``start``: the POI fixed at ``mu``, or free (None)."""
        poi = self.backend.config.parameter_names[self.poi]
        what = f"{poi} free" if mu is None else f"{poi} fixed at {mu:g}"
        options = {**self.fit_options, **options}
        if mu is None:
            return fit(self.backend, self.data, init=start, bounds=self.bounds, deadline=self.deadline,
                       description=f"free fit of the {self.label} ({what})", **options)
        return fit(self.backend, self.data, fixed_values={self.poi: mu}, init=start,
                   bounds=self.bounds, deadline=self.deadline,
                   description=f"conditional fit of the {self.label} ({what})", **options)

    def free_fit(self) -> FitResult:
        """The fit with the POI free (within ``bounds``)."""
        if self._free is None:
            self._free = self._fit(None, self._free_start())
        return self._free

    def pending(self, mu: float | None) -> FitRequest | None:
        """The fit at POI ``mu`` (None: the free fit) as a request, with the start this profiler
        would fit from now; None where that fit is made already."""
        if mu is None:
            return None if self._free is not None else FitRequest(self, None, self._free_start())
        mu = float(mu)
        return None if mu in self._conditional else FitRequest(self, mu, self._warm_start(mu))

    def accept(self, request: FitRequest, result: FitResult) -> None:
        """Take ``result``, a converged fit made elsewhere for ``request`` (one of this profiler's
        :meth:`pending` fits), as that fit."""
        if request.profiler is not self:
            raise ValueError("a profiler accepts the fits of its own requests only")
        if request.mu is None:
            self._free = result
        else:
            self._conditional[request.mu] = result

    def make(self, request: FitRequest) -> FitResult:
        """Make the fit of ``request`` here, alone (as :meth:`free_fit` or :meth:`conditional_fit`)."""
        return self.free_fit() if request.mu is None else self.conditional_fit(request.mu)

    def _nll_at_start(self) -> float:
        start = np.clip(self.start, self.bounds[:, 0], self.bounds[:, 1])
        if not np.array_equal(start, self.start):
            return np.inf  # not a point the free fit may start from
        nll = -float(self.backend.logpdf(start, self.data))
        return nll if np.isfinite(nll) else np.inf

    def conditional_fit(self, mu: float) -> FitResult:
        """The fit with the POI fixed at ``mu`` (where -log L is infinite at ``mu`` whatever the
        other parameters, the limit that :func:`likelihub.fits.engine.fit` describes)."""
        mu = float(mu)
        if mu not in self._conditional:
            self._conditional[mu] = self._fit(mu, self._warm_start(mu))
        return self._conditional[mu]

    def cross_check(self, mu: float) -> None:
        """Fit again, the conditional fit from the free minimum and the free fit from the
        conditional one, and keep the lower minima: for data whose likelihood has several local
        minima (toys of low-count models do), where one start can end in the wrong one."""
        mu = float(mu)
        free, conditional = self.free_fit(), self.conditional_fit(mu)
        seed = free.values.copy()
        seed[self.poi] = mu
        try:
            other = self._fit(mu, seed)
            if other.nll < conditional.nll:
                self._conditional[mu] = other
            other = self._fit(None, np.clip(conditional.values, self.bounds[:, 0], self.bounds[:, 1]))
            if other.nll < free.nll:
                self._free = other
        except FitTimeLimitError:
            raise
        except FitError:
            pass  # the fits already made stand

    @property
    def mu_hat(self) -> float:
        """Best-fit POI."""
        return float(self.free_fit().values[self.poi])

    def minima(self, mu: float) -> tuple[FitResult, FitResult]:
        """The conditional fit at ``mu`` and the free fit, the free fit redone from the conditional
        minimum where that is lower (the free fit missed it): what every test statistic reads
        (:func:`~likelihub.infer.test_statistics.statistics_from_minima`)."""
        conditional = self.conditional_fit(mu)
        free = self.free_fit()
        if conditional.nll < free.nll - 1e-6:
            self._refit_free_from(conditional)
            free = self.free_fit()
        return conditional, free

    def t_mu(self, mu: float) -> float:
        """-2 ln lambda(mu) = 2 (nll(mu, theta-hat-hat) - nll(mu-hat, theta-hat)), clipped at 0.

        A negative value means the free fit missed the minimum that the conditional one found;
        it is clipped to zero as pyhf does, and the free fit is redone from the better point
        (:meth:`minima`).
        """
        conditional, free = self.minima(mu)
        return float(statistics_from_minima("t", conditional.nll, free.nll, free.values[self.poi], mu))

    def _refit_free_from(self, better: FitResult) -> None:
        start = np.clip(better.values, self.bounds[:, 0], self.bounds[:, 1])
        refit = self._fit(None, start)
        if refit.nll < self._free.nll:
            self._free = refit

    def profile_nll(self, mu: float) -> float:
        """-log L profiled over the nuisance parameters at ``mu``."""
        return self.conditional_fit(mu).nll
