"""Scalar functions of the constraint terms, compiled by the CPU kernels (:mod:`.cpu`) and the CUDA
kernel (:mod:`.cuda`) alike; those of the main measurements' terms are in
:mod:`likelihub_histfactory.interpolation` (the same rules apply: see there)."""

from __future__ import annotations

import math

__all__ = ["poisson_nll_offset"]


def poisson_nll_offset(a):
    """``lgamma(a + 1) - a log a + a`` (a > 0), by Stirling's series for large ``a``.

    The Poisson constraint of a shapesys bin, ``rate - a log(rate) + lgamma(a + 1)``, is evaluated
    as ``a (x - log1p(x)) + poisson_nll_offset(a)`` with ``x = rate / a - 1``: the same number
    without the cancellation of terms of size ~a log a (the 3L eRJR model has a = 1.9e11).
    """
    if a <= 100.0:
        return math.lgamma(a + 1.0) - a * math.log(a) + a
    inverse = 1.0 / a
    inverse2 = inverse * inverse
    return (0.5 * math.log(2.0 * math.pi * a)
            + inverse * (1.0 / 12.0 - inverse2 * (1.0 / 360.0 - inverse2 / 1260.0)))
