"""Test statistics for upper limits and discovery (Cowan, Cranmer, Gross, Vitells, arXiv:1007.1727).

- :func:`q_mu` (eq. 14): t_mu where mu-hat <= mu, else 0; for upper limits.
- :func:`qtilde_mu` (eq. 16): as q_mu with mu-hat held at or above 0 (:func:`poi_bounds_for`);
  the default for limits, as in pyhf.
- :func:`q0` (eq. 12): t_0 where mu-hat >= 0, else 0; for discovery.

Each takes a :class:`~likelihub.infer.profile.Profiler` whose bounds match the statistic.
"""

from __future__ import annotations

from likelihub.infer.profile import Profiler

__all__ = ["q_mu", "qtilde_mu", "q0", "TEST_STATISTICS", "test_statistic_value"]

TEST_STATISTICS = ("qtilde", "q")


def q_mu(profiler: Profiler, mu: float) -> float:
    """q_mu = t_mu if mu-hat <= mu, else 0 (arXiv:1007.1727 eq. 14)."""
    t = profiler.t_mu(mu)
    return 0.0 if profiler.mu_hat > mu else t


def qtilde_mu(profiler: Profiler, mu: float) -> float:
    """q~_mu (arXiv:1007.1727 eq. 16); the profiler's POI lower bound must be 0."""
    return q_mu(profiler, mu)


def q0(profiler: Profiler) -> float:
    """q0 = t_0 if mu-hat >= 0, else 0 (arXiv:1007.1727 eq. 12)."""
    t = profiler.t_mu(0.0)
    return 0.0 if profiler.mu_hat < 0 else t


def test_statistic_value(name: str, profiler: Profiler, mu: float) -> float:
    """Value of the test statistic called ``name`` ("qtilde" or "q") at ``mu``."""
    if name == "qtilde":
        return qtilde_mu(profiler, mu)
    if name == "q":
        return q_mu(profiler, mu)
    raise ValueError(f"test_statistic must be one of {TEST_STATISTICS}, got {name!r}")
