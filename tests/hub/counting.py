"""Hand-written counting backends for the core's tests.

``CountingBackend``: n ~ Pois(mu s + b (1 + delta theta)) x N(a | theta, 1) with the nuisance
parameter theta only when ``delta`` is given; the auxiliary datum a is 0 when observed. The
closed forms the tests compare against are those of Cowan et al., arXiv:1007.1727.
``BatchCountingBackend`` adds the batch capabilities (lock-step toy fits).
"""

from __future__ import annotations

import numpy as np
from scipy.special import gammaln

import likelihub as lh


class CountingBackend:
    def __init__(self, n: float, s: float, b: float, delta: float | None = None,
                 mu_bounds=(0.0, 10.0)):
        self.s, self.b, self.delta = float(s), float(b), delta
        nuisance = delta is not None
        self.config = lh.ModelConfig(
            ["mu"] + (["theta"] if nuisance else []), 0, [1.0] + ([0.0] if nuisance else []),
            [mu_bounds] + ([(-5.0, 5.0)] if nuisance else []), n_main=1,
            data_layout=lh.DataLayout(("poisson",) + (("normal",) if nuisance else ()), 1.0),
        )
        self.data = np.array([n] + ([0.0] if nuisance else []), dtype=float)

    def _rate(self, pars):
        pars = np.asarray(pars, dtype=float)
        background = self.b * (1.0 + self.delta * pars[..., 1]) if self.delta is not None else self.b
        return pars[..., 0] * self.s + background

    def expected_data(self, pars):
        pars = np.asarray(pars, dtype=float)
        rate = self._rate(pars)
        return np.array([rate, pars[1]]) if self.delta is not None else np.array([rate])

    def _parts(self, pars, data):
        pars, data = np.asarray(pars, float), np.asarray(data, float)
        rate = self._rate(pars)
        n = data[..., 0]
        value = n * np.log(rate) - rate - gammaln(n + 1.0)
        d_rate = np.stack([np.full_like(rate, self.s)] +
                          ([self.b * self.delta * np.ones_like(rate)] if self.delta is not None else []),
                          axis=-1)
        grad = (n / rate - 1.0)[..., None] * d_rate
        hess = -(n / rate**2)[..., None, None] * d_rate[..., :, None] * d_rate[..., None, :]
        if self.delta is not None:
            a, theta = data[..., 1], pars[..., 1]
            value = value - 0.5 * (a - theta) ** 2 - 0.5 * np.log(2 * np.pi)
            grad[..., 1] += a - theta
            hess[..., 1, 1] -= 1.0
        return value, grad, hess

    def logpdf(self, pars, data):
        return float(self._parts(pars, data)[0])

    def value_and_grad(self, pars, data):
        value, grad, _ = self._parts(pars, data)
        return float(value), grad

    def hessian(self, pars, data):
        return self._parts(pars, data)[2]


class BatchCountingBackend(CountingBackend):
    def logpdf_batch(self, pars, data):
        return self._parts(pars, data)[0]

    def value_and_grad_batch(self, pars, data):
        value, grad, _ = self._parts(pars, data)
        return value, grad

    def hessian_batch(self, pars, data):
        return self._parts(pars, data)[2]
