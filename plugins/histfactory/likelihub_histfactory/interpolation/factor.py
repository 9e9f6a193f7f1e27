"""The plain factor: the term is its parameter itself (normfactor, lumi, shapefactor, shapesys,
staterror), ``f(theta) = theta``.

The NumPy reference (:func:`reference`, :func:`reference_second`) and the scalar functions the
kernels compile (:func:`value_and_derivative`, :func:`second_derivative`). No coefficients.
"""

from __future__ import annotations

from .common import factor_templates as templates

__all__ = ["ADDITIVE", "reference", "reference_second", "templates", "value_and_derivative",
           "second_derivative"]

#: The term multiplies the entry's rate.
ADDITIVE = False


def reference(alpha: float, hi: float = 0.0, lo: float = 0.0) -> tuple[float, float]:
    """The factor and its derivative (``hi`` and ``lo`` are not used)."""
    return alpha, 1.0


def reference_second(alpha: float, hi: float = 0.0, lo: float = 0.0) -> float:
    """The second derivative: zero."""
    return 0.0


def value_and_derivative(x, coefficients, t):
    """``x`` and 1 (kernels)."""
    return x, 1.0


def second_derivative(x, coefficients, t):
    """0 (kernels)."""
    return 0.0
