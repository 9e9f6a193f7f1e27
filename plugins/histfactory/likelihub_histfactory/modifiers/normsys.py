"""The ``normsys`` modifier: a normalisation uncertainty, the sample's rate times a factor that
interpolates ``lo`` (alpha = -1), 1 (alpha = 0) and ``hi`` (alpha = +1).

One scalar parameter per name, Gaussian-constrained (auxiliary datum 0, width 1), initial value 0,
bounds [-5, 5]; it may share its parameter with histosys modifiers of the same name. Its terms are
multiplicative, interpolated by code 1 or code 4 (pyhf's default):
:mod:`likelihub_histfactory.interpolation.code1`, :mod:`~likelihub_histfactory.interpolation.code4`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np

from likelihub.errors import InvalidModelError

from ..interpolation import KINDS, TERM_NORMSYS_CODE1, TERM_NORMSYS_CODE4
from .base import ParameterSet, no_sharing_rules, one_parameter

__all__ = ["NAME", "PER_BIN", "CONSTRAINT", "SHARING_GROUP", "SORTED_BY_NAME", "INTERPOLATION_CODES",
           "DEFAULT_CODE", "check_data", "check_sharing", "n_parameters", "parameter_set", "terms"]

NAME = "normsys"
PER_BIN = False
CONSTRAINT = "normal"
#: normsys and histosys modifiers of one name share one Gaussian-constrained parameter.
SHARING_GROUP = "gaussian"
SORTED_BY_NAME = False
#: Interpolation codes and the term kind each compiles to.
INTERPOLATION_CODES = {"1": TERM_NORMSYS_CODE1, "4": TERM_NORMSYS_CODE4}
DEFAULT_CODE = "4"

check_sharing = no_sharing_rules
n_parameters = one_parameter


def check_data(modifier: Mapping, n_bins: int, location: dict) -> None:
    """The factors ``lo`` and ``hi`` (numbers, by the schema) finite and non-negative."""
    data = modifier["data"]
    for key in ("lo", "hi"):
        if not math.isfinite(data[key]) or data[key] < 0:
            raise InvalidModelError(f"normsys factor {key} = {data[key]} must be finite and "
                                    "non-negative", **location)


def parameter_set(name: str, uses: list, layout, source: str | None) -> ParameterSet:
    """One nuisance parameter: Gaussian around 0 of width 1, starting at 0, within [-5, 5]."""
    return ParameterSet(name, NAME, 1, CONSTRAINT, [0.0], [[-5.0, 5.0]], [False], auxdata=[0.0],
                        widths=[1.0])


def _factors(modifiers: list) -> tuple[np.ndarray, np.ndarray] | None:
    """The hi and lo factors of the modifiers as arrays, or None where any is not plainly valid."""
    try:
        factors = np.array([[m["data"]["hi"] for m in modifiers], [m["data"]["lo"] for m in modifiers]])
    except (TypeError, KeyError, ValueError):
        return None
    if factors.dtype.kind not in "if" or not np.all(np.isfinite(factors) & (factors > 0)):
        return None
    factors = factors.astype(float).reshape(2, -1)
    return factors[0], factors[1]


def _checked_factors(modifier: dict, where: dict) -> tuple[float, float]:
    """``(hi, lo)`` of one modifier, checked; the slow path, whose errors name the modifier."""
    data = modifier.get("data")
    if not isinstance(data, dict):
        raise InvalidModelError("normsys data must be an object", **where)
    hi, lo = data.get("hi"), data.get("lo")
    if not all(isinstance(x, int | float) and math.isfinite(x) and x > 0 for x in (hi, lo)):
        raise InvalidModelError(f"normsys factors hi and lo must be positive numbers, got "
                                f"hi={hi!r}, lo={lo!r}", **where)
    return float(hi), float(lo)


def terms(modifiers: list, layout, c: str, s: str, code: str, source: str | None
          ) -> tuple[int, np.ndarray]:
    """The term kind and the rows of coefficients (K, N_COEFFICIENTS) of the normsys modifiers
    ``modifiers`` of sample ``s`` in channel ``c`` (the same in every bin), for ``code``."""
    factors = _factors(modifiers)
    if factors is None:
        pairs = [_checked_factors(m, {"file": source, "channel": c, "sample": s, "modifier": m["name"]})
                 for m in modifiers]
        factors = (np.array([p[0] for p in pairs], dtype=float), np.array([p[1] for p in pairs], dtype=float))
    kind = INTERPOLATION_CODES[code]
    return kind, KINDS[kind].coefficient_rows(*factors)
