"""The hypothesis tests of :class:`~likelihub.model.StatisticalModel`: CLs, CLs scans and upper limits.

:class:`HypothesisTests` is a part of :class:`~likelihub.model.StatisticalModel` (its base class),
kept in its own module: the calculator behind the tests, and :meth:`~HypothesisTests.cls`,
:meth:`~HypothesisTests.cls_scan` and :meth:`~HypothesisTests.upper_limit`, each with

- ``band``: the expected band's quantiles, ``"sigma"`` (-2..+2 sigma, pyhf's) or ``"percentiles"``
  (2.5, 16, 50, 84, 97.5%, CMS Combine's AsymptoticLimits);
- ``blind``: the *a-priori* expected results, Combine's ``AsymptoticLimits --run blind``. The data
  are replaced by the pre-fit Asimov data -- every parameter at its initial value, the POI at 0,
  the global observables at their nominal values (:meth:`StatisticalModel.asimov_data` with
  ``prefit=True``; Combine's ``asimovDatasetNominal``) -- and only the expected band is computed,
  so the observed data are never looked at. Without ``blind`` the expected band is *a-posteriori*:
  its Asimov data come from a fit of the observed data (pyhf's and Combine's default).
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Sequence

import numpy as np

from likelihub import arguments as check
from likelihub.errors import InvalidArgumentError
from likelihub.infer import (
    AsymptoticCalculator,
    Chi2Calculator,
    ToyCalculator,
    poi_bounds_for,
    upper_limit,
)
from likelihub.infer.asymptotic import GLOBAL_OBSERVABLES
from likelihub.infer.limits import capped_by_upper_bound
from likelihub.progress import progress_bar
from likelihub.results import BANDS, CLsResult, CLsScanResult, UpperLimitResult

_log = logging.getLogger(__name__)

__all__ = ["HypothesisTests", "CALCULATORS", "TEST_STATISTICS", "EXPECTED", "expected_results"]

CALCULATORS = ("asymptotic", "toys", "chi2")
TEST_STATISTICS = ("qtilde", "q")
EXPECTED = ("all", "observed", "expected")


def expected_results(expected: str, blind: bool) -> str:
    """``expected`` checked; with ``blind``, "all" becomes "expected" and "observed" is refused."""
    expected = check.choice(expected, argument="expected", choices=EXPECTED)
    blind = check.flag(blind, argument="blind")
    if blind and expected == "observed":
        raise InvalidArgumentError("blind=True computes the expected results only (Combine's "
                                   "--run blind); ask for expected='all' or 'expected'",
                                   argument="expected")
    return "expected" if blind else expected


class HypothesisTests:
    """CLs, CLs scans and upper limits of a :class:`~likelihub.model.StatisticalModel` (its base)."""

    def calculator(self, calculator: str = "asymptotic", test_statistic: str = "qtilde",
                   asimov_global_observables: str = "fitted",
                   data: Sequence[float] | None = None, ntoys: int = 2000,
                   rng: np.random.Generator | None = None, executor=None,
                   progress: bool | None = None, band: str = "sigma", blind: bool = False):
        """The calculator object behind :meth:`cls` and :meth:`upper_limit` (it caches its fits).

        ``executor`` spreads the toys' chunks over processes or a Dask cluster (toys only; see
        :func:`likelihub.running.scanning.run_scan`); ``progress`` shows a progress bar of the toys
        (default: on a terminal); ``band`` chooses the expected band's quantiles: ``"sigma"``
        (-2..+2 sigma, pyhf's) or ``"percentiles"`` (2.5, 16, 50, 84, 97.5%, Combine's
        AsymptoticLimits; :data:`likelihub.results.BANDS`). The fit options' ``time_limit`` bounds
        the calculator's fits together, from its creation (:mod:`likelihub.fits.budget`). ``ntoys``
        is a whole number (``1e4`` is accepted, ``1.5`` is not) and ``rng`` a
        :class:`numpy.random.Generator` or None. ``blind=True`` gives it the pre-fit Asimov data
        instead of the data (see the module docstring): its observed results are expected ones;
        the asymptotic and chi2 calculators take them as their Asimov data too (no fit makes them
        again), the toys are drawn from the pre-fit Asimov data's conditional fits.

        Raises
        ------
        likelihub.errors.InvalidModelError
            Where the model's configuration holds the POI fixed (a HistFactory measurement with
            ``{"name": "mu", "fixed": true}``): CLs and limits need mu-hat free, and are refused
            rather than computed with the POI pinned (pyhf's ``hypotest`` refuses too). Free
            the POI where the model is defined, e.g. with a JSON patch of the measurement.
        likelihub.errors.InvalidArgumentError
            For an argument that is not what it claims (the message names it).
        """
        self._require_free_poi("CLs and upper limits")
        calculator = check.choice(calculator, argument="calculator", choices=CALCULATORS)
        test_statistic = check.choice(test_statistic, argument="test_statistic",
                                      choices=TEST_STATISTICS)
        check.choice(asimov_global_observables, argument="asimov_global_observables",
                     choices=GLOBAL_OBSERVABLES)
        band = check.choice(band, argument="band", choices=tuple(BANDS))
        ntoys = check.whole_number(ntoys, argument="ntoys", minimum=1)
        rng = None if rng is None else check.generator(rng)
        data = self._data(data)
        asimov_parameters = None  # where the data are the Asimov data (mu = 0) already: blind
        if check.flag(blind, argument="blind"):
            data = self.asimov_data(0.0, asimov_global_observables, data=data, prefit=True)
            asimov_parameters = self._prefit_parameters(0.0)
        if calculator == "asymptotic":
            return AsymptoticCalculator(self.backend, data, test_statistic, asimov_global_observables,
                                        self.fit_options, band=band, asimov_parameters=asimov_parameters)
        if calculator == "toys":
            return ToyCalculator(self.backend, data, test_statistic, ntoys, rng, self.fit_options,
                                 executor=executor, progress=progress, band=band)
        return Chi2Calculator(self.backend, data, asimov_global_observables, self.fit_options, band=band,
                              asimov_parameters=asimov_parameters)

    _expected = staticmethod(expected_results)

    @staticmethod
    def _refuse_capped(calc, mu: float, expected: str, argument: str = "mu") -> None:
        """Refuse a mu above the POI's upper bound where that bound caps mu-hat (toys; an
        observed mu-hat at the bound)."""
        problem = capped_by_upper_bound(calc, mu, observed=expected != "expected")
        if problem:
            raise InvalidArgumentError(problem, argument=argument)

    def cls(self, mu: float = 1.0, calculator: str = "asymptotic",
            test_statistic: str = "qtilde", expected: str = "all",
            asimov_global_observables: str = "fitted", data: Sequence[float] | None = None,
            ntoys: int = 2000, rng: np.random.Generator | None = None, executor=None,
            progress: bool | None = None, band: str = "sigma", blind: bool = False) -> CLsResult:
        """CLs of the signal strength ``mu``.

        Parameters
        ----------
        mu
            Tested signal strength.
        calculator
            "asymptotic" (default), "toys" or "chi2".
        test_statistic
            "qtilde" (q~_mu, default) or "q" (q_mu).
        expected
            "all" (observed and the expected band, default), "observed", or "expected" (band only).
        asimov_global_observables
            "fitted" (default) or "nominal" (see the module docstring).
        data
            Data to test; the observed data by default.
        ntoys, rng, executor, progress
            Toys per hypothesis, the random generator, where the toys run, and whether a progress
            bar shows (default: on a terminal) (toys only).
        band
            The expected band: ``"sigma"`` (-2..+2 sigma, default) or ``"percentiles"`` (2.5..97.5%,
            as CMS Combine's AsymptoticLimits).
        blind
            The a-priori expected band only, from the pre-fit Asimov data, the data unused
            (Combine's ``--run blind``; see the module docstring).

        Notes
        -----
        ``mu`` must be finite and at or above the POI's lower bound (0 for q~_mu). It may lie
        above the upper bound, except where that bound caps mu-hat: for toys, and where the
        observed mu-hat sits at the bound (see :func:`likelihub.infer.limits.capped_by_upper_bound`).
        """
        expected = self._expected(expected, blind)
        mu = self._mu(mu, calculator=calculator, test_statistic=test_statistic)
        calc = self.calculator(calculator, test_statistic, asimov_global_observables, data,
                               ntoys, rng, executor, progress, band=band, blind=blind)
        self._refuse_capped(calc, mu, expected)
        result = calc.cls(mu, expected=expected)
        _log.debug("CLs at mu = %.6g (%s, %s): observed %s, expected %s", mu, calc.name,
                   calc.test_statistic, result.cls_obs, result.cls_exp)
        return result

    def cls_scan(self, mus: Sequence[float], calculator: str = "asymptotic",
                 test_statistic: str = "qtilde", expected: str = "all",
                 asimov_global_observables: str = "fitted", data: Sequence[float] | None = None,
                 ntoys: int = 2000, rng: np.random.Generator | None = None,
                 band: str = "sigma", blind: bool = False, progress: bool | None = None) -> CLsScanResult:
        """:meth:`cls` on a grid of signal strengths, sharing the fits that do not depend on mu;
        ``progress`` shows a bar of the signal strengths done (and, with toys, each one's toys):
        None (on a terminal), True, False, or the caller's bar (:mod:`likelihub.progress`)."""
        expected = self._expected(expected, blind)
        grid = check.numbers_array(mus, argument="mus")
        if grid.ndim != 1 or grid.size == 0:
            raise InvalidArgumentError(f"must be a non-empty sequence of signal strengths, got "
                                       f"shape {grid.shape}", argument="mus")
        grid = [self._mu(mu, argument=f"mus[{i}]", calculator=calculator,
                         test_statistic=test_statistic) for i, mu in enumerate(grid.tolist())]
        calc = self.calculator(calculator, test_statistic, asimov_global_observables, data,
                               ntoys, rng, progress=progress, band=band, blind=blind)
        for i, mu in enumerate(grid):
            self._refuse_capped(calc, mu, expected, argument=f"mus[{i}]")
        results = []
        with progress_bar(progress, total=len(grid), unit="mu", desc="CLs scan") as bar:
            for mu in grid:
                results.append(calc.cls(mu, expected=expected))
                bar.update(1)
        return CLsScanResult(
            mu=[r.mu for r in results],
            cls_obs=None if expected == "expected" else [r.cls_obs for r in results],
            cls_exp=None if expected == "observed" else [r.cls_exp for r in results],
            test_statistic=calc.test_statistic, calculator=calc.name, band=calc.band,
        )

    def upper_limit(self, cl: float = 0.95, calculator: str = "asymptotic",
                    test_statistic: str = "qtilde", expected: str = "all",
                    asimov_global_observables: str = "fitted",
                    data: Sequence[float] | None = None, ntoys: int = 2000,
                    rng: np.random.Generator | None = None, rtol: float = 1e-6, executor=None,
                    progress: bool | None = None, band: str = "sigma", blind: bool = False
                    ) -> UpperLimitResult:
        """Upper limit on mu at confidence level ``cl`` (CLs = 1 - cl), observed and expected band.

        Root finding with scipy's TOMS 748 on each curve (see :mod:`likelihub.infer.limits`);
        the other parameters are those of :meth:`cls`. ``progress`` shows a bar of the limits found
        (and, for toys, one of the toys of each tested mu): None (default) on a terminal, True,
        False, or the caller's bar (:mod:`likelihub.progress`). The bracket's upper end doubles until CLs
        falls below 1 - cl; a :class:`~likelihub.errors.LimitError` says why where it never does
        (CLs flat in mu, or the POI's upper bound capping mu-hat).
        """
        cl = check.probability(cl, argument="cl")
        rtol = check.positive(rtol, argument="rtol")
        expected = self._expected(expected, blind)
        calc = self.calculator(calculator, test_statistic, asimov_global_observables, data,
                               ntoys, rng, executor, progress, band=band, blind=blind)
        poi = self.config.require_poi()
        bounds = poi_bounds_for(self.config, test_statistic)[poi]
        limit = upper_limit(calc, bounds, cl=cl, expected=expected, rtol=rtol, progress=progress)
        return dataclasses.replace(limit, poi=self.config.poi_name)
