"""Interpolation code 2 (histosys): the quadratic shift ``a alpha^2 + b alpha`` inside
|alpha| <= 1, with ``a = (hi + lo)/2 - nom``, ``b = (hi - lo)/2``, and its tangent lines outside
(RooFit's ``PiecewiseInterpolation`` code 2), so the shift and its derivative are continuous.

pyhf 0.7.6 omits the offsets ``hi - nom`` and ``lo - nom`` of the outer branches (its shift jumps at
|alpha| = 1); inside |alpha| <= 1 the two agree. The NumPy reference (:func:`reference`,
:func:`reference_second`), the term's coefficients (:func:`coefficient_rows`, see :mod:`.common`)
and the scalar functions the CPU and CUDA kernels compile (:func:`value_and_derivative`,
:func:`second_derivative`).
"""

from __future__ import annotations

from .common import shift_coefficients as coefficient_rows
from .common import shift_templates as templates

__all__ = ["ADDITIVE", "reference", "reference_second", "coefficient_rows", "templates",
           "value_and_derivative", "second_derivative"]

#: The term adds to the entry's nominal yield.
ADDITIVE = True


def reference(alpha: float, nominal: float, hi: float, lo: float) -> tuple[float, float]:
    """Quadratic histosys shift (code 2) with linear extrapolation, and its derivative."""
    a = 0.5 * (hi + lo) - nominal
    b = 0.5 * (hi - lo)
    if alpha > 1.0:
        return (b + 2.0 * a) * (alpha - 1.0) + hi - nominal, b + 2.0 * a
    if alpha < -1.0:
        return (b - 2.0 * a) * (alpha + 1.0) + lo - nominal, b - 2.0 * a
    return a * alpha * alpha + b * alpha, 2.0 * a * alpha + b


def reference_second(alpha: float, nominal: float, hi: float, lo: float) -> float:
    """d^2/d alpha^2: ``2 a`` inside |alpha| <= 1, zero outside."""
    if abs(alpha) > 1.0:
        return 0.0
    return 2.0 * (0.5 * (hi + lo) - nominal)


def value_and_derivative(x, coefficients, t):
    """Shift and derivative of term ``t`` at ``x`` (kernels)."""
    a, b = coefficients[t, 2], coefficients[t, 3]
    if x > 1.0:
        return (b + 2.0 * a) * (x - 1.0) + coefficients[t, 0], b + 2.0 * a
    if x < -1.0:
        return (b - 2.0 * a) * (x + 1.0) - coefficients[t, 1], b - 2.0 * a
    return a * x * x + b * x, 2.0 * a * x + b


def second_derivative(x, coefficients, t):
    """d^2/dx^2 of term ``t`` at ``x`` (kernels)."""
    if x > 1.0 or x < -1.0:
        return 0.0
    return 2.0 * coefficients[t, 2]
