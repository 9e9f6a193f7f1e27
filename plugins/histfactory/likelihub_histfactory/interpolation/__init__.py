"""Interpolation codes of HistFactory systematics: one module per code, and the registry of term kinds.

What to use when (pyhf's defaults are normsys code 4 and histosys code 4p):

=========  ===========  ======================================================================
code       modifier     response to the nuisance parameter alpha
=========  ===========  ======================================================================
``"1"``    normsys      factor ``hi**alpha`` (alpha > 0), ``lo**-alpha`` (alpha <= 0): :mod:`.code1`
``"4"``    normsys      code 1 outside |alpha| < 1, a 6th-order polynomial inside that matches
                        value, first and second derivative at +-1: :mod:`.code4`
``"0"``    histosys     additive ``(hi - nom) alpha`` (alpha > 0), ``(nom - lo) alpha`` (alpha <= 0):
                        :mod:`.code0`
``"2"``    histosys     additive quadratic ``a alpha^2 + b alpha`` inside |alpha| <= 1, linear
                        continuation outside (RooFit's code 2): :mod:`.code2`
``"4p"``   histosys     code 0 outside |alpha| <= 1, a polynomial inside, smooth at +-1: :mod:`.code4p`
=========  ===========  ======================================================================

and :mod:`.factor`, the plain factor ``theta`` of every other modifier. Each module holds the
NumPy reference (``reference``, ``reference_second``: value, first and second derivative), the
rows of coefficients a term stores (``coefficient_rows``, layout in :mod:`.common`) and ONE scalar
function for value and derivative (``value_and_derivative``) and one for the second derivative
(``second_derivative``), which every kernel compiles for its target (:func:`compile_terms`):
the CPU kernels with ``numba.njit``, inlined; the CUDA kernel with ``numba.cuda.jit`` as device
functions; numba's CUDA simulator and NumPy code call them as Python. Tests hold the kernels to the
references.

A scalar function takes ``(x, coefficients, t)``: the parameter's value, the whole array of
coefficients and the term's row (not a row view), so that the CPU and CUDA kernels index alike. It
keeps to what both targets compile (scalars, array indexing, ``math``), calls no other scalar
function (each kernel compiles its own copies; code 4 spells out code 1's branches) and divides by
nothing that may be zero.

The registry: a compiled term has a *kind* (``CompiledModel.term_kind``), one of the named
constants ``TERM_*`` below; :data:`KINDS` maps each to its module. Multiplicative kinds come
first, additive ones from :data:`FIRST_SHIFT` on. The kernels call the ``term``, ``term_second``
and ``is_shift`` of :func:`compile_terms`, never a bare kind number. A new code is a new module, a
constant, its :data:`KINDS` entry and one branch in :func:`compile_terms`; the modifier that
offers it lists it (:mod:`likelihub_histfactory.modifiers`).
References: K. Cranmer et al., CERN-OPEN-2012-016 (HistFactory); pyhf ``pyhf.interpolators``.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from . import code0, code1, code2, code4, code4p, factor
from .common import N_COEFFICIENTS

__all__ = [
    "TERM_FACTOR",
    "TERM_NORMSYS_CODE1",
    "TERM_NORMSYS_CODE4",
    "TERM_HISTOSYS_CODE0",
    "TERM_HISTOSYS_CODE2",
    "TERM_HISTOSYS_CODE4P",
    "FIRST_SHIFT",
    "KINDS",
    "N_COEFFICIENTS",
    "compile_terms",
    "is_shift",
    "evaluate_term",
    "term_second_derivative",
    "term_templates",
    "code4_polynomial",
    "normsys_code1",
    "normsys_code4",
    "histosys_code0",
    "histosys_code2",
    "histosys_code4p",
]

#: Term kinds (the values of ``CompiledModel.term_kind``): multiplicative, then additive.
TERM_FACTOR = 0
TERM_NORMSYS_CODE1 = 1
TERM_NORMSYS_CODE4 = 2
TERM_HISTOSYS_CODE0 = 3
TERM_HISTOSYS_CODE2 = 4
TERM_HISTOSYS_CODE4P = 5
#: Kinds from this one on add to an entry's base; those below multiply its factor.
FIRST_SHIFT = TERM_HISTOSYS_CODE0

#: The module of each term kind.
KINDS = {TERM_FACTOR: factor, TERM_NORMSYS_CODE1: code1, TERM_NORMSYS_CODE4: code4,
         TERM_HISTOSYS_CODE0: code0, TERM_HISTOSYS_CODE2: code2, TERM_HISTOSYS_CODE4P: code4p}
if [kind for kind, module in KINDS.items() if module.ADDITIVE] != list(range(FIRST_SHIFT, len(KINDS))):
    raise ImportError("additive term kinds must follow the multiplicative ones")  # pragma: no cover

#: The NumPy references by their HistFactory names: normsys factors ``(alpha, hi, lo)``, histosys
#: shifts ``(alpha, nominal, hi, lo)``.
normsys_code1, normsys_code4 = code1.reference, code4.reference
histosys_code0, histosys_code2, histosys_code4p = code0.reference, code2.reference, code4p.reference
code4_polynomial = code4.polynomial

#: Interpolation codes accepted for each modifier type, and the term kind each compiles to.
NORMSYS_CODES = {"1": TERM_NORMSYS_CODE1, "4": TERM_NORMSYS_CODE4}
HISTOSYS_CODES = {"0": TERM_HISTOSYS_CODE0, "2": TERM_HISTOSYS_CODE2, "4p": TERM_HISTOSYS_CODE4P}


def is_shift(kind: int) -> bool:
    """Whether terms of ``kind`` add to an entry's base (histosys) instead of multiplying its factor."""
    return kind >= FIRST_SHIFT


