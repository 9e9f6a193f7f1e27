"""A linear-Gaussian model whose diagnostics are known in closed form.

Parameters: the POI ``mu`` (unconstrained), ``theta`` (Gaussian constraint of width sigma0 centred
at the auxiliary datum a) and ``k`` (fixed by the configuration, acting on nothing). Main data: a
signal region x ~ N(mu + theta, s) and a control region y ~ N(theta, t)::

    -log L = 1/2 [(x - mu - theta)^2 / s^2 + (y - theta)^2 / t^2 + (a - theta)^2 / sigma0^2] + const

-log L is quadratic, so the fit, its Hessian and every conditional fit are exact:

    theta-hat = (a / sigma0^2 + y / t^2) / (1 / sigma0^2 + 1 / t^2),  sigma-hat^-2 = 1/sigma0^2 + 1/t^2
    mu-hat = x - theta-hat,   Var(mu-hat) = s^2 + sigma-hat^2,   Cov(mu-hat, theta-hat) = -sigma-hat^2

so pull = (theta-hat - a) / sigma0, constraint = sigma-hat / sigma0, correlation
-sigma-hat / sqrt(s^2 + sigma-hat^2); with theta held at theta-hat +- delta, mu-hat moves by -+delta
(impacts -+sigma-hat post-fit, -+sigma0 pre-fit). Yields: SR = signal mu + background theta, CR =
background theta; the post-fit SR total mu-hat + theta-hat = x has standard deviation
sqrt(Var mu + Var theta + 2 Cov) = s exactly, CR's is sigma-hat; pre-fit (mu at its initial value,
theta at a, width sigma0, mu unconstrained) both totals have sigma0.
"""

from __future__ import annotations

import math

import numpy as np

import likelihub as lh
from likelihub.plugin import ConstraintTerm, YieldLayout

from ..counting import BatchFromParts, FromParts

X, Y, A = 4.0, 1.0, 0.3
S, T, SIGMA0 = 1.5, 0.8, 0.5
SIGMA_HAT = (1.0 / SIGMA0**2 + 1.0 / T**2) ** -0.5
THETA_HAT = (A / SIGMA0**2 + Y / T**2) * SIGMA_HAT**2
MU_HAT = X - THETA_HAT


class TinyBackend(FromParts):
    """The model of the module docstring, with constraint terms and yields per sample."""

    def __init__(self):
        self.config = lh.ModelConfig(["mu", "theta", "k"], 0, [1.0, 0.0, 1.0],
                                     [(-50.0, 50.0), (-50.0, 50.0), (0.0, 2.0)],
                                     fixed=[False, False, True], n_main=2,
                                     data_layout=lh.DataLayout(("normal",) * 3, np.array([S, T, SIGMA0])))
        self.data = np.array([X, Y, A])
        self._widths = np.array([S, T, SIGMA0])
        self._norm = -float(np.log(self._widths).sum()) - 1.5 * math.log(2.0 * math.pi)

    def expected_data(self, pars):
        mu, theta = pars[0], pars[1]
        return np.array([mu + theta, theta, theta])

    def _parts(self, pars, data):
        pars, data = np.asarray(pars, float), np.asarray(data, float)
        mu, theta = pars[..., 0], pars[..., 1]
        expected = np.stack([mu + theta, theta, theta], axis=-1)
        r = (data - expected) / self._widths**2  # d logpdf / d expected
        value = -0.5 * np.sum((data - expected) ** 2 / self._widths**2, axis=-1) + self._norm
        grad = np.stack([r[..., 0], r[..., 0] + r[..., 1] + r[..., 2], np.zeros_like(mu)], axis=-1)
        h = np.zeros(pars.shape + (3,))
        h[..., 0, 0] = h[..., 0, 1] = h[..., 1, 0] = -1.0 / S**2
        h[..., 1, 1] = -(1.0 / S**2 + 1.0 / T**2 + 1.0 / SIGMA0**2)
        return value, grad, h

    def constraint_terms(self):
        return (ConstraintTerm(parameter=1, datum=2, kind="normal", width=SIGMA0),)

    def yield_layout(self):
        return YieldLayout(("SR", "CR"), (1, 1), ("signal", "background"))

    def expected_yields(self, pars):
        return np.array([[pars[0], 0.0], [pars[1], pars[1]]])


class BatchTinyBackend(BatchFromParts, TinyBackend):
    """The same with batch derivatives: its impact fits run in lock-step."""


class BareTinyBackend(FromParts):
    """The same likelihood without constraint terms nor yields per sample (the fallbacks)."""

    def __init__(self):
        self._tiny = TinyBackend()
        self.config, self.data = self._tiny.config, self._tiny.data
        self.expected_data, self._parts = self._tiny.expected_data, self._tiny._parts
