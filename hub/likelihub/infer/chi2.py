"""Chi-square: the profile likelihood ratio and p-values from Wilks' theorem.

chi2(mu) = -2 ln [L(mu, theta-hat-hat) / L(mu_ref, theta-hat-hat)], with mu_ref the best fit
(the global maximum) unless given. The ``"chi2"`` calculator turns the observed t_mu into a
p-value with Wilks' theorem, p = P(chi2 with 1 degree of freedom > t_mu), reported as ``cls_obs``
with no CLs correction (CLb = 1). Its expected band is the same p-value at
sqrt(t_mu) = sqrt(t_mu,A) - n for n = -2..2, with t_mu,A from the background-only Asimov data.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from scipy.special import chdtrc  # chi2 survival function; scipy.stats (0.5 s to import) uses it

from likelihub.fits.blas import single_blas_thread
from likelihub.fits.budget import deadline_from
from likelihub.infer.asymptotic import asimov_data
from likelihub.infer.profile import Profiler
from likelihub.results import CLsResult, band_n_sigma

__all__ = ["Chi2Calculator", "profile_chi2"]


def profile_chi2(profiler: Profiler, mu: float, mu_ref: float | None = None) -> float:
    """-2 ln [L(mu) / L(mu_ref)] with the nuisance parameters profiled (mu_ref None: best fit)."""
    reference = profiler.free_fit().nll if mu_ref is None else profiler.profile_nll(mu_ref)
    return 2.0 * (profiler.profile_nll(mu) - reference)


class Chi2Calculator:
    """p-values of mu from Wilks' theorem (see the module docstring).

    Parameters
    ----------
    backend, data
        The model and the observed data.
    global_observables
        Auxiliary data of the Asimov data for the expected values: "fitted" or "nominal".
    fit_options
        Keywords for :func:`likelihub.fits.engine.fit`; their ``time_limit`` bounds the calculator's
        fits together, from its creation (:mod:`likelihub.fits.budget`).
    band
        The expected band's quantiles, ``"sigma"`` or ``"percentiles"`` (:data:`likelihub.results.BANDS`).
    asimov_parameters
        As :class:`~likelihub.infer.asymptotic.AsymptoticCalculator`'s: where ``data`` are Asimov
        data made at these parameters (mu = 0), its Asimov data are made there, unfitted.
    """

    name = "chi2"
    test_statistic = "t"

    def __init__(self, backend, data: np.ndarray, global_observables: str = "fitted",
                 fit_options: Mapping | None = None, band: str = "sigma",
                 asimov_parameters: np.ndarray | None = None):
        self.backend = backend
        self.band = band
        bounds = np.array(backend.config.bounds, dtype=float)
        self.deadline = deadline_from(fit_options)
        self.observed = Profiler(backend, data, bounds, fit_options, deadline=self.deadline)
        if asimov_parameters is not None:
            pars = np.array(asimov_parameters, dtype=float)
        else:
            with single_blas_thread():
                pars = self.observed.conditional_fit(0.0).values
        self.asimov = Profiler(backend, asimov_data(backend, pars, data, global_observables),
                               bounds, fit_options, label="Asimov data (mu = 0)", deadline=self.deadline)

    def cls(self, mu: float, expected: str = "all") -> CLsResult:
        """p-value of ``mu``: ``expected`` is "observed", "expected" (the band) or "all"."""
        if expected not in ("observed", "expected", "all"):
            raise ValueError(f"expected must be 'observed', 'expected' or 'all', got {expected!r}")
        with single_blas_thread():
            t_asimov = max(self.asimov.t_mu(mu), 0.0)
            t_obs = self.observed.t_mu(mu) if expected in ("observed", "all") else None
        result = CLsResult(mu=float(mu), cls_obs=None, cls_exp=None, clsb_obs=None, clb_obs=None,
                           test_statistic=self.test_statistic, calculator=self.name,
                           test_statistic_asimov=t_asimov, band=self.band)
        if t_obs is not None:
            p = float(chdtrc(1, t_obs))
            result.cls_obs, result.clsb_obs, result.clb_obs = p, p, 1.0
            result.test_statistic_obs = t_obs
        if expected in ("expected", "all"):
            sqrt_t = np.sqrt(t_asimov) - band_n_sigma(self.band)
            result.cls_exp = chdtrc(1, np.clip(sqrt_t, 0.0, None) ** 2).tolist()
        return result
