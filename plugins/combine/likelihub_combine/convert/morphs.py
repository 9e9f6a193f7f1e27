"""Combine's ``shape`` morphing as pyhf histosys: when the two are one function, and the templates.

Combine morphs a process' unit-normalised template vertically (``FastVerticalInterpHistPdf2`` and
``CMSHistFunc``, :mod:`likelihub_combine.model`):

    shape(theta) = nom + x/2 ((up - down) + S(x / R) (up + down - 2 nom)),   x = scale * theta,

with the quintic smooth step ``S(t) = (3 t^5 - 10 t^3 + 15 t) / 8`` inside |t| < 1 and sign(t)
outside, R the smallest scale of the process' shape lines (at most 1); then it floors every bin at
1e-9 and (outside autoMCStats channels) renormalises to unit sum. pyhf's histosys code 4p is

    delta(alpha) = alpha (hi - lo)/2 + alpha^2 (15 - 10 alpha^2 + 3 alpha^4) (hi + lo - 2 nom)/16

inside |alpha| <= 1 and ``(hi - nom) alpha`` / ``(nom - lo) alpha`` outside. Writing the first
as ``x/2 S(x) (up + down - 2 nom)`` with S expanded shows they agree term by term when
``scale == R`` (then ``x / R = theta``), with ``hi = nom + scale (up - nom)`` and
``lo = nom + scale (down - nom)``: the morph is code 4p of templates at theta = +-1.

The floor keeps this exact only where it never acts within the parameters' ranges, or acts
always: a bin at or below the floor in the nominal that no variation moves (an empty bin) sits
at the floor for every theta (constant; the renormalisation then divides by a constant too, as
every morph sums to zero). :func:`clipping_bins` finds the bins where neither holds, from the
minimum of each morph over its parameter's range (:func:`code4p_minimum`: the ends, +-1 and the
real roots of the derivative).
"""

from __future__ import annotations

import numpy as np

__all__ = ["code4p", "code4p_minimum", "clipping_bins"]


def code4p(alpha: float, up: np.ndarray, down: np.ndarray) -> np.ndarray:
    """pyhf's code 4p shift at ``alpha`` for ``up = hi - nom`` and ``down = nom - lo``."""
    if alpha > 1.0:
        return up * alpha
    if alpha < -1.0:
        return down * alpha
    a2 = alpha * alpha
    return alpha * 0.5 * (up + down) + 0.0625 * (up - down) * a2 * (15.0 + a2 * (-10.0 + 3.0 * a2))


def code4p_minimum(up: np.ndarray, down: np.ndarray, low: float, high: float) -> np.ndarray:
    """The smallest code 4p shift of each bin over alpha in [low, high] (exact: the extremes of
    a piecewise polynomial lie at the ends of its pieces or at roots of its derivative)."""
    up, down = np.asarray(up, float), np.asarray(down, float)
    best = np.minimum(code4p(low, up, down), code4p(high, up, down))
    for edge in (-1.0, 1.0):
        if low < edge < high:
            best = np.minimum(best, code4p(edge, up, down))
    inner_low, inner_high = max(low, -1.0), min(high, 1.0)
    for b in range(up.size):
        s, a = 0.5 * (up[b] + down[b]), 0.0625 * (up[b] - down[b])
        # d/dalpha: s + a alpha (30 - 40 alpha^2 + 18 alpha^4)
        roots = np.roots([18.0 * a, 0.0, -40.0 * a, 0.0, 30.0 * a, s]) if a or s else np.zeros(0)
        for root in roots[np.abs(roots.imag) < 1e-12].real:
            if inner_low < root < inner_high:
                best[b] = min(best[b], float(code4p(float(root), up[b : b + 1], down[b : b + 1])[0]))
    return best


def clipping_bins(
    nominal: np.ndarray, morphs: list[tuple[np.ndarray, np.ndarray, float, float]], floor: float
) -> tuple[np.ndarray, np.ndarray]:
    """Bins of one process where Combine's floor may act for some parameter values, and bins
    where it always acts.

    Parameters
    ----------
    nominal
        The unit-normalised nominal template (before the floor).
    morphs
        One ``(up, down, low, high)`` per shape systematic: the code 4p ``hi - nom`` and
        ``nom - lo`` at theta = +-1 and the parameter's range.
    floor
        The floor of the unit template (1e-9, or 1e-9 / integral in autoMCStats channels).

    Returns
    -------
    (sometimes, always)
        Boolean masks over the bins.
    """
    nominal = np.asarray(nominal, float)
    still = np.ones(nominal.size, bool)
    lowest = nominal.copy()
    for up, down, low, high in morphs:
        still &= (up == 0) & (down == 0)
        lowest += code4p_minimum(up, down, low, high)
    always = still & (nominal <= floor)
    sometimes = ~always & (lowest <= floor)
    return sometimes, always
