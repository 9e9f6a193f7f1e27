"""Test statistics for upper limits and discovery (Cowan, Cranmer, Gross, Vitells, arXiv:1007.1727).

- :func:`q_mu` (eq. 14): t_mu where mu-hat <= mu, else 0; for upper limits.
- :func:`qtilde_mu` (eq. 16): as q_mu with mu-hat held at or above 0 (:func:`poi_bounds_for`);
  the default for limits, as in pyhf.
- :func:`q0` (eq. 12): t_0 where mu-hat >= 0, else 0; for discovery.

One function computes them all from the minima, :func:`statistics_from_minima` (vectorised: the toys'
arrays, or one data set's numbers); :func:`q_mu`, :func:`qtilde_mu` and :func:`q0` take a
:class:`~likelihub.infer.profile.Profiler` (whose bounds match the statistic), make its fits and
pass their minima to it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from likelihub.infer.profile import Profiler

__all__ = ["q_mu", "qtilde_mu", "q0", "TEST_STATISTICS", "test_statistic_value",
           "statistics_from_minima"]

TEST_STATISTICS = ("qtilde", "q")


def statistics_from_minima(name: str, conditional_nll, free_nll, mu_hat, mu: float) -> np.ndarray:
    """The test statistic ``name`` from the minima of -log L, for one data set or many (arrays).

    t_mu = -2 ln lambda(mu) = 2 (nll(mu, theta-hat-hat) - nll(mu-hat, theta-hat)), clipped at 0 (a
    negative value means the free fit missed the conditional fit's minimum; pyhf clips it too); then
    for ``"q"`` and ``"qtilde"`` 0 where mu-hat > mu (eqs. 14, 16), for ``"q0"`` (``mu`` = 0) 0 where
    mu-hat < 0 (eq. 12); ``"t"``: t_mu itself. NaN where both minima are infinite.

    Parameters
    ----------
    name
        ``"qtilde"``, ``"q"``, ``"q0"`` or ``"t"``.
    conditional_nll, free_nll
        -log L at the conditional (POI fixed at ``mu``) and free minima: scalars or (N,) arrays.
    mu_hat
        The POI at the free minima.
    mu
        The tested POI value.
    """
    if name not in (*TEST_STATISTICS, "q0", "t"):
        raise ValueError(f"test_statistic must be one of {TEST_STATISTICS}, got {name!r}")
    with np.errstate(invalid="ignore"):  # inf - inf: NaN
        t = np.clip(2.0 * (np.asarray(conditional_nll, float) - np.asarray(free_nll, float)), 0.0, None)
    if name in TEST_STATISTICS:
        t = np.where(np.asarray(mu_hat) > mu, 0.0, t)
    elif name == "q0":
        t = np.where(np.asarray(mu_hat) < mu, 0.0, t)
    return t


def _value(name: str, profiler: Profiler, mu: float) -> float:
    conditional, free = profiler.minima(mu)
    return float(statistics_from_minima(name, conditional.nll, free.nll, free.values[profiler.poi], mu))


def q_mu(profiler: Profiler, mu: float) -> float:
    """q_mu = t_mu if mu-hat <= mu, else 0 (arXiv:1007.1727 eq. 14)."""
    return _value("q", profiler, mu)


def qtilde_mu(profiler: Profiler, mu: float) -> float:
    """q~_mu (arXiv:1007.1727 eq. 16); the profiler's POI lower bound must be 0."""
    return _value("qtilde", profiler, mu)


def q0(profiler: Profiler) -> float:
    """q0 = t_0 if mu-hat >= 0, else 0 (arXiv:1007.1727 eq. 12)."""
    return _value("q0", profiler, 0.0)


def test_statistic_value(name: str, profiler: Profiler, mu: float) -> float:
    """Value of the test statistic called ``name`` ("qtilde" or "q") at ``mu``."""
    if name not in TEST_STATISTICS:
        raise ValueError(f"test_statistic must be one of {TEST_STATISTICS}, got {name!r}")
    return _value(name, profiler, mu)
