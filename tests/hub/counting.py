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


class FromParts:
    """The contract's methods from ``_parts(pars, data) -> (logpdf, grad, hessian)``, which
    broadcasts over a leading batch axis (the batch methods use that)."""

    def logpdf(self, pars, data):
        return float(self._parts(pars, data)[0])

    def value_and_grad(self, pars, data):
        value, grad, _ = self._parts(pars, data)
        return float(value), grad

    def hessian(self, pars, data):
        return self._parts(pars, data)[2]


class BatchFromParts(FromParts):
    """:class:`FromParts` with the batch capabilities (lock-step toy fits)."""

    def logpdf_batch(self, pars, data):
        return self._parts(pars, data)[0]

    def value_and_grad_batch(self, pars, data):
        value, grad, _ = self._parts(pars, data)
        return value, grad

    def hessian_batch(self, pars, data):
        return self._parts(pars, data)[2]


class CountingBackend(FromParts):
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


class BatchCountingBackend(BatchFromParts, CountingBackend):
    pass


class ZeroRateBackend(BatchFromParts):
    """Two bins: bin A with no background, rate mu s_A (so lambda_A = 0 at mu = 0 whatever theta),
    and bin B with rate mu s_B + b_B (1 + delta theta), theta constrained by N(a | theta, 1).

    At mu = 0, log L = -inf if bin A has events (n_A > 0), for every theta: as the HistFactory
    kernels report a bin with zero rate and observed events, the value is -inf and the gradient
    and Hessian there are NaN (the worst a backend may give). The batch methods make it a backend
    for lock-step toys too.
    """

    def __init__(self, n_a=1.0, n_b=12.0, s_a=1.0, s_b=4.0, b_b=10.0, delta=0.1):
        self.s = np.array([s_a, s_b], dtype=float)
        self.b_b, self.delta = float(b_b), float(delta)
        self.config = lh.ModelConfig(
            ["mu", "theta"], 0, [1.0, 0.0], [(0.0, 20.0), (-5.0, 5.0)], n_main=2,
            data_layout=lh.DataLayout(("poisson", "poisson", "normal"), 1.0))
        self.data = np.array([n_a, n_b, 0.0])

    def rates(self, pars):
        pars = np.asarray(pars, dtype=float)
        mu, theta = pars[..., 0], pars[..., 1]
        return np.stack([mu * self.s[0], mu * self.s[1] + self.b_b * (1.0 + self.delta * theta)], axis=-1)

    def expected_data(self, pars):
        return np.concatenate([self.rates(pars), [float(np.asarray(pars)[1])]])

    def _parts(self, pars, data):
        pars, data = np.asarray(pars, float), np.asarray(data, float)
        lam = self.rates(pars)
        n, a, theta = data[..., :2], data[..., 2], pars[..., 1]
        d_lam = np.zeros(lam.shape + (2,))  # d lambda_i / d (mu, theta)
        d_lam[..., 0, 0], d_lam[..., 1, 0] = self.s[0], self.s[1]
        d_lam[..., 1, 1] = self.b_b * self.delta
        with np.errstate(divide="ignore", invalid="ignore"):
            terms = np.where(n > 0, n * np.log(lam), 0.0) - lam - gammaln(n + 1.0)
            weight = np.where(n > 0, n / lam, 0.0) - 1.0  # NaN-free except 0/0 below
            weight = np.where((n > 0) & (lam == 0), np.nan, weight)
            curvature = np.where(n > 0, -n / lam**2, 0.0)
        value = terms.sum(axis=-1) - 0.5 * (a - theta) ** 2 - 0.5 * np.log(2 * np.pi)
        grad = np.einsum("...i,...ij->...j", weight, d_lam)
        grad[..., 1] += a - theta
        hess = np.einsum("...i,...ij,...ik->...jk", curvature, d_lam, d_lam)
        hess[..., 1, 1] -= 1.0
        return value, grad, hess
