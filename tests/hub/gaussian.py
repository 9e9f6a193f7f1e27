"""A multivariate normal likelihood with known covariance, for closed-form tests of profile scans.

-log L(x) = 1/2 (x - d)^T C^-1 (x - d) + const, the data d the observed means. Profiling a normal
likelihood over some of its parameters leaves a normal likelihood of the others with the
corresponding block of C as covariance, so that the profile -2 Delta ln L of parameters (i, j) is
exactly (x - d)_ij^T (C_ij)^-1 (x - d)_ij (C_ij the 2 x 2 block): its contours are ellipses.
``GaussianBackend`` fits one point at a time; ``BatchGaussianBackend`` adds the batch capabilities
(lock-step fits).
"""

from __future__ import annotations

import numpy as np

import likelihub as lh

from .counting import BatchFromParts, FromParts


class GaussianBackend(FromParts):
    def __init__(self, means, covariance, names=None, bound: float = 100.0):
        self.means = np.asarray(means, dtype=float)
        self.covariance = np.asarray(covariance, dtype=float)
        self.precision = np.linalg.inv(self.covariance)
        n = self.means.size
        names = names or [f"x{i}" for i in range(n)]
        self.config = lh.ModelConfig(names, 0, np.zeros(n), [(-bound, bound)] * n, n_main=n,
                                     data_layout=lh.DataLayout(("normal",) * n, 1.0))
        self.data = self.means.copy()
        _, logdet = np.linalg.slogdet(2 * np.pi * self.covariance)
        self._norm = -0.5 * logdet

    def expected_data(self, pars):
        return np.asarray(pars, dtype=float).copy()

    def _parts(self, pars, data):
        r = np.asarray(pars, float) - np.asarray(data, float)
        g = -r @ self.precision  # precision is symmetric
        value = 0.5 * np.einsum("...i,...i->...", r, g) + self._norm
        hess = np.broadcast_to(-self.precision, r.shape + r.shape[-1:]).copy()
        return value, g, hess


class BatchGaussianBackend(BatchFromParts, GaussianBackend):
    pass
