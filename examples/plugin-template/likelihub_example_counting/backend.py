"""One counting experiment: n ~ Poisson(mu s + b (1 + delta theta)), a ~ Normal(theta, 1).

The full log-likelihood, main and constraint term, normalised:

    log L(mu, theta) = n ln nu - nu - ln n! - (a - theta)^2 / 2 - ln sqrt(2 pi),
    nu = mu s + b (1 + delta theta),

with the auxiliary datum a = 0 observed. Data are (n, a): one main measurement, then the
auxiliary datum (``n_main = 1``).
"""

from __future__ import annotations

import numpy as np
from scipy.special import gammaln

from likelihub.errors import InvalidDataError, InvalidModelError
from likelihub.plugin import DataLayout, ModelConfig

LOG_SQRT_TWO_PI = 0.5 * np.log(2.0 * np.pi)


class CountingExperiment:
    """A backend: ``config``, ``data``, ``expected_data`` and ``logpdf``, plus a gradient.

    Parameters
    ----------
    signal_yield
        Expected signal events s at mu = 1.
    background_yield
        Expected background events b.
    background_uncertainty
        Absolute uncertainty on b (delta = uncertainty / b).
    observed
        Observed events n.
    """

    def __init__(self, signal_yield: float, background_yield: float,
                 background_uncertainty: float, observed: float):
        if background_yield <= 0 or background_uncertainty <= 0:
            raise InvalidModelError(
                "the background yield and its uncertainty must be positive",
                argument="background_yield" if background_yield <= 0 else "background_uncertainty")
        if observed < 0:
            raise InvalidDataError("observed events cannot be negative", argument="observed")
        self.signal = float(signal_yield)
        self.background = float(background_yield)
        self.delta = float(background_uncertainty) / self.background
        self.config = ModelConfig(
            parameter_names=["mu", "theta"], poi_index=0, init=[1.0, 0.0],
            bounds=[(0.0, 100.0), (-5.0, 5.0)], n_main=1,
            # lets the core draw toys: n is Poisson, a is Normal with width 1
            data_layout=DataLayout(("poisson", "normal"), [1.0, 1.0]),
        )
        self.data = np.array([observed, 0.0])

    def _rate(self, pars: np.ndarray) -> float:
        return pars[0] * self.signal + self.background * (1.0 + self.delta * pars[1])

    def expected_data(self, pars: np.ndarray) -> np.ndarray:
        """(nu, theta): the expected count and the expected auxiliary datum."""
        return np.array([self._rate(pars), pars[1]])

    def logpdf(self, pars: np.ndarray, data: np.ndarray) -> float:
        """The full log-likelihood of ``data`` = (n, a) at ``pars`` = (mu, theta)."""
        nu, (n, a) = self._rate(pars), data
        if nu <= 0:
            return -np.inf
        return float(n * np.log(nu) - nu - gammaln(n + 1) - 0.5 * (a - pars[1]) ** 2 - LOG_SQRT_TWO_PI)

    def value_and_grad(self, pars: np.ndarray, data: np.ndarray) -> tuple[float, np.ndarray]:
        """logpdf and its gradient in (mu, theta): optional, but fits are faster with it."""
        nu, (n, a) = self._rate(pars), data
        weight = n / nu - 1.0
        grad = np.array([weight * self.signal, weight * self.background * self.delta + (a - pars[1])])
        return self.logpdf(pars, data), grad

    def describe(self) -> str:
        """One line for ``likelihub inspect``."""
        return (f"counting experiment: n = {self.data[0]:g}, s = {self.signal:g}, "
                f"b = {self.background:g} +/- {self.background * self.delta:g}")
