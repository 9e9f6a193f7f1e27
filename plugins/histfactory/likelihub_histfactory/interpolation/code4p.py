"""Interpolation code 4p (histosys, pyhf's default): code 0 outside |alpha| <= 1, and inside it the
polynomial ``alpha s + a alpha^2 (15 - 10 alpha^2 + 3 alpha^4)`` with ``s = (up + down)/2``,
``a = (up - down)/16`` (``up = hi - nom``, ``down = nom - lo``), smooth at +-1 (pyhf
``interpolators.code4p``).

The NumPy reference (:func:`reference`, :func:`reference_second`), the term's coefficients
(:func:`coefficient_rows`, see :mod:`.common`) and the scalar functions the CPU and CUDA kernels
compile (:func:`value_and_derivative`, :func:`second_derivative`).
"""

from __future__ import annotations

from .common import shift_coefficients as coefficient_rows
from .common import shift_templates as templates

__all__ = ["ADDITIVE", "reference", "reference_second", "coefficient_rows", "templates",
           "value_and_derivative", "second_derivative"]

#: The term adds to the entry's nominal yield.
ADDITIVE = True


def reference(alpha: float, nominal: float, hi: float, lo: float) -> tuple[float, float]:
    """Code 4p histosys shift: linear outside |alpha| <= 1, polynomial inside; and derivative."""
    up, down = hi - nominal, nominal - lo
    if alpha > 1.0:
        return up * alpha, up
    if alpha < -1.0:
        return down * alpha, down
    s, a = 0.5 * (up + down), 0.0625 * (up - down)
    a2 = alpha * alpha
    value = alpha * s + a * a2 * (15.0 + a2 * (-10.0 + 3.0 * a2))
    derivative = s + a * alpha * (30.0 + a2 * (-40.0 + 18.0 * a2))
    return value, derivative


def reference_second(alpha: float, nominal: float, hi: float, lo: float) -> float:
    """d^2/d alpha^2: ``(up - down)/16 (30 - 120 alpha^2 + 90 alpha^4)`` inside, zero outside."""
    if abs(alpha) > 1.0:
        return 0.0
    a = 0.0625 * ((hi - nominal) - (nominal - lo))
    a2 = alpha * alpha
    return a * (30.0 + a2 * (-120.0 + 90.0 * a2))


def value_and_derivative(x, coefficients, t):
    """Shift and derivative of term ``t`` at ``x`` (kernels)."""
    up, down = coefficients[t, 0], coefficients[t, 1]
    if x > 1.0:
        return up * x, up
    if x < -1.0:
        return down * x, down
    s = 0.5 * (up + down)
    a = 0.0625 * (up - down)
    x2 = x * x
    return x * s + a * x2 * (15.0 + x2 * (-10.0 + 3.0 * x2)), s + a * x * (30.0 + x2 * (-40.0 + 18.0 * x2))


def second_derivative(x, coefficients, t):
    """d^2/dx^2 of term ``t`` at ``x`` (kernels)."""
    if x > 1.0 or x < -1.0:
        return 0.0
    a = 0.0625 * (coefficients[t, 0] - coefficients[t, 1])
    x2 = x * x
    return a * (30.0 + x2 * (-120.0 + 90.0 * x2))
