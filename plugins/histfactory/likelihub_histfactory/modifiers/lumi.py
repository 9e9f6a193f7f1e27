"""The ``lumi`` modifier: the luminosity, the sample's rate times its parameter, which the
measurement constrains (pyhf requires it to set ``auxdata`` and ``sigmas``, and the schema names the
modifier ``lumi``).

One scalar parameter, Gaussian-constrained by the measurement's settings, initial value 1, bounds
[0, 10] until the measurement configures them. Its terms are plain factors
(:mod:`likelihub_histfactory.interpolation.factor`).
"""

from __future__ import annotations

from .base import ParameterSet, no_data_checks, no_sharing_rules, one_parameter

__all__ = ["NAME", "PER_BIN", "CONSTRAINT", "SHARING_GROUP", "SORTED_BY_NAME", "INTERPOLATION_CODES",
           "check_data", "check_sharing", "n_parameters", "parameter_set"]

NAME = "lumi"
PER_BIN = False
CONSTRAINT = "normal"
SHARING_GROUP = NAME
SORTED_BY_NAME = False
INTERPOLATION_CODES = None

check_data = no_data_checks
check_sharing = no_sharing_rules
n_parameters = one_parameter


def parameter_set(name: str, uses: list, layout, source: str | None) -> ParameterSet:
    """One parameter whose constraint (auxiliary datum, width) the measurement must configure."""
    return ParameterSet(name, NAME, 1, CONSTRAINT, [1.0], [[0.0, 10.0]], [False], auxdata=None,
                        widths=None)
