"""The ``histosys`` modifier: a shape uncertainty, the sample's yields shifted bin by bin towards
the templates ``lo_data`` (alpha = -1) and ``hi_data`` (alpha = +1).

One scalar parameter per name, Gaussian-constrained (auxiliary datum 0, width 1), initial value 0,
bounds [-5, 5]; it may share its parameter with normsys modifiers of the same name. Its terms are
additive, interpolated by code 0, code 2 or code 4p (pyhf's default):
:mod:`likelihub_histfactory.interpolation.code0`, :mod:`~likelihub_histfactory.interpolation.code2`,
:mod:`~likelihub_histfactory.interpolation.code4p`.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from likelihub.errors import InvalidModelError

from ..interpolation import KINDS, TERM_HISTOSYS_CODE0, TERM_HISTOSYS_CODE2, TERM_HISTOSYS_CODE4P
from .base import ParameterSet, check_length, check_values, check_yields, no_sharing_rules, one_parameter

__all__ = ["NAME", "PER_BIN", "CONSTRAINT", "SHARING_GROUP", "SORTED_BY_NAME", "INTERPOLATION_CODES",
           "DEFAULT_CODE", "check_data", "check_sharing", "n_parameters", "parameter_set", "terms"]

NAME = "histosys"
PER_BIN = False
CONSTRAINT = "normal"
#: normsys and histosys modifiers of one name share one Gaussian-constrained parameter.
SHARING_GROUP = "gaussian"
SORTED_BY_NAME = False
#: Interpolation codes and the term kind each compiles to.
INTERPOLATION_CODES = {"0": TERM_HISTOSYS_CODE0, "2": TERM_HISTOSYS_CODE2, "4p": TERM_HISTOSYS_CODE4P}
DEFAULT_CODE = "4p"

check_sharing = no_sharing_rules
n_parameters = one_parameter


def check_data(modifier: Mapping, n_bins: int, location: dict) -> None:
    """The templates (lists of numbers, by the schema) have the channel's bins, finite values."""
    data = modifier["data"]
    for key in ("lo_data", "hi_data"):
        check_length(data[key], n_bins, f"histosys template {key}", location)
        check_values(data[key], f"histosys template {key}", location, nonnegative=False)


def parameter_set(name: str, uses: list, layout, source: str | None) -> ParameterSet:
    """One nuisance parameter: Gaussian around 0 of width 1, starting at 0, within [-5, 5]."""
    return ParameterSet(name, NAME, 1, CONSTRAINT, [0.0], [[-5.0, 5.0]], [False], auxdata=[0.0],
                        widths=[1.0])


def _templates(modifiers: list, n_bins: int) -> tuple[np.ndarray, np.ndarray] | None:
    """The hi and lo templates (K, bins) of the modifiers, or None where any is not plainly valid."""
    try:
        yields = [m["data"]["hi_data"] for m in modifiers] + [m["data"]["lo_data"] for m in modifiers]
        if not all(isinstance(x, list) for x in yields):
            return None
        yields = np.array(yields, dtype=float).reshape(2 * len(modifiers), -1)
    except (TypeError, KeyError, ValueError):
        return None
    if yields.shape[1] != n_bins or not np.all(np.isfinite(yields) & (yields >= 0)):
        return None
    yields = yields.reshape(2, len(modifiers), n_bins)
    return yields[0], yields[1]


def _checked_templates(modifier: dict, n_bins: int, where: dict) -> tuple[np.ndarray, np.ndarray]:
    """``(hi_data, lo_data)`` of one modifier, checked; the slow path, whose errors name the modifier."""
    data = modifier.get("data")
    if not isinstance(data, dict):
        raise InvalidModelError("histosys data must be an object", **where)
    return (check_yields(data.get("hi_data"), n_bins, where, "histosys hi_data"),
            check_yields(data.get("lo_data"), n_bins, where, "histosys lo_data"))


def terms(modifiers: list, layout, c: str, s: str, code: str, source: str | None
          ) -> tuple[int, np.ndarray]:
    """The term kind and the rows of coefficients (bins, K, N_COEFFICIENTS) of the histosys
    modifiers ``modifiers`` of sample ``s`` in channel ``c``, for ``code``."""
    n_bins = layout.nbins[c]
    templates = _templates(modifiers, n_bins)
    if templates is None:
        pairs = [_checked_templates(m, n_bins, {"file": source, "channel": c, "sample": s,
                                                "modifier": m["name"]}) for m in modifiers]
        templates = (np.array([p[0] for p in pairs], dtype=float).reshape(-1, n_bins),
                     np.array([p[1] for p in pairs], dtype=float).reshape(-1, n_bins))
    hi, lo = templates
    nominal = layout.nominal[s][layout.bins(c)]
    kind = INTERPOLATION_CODES[code]
    return kind, KINDS[kind].coefficient_rows(nominal[:, None], hi.T, lo.T)
