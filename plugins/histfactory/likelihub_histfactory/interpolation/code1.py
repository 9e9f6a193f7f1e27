"""Interpolation code 1 (normsys): the exponential factor ``hi**alpha`` (alpha > 0), ``lo**-alpha``
(alpha <= 0) (CERN-OPEN-2012-016; pyhf ``interpolators.code1``).

The NumPy reference (:func:`reference`, :func:`reference_second`), the term's coefficients
(:func:`coefficient_rows`: ``[hi, lo, log hi, log lo, 0, ...]``) and the scalar functions the CPU and
CUDA kernels compile (:func:`value_and_derivative`, :func:`second_derivative`).
"""

from __future__ import annotations

import math

import numpy as np

from .common import N_COEFFICIENTS
from .common import factor_templates as templates

__all__ = ["ADDITIVE", "reference", "reference_second", "coefficient_rows", "templates",
           "value_and_derivative", "second_derivative"]

#: The term multiplies the entry's rate.
ADDITIVE = False


def reference(alpha: float, hi: float, lo: float) -> tuple[float, float]:
    """Exponential normsys factor (code 1) and its derivative."""
    if alpha > 0:
        value = hi**alpha
        return value, np.log(hi) * value
    value = lo ** (-alpha)
    return value, -np.log(lo) * value


def reference_second(alpha: float, hi: float, lo: float) -> float:
    """d^2/d alpha^2: ``log(hi)^2 hi**alpha`` (alpha > 0) or ``log(lo)^2 lo**-alpha``."""
    if alpha > 0:
        return float(np.log(hi) ** 2 * hi**alpha)
    return float(np.log(lo) ** 2 * lo ** (-alpha))


def coefficient_rows(hi: np.ndarray, lo: np.ndarray) -> np.ndarray:
    """Rows ``[hi, lo, log hi, log lo, 0, ...]`` (K, N_COEFFICIENTS) of K normsys terms."""
    out = np.zeros((len(hi), N_COEFFICIENTS))
    out[:, 0], out[:, 1], out[:, 2], out[:, 3] = hi, lo, np.log(hi), np.log(lo)
    return out


def value_and_derivative(x, coefficients, t):
    """Factor and derivative of term ``t`` at ``x`` (kernels)."""
    if x > 0.0:
        v = math.exp(x * coefficients[t, 2])
        return v, coefficients[t, 2] * v
    v = math.exp(-x * coefficients[t, 3])
    return v, -coefficients[t, 3] * v


def second_derivative(x, coefficients, t):
    """d^2/dx^2 of term ``t`` at ``x`` (kernels)."""
    if x > 0.0:
        return coefficients[t, 2] * coefficients[t, 2] * math.exp(x * coefficients[t, 2])
    return coefficients[t, 3] * coefficients[t, 3] * math.exp(-x * coefficients[t, 3])
