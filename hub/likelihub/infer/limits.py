"""Upper limits on the signal strength: the mu where CLs = 1 - cl.

Each curve (observed, and the expected band at n = -2..2) is solved on its own with scipy's
TOMS 748 root finder, as pyhf's ``toms748_scan`` does. CLs values are cached by mu and shared by
all curves; with the asymptotic calculator the expected curves need only the Asimov fits.

Brackets: for the asymptotic calculator, one evaluation gives sigma_mu = mu / sqrt(q_mu,A), from
which the asymptotic formulae predict each limit (the expected ones from sqrt(q_A) alone, the
observed one with mu-hat too); the bracket is grown around that prediction, by 5%, 10%, 20%, ...
until CLs crosses 1 - cl. Otherwise the bracket starts at the POI's lower bound (or 0) and upper
bound (or 1 for an unbounded POI), and its upper end doubles (1, 2, 4, ... times the first one, up
to 2**40 times) while CLs there is still above 1 - cl, as pyhf's ``toms748_scan`` extends its
upper end.

The limit may lie beyond the POI's upper bound: the conditional fits hold the POI fixed anyway,
and q_mu, q~_mu and t_mu are exact there as long as the free fit's mu-hat lies below the bound.
Where the bound caps mu-hat the search stops with a :class:`~likelihub.errors.LimitError` that
says so (:func:`capped_by_upper_bound`): when the observed mu-hat sits at the bound (an excess
larger than the bounds allow; CLs above the bound would be measured from the capped maximum),
and for toys above the bound (the signal-plus-background toys' fits would cap their mu-hat).
"""

from __future__ import annotations

import logging

import numpy as np
from scipy.optimize import brentq, toms748
from scipy.special import ndtr, ndtri

from likelihub.arguments import choice, probability
from likelihub.errors import LimitError
from likelihub.infer.asymptotic import AsymptoticCalculator, asymptotic_pvalues
from likelihub.infer.toys import ToyCalculator
from likelihub.progress import progress_bar
from likelihub.results import BANDS, N_SIGMA, UpperLimitResult, band_n_sigma

__all__ = ["upper_limit", "CLsCurve", "capped_by_upper_bound"]

_log = logging.getLogger(__name__)

#: How often the upper end of the bracket may double before the search gives up (2**40 ~ 1e12).
MAX_DOUBLINGS = 40


def _free_fit_upper_bound(calculator) -> float:
    """The POI's upper bound in the calculator's free fits (+inf where it cannot be told)."""
    observed = getattr(calculator, "observed", None)
    bounds = getattr(observed, "bounds", None)
    poi = getattr(observed, "poi", None)
    if bounds is None or poi is None:
        return np.inf
    return float(np.asarray(bounds, dtype=float)[poi, 1])


def _observed_mu_hat(calculator) -> float | None:
    observed = getattr(calculator, "observed", None)
    return None if observed is None else float(observed.mu_hat)


def capped_by_upper_bound(calculator, mu: float, observed: bool = True) -> str | None:
    """Why CLs at ``mu`` above the POI's upper bound would be wrong, or None where it is right.

    Above the bound U the free fits cannot follow mu-hat: toys thrown at mu > U would have their
    mu-hat capped at U (their test statistic biased low); and where the observed mu-hat itself
    sits at U (``observed``: the observed CLs is asked for), the test statistic would be measured
    from that capped maximum.
    """
    upper = _free_fit_upper_bound(calculator)
    if not mu > upper:
        return None
    if isinstance(calculator, ToyCalculator):
        return (f"mu = {mu:g} lies above the POI's upper bound {upper:g}, where the toys' fits "
                "would cap mu-hat at the bound and bias CLs; widen the POI's bounds")
    if observed:
        mu_hat = calculator.observed.mu_hat
        if mu_hat >= upper - 1e-6 * max(1.0, abs(upper)):
            return (f"the observed best fit mu-hat = {mu_hat:g} sits at the POI's upper bound "
                    f"{upper:g} (the data want more signal than the bounds allow), so CLs at "
                    f"mu = {mu:g} would be measured from that capped maximum; widen the POI's "
                    "bounds")
    return None


