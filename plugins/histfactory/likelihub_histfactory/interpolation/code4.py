"""Interpolation code 4 (normsys, pyhf's default): code 1 outside |alpha| < 1, and inside it the
polynomial ``1 + sum_i a_i alpha^i`` (i = 1..6) that matches value, first and second derivative
of the exponential branches at +-1 (CERN-OPEN-2012-016; pyhf ``interpolators.code4``).

The NumPy reference (:func:`reference`, :func:`reference_second`), the polynomial
(:func:`polynomial`; :func:`polynomials` for many terms at once), the term's coefficients
(:func:`coefficient_rows`: code 1's and ``a_1..a_6``) and the scalar functions the CPU and CUDA
kernels compile (:func:`value_and_derivative`, :func:`second_derivative`).
"""

from __future__ import annotations

import math

import numpy as np

from . import code1
from .common import factor_templates as templates

__all__ = ["ADDITIVE", "polynomial", "polynomials", "reference", "reference_second", "coefficient_rows",
           "templates", "value_and_derivative", "second_derivative"]

#: The term multiplies the entry's rate.
ADDITIVE = False


def polynomial(hi: float, lo: float, alpha0: float = 1.0) -> np.ndarray:
    """Coefficients a_1..a_6 of code 4's polynomial ``1 + sum_i a_i alpha^i`` on |alpha| < alpha0.

    They make the factor, its first and its second derivative continuous at +-alpha0 with the
    exponential branches ``hi**alpha`` and ``lo**-alpha`` (CERN-OPEN-2012-016, code 4).
    """
    powers = np.arange(1, 7)
    rows, rhs = [], []
    for sign, base in ((1.0, hi), (-1.0, lo)):
        x = sign * alpha0
        log_base = sign * np.log(base)      # d/dalpha of base**(sign*alpha) = log_base * value
        value = base**alpha0
        rows.append(x**powers)
        rhs.append(value - 1.0)
        rows.append(powers * x ** (powers - 1))
        rhs.append(log_base * value)
        rows.append(powers * (powers - 1) * x ** (powers - 2.0))
        rhs.append(log_base**2 * value)
    return np.linalg.solve(np.array(rows), np.array(rhs))


def polynomials(hi: np.ndarray, lo: np.ndarray) -> np.ndarray:
    """:func:`polynomial` for many (hi, lo) pairs at once (K, 6), bit for bit: the same 6x6 system
    (same matrix, same right-hand sides), solved one pair at a time by LAPACK.

    ``log_base**2`` of the scalar code is C's ``pow``; on an array numpy squares instead, which is
    one ulp away in ~0.1% of cases, so the square is taken with an array of exponents (``pow``).
    """
    powers = np.arange(1, 7)
    rows, rhs = [], []
    for sign, base in ((1.0, hi), (-1.0, lo)):
        x = sign * 1.0
        log_base = sign * np.log(base)
        rows += [x**powers, powers * x ** (powers - 1), powers * (powers - 1) * x ** (powers - 2.0)]
        rhs += [base - 1.0, log_base * base, np.power(log_base, np.full_like(log_base, 2.0)) * base]
    system = np.broadcast_to(np.array(rows), (hi.size, 6, 6))
    return np.linalg.solve(system, np.stack(rhs, axis=1)[:, :, None])[:, :, 0]


def reference(alpha: float, hi: float, lo: float, coefficients: np.ndarray | None = None
              ) -> tuple[float, float]:
    """Code 4 normsys factor (exponential outside |alpha| < 1, polynomial inside) and derivative."""
    if alpha >= 1.0 or alpha <= -1.0:
        return code1.reference(alpha, hi, lo)
    a = polynomial(hi, lo) if coefficients is None else coefficients
    powers = np.arange(1, 7)
    value = 1.0 + float(np.sum(a * alpha**powers))
    derivative = float(np.sum(powers * a * alpha ** (powers - 1)))
    return value, derivative


def reference_second(alpha: float, hi: float, lo: float) -> float:
    """d^2/d alpha^2: code 1's outside |alpha| < 1, ``sum_i i (i-1) a_i alpha^(i-2)`` inside."""
    if alpha >= 1.0 or alpha <= -1.0:
        return code1.reference_second(alpha, hi, lo)
    a = polynomial(hi, lo)
    powers = np.arange(2, 7)
    return float(np.sum(powers * (powers - 1) * a[1:] * alpha ** (powers - 2)))


def coefficient_rows(hi: np.ndarray, lo: np.ndarray) -> np.ndarray:
    """Rows ``[hi, lo, log hi, log lo, a_1, ..., a_6]`` (K, N_COEFFICIENTS) of K normsys terms."""
    out = code1.coefficient_rows(hi, lo)
    out[:, 4:] = polynomials(hi, lo)
    return out


def value_and_derivative(x, coefficients, t):
    """Factor and derivative of term ``t`` at ``x`` (kernels)."""
    if x >= 1.0 or x <= -1.0:  # code 1 (a scalar function calls no other: each kernel compiles its own)
        if x > 0.0:
            v = math.exp(x * coefficients[t, 2])
            return v, coefficients[t, 2] * v
        v = math.exp(-x * coefficients[t, 3])
        return v, -coefficients[t, 3] * v
    a1, a2, a3 = coefficients[t, 4], coefficients[t, 5], coefficients[t, 6]
    a4, a5, a6 = coefficients[t, 7], coefficients[t, 8], coefficients[t, 9]
    v = 1.0 + x * (a1 + x * (a2 + x * (a3 + x * (a4 + x * (a5 + x * a6)))))
    d = a1 + x * (2.0 * a2 + x * (3.0 * a3 + x * (4.0 * a4 + x * (5.0 * a5 + x * 6.0 * a6))))
    return v, d


def second_derivative(x, coefficients, t):
    """d^2/dx^2 of term ``t`` at ``x`` (kernels)."""
    if x >= 1.0 or x <= -1.0:  # code 1
        if x > 0.0:
            return coefficients[t, 2] * coefficients[t, 2] * math.exp(x * coefficients[t, 2])
        return coefficients[t, 3] * coefficients[t, 3] * math.exp(-x * coefficients[t, 3])
    a2, a3, a4 = coefficients[t, 5], coefficients[t, 6], coefficients[t, 7]
    a5, a6 = coefficients[t, 8], coefficients[t, 9]
    return 2.0 * a2 + x * (6.0 * a3 + x * (12.0 * a4 + x * (20.0 * a5 + x * 30.0 * a6)))