def compile_terms(jit: Callable) -> tuple[Callable, Callable, Callable]:
    """The term functions of the kernels, every code's scalar functions compiled by ``jit``.

    Parameters
    ----------
    jit
        A decorator: ``numba.njit(inline="always", ...)`` for the CPU kernels,
        ``numba.cuda.jit(device=True, inline=True)`` for the CUDA kernel.

    Returns
    -------
    term, term_second, is_shift
        ``term(kind, x, coefficients, t)``: value and derivative of term ``t`` (of ``kind``, row
        ``t`` of ``coefficients``) at ``x``; ``term_second(kind, x, coefficients, t)``: its second
        derivative; ``is_shift(kind)``: whether it adds (see :func:`is_shift`).
    """
    values = {kind: jit(module.value_and_derivative) for kind, module in KINDS.items()}
    seconds = {kind: jit(module.second_derivative) for kind, module in KINDS.items()}
    factor_value, factor_second = values[TERM_FACTOR], seconds[TERM_FACTOR]
    code1_value, code1_second = values[TERM_NORMSYS_CODE1], seconds[TERM_NORMSYS_CODE1]
    code4_value, code4_second = values[TERM_NORMSYS_CODE4], seconds[TERM_NORMSYS_CODE4]
    code0_value, code0_second = values[TERM_HISTOSYS_CODE0], seconds[TERM_HISTOSYS_CODE0]
    code2_value, code2_second = values[TERM_HISTOSYS_CODE2], seconds[TERM_HISTOSYS_CODE2]
    code4p_value, code4p_second = values[TERM_HISTOSYS_CODE4P], seconds[TERM_HISTOSYS_CODE4P]

    def term(kind, x, coefficients, t):
        if kind == TERM_FACTOR:
            return factor_value(x, coefficients, t)
        if kind == TERM_NORMSYS_CODE1:
            return code1_value(x, coefficients, t)
        if kind == TERM_NORMSYS_CODE4:
            return code4_value(x, coefficients, t)
        if kind == TERM_HISTOSYS_CODE0:
            return code0_value(x, coefficients, t)
        if kind == TERM_HISTOSYS_CODE2:
            return code2_value(x, coefficients, t)
        return code4p_value(x, coefficients, t)

    def term_second(kind, x, coefficients, t):
        if kind == TERM_FACTOR:
            return factor_second(x, coefficients, t)
        if kind == TERM_NORMSYS_CODE1:
            return code1_second(x, coefficients, t)
        if kind == TERM_NORMSYS_CODE4:
            return code4_second(x, coefficients, t)
        if kind == TERM_HISTOSYS_CODE0:
            return code0_second(x, coefficients, t)
        if kind == TERM_HISTOSYS_CODE2:
            return code2_second(x, coefficients, t)
        return code4p_second(x, coefficients, t)

    return jit(term), jit(term_second), jit(is_shift)


def _module(kind: int):
    try:
        return KINDS[int(kind)]
    except KeyError:
        raise ValueError(f"unknown term kind {kind}") from None


def evaluate_term(kind: int, alpha: float, nominal: float, hi: float, lo: float) -> tuple[float, float]:
    """Value and derivative of one term by its kind (factor for normsys, shift for histosys): the
    NumPy reference of the kernels' ``term`` (:func:`compile_terms`)."""
    module = _module(kind)
    return module.reference(alpha, nominal, hi, lo) if module.ADDITIVE else module.reference(alpha, hi, lo)


def term_second_derivative(kind: int, alpha: float, nominal: float, hi: float, lo: float) -> float:
    """Second derivative d^2/d alpha^2 of one term: the NumPy reference of the kernels' ``term_second``.

    Closed forms, branch by branch as in the value: code 1 ``log(hi)^2 hi**alpha`` or
    ``log(lo)^2 lo**-alpha``; code 4's polynomial ``sum_i i (i-1) a_i alpha^(i-2)`` inside
    |alpha| < 1; histosys codes are linear outside |alpha| <= 1 (0), code 2 is ``2 a`` inside and
    code 4p's polynomial ``(up - down)/16 (30 - 120 alpha^2 + 90 alpha^4)`` inside.
    """
    module = _module(kind)
    if module.ADDITIVE:
        return module.reference_second(alpha, nominal, hi, lo)
    return module.reference_second(alpha, hi, lo)


def term_templates(kind: int, row: np.ndarray, nominal: float) -> tuple[float, float, float]:
    """``(nominal, hi, lo)`` as :func:`evaluate_term` takes them, from a term's row of coefficients
    and its entry's nominal yield (the inverse of the modules' ``coefficient_rows``)."""
    return _module(kind).templates(row, nominal)
