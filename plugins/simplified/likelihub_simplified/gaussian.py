"""Gaussian likelihoods of the observed yields: n ~ MVN(mu s + b, Sigma) (diagonal for ``normal``).

The only parameter is mu (or, with several signal components s_k, their POIs mu_k, the mean
sum_k mu_k s_k + b); there are no nuisance parameters and no auxiliary data. The log-likelihood
is quadratic in the POIs, so its gradient and Hessian are exact closed forms.
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
        Per-bin signal, background and observed yields (validated by the factories); the signal
        may be a (K, N) array, one row per component, each with its own POI.
    covariance
        Covariance matrix Sigma of the observed yields.
    poi_bounds
        (low, high) of mu; with K components, one pair per component.
    label
        What the model is, for :meth:`describe`.
    poi_names
        Names of the K POIs (default ``("mu",)``).
    """

    def __init__(self, signal_yields, background_yields, observed, covariance, poi_bounds,
                 label: str = "multivariate normal", poi_names: tuple[str, ...] = ("mu",)):
        self.signals = np.atleast_2d(np.asarray(signal_yields, dtype=float))
        self.poi_names = tuple(poi_names)
        self.n_pois = k = len(self.poi_names)
        self.signal = self.signals[0] if k == 1 else self.signals
        self.background = np.asarray(background_yields, dtype=float)
        self.covariance = np.asarray(covariance, dtype=float)
        self.n_bins = self.signals.shape[1]
        self._cholesky = np.linalg.cholesky(self.covariance)
        inverse = np.linalg.solve(self.covariance, np.eye(self.n_bins))
        self._inverse = 0.5 * (inverse + inverse.T)
        logdet = 2.0 * np.sum(np.log(np.diag(self._cholesky)))
        self._norm = -0.5 * (self.n_bins * np.log(2.0 * np.pi) + logdet)
        self._signal_pull = self.signals @ self._inverse  # (K, N): s_k^T Sigma^-1
        self._information = self._signal_pull @ self.signals.T  # (K, K): s_k^T Sigma^-1 s_l
        self.label = label
        bounds = np.reshape(np.asarray(poi_bounds, dtype=float), (k, 2))
        init = [1.0 if low <= 1.0 <= high else 0.5 * (max(low, 0.0) + high) for low, high in bounds]
        self.config = ModelConfig(parameter_names=list(self.poi_names), poi_index=0, init=init,
                                  bounds=bounds, n_main=self.n_bins, pois=None if k == 1 else list(range(k)))
        self.data = np.asarray(observed, dtype=float)

    def _residuals(self, pars, data):
        pars = np.atleast_2d(np.asarray(pars, dtype=float))
        data = np.atleast_2d(np.asarray(data, dtype=float))
        if self.n_pois == 1:
            return data - (pars[:, :1] * self.signal + self.background)
        return data - (pars[:, :self.n_pois] @ self.signals + self.background)

    def logpdf_batch(self, pars: np.ndarray, data: np.ndarray) -> np.ndarray:
        """ln MVN for (N, 1) parameters and (N, D) data sets (either may be one, broadcast)."""
        residual = self._residuals(pars, data)
        return -0.5 * np.einsum("mi,ij,mj->m", residual, self._inverse, residual) + self._norm

    def logpdf(self, pars: np.ndarray, data: np.ndarray) -> float:
        """ln MVN(data | mu s + b, Sigma)."""
        return float(self.logpdf_batch(pars, data)[0])

    def value_and_grad(self, pars: np.ndarray, data: np.ndarray) -> tuple[float, np.ndarray]:
        """:meth:`logpdf` and d/dmu_k = s_k^T Sigma^-1 (n - sum_l mu_l s_l - b)."""
        residual = self._residuals(pars, data)[0]
        value = -0.5 * residual @ self._inverse @ residual + self._norm
        return float(value), self._signal_pull @ residual

    def hessian(self, pars: np.ndarray, data: np.ndarray) -> np.ndarray:
        """d2/dmu_k dmu_l = -s_k^T Sigma^-1 s_l (constant)."""
        return -self._information.copy()

    def expected_data(self, pars: np.ndarray) -> np.ndarray:
        """sum_k mu_k s_k + b."""
        pars = np.asarray(pars, dtype=float)
        if self.n_pois == 1:
            return float(pars[0]) * self.signal + self.background
        return pars[:self.n_pois] @ self.signals + self.background

    def sample(self, pars: np.ndarray, size: int, rng: np.random.Generator) -> np.ndarray:
        """``size`` data sets drawn from MVN(mu s + b, Sigma)."""
        return self.expected_data(pars) + rng.standard_normal((size, self.n_bins)) @ self._cholesky.T

    def describe(self) -> str:
        """One line: model, bins, parameters."""
        if self.n_pois == 1:
            pois = f"1 parameter (POI {self.poi_names[0]})"
        else:
            pois = f"{self.n_pois} parameters (POIs {', '.join(self.poi_names)})"
        return f"{self.label}: {self.n_bins} bins, {pois}, no nuisance parameters"
