"""Poisson counting likelihoods with constrained nuisance parameters, with closed-form derivatives.

One backend class serves every Poisson model of the plugin. The expected count in bin i is

    lambda_i = mu * S_i(eta) + b_i + Delta_i(theta_i)

or, with several signal components c, each with its own POI mu_c,
lambda_i = sum_c mu_c S_ci(eta) + b_i + Delta_i(theta_i).

- Delta_i: the background shift of a standardised nuisance theta_i (a :mod:`~likelihub_simplified.shifts`
  function), with theta ~ MVN(g_theta, rho) (rho a correlation matrix; the identity for
  uncorrelated bins); absent for ``simplified.poisson``.
- S_ci(eta) = s_ci + sum_k delta_kci(eta_k): the signal with optional uncertainties, each
  eta_k ~ N(g_eta_k, 1) (a normalisation uncertainty is one eta for all bins, a shape uncertainty one
  eta per bin); one eta may shift several components (a correlated uncertainty) or one alone.

Parameters are [mu (or mu_1..mu_C), theta_1..theta_N, eta_1..eta_K], all nuisances starting at 0. Data are
[n_1..n_N, g_theta, g_eta]: the counts, then the global observables (0 at nominal), so that
toys fluctuate both and the Asimov global observables can be fitted or nominal.

The log-likelihood is normalised: sum_i ln Pois(n_i | lambda_i) + ln MVN(theta | g_theta, rho)
+ sum_k ln N(eta_k | g_eta_k, 1). Expected counts below ``LAMBDA_FLOOR`` are replaced by it in the
Poisson terms of bins with events (as spey and SModelS do), a steep wall that keeps fits inside
the physical region. A bin with no events has ln Pois(0 | lambda) = -lambda, whose exact maximum
under the constraints often lies on lambda = 0; for lambda < 0 it is continued smoothly by
``ZERO_COUNT_SCALE`` * (1 - exp(lambda / ZERO_COUNT_SCALE)) (same value, slope and a finite
curvature at 0), so that fits have a smooth minimum a few 1e-4 events below zero, within 1e-4 per bin
of the constrained maximum in ln L.

All kernels take a batch of parameter sets and data sets (leading axis), so one code path serves
single evaluations, ``logpdf_batch`` and the batched ``value_and_grad_batch`` / ``hessian_batch``
that a lock-step toy fitter can use.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy.special import gammaln, xlogy

from likelihub import ModelConfig
from likelihub.errors import InvalidModelError

from .shifts import VariableGaussianShift

__all__ = ["CountingBackend", "SignalNuisances", "poisson_terms", "LAMBDA_FLOOR", "ZERO_COUNT_SCALE"]

#: Smallest expected count used in the Poisson term of a bin with events.
LAMBDA_FLOOR = 1e-20

#: Scale (events) of the smooth continuation of ln Pois(0 | lambda) below lambda = 0.
ZERO_COUNT_SCALE = 1e-4

LOG_2PI = float(np.log(2.0 * np.pi))


def poisson_terms(counts: np.ndarray, lam: np.ndarray, order: int = 2):
    """ln Pois(n | lambda) per bin with its first two derivatives in lambda (None beyond ``order``).

    Bins with events use max(lambda, ``LAMBDA_FLOOR``) (no derivative below the floor); bins without
    events use -lambda, continued below 0 by s (1 - exp(lambda / s)) with s = ``ZERO_COUNT_SCALE``.
    """
    empty = counts == 0
    clipped = ~empty & (lam < LAMBDA_FLOOR)
    safe = np.where(clipped, LAMBDA_FLOOR, lam)
    below = empty & (lam < 0)
    decay = np.exp(np.minimum(lam, 0.0) / ZERO_COUNT_SCALE)
    value = np.where(below, ZERO_COUNT_SCALE * (1.0 - decay),
                     xlogy(counts, safe) - safe - gammaln(counts + 1.0))
    if order == 0:
        return value, None, None
    # Bins without events have exactly -1 and 0 at lambda >= 0 (not 0 / 0 at lambda = 0, where the
    # constrained maximum often lies: a NaN there kept MIGRAD asking for the same point for ever).
    with np.errstate(divide="ignore", invalid="ignore"):
        first = np.where(clipped, 0.0, np.where(below, -decay, np.where(empty, -1.0, counts / safe - 1.0)))
        if order == 1:
            return value, first, None
        second = np.where(clipped | (empty & ~below), 0.0,
                          np.where(below, -decay / ZERO_COUNT_SCALE, -counts / safe**2))
    return value, first, second


class SignalNuisances:
    """Signal uncertainties: K nuisance parameters eta_k, each shifting the signal of some bins.

    Parameters
    ----------
    names
        One name per nuisance parameter.
    up, down
        (K, N) or (K, C, N) absolute shifts of each bin's signal (of each of C components) at
        eta_k = +1 and -1 (zero where eta_k does not act); equal values give a linear (symmetric)
        shift, different ones Barlow's variable Gaussian
        (:class:`~likelihub_simplified.shifts.VariableGaussianShift`).
    """

    def __init__(self, names: Sequence[str], up: np.ndarray, down: np.ndarray):
        self.names = tuple(names)
        up, down = np.asarray(up, dtype=float), np.asarray(down, dtype=float)
        if up.ndim == 2:
            up, down = up[:, None, :], down[:, None, :]
        self.up, self.down = up, down
        k, c, n = up.shape
        self.components, self.n_bins = c, n
        self._shift = VariableGaussianShift(up.reshape(k, c * n), down.reshape(k, c * n))

    @property
    def size(self) -> int:
        """Number of nuisance parameters."""
        return len(self.names)

    def __call__(self, eta: np.ndarray):
        """Shifts (M, K, C, N) at eta (M, K), with their first and second derivatives in eta_k."""
        m, k = eta.shape
        shape = (m, k, self.components, self.n_bins)
        value, first, second = self._shift(eta[:, :, None])
        return value.reshape(shape), first.reshape(shape), second.reshape(shape)


class CountingBackend:
    """Poisson counts with optional background and signal nuisance parameters (see module docstring).

    Parameters
    ----------
    signal_yields, background_yields, observed
        Per-bin signal, background and observed counts (validated by the factories); the signal
        may be a (C, N) array, one row per signal component, each with its own POI.
    background_shift
        Delta(theta) per bin, or None for no background nuisance parameters.
    correlation
        Correlation matrix rho of theta (None: the identity).
    signal_nuisances
        Optional :class:`SignalNuisances` (with C components: shifts of shape (K, C, N)).
    bin_names
        Names of the bins (used in the parameter names).
    poi_bounds
        (low, high) of the signal strength mu; with K components, one pair per component.
    label
        What the model is, for :meth:`describe`.
    poi_names
        Names of the K POIs (default ``("mu",)``, for a single signal).
    """

    def __init__(self, signal_yields, background_yields, observed, *, background_shift=None,
                 correlation=None, signal_nuisances: SignalNuisances | None = None,
                 bin_names: Sequence[str] | None = None, poi_bounds=(-np.inf, np.inf),
                 label: str = "Poisson counting", poi_names: Sequence[str] = ("mu",)):
        self.signals = np.atleast_2d(np.asarray(signal_yields, dtype=float))
        self.poi_names = tuple(poi_names)
        self.n_pois = k = len(self.poi_names)
        if self.signals.shape[0] != k:
            raise InvalidModelError(f"{self.signals.shape[0]} signal components for {k} POI names",
                                    argument="poi_names")
        if signal_nuisances is not None and signal_nuisances.up.shape[1:] != self.signals.shape:
            raise InvalidModelError(f"signal uncertainties of shape {signal_nuisances.up.shape[1:]} for "
                                    f"signals of shape {self.signals.shape}", argument="signal_nuisances")
        self.signal = self.signals[0] if k == 1 else self.signals
        self.background = np.asarray(background_yields, dtype=float)
        self.n_bins = n = self.signals.shape[1]
        self.shift = background_shift
        self.n_theta = n if background_shift is not None else 0
        self.signal_nuisances = signal_nuisances
        self.n_eta = 0 if signal_nuisances is None else signal_nuisances.size
        self.label = label
        if self.n_theta:
            rho = np.eye(n) if correlation is None else np.asarray(correlation, dtype=float)
            self.correlation = rho
            self._cholesky = np.linalg.cholesky(rho)
            identity = np.eye(n)
            self._rho_inverse = np.linalg.solve(rho, identity)
            self._rho_inverse = 0.5 * (self._rho_inverse + self._rho_inverse.T)
            logdet = 2.0 * np.sum(np.log(np.diag(self._cholesky)))
            self._theta_norm = -0.5 * (n * LOG_2PI + logdet)
        else:
            self.correlation = None
        self._eta_norm = -0.5 * self.n_eta * LOG_2PI
        names = list(bin_names) if bin_names is not None else [str(i) for i in range(n)]
        parameter_names = list(self.poi_names)
        parameter_names += [f"theta_{name}" for name in names] if self.n_theta else []
        parameter_names += list(signal_nuisances.names) if self.n_eta else []
        self.n_parameters = len(parameter_names)
        poi_bounds = np.reshape(np.asarray(poi_bounds, dtype=float), (k, 2))
        init = np.zeros(self.n_parameters)
        bounds = [(-np.inf, np.inf)] * self.n_parameters
        for j, (low, high) in enumerate(poi_bounds):
            init[j] = 1.0 if low <= 1.0 <= high else 0.5 * (max(low, 0.0) + high)
            bounds[j] = (float(low), float(high))
        self.config = ModelConfig(parameter_names=parameter_names, poi_index=0, init=init, bounds=bounds,
                                  n_main=n, pois=None if k == 1 else list(range(k)))
        self.data = np.concatenate([np.asarray(observed, dtype=float), np.zeros(self.n_theta + self.n_eta)])

    # -- pieces -------------------------------------------------------------------------------
    def _split(self, pars: np.ndarray, data: np.ndarray):
        pars = np.atleast_2d(np.asarray(pars, dtype=float))
        data = np.atleast_2d(np.asarray(data, dtype=float))
        n, t, k = self.n_bins, self.n_theta, self.n_pois
        mu = pars[:, :k]
        theta = pars[:, k:k + t]
        eta = pars[:, k + t:]
        return mu, theta, eta, data[:, :n], data[:, n:n + t], data[:, n + t:]

    def _signal(self, eta: np.ndarray):
        """S (M, C, N) per component c, and d S_ci / d eta_k and d2 S_ci / d eta_k2, each (M, K, C, N)."""
        if not self.n_eta:
            return np.broadcast_to(self.signals, (eta.shape[0], *self.signals.shape)), None, None
        value, first, second = self.signal_nuisances(eta)
        return self.signals + value.sum(axis=1), first, second

    def _background(self, theta: np.ndarray):
        if not self.n_theta:
            zero = np.zeros((theta.shape[0], self.n_bins))
            return zero, zero, zero
        return self.shift(theta)

    def expected_counts(self, pars: np.ndarray) -> np.ndarray:
        """lambda_i(mu, theta, eta) for one (P,) or many (M, P) parameter sets (not clipped)."""
        pars2 = np.atleast_2d(np.asarray(pars, dtype=float))
        t, k = self.n_theta, self.n_pois
        signal, _, _ = self._signal(pars2[:, k + t:])
        shift, _, _ = self._background(pars2[:, k:k + t])
        lam = _signal_sum(pars2[:, :k], signal) + self.background + shift
        return lam[0] if np.ndim(pars) == 1 else lam

    def _evaluate(self, pars: np.ndarray, data: np.ndarray, order: int):
        mu, theta, eta, counts, g_theta, g_eta = self._split(pars, data)
        signal, signal_d1, signal_d2 = self._signal(eta)
        shift, shift_d1, shift_d2 = self._background(theta)
        lam = _signal_sum(mu, signal) + self.background + shift
        terms, weight, curvature = poisson_terms(counts, lam, order)
        value = terms.sum(axis=1)
        if self.n_theta:
            residual = theta - g_theta
            pull = residual @ self._rho_inverse
            value = value - 0.5 * np.sum(residual * pull, axis=1) + self._theta_norm
        if self.n_eta:
            eta_residual = eta - g_eta
            value = value - 0.5 * np.sum(eta_residual**2, axis=1) + self._eta_norm
        if order == 0:
            return value
        m, k, t = mu.shape[0], self.n_pois, self.n_theta
        grad = np.empty((m, self.n_parameters))
        grad[:, :k] = np.sum(weight[:, None, :] * signal, axis=2)
        if t:
            grad[:, k:k + t] = weight * shift_d1 - pull
        if self.n_eta:  # d lambda_i / d eta_k = sum_c mu_c d S_ci / d eta_k
            lam_eta = np.einsum("mc,mkcn->mkn", mu, signal_d1)
            grad[:, k + t:] = np.einsum("mn,mkn->mk", weight, lam_eta) - eta_residual
        if order == 1:
            return value, grad
        hess = np.zeros((m, self.n_parameters, self.n_parameters))
        # the mu block curvature * s_k s_l; cross terms curvature * s_k dDelta/dtheta (per component)
        hess[:, :k, :k] = np.sum(signal[:, :, None, :] * signal[:, None, :, :] * curvature[:, None, None, :],
                                 axis=3)
        if t:
            cross = curvature[:, None, :] * signal * shift_d1[:, None, :]
            hess[:, :k, k:k + t] = cross
            hess[:, k:k + t, :k] = cross.transpose(0, 2, 1)
            block = hess[:, k:k + t, k:k + t]
            block -= self._rho_inverse
            diagonal = np.arange(t)
            block[:, diagonal, diagonal] += curvature * shift_d1**2 + weight * shift_d2
        if self.n_eta:
            e = slice(k + t, None)
            mu_eta = (np.einsum("mn,mcn,mkn->mck", curvature, signal, lam_eta)
                      + np.einsum("mn,mkcn->mck", weight, signal_d1))
            hess[:, :k, e] = mu_eta
            hess[:, e, :k] = mu_eta.transpose(0, 2, 1)
            if t:
                theta_eta = (curvature * shift_d1)[:, :, None] * lam_eta.transpose(0, 2, 1)
                hess[:, k:k + t, e] = theta_eta
                hess[:, e, k:k + t] = theta_eta.transpose(0, 2, 1)
            eta_block = np.einsum("mkn,mn,mln->mkl", lam_eta, curvature, lam_eta)
            diagonal = np.arange(self.n_eta)
            eta_block[:, diagonal, diagonal] += np.einsum("mn,mc,mkcn->mk", weight, mu, signal_d2) - 1.0
            hess[:, e, e] = eta_block
        return value, grad, hess

    # -- the backend contract ----------------------------------------------------------------
    def logpdf(self, pars: np.ndarray, data: np.ndarray) -> float:
        """Full log-likelihood: Poisson terms and constraint terms, normalised."""
        return float(self._evaluate(pars, data, 0)[0])

    def value_and_grad(self, pars: np.ndarray, data: np.ndarray) -> tuple[float, np.ndarray]:
        """:meth:`logpdf` and its gradient (closed form)."""
        value, grad = self._evaluate(pars, data, 1)
        return float(value[0]), grad[0]

    def hessian(self, pars: np.ndarray, data: np.ndarray) -> np.ndarray:
        """Hessian of :meth:`logpdf` (closed form)."""
        return self._evaluate(pars, data, 2)[2][0]

    def logpdf_batch(self, pars: np.ndarray, data: np.ndarray) -> np.ndarray:
        """:meth:`logpdf` of (N, P) parameter sets and (N, D) data sets (either may be one, broadcast)."""
        pars, data = _broadcast(pars, data)
        return self._evaluate(pars, data, 0)

    def value_and_grad_batch(self, pars: np.ndarray, data: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(N,) log-likelihoods and (N, P) gradients."""
        pars, data = _broadcast(pars, data)
        return self._evaluate(pars, data, 1)

    def hessian_batch(self, pars: np.ndarray, data: np.ndarray) -> np.ndarray:
        """(N, P, P) Hessians."""
        pars, data = _broadcast(pars, data)
        return self._evaluate(pars, data, 2)[2]

    def expected_data(self, pars: np.ndarray) -> np.ndarray:
        """Asimov data: the expected counts (at least 0) and the global observables at theta, eta."""
        pars = np.asarray(pars, dtype=float)
        lam = np.clip(self.expected_counts(pars), 0.0, None)
        return np.concatenate([lam, pars[self.n_pois:]])

    def sample(self, pars: np.ndarray, size: int, rng: np.random.Generator) -> np.ndarray:
        """``size`` toys: Poisson counts and global observables drawn around theta and eta."""
        pars = np.asarray(pars, dtype=float)
        lam = np.clip(self.expected_counts(pars), 0.0, None)
        toys = np.empty((size, self.data.size))
        n, t, k = self.n_bins, self.n_theta, self.n_pois
        toys[:, :n] = rng.poisson(lam, (size, n))
        if t:
            toys[:, n:n + t] = pars[k:k + t] + rng.standard_normal((size, t)) @ self._cholesky.T
        if self.n_eta:
            toys[:, n + t:] = pars[k + t:] + rng.standard_normal((size, self.n_eta))
        return toys

    def describe(self) -> str:
        """One line: model, bins, parameters."""
        pois = f"POIs {', '.join(self.poi_names)}" if self.n_pois > 1 else f"POI {self.poi_names[0]}"
        parts = [f"{self.label}: {self.n_bins} bins", f"{self.n_parameters} parameters ({pois}"]
        if self.n_theta:
            parts[-1] += f", {self.n_theta} background nuisances"
        if self.n_eta:
            parts[-1] += f", {self.n_eta} signal nuisances"
        parts[-1] += ")"
        return ", ".join(parts)


def _signal_sum(mu: np.ndarray, signal: np.ndarray) -> np.ndarray:
    """sum_k mu_k S_ki for (M, K) mu and (M, K, N) S (with one component exactly mu * S)."""
    if signal.shape[1] == 1:
        return mu[:, :1] * signal[:, 0]
    return np.sum(mu[:, :, None] * signal, axis=1)


def _broadcast(pars, data) -> tuple[np.ndarray, np.ndarray]:
    pars = np.atleast_2d(np.asarray(pars, dtype=float))
    data = np.atleast_2d(np.asarray(data, dtype=float))
    size = max(pars.shape[0], data.shape[0])
    return (np.broadcast_to(pars, (size, pars.shape[1])), np.broadcast_to(data, (size, data.shape[1])))
