"""Statistical inference shared by every backend: test statistics, calculators, limits."""

from likelihub.infer.asymptotic import AsymptoticCalculator, asimov_data, asymptotic_significance
from likelihub.infer.chi2 import Chi2Calculator, profile_chi2
from likelihub.infer.limits import upper_limit
from likelihub.infer.profile import Profiler, poi_bounds_for
from likelihub.infer.test_statistics import q0, q_mu, qtilde_mu
from likelihub.infer.toys import ToyCalculator, draw_toys

__all__ = [
    "AsymptoticCalculator",
    "ToyCalculator",
    "Chi2Calculator",
    "Profiler",
    "asimov_data",
    "asymptotic_significance",
    "draw_toys",
    "poi_bounds_for",
    "profile_chi2",
    "q0",
    "q_mu",
    "qtilde_mu",
    "upper_limit",
]
