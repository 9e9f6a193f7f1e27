"""Asymptotic CLs, from the test statistic on the observed and the Asimov data.

Formulas of Cowan, Cranmer, Gross, Vitells (arXiv:1007.1727), written as pyhf 0.7 writes them
(``pyhf.infer.calculators.AsymptoticCalculator``): with sqrt(q) the observed and sqrt(q_A) the
Asimov value of the test statistic, the statistic t is sqrt(q) - sqrt(q_A) for q_mu, and for
q~_mu where sqrt(q) >= sqrt(q_A), (q - q_A) / (2 sqrt(q_A)) (eq. 66). Then

    CLs+b = Phi(-(t + sqrt(q_A))),   CLb = Phi(-t),   CLs = CLs+b / CLb,

and the expected band is CLs at t = -n for n = -2, -1, 0, 1, 2 (ascending CLs).

The Asimov data are the expected data at the conditional fit of the observed data with mu = 0
(mu = 1 for the discovery q0). Their auxiliary data (global observables) are set to the fitted
nuisance values (``global_observables="fitted"``: pyhf, RooStats, Combine) or kept at their
observed, nominal values (``"nominal"``: spey, SModelS).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from scipy.special import ndtr

from likelihub.fits.blas import single_blas_thread
from likelihub.fits.budget import deadline_from
from likelihub.infer.profile import FitRequest, Profiler, poi_bounds_for
from likelihub.infer.test_statistics import q0, test_statistic_value
from likelihub.results import CLsResult, SignificanceResult, band_n_sigma

__all__ = ["AsymptoticCalculator", "asimov_data", "asymptotic_pvalues", "expected_cls_band",
           "asymptotic_significance", "GLOBAL_OBSERVABLES"]

GLOBAL_OBSERVABLES = ("fitted", "nominal")


def asimov_data(backend, pars: np.ndarray, observed: np.ndarray,
                global_observables: str = "fitted") -> np.ndarray:
    """Expected data at ``pars``, with the auxiliary data fitted or kept at the observed values.

    Parameters
    ----------
    backend
        Object satisfying the backend contract.
    pars
        Parameters (usually a conditional fit of the observed data).
    observed
        The observed data, whose auxiliary part is kept for ``"nominal"``.
    global_observables
        ``"fitted"`` (default) or ``"nominal"``.
    """
    if global_observables not in GLOBAL_OBSERVABLES:
        raise ValueError(f"global_observables must be one of {GLOBAL_OBSERVABLES}, "
                         f"got {global_observables!r}")
    expected = np.array(backend.expected_data(pars), dtype=float)
    n_main = backend.config.n_main
    if global_observables == "nominal" and n_main is not None:
        expected[n_main:] = np.asarray(observed, dtype=float)[n_main:]
    return expected


def asymptotic_pvalues(sqrt_q: float, sqrt_q_asimov: float, test_statistic: str) -> tuple:
    """(CLs, CLs+b, CLb) from the observed and Asimov square roots of q_mu or q~_mu."""
    if test_statistic == "qtilde" and sqrt_q > sqrt_q_asimov and sqrt_q_asimov > 0:
        t = (sqrt_q**2 - sqrt_q_asimov**2) / (2.0 * sqrt_q_asimov)
    else:
        t = sqrt_q - sqrt_q_asimov
    clsb = float(ndtr(-(t + sqrt_q_asimov)))
    clb = float(ndtr(-t))
    return clsb / clb if clb > 0 else 1.0, clsb, clb


def expected_cls_band(sqrt_q_asimov: float, band: str = "sigma") -> list[float]:
    """Expected CLs at the band's quantiles Phi(n) (ascending): n = -2..2 for ``"sigma"``, and
    Phi(n) = 0.025, 0.16, 0.5, 0.84, 0.975 for ``"percentiles"``.

    The limit where this CLs equals alpha solves sqrt(q_A) = n + Phi^-1(1 - alpha Phi(n)), the
    crossing CMS Combine's AsymptoticLimits finds (its ``findExpectedLimitFromCrossing``, with
    q_A = 2 Delta NLL of the Asimov data; CCGV eq. 88)."""
    return [float(ndtr(n - sqrt_q_asimov) / ndtr(n)) for n in band_n_sigma(band)]


class AsymptoticCalculator:
    """Asymptotic CLs at any mu, with the fits of the observed and Asimov data cached.

    Parameters
    ----------
    backend
        Object satisfying the backend contract.
    data
        Observed data.
    test_statistic
        ``"qtilde"`` (default) or ``"q"``.
    global_observables
        Auxiliary data of the Asimov data: ``"fitted"`` (default) or ``"nominal"``.
    fit_options
        Keywords for :func:`likelihub.fits.engine.fit`. Their ``time_limit`` bounds the calculator's
        fits together, from its creation (:mod:`likelihub.fits.budget`): a calculator serves one
        inference call (a CLs, a scan of CLs, an upper limit).
    band
        The expected band's quantiles: ``"sigma"`` (-2..+2 sigma, pyhf) or ``"percentiles"``
        (2.5, 16, 50, 84, 97.5%, Combine's AsymptoticLimits); see :data:`likelihub.results.BANDS`.
    asimov_parameters
        Where ``data`` are Asimov data already (blind results: the pre-fit Asimov data), the
        parameters they were made at, mu = 0: the Asimov data are made there, without the
        conditional fit of ``data`` at mu = 0 that finds them otherwise.
    """

    name = "asymptotic"

    def __init__(self, backend, data: np.ndarray, test_statistic: str = "qtilde",
                 global_observables: str = "fitted", fit_options: Mapping | None = None,
                 band: str = "sigma", asimov_parameters: np.ndarray | None = None):
        if global_observables not in GLOBAL_OBSERVABLES:
            raise ValueError(f"asimov_global_observables must be one of {GLOBAL_OBSERVABLES}, "
                             f"got {global_observables!r}")
        self.backend = backend
        self.test_statistic = test_statistic
        self.global_observables = global_observables
        self.band = band
        self.fit_options = fit_options
        self.bounds = poi_bounds_for(backend.config, test_statistic)
        self.deadline = deadline_from(fit_options)
        self.observed = Profiler(backend, data, self.bounds, fit_options, deadline=self.deadline)
        self.asimov_parameters = None if asimov_parameters is None else np.array(asimov_parameters, float)
        self._asimov: Profiler | None = None

    @property
    def asimov(self) -> Profiler:
        """Fits of the Asimov data for mu = 0 (background only)."""
        if self._asimov is None:
            pars = (self.observed.conditional_fit(0.0).values if self.asimov_parameters is None
                    else self.asimov_parameters)
            data = asimov_data(self.backend, pars, self.observed.data, self.global_observables)
            # The fits of the Asimov data start where it was generated: its best fit (for q~_mu)
            # lies there, and its conditional fits nearby.
            self._asimov = Profiler(self.backend, data, self.bounds, self.fit_options, start=pars,
                                    label="Asimov data (mu = 0)", deadline=self.deadline)
        return self._asimov

    def fit_requests(self, mu: float) -> list[FitRequest]:
        """The next fits :meth:`cls` at ``mu`` needs that are not made yet, in the order it makes
        them: the observed data's fit at mu = 0 (the Asimov data's parameters, unless given), the
        Asimov data's fits at ``mu`` and free, then the observed data's. Each fit's start depends
        on those before it, so one fit is asked for at a time: ask again once it is made (accepted
        by its profiler, or made alone); an empty list once ``cls(mu)`` needs no more fits (it may
        still refit, where a free fit missed a lower minimum)."""
        first = self.observed.pending(0.0) if self.asimov_parameters is None else None
        if first is not None:
            return [first]
        for profiler, at in ((self.asimov, mu), (self.asimov, None), (self.observed, mu),
                             (self.observed, None)):
            request = profiler.pending(at)
            if request is not None:
                return [request]
        return []

    def sqrt_q(self, mu: float) -> float:
        """Square root of the observed test statistic at mu."""
        return float(np.sqrt(test_statistic_value(self.test_statistic, self.observed, mu)))

    def sqrt_q_asimov(self, mu: float) -> float:
        """Square root of the Asimov test statistic at mu."""
        return float(np.sqrt(test_statistic_value(self.test_statistic, self.asimov, mu)))

    def cls(self, mu: float, expected: str = "all") -> CLsResult:
        """CLs at ``mu``: ``expected`` is "observed", "expected" (the band) or "all"."""
        if expected not in ("observed", "expected", "all"):
            raise ValueError(f"expected must be 'observed', 'expected' or 'all', got {expected!r}")
        with single_blas_thread():
            sqrt_qa = self.sqrt_q_asimov(mu)
            obs = clsb = clb = sqrt_q = None
            if expected in ("observed", "all"):
                sqrt_q = self.sqrt_q(mu)
        if sqrt_q is not None:
            obs, clsb, clb = asymptotic_pvalues(sqrt_q, sqrt_qa, self.test_statistic)
        band = expected_cls_band(sqrt_qa, self.band) if expected in ("expected", "all") else None
        return CLsResult(
            mu=float(mu), cls_obs=obs, cls_exp=band, clsb_obs=clsb, clb_obs=clb,
            test_statistic=self.test_statistic, calculator=self.name,
            test_statistic_obs=None if sqrt_q is None else sqrt_q**2,
            test_statistic_asimov=sqrt_qa**2, band=self.band,
        )


def asymptotic_significance(backend, data: np.ndarray, global_observables: str = "fitted",
                            mu_asimov: float = 1.0, fit_options: Mapping | None = None
                            ) -> SignificanceResult:
    """Observed and expected discovery significance from q0 (arXiv:1007.1727 eqs. 12, 53).

    Z = sqrt(q0); the expected Z is sqrt(q0) of the Asimov data for ``mu_asimov`` (the
    conditional fit of the observed data at that signal strength).
    """
    bounds = np.array(backend.config.bounds, dtype=float)
    deadline = deadline_from(fit_options)
    with single_blas_thread():
        observed = Profiler(backend, data, bounds, fit_options, deadline=deadline)
        z_obs = float(np.sqrt(q0(observed)))
        pars = observed.conditional_fit(mu_asimov).values
        asimov = Profiler(backend, asimov_data(backend, pars, observed.data, global_observables),
                          bounds, fit_options, label=f"Asimov data (mu = {mu_asimov:g})", deadline=deadline)
        z_exp = float(np.sqrt(q0(asimov)))
    return SignificanceResult(z_obs=z_obs, p_obs=float(ndtr(-z_obs)), z_exp=z_exp,
                              p_exp=float(ndtr(-z_exp)), mu_asimov=float(mu_asimov))
