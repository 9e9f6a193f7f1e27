"""The ``normfactor`` modifier: a free normalisation, the sample's rate times its parameter (the
signal strength mu is one).

One scalar parameter per name, unconstrained, initial value 1, bounds [0, 10]; shared by every
normfactor of that name. Its terms are plain factors (:mod:`likelihub_histfactory.interpolation.factor`).
"""

from __future__ import annotations

from .base import ParameterSet, no_data_checks, no_sharing_rules, one_parameter

__all__ = ["NAME", "PER_BIN", "CONSTRAINT", "SHARING_GROUP", "SORTED_BY_NAME", "INTERPOLATION_CODES",
           "check_data", "check_sharing", "n_parameters", "parameter_set"]

NAME = "normfactor"
PER_BIN = False
CONSTRAINT = None
SHARING_GROUP = NAME
SORTED_BY_NAME = False
INTERPOLATION_CODES = None

check_data = no_data_checks
check_sharing = no_sharing_rules
n_parameters = one_parameter


def parameter_set(name: str, uses: list, layout, source: str | None) -> ParameterSet:
    """One free parameter starting at 1, within [0, 10]."""
    return ParameterSet(name, NAME, 1, CONSTRAINT, [1.0], [[0.0, 10.0]], [False])
