"""Upper limits on the signal strength: the mu where CLs = 1 - cl.

Each curve (observed, and the expected band at n = -2..2) is solved on its own with scipy's
TOMS 748 root finder, as pyhf's ``toms748_scan`` does. CLs values are cached by mu and shared
by all curves, and each root is bracketed by the cached points around it. The bracket starts at
the POI's lower bound (or 0) and the POI's upper bound, and grows (doubling) where CLs is still
above 1 - cl there: the limit may lie beyond the POI's upper bound, since the conditional fits
hold the POI fixed anyway.
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import toms748

from ..errors import LimitError
from ..results import CLsResult, UpperLimitResult

__all__ = ["upper_limit", "CLsCurve"]


class CLsCurve:
    """CLs(mu) of one calculator, cached, with the 6 curves (observed + band) as columns."""

    def __init__(self, calculator, expected: str):
        self.calculator = calculator
        self.expected = expected
        self.cache: dict[float, CLsResult] = {}

    def values(self, mu: float) -> np.ndarray:
        """[CLs_obs, CLs_exp(-2), ..., CLs_exp(+2)] at mu (NaN for what was not asked)."""
        mu = float(mu)
        if mu not in self.cache:
            self.cache[mu] = self.calculator.cls(mu, expected=self.expected)
        r = self.cache[mu]
        obs = np.nan if r.cls_obs is None else r.cls_obs
        exp = [np.nan] * 5 if r.cls_exp is None else r.cls_exp
        return np.array([obs, *exp], dtype=float)


def _bracket(curve: CLsCurve, column: int, alpha: float) -> tuple[float, float] | None:
    """The first pair of neighbouring cached points where the curve crosses alpha downwards."""
    points = sorted(curve.cache)
    values = [curve.values(m)[column] for m in points]
    for m0, v0, m1, v1 in zip(points, values, points[1:], values[1:], strict=False):
        if v0 > alpha >= v1:
            return m0, m1
    return None


def upper_limit(calculator, poi_bounds: tuple[float, float], cl: float = 0.95,
                expected: str = "all", rtol: float = 1e-6, max_doublings: int = 40
                ) -> UpperLimitResult:
    """Upper limit on mu at confidence level ``cl`` from ``calculator.cls``.

    Parameters
    ----------
    calculator
        An object with ``cls(mu, expected)`` (asymptotic, toys or chi2 calculator).
    poi_bounds
        The POI's (low, high) bounds: where the search for a bracket starts.
    cl
        Confidence level; the limit is where CLs = 1 - cl.
    expected
        "observed", "expected" (the band) or "all".
    rtol
        Relative tolerance on each limit.
    max_doublings
        How often the upper end of the bracket may double before giving up.
    """
    if not 0 < cl < 1:
        raise ValueError(f"cl must lie between 0 and 1, got {cl}")
    alpha = 1.0 - cl
    curve = CLsCurve(calculator, expected)
    low = max(float(poi_bounds[0]), 0.0)
    high = float(poi_bounds[1]) if np.isfinite(poi_bounds[1]) and poi_bounds[1] > low else low + 1.0
    columns = {"observed": [0], "expected": [1, 2, 3, 4, 5], "all": [0, 1, 2, 3, 4, 5]}[expected]
    curve.values(low)
    for _ in range(max_doublings):
        if np.all(curve.values(high)[columns] <= alpha):
            break
        high = low + 2.0 * (high - low)
    else:
        raise LimitError(f"CLs stays above {alpha:g} up to mu = {high:g}: no upper limit found; "
                         "is the signal (nearly) zero?")
    limits = np.full(6, np.nan)
    for column in columns:
        bracket = _bracket(curve, column, alpha)
        if bracket is None:
            raise LimitError(f"CLs is below {alpha:g} already at mu = {low:g} for "
                             f"{'the observed' if column == 0 else 'an expected'} limit")
        limits[column] = toms748(lambda m, c=column: curve.values(m)[c] - alpha, *bracket,
                                 xtol=1e-12, rtol=max(rtol, 4 * np.finfo(float).eps))
    return UpperLimitResult(
        observed=None if expected == "expected" else float(limits[0]),
        expected=None if expected == "observed" else limits[1:].tolist(),
        cl=cl, test_statistic=calculator.test_statistic, calculator=calculator.name,
    )
