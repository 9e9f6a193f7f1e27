"""Interpolation code 0 (histosys): the piecewise-linear shift ``(hi - nom) alpha`` (alpha > 0),
``(nom - lo) alpha`` (alpha <= 0) (CERN-OPEN-2012-016; pyhf ``interpolators.code0``).

The NumPy reference (:func:`reference`, :func:`reference_second`), the term's coefficients
(:func:`coefficient_rows`, shared by the additive codes: see :mod:`.common`) and the scalar
functions the CPU and CUDA kernels compile (:func:`value_and_derivative`, :func:`second_derivative`).
"""

from __future__ import annotations

from .common import shift_coefficients as coefficient_rows
from .common import shift_templates as templates

__all__ = ["ADDITIVE", "reference", "reference_second", "coefficient_rows", "templates",
           "value_and_derivative", "second_derivative"]

#: The term adds to the entry's nominal yield.
ADDITIVE = True


def reference(alpha: float, nominal: float, hi: float, lo: float) -> tuple[float, float]:
    """Piecewise-linear histosys shift (code 0) and its derivative."""
    slope = hi - nominal if alpha > 0 else nominal - lo
    return slope * alpha, slope


def reference_second(alpha: float, nominal: float, hi: float, lo: float) -> float:
    """d^2/d alpha^2: zero (linear on each side)."""
    return 0.0


def value_and_derivative(x, coefficients, t):
    """Shift and derivative of term ``t`` at ``x`` (kernels)."""
    slope = coefficients[t, 0] if x > 0.0 else coefficients[t, 1]
    return slope * x, slope


def second_derivative(x, coefficients, t):
    """0 (kernels)."""
    return 0.0
