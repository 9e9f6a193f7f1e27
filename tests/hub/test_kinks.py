"""Minima on kinks of -log L (likelihub.fits.kinks): closed forms.

-log L = 1/2 |x - c|^2 + k max(0, x0 + x1), with c = (1, 0.5) and k = 2: the smooth piece's minimum
c has x0 + x1 = 1.5 > 0, the other piece's, c - k (1, 1) = (-1, -1.5), has x0 + x1 < 0, so the
minimum lies on the kink x0 + x1 = 0: the projection of c on it, x* = c - 0.75 (1, 1) =
(0.25, -0.25), with -log L = 1/2 (0.75^2 + 0.75^2) = 0.5625. There the gradient is (0.75, 0.75)
or (-1.25, -1.25), on either side: the classic EDM (1/2 g^T H^-1 g >= 0.56) never falls below any
edm_max.
"""

from __future__ import annotations

import numpy as np
import pytest

from likelihub.backend.config import ModelConfig
from likelihub.fits.engine import fit
from likelihub.fits.kinks import kink_newton
from likelihub.fits.objective import NegativeLogLikelihood

CENTRE, SLOPE = np.array([1.0, 0.5]), 2.0


class Hinge:
    """log L of the module docstring (a backend with an analytic gradient and Hessian)."""

    def __init__(self, sign: float = 1.0):
        self.sign = sign  # -1: a ridge (a concave kink), -log L = 1/2 |x - c|^2 - k |x0 + x1|
        self.config = ModelConfig(parameter_names=["a", "b"], poi_index=0, init=[0.0, 0.0],
                                  bounds=[(-5.0, 5.0), (-5.0, 5.0)], n_main=1)
        self.data = np.zeros(1)

    def _nll(self, pars):
        pars = np.asarray(pars, float)
        s = pars[0] + pars[1]
        hinge = SLOPE * (max(s, 0.0) if self.sign > 0 else -abs(s))
        slope = SLOPE * ((1.0 if s > 0 else 0.0) if self.sign > 0 else -np.sign(s))
        return 0.5 * float((pars - CENTRE) @ (pars - CENTRE)) + hinge, (pars - CENTRE) + slope

    def logpdf(self, pars, data=None):
        return -self._nll(pars)[0]

    def value_and_grad(self, pars, data=None):
        value, grad = self._nll(pars)
        return -value, -grad

    def hessian(self, pars, data=None):
        return -np.eye(2)

    def expected_data(self, pars):
        return np.zeros(1)


def test_a_minimum_on_a_kink_is_found_and_verified():
    # Closed form (module docstring): x* = (0.25, -0.25), -log L = 0.5625; the default edm_max.
    result = fit(Hinge())
    assert result.converged and result.edm <= 1e-8
    assert "kink" in result.method
    assert result.values == pytest.approx([0.25, -0.25], abs=1e-6)  # EDM 1e-8: |dx| <~ sqrt(2e-8)
    assert result.nll == pytest.approx(0.5625, abs=1e-8)


def test_a_ridge_is_not_accepted():
    # A concave kink: -log L = 1/2 |x - c|^2 - 2 |x0 + x1| is lowest away from x0 + x1 = 0 on both
    # sides; started on the ridge (the projection of c), the check must not accept it (its probes
    # lie lower) and the fit must leave it: the minima are c +- 2 (1, 1), -log L = -7 and -1, the
    # lower one c + 2 (1, 1) = (3, 2.5) at -7.
    backend = Hinge(sign=-1.0)
    objective = NegativeLogLikelihood(backend, backend.data, np.zeros(2), np.ones(2, bool))
    found = kink_newton(objective, np.array([0.25, -0.25]), np.array(backend.config.bounds, float), 1e-8)
    assert found.value < 0.5625 - 1.0  # it moved off the ridge
    result = fit(backend, init=[0.25, -0.25])
    assert result.converged
    assert result.nll == pytest.approx(-7.0, abs=1e-8) or result.nll == pytest.approx(-1.0, abs=1e-8)
