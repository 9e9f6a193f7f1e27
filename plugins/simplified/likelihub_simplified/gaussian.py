"""Gaussian likelihoods of the observed yields: n ~ MVN(mu s + b, Sigma) (diagonal for ``normal``).

The only parameter is mu; there are no nuisance parameters and no auxiliary data. The
log-likelihood is quadratic in mu, so its gradient and Hessian are exact closed forms.
"""

from __future__ import annotations

import numpy as np

from likelihub import ModelConfig

__all__ = ["GaussianBackend"]


class GaussianBackend:
    """ln MVN(n | mu s + b, Sigma), normalised.

    Parameters
    ----------
    signal_yields, background_yields, observed
        Per-bin signal, background and observed yields (validated by the factories).
    covariance
        Covariance matrix Sigma of the observed yields.
    poi_bounds
        (low, high) of mu.
    label
        What the model is, for :meth:`describe`.
    """

    def __init__(self, signal_yields, background_yields, observed, covariance, poi_bounds,
                 label: str = "multivariate normal"):
        self.signal = np.asarray(signal_yields, dtype=float)
        self.background = np.asarray(background_yields, dtype=float)
        self.covariance = np.asarray(covariance, dtype=float)
        self.n_bins = self.signal.size
        self._cholesky = np.linalg.cholesky(self.covariance)
        inverse = np.linalg.solve(self.covariance, np.eye(self.n_bins))
        self._inverse = 0.5 * (inverse + inverse.T)
        logdet = 2.0 * np.sum(np.log(np.diag(self._cholesky)))
        self._norm = -0.5 * (self.n_bins * np.log(2.0 * np.pi) + logdet)
        self._signal_pull = self._inverse @ self.signal
        self._information = float(self.signal @ self._signal_pull)
        self.label = label
        low, high = (float(v) for v in poi_bounds)
        init = 1.0 if low <= 1.0 <= high else 0.5 * (max(low, 0.0) + high)
        self.config = ModelConfig(parameter_names=["mu"], poi_index=0, init=[init], bounds=[(low, high)],
                                  n_main=self.n_bins)
        self.data = np.asarray(observed, dtype=float)

    def _residuals(self, pars, data):
        pars = np.atleast_2d(np.asarray(pars, dtype=float))
        data = np.atleast_2d(np.asarray(data, dtype=float))
        return data - (pars[:, :1] * self.signal + self.background)

    def logpdf_batch(self, pars: np.ndarray, data: np.ndarray) -> np.ndarray:
        """ln MVN for (N, 1) parameters and (N, D) data sets (either may be one, broadcast)."""
        residual = self._residuals(pars, data)
        return -0.5 * np.einsum("mi,ij,mj->m", residual, self._inverse, residual) + self._norm

    def logpdf(self, pars: np.ndarray, data: np.ndarray) -> float:
        """ln MVN(data | mu s + b, Sigma)."""
        return float(self.logpdf_batch(pars, data)[0])

    def value_and_grad(self, pars: np.ndarray, data: np.ndarray) -> tuple[float, np.ndarray]:
        """:meth:`logpdf` and d/dmu = s^T Sigma^-1 (n - mu s - b)."""
        residual = self._residuals(pars, data)[0]
        value = -0.5 * residual @ self._inverse @ residual + self._norm
        return float(value), np.array([residual @ self._signal_pull])

    def hessian(self, pars: np.ndarray, data: np.ndarray) -> np.ndarray:
        """d2/dmu2 = -s^T Sigma^-1 s (constant)."""
        return np.array([[-self._information]])

    def expected_data(self, pars: np.ndarray) -> np.ndarray:
        """mu s + b."""
        return float(np.asarray(pars, dtype=float)[0]) * self.signal + self.background

    def sample(self, pars: np.ndarray, size: int, rng: np.random.Generator) -> np.ndarray:
        """``size`` data sets drawn from MVN(mu s + b, Sigma)."""
        return self.expected_data(pars) + rng.standard_normal((size, self.n_bins)) @ self._cholesky.T

    def describe(self) -> str:
        """One line: model, bins, parameters."""
        return f"{self.label}: {self.n_bins} bins, 1 parameter (POI mu), no nuisance parameters"