class CLsCurve:
    """CLs(mu) of one calculator, cached: column 0 observed, columns 1..5 the expected band."""

    def __init__(self, calculator, on_value=None):
        self.calculator = calculator
        self.separate_expected = isinstance(calculator, AsymptoticCalculator)
        self.cache: dict[tuple[float, bool], np.ndarray] = {}
        #: Called with (mu, the number of CLs computations so far) after each new computation.
        self.on_value = on_value

    def value(self, mu: float, column: int) -> float:
        """CLs of ``column`` at ``mu``; a :class:`LimitError` where the POI's bound caps mu-hat."""
        observed = column == 0 or not self.separate_expected
        key = (float(mu), observed)
        if key not in self.cache:
            problem = capped_by_upper_bound(self.calculator, float(mu), observed=column == 0)
            if problem:
                raise LimitError(f"no {self.name(column)} upper limit: {problem}")
            result = self.calculator.cls(float(mu), expected="all" if observed else "expected")
            obs = np.nan if result.cls_obs is None else result.cls_obs
            self.cache[key] = np.array([obs, *result.cls_exp], dtype=float)
            _log.debug("CLs at mu = %.6g: %s", mu, self.cache[key].tolist())
            if self.on_value is not None:
                self.on_value(float(mu), len(self.cache))
        return float(self.cache[key][column])

    def name(self, column: int) -> str:
        """The curve's name in messages: observed, or the expected band's quantile."""
        if column == 0:
            return "observed"
        band = getattr(self.calculator, "band", "sigma")
        if band == "sigma":
            return f"expected ({N_SIGMA[column - 1]:+d} sigma)"
        return f"expected ({100 * BANDS[band][column - 1]:g}%)"


def _asymptotic_guesses(calculator: AsymptoticCalculator, mu: float, alpha: float) -> np.ndarray | None:
    """Limits predicted from sigma_mu at ``mu`` (and mu-hat for the observed one), or None."""
    sqrt_qa = calculator.sqrt_q_asimov(mu)
    if not sqrt_qa > 0:
        return None
    sigma = mu / sqrt_qa
    n = band_n_sigma(getattr(calculator, "band", "sigma"))
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
    """Double the upper end (geometric growth) until CLs falls to ``alpha``; ``0 <= low < high``.

    Where CLs is below ``alpha`` already at ``low`` and the observed mu-hat lies above it (a
    two-sided p-value, the chi2 calculator's, excludes mu = 0 under an excess), the observed
    curve's search starts at mu-hat instead, where the p-value is 1.
    """
    if curve.value(low, column) <= alpha:
        mu_hat = _observed_mu_hat(curve.calculator) if column == 0 else None
        if mu_hat is None or not mu_hat > low or curve.value(mu_hat, column) <= alpha:
            raise LimitError(f"no {curve.name(column)} upper limit: CLs is below {alpha:g} "
                             f"already at the lower end of the search, mu = {low:g}")
        low, high = mu_hat, max(high, 2.0 * mu_hat)
    for _ in range(max_doublings + 1):
        if curve.value(high, column) <= alpha:
            return low, high
        low, high = high, 2.0 * high
    raise LimitError(f"no {curve.name(column)} upper limit: CLs stays above {alpha:g} up to "
                     f"mu = {low:g}; the model's signal is (nearly) zero, or CLs does not fall "
                     "with mu")


def upper_limit(calculator, poi_bounds: tuple[float, float], cl: float = 0.95,
                expected: str = "all", rtol: float = 1e-6, max_doublings: int = MAX_DOUBLINGS,
                progress=None) -> UpperLimitResult:
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
    progress
        A progress bar of the limits found, the last tested mu beside it (:mod:`likelihub.progress`:
        None, the default, on a terminal; True; False; or the caller's bar).

    Raises
    ------
    likelihub.errors.LimitError
        Where CLs does not cross 1 - cl (below the lower end of the search, or nowhere up to
        2**max_doublings times its first upper end), or where the POI's upper bound caps mu-hat
        (:func:`capped_by_upper_bound`); the message names the curve and says which.
    """
    cl = probability(cl, argument="cl")
    expected = choice(expected, argument="expected", choices=("observed", "expected", "all"))
    alpha = 1.0 - cl
    columns = {"observed": [0], "expected": [1, 2, 3, 4, 5], "all": [0, 1, 2, 3, 4, 5]}[expected]
    with progress_bar(progress, total=len(columns), unit="limit", desc="upper limits") as bar:
        def shown(mu: float, n: int) -> None:
            bar.set_postfix_str(f"CLs at mu = {mu:.4g} ({n} computed)")

        limits = _solve(CLsCurve(calculator, on_value=shown), poi_bounds, alpha, columns, rtol, max_doublings,
                        bar)
    return UpperLimitResult(
        observed=None if expected == "expected" else float(limits[0]),
        expected=None if expected == "observed" else limits[1:].tolist(),
        cl=cl, test_statistic=calculator.test_statistic, calculator=calculator.name,
        band=getattr(calculator, "band", "sigma"),
    )


def _solve(curve: CLsCurve, poi_bounds, alpha: float, columns: list[int], rtol: float, max_doublings: int,
           bar) -> np.ndarray:
    """The limits of ``columns`` (NaN for the others), each curve's root found in turn."""
    calculator = curve.calculator
    low = max(float(poi_bounds[0]), 0.0)
    high = float(poi_bounds[1]) if np.isfinite(poi_bounds[1]) and poi_bounds[1] > low else low + 1.0
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
        _log.info("%s upper limit: mu = %.6g (%d CLs computations so far)", curve.name(column),
                  limits[column], len(curve.cache))
        bar.update(1)
    return limits
