"""A counting likelihood written for the combiner's tests: Poisson bins, Gaussian-constrained yields.

    nu_i = mu * s_i + b_i (1 + delta_i theta_i),
    log L = sum_i log Poisson(n_i | nu_i) + sum_i log Normal(a_i | theta_i, 1),

data = (n_1..n_B, a_1..a_B), ``n_main = B``. Closed-form gradient and Hessian. It is pyhf's
HistFactory model of one channel with a normfactor ``mu`` on the signal and, per bin, a histosys
(interpolation code 0, the pyhf default) with up/down yields b_i (1 +/- delta_i): the same
likelihood, which is how the pyhf numbers in the tests were produced.
"""

from __future__ import annotations

import numpy as np
from scipy.special import gammaln

import likelihub

LOG_SQRT_TWO_PI = 0.5 * np.log(2 * np.pi)


class CountingBackend:
    """Poisson counts with Gaussian-constrained background yields (see the module docstring).

    Parameters
    ----------
    signal, background, relative_uncertainty, observed
        Per bin: s_i, b_i, delta_i, n_i.
    poi_name, poi_bounds
        Name and bounds of the signal strength.
    derivatives
        Offer value_and_grad, hessian, logpdf_batch and sample (False: only the required part).
    """

    def __init__(self, signal, background, relative_uncertainty, observed, poi_name="mu",
                 poi_bounds=(0.0, 10.0), derivatives=True):
        self.signal = np.asarray(signal, dtype=float)
        self.background = np.asarray(background, dtype=float)
        self.delta = np.asarray(relative_uncertainty, dtype=float)
        bins = self.signal.size
        names = [poi_name] + [f"theta_{i}" for i in range(bins)]
        self.config = likelihub.ModelConfig(
            names, poi_index=0, init=[float(np.clip(1.0, *poi_bounds))] + [0.0] * bins,
            bounds=[poi_bounds] + [(-5.0, 5.0)] * bins, n_main=bins,
            data_layout=None if derivatives else likelihub.DataLayout(
                ("poisson",) * bins + ("normal",) * bins, np.ones(2 * bins)))
        self.data = np.concatenate([np.asarray(observed, dtype=float), np.zeros(bins)])
        if derivatives:
            self.value_and_grad = self._value_and_grad
            self.hessian = self._hessian
            self.logpdf_batch = self._logpdf_batch
            self.sample = self._sample

    def _rates(self, pars):
        pars = np.asarray(pars, dtype=float)
        mu, theta = pars[..., :1], pars[..., 1:]
        return mu * self.signal + self.background * (1 + self.delta * theta), theta

    def expected_data(self, pars):
        rates, theta = self._rates(pars)
        return np.concatenate([rates, theta], axis=-1)

    def _logpdf_batch(self, pars, data):
        rates, theta = self._rates(pars)
        data = np.asarray(data, dtype=float)
        bins = self.signal.size
        counts, auxiliary = data[..., :bins], data[..., bins:]
        poisson = counts * np.log(rates) - rates - gammaln(counts + 1)
        normal = -0.5 * (auxiliary - theta) ** 2 - LOG_SQRT_TWO_PI
        return poisson.sum(axis=-1) + normal.sum(axis=-1)

    def logpdf(self, pars, data):
        return float(self._logpdf_batch(pars, data))

    def _value_and_grad(self, pars, data):
        rates, theta = self._rates(pars)
        bins = self.signal.size
        counts, auxiliary = data[:bins], data[bins:]
        weight = counts / rates - 1.0
        grad = np.concatenate([[weight @ self.signal],
                               weight * self.background * self.delta + (auxiliary - theta)])
        return self.logpdf(pars, data), grad

    def _hessian(self, pars, data):
        rates, _ = self._rates(pars)
        counts = data[: self.signal.size]
        derivatives = np.vstack([self.signal[None, :], np.diag(self.background * self.delta)])
        curvature = counts / rates**2
        hessian = -(derivatives * curvature) @ derivatives.T
        hessian[1:, 1:] -= np.eye(self.signal.size)
        return hessian

    def _sample(self, pars, size, rng):
        rates, theta = self._rates(pars)
        counts = rng.poisson(rates, (size, rates.size))
        auxiliary = rng.normal(theta, 1.0, (size, theta.size))
        return np.concatenate([counts, auxiliary], axis=1).astype(float)

    def describe(self):
        return f"counting: {self.signal.size} bins"


def atlas_like(**options) -> CountingBackend:
    """Two bins, a mild excess in the first."""
    return CountingBackend([5.0, 3.0], [10.0, 20.0], [0.1, 0.2], [14.0, 21.0], **options)


def cms_like(**options) -> CountingBackend:
    """Three bins, a deficit."""
    return CountingBackend([2.0, 4.0, 1.0], [8.0, 15.0, 5.0], [0.15, 0.1, 0.3], [7.0, 13.0, 5.0],
                           **options)
