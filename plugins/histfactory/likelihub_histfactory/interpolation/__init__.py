"""Interpolation codes of HistFactory systematics: the NumPy reference, with first derivatives.

What to use when (pyhf's defaults are normsys code 4 and histosys code 4p):

=========  ===========  ======================================================================
code       modifier     response to the nuisance parameter alpha
=========  ===========  ======================================================================
``"1"``    normsys      factor ``hi**alpha`` (alpha > 0), ``lo**-alpha`` (alpha <= 0)
``"4"``    normsys      code 1 outside |alpha| < 1, a 6th-order polynomial inside that matches
                        value, first and second derivative at +-1
``"0"``    histosys     additive ``(hi - nom) alpha`` (alpha > 0), ``(nom - lo) alpha`` (alpha <= 0)
``"2"``    histosys     additive quadratic ``a alpha^2 + b alpha`` inside |alpha| <= 1, linear
                        continuation outside (RooFit's code 2; see :func:`histosys_code2`)
``"4p"``   histosys     code 0 outside |alpha| <= 1, a polynomial inside, smooth at +-1
=========  ===========  ======================================================================

Each function returns the value and d/d alpha; :func:`term_second_derivative` gives d^2/d alpha^2
(for the analytic Hessian). The numba kernels (:mod:`.kernels`) implement the
same formulas from the coefficients of :func:`term_coefficients`; tests hold the two together.
References: K. Cranmer et al., CERN-OPEN-2012-016 (HistFactory); pyhf ``pyhf.interpolators``.
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "NORMSYS_CODES",
    "HISTOSYS_CODES",
    "TERM_FACTOR",
    "TERM_NORMSYS_CODE1",
    "TERM_NORMSYS_CODE4",
    "TERM_HISTOSYS_CODE0",
    "TERM_HISTOSYS_CODE2",
    "TERM_HISTOSYS_CODE4P",
    "N_COEFFICIENTS",
    "code4_polynomial",
    "normsys_code1",
    "normsys_code4",
    "histosys_code0",
    "histosys_code2",
    "histosys_code4p",
    "term_coefficients",
    "evaluate_term",
    "term_second_derivative",
]

#: Interpolation codes accepted for each modifier type, and the term kind each compiles to.
NORMSYS_CODES = {"1": 1, "4": 2}
HISTOSYS_CODES = {"0": 3, "2": 4, "4p": 5}

TERM_FACTOR = 0          # the factor is the parameter itself (normfactor, lumi, shape*, staterror)
TERM_NORMSYS_CODE1 = 1
TERM_NORMSYS_CODE4 = 2
TERM_HISTOSYS_CODE0 = 3
TERM_HISTOSYS_CODE2 = 4
TERM_HISTOSYS_CODE4P = 5

#: Number of coefficients stored per term.
N_COEFFICIENTS = 10


def code4_polynomial(hi: float, lo: float, alpha0: float = 1.0) -> np.ndarray:
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


def normsys_code1(alpha: float, hi: float, lo: float) -> tuple[float, float]:
    """Exponential normsys factor (code 1) and its derivative."""
    if alpha > 0:
        value = hi**alpha
        return value, np.log(hi) * value
    value = lo ** (-alpha)
    return value, -np.log(lo) * value


def normsys_code4(alpha: float, hi: float, lo: float, coefficients: np.ndarray | None = None
                  ) -> tuple[float, float]:
    """Code 4 normsys factor (exponential outside |alpha| < 1, polynomial inside) and derivative."""
    if alpha >= 1.0 or alpha <= -1.0:
        return normsys_code1(alpha, hi, lo)
    a = code4_polynomial(hi, lo) if coefficients is None else coefficients
    powers = np.arange(1, 7)
    value = 1.0 + float(np.sum(a * alpha**powers))
    derivative = float(np.sum(powers * a * alpha ** (powers - 1)))
    return value, derivative


def histosys_code0(alpha: float, nominal: float, hi: float, lo: float) -> tuple[float, float]:
    """Piecewise-linear histosys shift (code 0) and its derivative."""
    slope = hi - nominal if alpha > 0 else nominal - lo
    return slope * alpha, slope


def histosys_code2(alpha: float, nominal: float, hi: float, lo: float) -> tuple[float, float]:
    """Quadratic histosys shift (code 2) with linear extrapolation, and its derivative.

    Inside |alpha| <= 1: ``a alpha^2 + b alpha`` with ``a = (hi + lo)/2 - nom``, ``b = (hi - lo)/2``;
    outside, the tangent line at +-1 (RooFit's ``PiecewiseInterpolation`` code 2), so the shift is
    continuous with a continuous derivative. pyhf 0.7.6 omits the offsets ``hi - nom`` and
    ``lo - nom`` of the outer branches (its shift jumps at |alpha| = 1); inside |alpha| <= 1 the two
    agree.
    """
    a = 0.5 * (hi + lo) - nominal
    b = 0.5 * (hi - lo)
    if alpha > 1.0:
        return (b + 2.0 * a) * (alpha - 1.0) + hi - nominal, b + 2.0 * a
    if alpha < -1.0:
        return (b - 2.0 * a) * (alpha + 1.0) + lo - nominal, b - 2.0 * a
    return a * alpha * alpha + b * alpha, 2.0 * a * alpha + b


def histosys_code4p(alpha: float, nominal: float, hi: float, lo: float) -> tuple[float, float]:
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


def term_coefficients(kind: int, nominal: float, hi: float, lo: float) -> np.ndarray:
    """The coefficients the kernels store for one systematic term (length :data:`N_COEFFICIENTS`).

    normsys kinds: ``[hi, lo, log hi, log lo, a_1, ..., a_6]`` (code 4's polynomial; zeros for
    code 1); histosys kinds: ``[hi - nom, nom - lo, a, b]`` with code 2's ``a`` and ``b``.
    """
    out = np.zeros(N_COEFFICIENTS)
    if kind in (TERM_NORMSYS_CODE1, TERM_NORMSYS_CODE4):
        out[:4] = hi, lo, np.log(hi), np.log(lo)
        if kind == TERM_NORMSYS_CODE4:
            out[4:] = code4_polynomial(hi, lo)
    elif kind in (TERM_HISTOSYS_CODE0, TERM_HISTOSYS_CODE2, TERM_HISTOSYS_CODE4P):
        out[:4] = hi - nominal, nominal - lo, 0.5 * (hi + lo) - nominal, 0.5 * (hi - lo)
    return out


def evaluate_term(kind: int, alpha: float, nominal: float, hi: float, lo: float
                  ) -> tuple[float, float]:
    """Value and derivative of one term by its kind (factor for normsys, shift for histosys)."""
    if kind == TERM_FACTOR:
        return alpha, 1.0
    if kind == TERM_NORMSYS_CODE1:
        return normsys_code1(alpha, hi, lo)
    if kind == TERM_NORMSYS_CODE4:
        return normsys_code4(alpha, hi, lo)
    if kind == TERM_HISTOSYS_CODE0:
        return histosys_code0(alpha, nominal, hi, lo)
    if kind == TERM_HISTOSYS_CODE2:
        return histosys_code2(alpha, nominal, hi, lo)
    if kind == TERM_HISTOSYS_CODE4P:
        return histosys_code4p(alpha, nominal, hi, lo)
    raise ValueError(f"unknown term kind {kind}")


def term_second_derivative(kind: int, alpha: float, nominal: float, hi: float, lo: float) -> float:
    """Second derivative d^2/d alpha^2 of one term (factor for normsys, shift for histosys).

    Closed forms, branch by branch as in the value (the branch boundaries are those of
    :func:`evaluate_term`): code 1 ``log(hi)^2 hi**alpha`` or ``log(lo)^2 lo**-alpha``; code 4's
    polynomial ``sum_i i (i-1) a_i alpha^(i-2)`` inside |alpha| < 1; histosys codes are linear
    outside |alpha| <= 1 (0), code 2 is ``2 a`` inside and code 4p's polynomial
    ``(up - down)/16 (30 - 120 alpha^2 + 90 alpha^4)`` inside.
    """
    if kind in (TERM_FACTOR, TERM_HISTOSYS_CODE0):
        return 0.0
    if kind == TERM_NORMSYS_CODE1 or (kind == TERM_NORMSYS_CODE4 and (alpha >= 1.0 or alpha <= -1.0)):
        if alpha > 0:
            return float(np.log(hi) ** 2 * hi**alpha)
        return float(np.log(lo) ** 2 * lo ** (-alpha))
    if kind == TERM_NORMSYS_CODE4:
        a = code4_polynomial(hi, lo)
        powers = np.arange(2, 7)
        return float(np.sum(powers * (powers - 1) * a[1:] * alpha ** (powers - 2)))
    if abs(alpha) > 1.0 and kind in (TERM_HISTOSYS_CODE2, TERM_HISTOSYS_CODE4P):
        return 0.0
    if kind == TERM_HISTOSYS_CODE2:
        return 2.0 * (0.5 * (hi + lo) - nominal)
    if kind == TERM_HISTOSYS_CODE4P:
        a = 0.0625 * ((hi - nominal) - (nominal - lo))
        a2 = alpha * alpha
        return a * (30.0 + a2 * (-120.0 + 90.0 * a2))
    raise ValueError(f"unknown term kind {kind}")
