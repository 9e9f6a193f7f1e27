"""Scalar functions of the Combine likelihood's terms with their first and second derivatives,
inlined into the kernels: Combine's quintic smooth step, the asymmetric log-normal's exponent
(``logKappaForX``), and the coefficients of a vertical template morph.

The definitions are those of :mod:`likelihub_combine.model` (``smooth_step``, ``log_kappa``,
``Yields.shapes``); :mod:`.reference` holds the kernels to them.
"""

from __future__ import annotations

import numba

__all__ = ["smooth_step", "asymmetric_log_factor", "morph_coefficients", "SCALAR_JIT_OPTIONS"]

#: Inlined at numba's IR level into every kernel that calls them; IEEE division by zero.
SCALAR_JIT_OPTIONS = {"error_model": "numpy"}


@numba.njit(**SCALAR_JIT_OPTIONS)
def smooth_step(x):
    """S(x) = (3x^5 - 10x^3 + 15x)/8 inside |x| < 1, sign(x) outside; (S, S', S'')."""
    if x >= 1.0:
        return 1.0, 0.0, 0.0
    if x <= -1.0:
        return -1.0, 0.0, 0.0
    x2 = x * x
    value = 0.125 * x * (x2 * (3.0 * x2 - 10.0) + 15.0)
    return value, 1.875 * (x2 - 1.0) * (x2 - 1.0), 7.5 * x * (x2 - 1.0)


@numba.njit(**SCALAR_JIT_OPTIONS)
def asymmetric_log_factor(theta, log_low, log_high):
    """The logarithm g = theta * logKappaForX(theta) of an asymmetric log-normal factor, (g, g', g'').

    logKappaForX is log kappa_high for theta >= 0.5, -log kappa_low for theta <= -0.5, and
    average + S(2 theta) * half between (S the smooth step's polynomial).
    """
    high, low = log_high, -log_low
    if theta >= 0.5:
        return theta * high, high, 0.0
    if theta <= -0.5:
        return theta * low, low, 0.0
    half = 0.5 * (high - low)
    step, step1, step2 = smooth_step(2.0 * theta)
    log_kappa = 0.5 * (high + low) + step * half
    slope = 2.0 * step1 * half
    curvature = 4.0 * step2 * half
    return theta * log_kappa, log_kappa + theta * slope, 2.0 * slope + theta * curvature


@numba.njit(**SCALAR_JIT_OPTIONS)
def morph_coefficients(theta, scale, region):
    """A morph adds ``c0 * diff + c1 * sum`` to each bin, with x = theta * scale,
    c0 = x / 2, c1 = x / 2 * S(x / region); returns (c0, c1, dc0, dc1, d2c1) (d2c0 = 0)."""
    x = theta * scale
    step, step1, step2 = smooth_step(x / region)
    c0 = 0.5 * x
    c1 = c0 * step
    dc1 = 0.5 * scale * step + c0 * step1 * scale / region
    d2c1 = scale * scale * step1 / region + c0 * step2 * scale * scale / (region * region)
    return c0, c1, 0.5 * scale, dc1, d2c1
