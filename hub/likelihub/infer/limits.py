"""Upper limits on the signal strength: the mu where CLs = 1 - cl.

Each curve (observed, and the expected band at n = -2..2) is solved on its own with scipy's
TOMS 748 root finder, as pyhf's ``toms748_scan`` does. CLs values are cached by mu and shared by
all curves; with the asymptotic calculator the expected curves need only the Asimov fits.

Brackets: for the asymptotic calculator, one evaluation gives sigma_mu = mu / sqrt(q_mu,A), from
which the asymptotic formulae predict each limit (the expected ones from sqrt(q_A) alone, the
observed one with mu-hat too); the bracket is grown around that prediction, by 5%, 10%, 20%, ...
until CLs crosses 1 - cl. Otherwise the bracket starts at the POI's lower bound (or 0) and upper
bound and doubles where CLs is still above 1 - cl. The limit may lie beyond the POI's upper bound:
the conditional fits hold the POI fixed anyway.
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import brentq, toms748
from scipy.special import ndtr, ndtri

from ..errors import LimitError
from ..results import N_SIGMA, UpperLimitResult
from .asymptotic import AsymptoticCalculator, asymptotic_pvalues

__all__ = ["upper_limit", "CLsCurve"]


class CLsCurve:
    """CLs(mu) of one calculator, cached: column 0 observed, columns 1..5 the expected band."""

    def __init__(self, calculator):
        self.calculator = calculator
        self.separate_expected = isinstance(calculator, AsymptoticCalculator)
        self.cache: dict[tuple[float, bool], np.ndarray] = {}

    def value(self, mu: float, column: int) -> float:
        """CLs of ``column`` at ``mu``."""
        observed = column == 0 or not self.separate_expected
        key = (float(mu), observed)
        if key not in self.cache:
            result = self.calculator.cls(float(mu), expected="all" if observed else "expected")
            obs = np.nan if result.cls_obs is None else result.cls_obs
            self.cache[key] = np.array([obs, *result.cls_exp], dtype=float)
        return float(self.cache[key][column])


def _asymptotic_guesses(calculator: AsymptoticCalculator, mu: float, alpha: float) -> np.ndarray | None:
    """Limits predicted from sigma_mu at ``mu`` (and mu-hat for the observed one), or None."""
    sqrt_qa = calculator.sqrt_q_asimov(mu)
    if not sqrt_qa > 0:
        return None
    sigma = mu / sqrt_qa
    n = np.array(N_SIGMA, dtype=float)
    expected = sigma * (n - ndtri(alpha * ndtr(n)))
    mu_hat = max(calculator.observed.mu_hat, 0.0)

    def cls_obs(m):
        sqrt_q = max(m - mu_hat, 0.0) / sigma
        return asymptotic_pvalues(sqrt_q, m / sigma, calculator.test_statistic)[0] - alpha

    try:
        observed = brentq(cls_obs, 1e-9 * sigma, mu_hat + 50 * sigma)
    except ValueError:
        observed = expected[2]
    return np.array([observed, *expected])


def _bracket_around(curve: CLsCurve, column: int, alpha: float, guess: float,
                    low: float) -> tuple[float, float] | None:
    """Grow a bracket around ``guess`` (5%, 10%, 20%, ...) until CLs crosses alpha."""
    above, below = None, None
    step = 0.05
    for _ in range(12):
        for m in (guess * (1 - step), guess * (1 + step)):
            m = max(m, low)
            if curve.value(m, column) > alpha:
                above = m if above is None else max(above, m)
            else:
                below = m if below is None else min(below, m)
        if above is not None and below is not None and above < below:
            return above, below
        if below is not None and below <= low:
            return None
        step *= 2 if step < 0.5 else 1.5
    return None


def _bracket_by_doubling(curve: CLsCurve, column: int, alpha: float, low: float, high: float,
                         max_doublings: int) -> tuple[float, float]:
    if curve.value(low, column) <= alpha:
        raise LimitError(f"CLs is below {alpha:g} already at mu = {low:g} for "
                         f"{'the observed' if column == 0 else 'an expected'} limit")
    for _ in range(max_doublings):
        if curve.value(high, column) <= alpha:
            return low, high
        low, high = high, low + 2.0 * (high - low)
    raise LimitError(f"CLs stays above {alpha:g} up to mu = {high:g}: no upper limit found; "
                     "is the signal (nearly) zero?")


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
    if expected not in ("observed", "expected", "all"):
        raise ValueError(f"expected must be 'observed', 'expected' or 'all', got {expected!r}")
    alpha = 1.0 - cl
    curve = CLsCurve(calculator)
    low = max(float(poi_bounds[0]), 0.0)
    high = float(poi_bounds[1]) if np.isfinite(poi_bounds[1]) and poi_bounds[1] > low else low + 1.0
    columns = {"observed": [0], "expected": [1, 2, 3, 4, 5], "all": [0, 1, 2, 3, 4, 5]}[expected]
    guesses = None
    if curve.separate_expected:
        guesses = _asymptotic_guesses(calculator, 0.5 * (low + high) if high > 0 else 1.0, alpha)
    limits = np.full(6, np.nan)
    for column in columns:
        bracket = None
        if guesses is not None and np.isfinite(guesses[column]) and guesses[column] > low:
            bracket = _bracket_around(curve, column, alpha, guesses[column], low)
        if bracket is None:
            bracket = _bracket_by_doubling(curve, column, alpha, low, high, max_doublings)
        limits[column] = toms748(lambda m, c=column: curve.value(m, c) - alpha, *bracket,
                                 xtol=1e-12, rtol=max(rtol, 4 * np.finfo(float).eps))
    return UpperLimitResult(
        observed=None if expected == "expected" else float(limits[0]),
        expected=None if expected == "observed" else limits[1:].tolist(),
        cl=cl, test_statistic=calculator.test_statistic, calculator=calculator.name,
    )
