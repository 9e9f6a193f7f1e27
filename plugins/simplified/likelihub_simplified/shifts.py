"""How a standardised nuisance parameter theta ~ N(0, 1) shifts a yield, with two derivatives.

Each shift maps theta (any shape whose last axis is the bins) to the change of the expected
yield in each bin, and returns its first and second derivatives too (closed forms), so that
the likelihoods have exact gradients and Hessians:

- :class:`LinearShift`: sigma * theta (the simplified likelihood of CMS-NOTE-2017-001);
- :class:`QuadraticShift`: offset + B theta + C theta^2 (the third-moment expansion,
  arXiv:1809.05548 eq. 2.9);
- :class:`VariableGaussianShift`: Barlow's variable Gaussian for asymmetric uncertainties.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["LinearShift", "QuadraticShift", "VariableGaussianShift"]


@dataclass(frozen=True)
class LinearShift:
    """shift = sigma * theta."""

    sigma: np.ndarray

    def __call__(self, theta: np.ndarray):
        """(shift, d shift / d theta, d2 shift / d theta2)."""
        return self.sigma * theta, np.broadcast_to(self.sigma, theta.shape), np.zeros_like(theta)


@dataclass(frozen=True)
class QuadraticShift:
    """shift = offset + B theta + C theta^2 (arXiv:1809.05548 eq. 2.9, with offset = A - m1 = -C)."""

    offset: np.ndarray
    linear: np.ndarray
    quadratic: np.ndarray

    def __call__(self, theta: np.ndarray):
        """(shift, d shift / d theta, d2 shift / d theta2)."""
        value = self.offset + theta * (self.linear + self.quadratic * theta)
        return value, self.linear + 2.0 * self.quadratic * theta, np.broadcast_to(2.0 * self.quadratic,
                                                                                    theta.shape)


@dataclass(frozen=True)
class VariableGaussianShift:
    r"""Barlow's variable Gaussian (arXiv:physics/0406120, sec. 3.6, "linear variance").

    For a yield with asymmetric uncertainties sigma+ (up) and sigma- (down), Barlow's
    log-likelihood of a shift delta of the yield is

        ln L(delta) = -1/2 delta^2 / V(delta),   V(delta) = sigma+ sigma- + (sigma+ - sigma-) delta.

    Here delta is the function of a standard normal theta that solves theta = delta / sqrt(V(delta)):

        delta(theta) = theta (theta D + sqrt(theta^2 D^2 + 4 P)) / 2,

    with D = sigma+ - sigma- and P = sigma+ sigma-,

    so delta(1) = sigma+, delta(-1) = -sigma-, delta'(0) = sqrt(P), and delta stays above -P/D
    where V > 0. A profile likelihood does not depend on the parametrisation, so profiling theta
    with its N(0, 1) constraint is profiling Barlow's ln L(delta); unlike Barlow's form, the
    constraint on theta is a normalised density, so toys and global observables are well defined.
    Symmetric entries (sigma+ = sigma-) reduce to sigma * theta; entries with both zero give 0.
    """

    up: np.ndarray
    down: np.ndarray

    def __call__(self, theta: np.ndarray):
        """(shift, d shift / d theta, d2 shift / d theta2)."""
        d = self.up - self.down
        p = self.up * self.down
        root = np.sqrt(theta * theta * d * d + 4.0 * p)
        zero = root == 0.0
        safe = np.where(zero, 1.0, root)
        value = 0.5 * theta * (theta * d + root)
        first = 0.5 * (2.0 * theta * d + root + theta * theta * d * d / safe)
        second = d + 0.5 * (3.0 * theta * d * d / safe - theta**3 * d**4 / safe**3)
        first = np.where(zero, 0.0, first)
        second = np.where(zero, 0.0, second)
        return value, first, second
