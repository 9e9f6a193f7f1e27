"""The limits of the constraint terms' widths, and the checks of those a measurement configures.

The widths computed from a workspace are the modifiers' (as pyhf 0.7.6 computes them):

- staterror (:mod:`.staterror`): a Gaussian around 1 of width ``sqrt(sum_s delta_s^2) / sum_s
  nom_s`` per bin, over the samples carrying the modifier;
- shapesys (:mod:`.shapesys`): a Poisson constraint of scale ``tau = (nom / delta)^2`` (auxiliary
  datum tau).

Degenerate widths. As pyhf, a bin whose uncertainty is zero (every ``delta_s = 0``; for
shapesys also ``nom = 0``), or whose samples have no yield, has no constraint to speak of: its
parameter is *fixed* (at 1, with width 1, or tau 1 -- pyhf's placeholders). Any other width must
lie within :data:`RELATIVE_WIDTH_LIMITS` (a relative uncertainty ``sigma``, or ``1 / sqrt(tau)``):
beyond them the likelihood cannot be evaluated in double precision over the parameter's range
(``1 / sigma^2`` and ``((a - theta) / sigma)^2`` overflow for ``sigma < 1e-154``, ``tau theta``
overflows for ``tau > 1e307``, and a width that underflows to zero would silently drop the
constraint), and no real uncertainty comes near them: such a model is refused with an
:class:`~likelihub.errors.InvalidModelError` naming the file, channel, sample, modifier and bin
(or the measurement's parameter setting and component) at fault. The same holds for the widths
(``sigmas``) and scales (``factors``) a measurement configures; its auxiliary data must be
finite (and, for a Poisson constraint, non-negative).
"""

from __future__ import annotations

import math

import numpy as np

from likelihub.errors import InvalidModelError

__all__ = ["RELATIVE_WIDTH_LIMITS", "describe_width", "outside_limits", "check_configured_values"]

#: Smallest and largest relative width (Gaussian sigma, or 1 / sqrt(tau) of a Poisson
#: constraint) a model may have; see the module docstring. Within them, every term of -log L, its
#: gradient and Hessian stays finite for parameters within [1e-10, 1e50].
RELATIVE_WIDTH_LIMITS = (1e-100, 1e100)


def describe_width(relative: float) -> str:
    """How a relative width misses :data:`RELATIVE_WIDTH_LIMITS`, for an error message."""
    low, high = RELATIVE_WIDTH_LIMITS
    if relative == 0.0:
        return "underflows to zero"
    if not math.isfinite(relative):
        return "overflows"
    return f"is {relative:.3g}, below {low:g}" if relative < low else f"is {relative:.3g}, above {high:g}"


def outside_limits(relative: np.ndarray) -> np.ndarray:
    """Where relative widths lie outside :data:`RELATIVE_WIDTH_LIMITS` (NaN included)."""
    low, high = RELATIVE_WIDTH_LIMITS
    return ~((relative >= low) & (relative <= high))


def check_configured_values(paramset, key: str, values: list[float], source: str | None) -> None:
    """The measurement's ``auxdata``, ``sigmas`` or ``factors`` of a parameter set, checked: finite;
    widths and scales within :data:`RELATIVE_WIDTH_LIMITS`; Poisson auxiliary data non-negative."""
    low, high = RELATIVE_WIDTH_LIMITS
    for index, value in enumerate(values):
        component = None if paramset.is_scalar else index
        where = {"file": source, "modifier": paramset.name, "bin": component, "argument": key}
        if not math.isfinite(value):
            raise InvalidModelError(f"the measurement sets {key} to {value!r}: it must be a finite number",
                                    **where)
        if key == "auxdata" and paramset.constraint == "poisson" and value < 0:
            raise InvalidModelError(f"the measurement sets auxdata to {value!r}: a Poisson constraint's "
                                    "auxiliary datum must not be negative", **where)
        if key == "sigmas" and not low <= value <= high:
            raise InvalidModelError(f"the measurement sets sigmas to {value!r}: a Gaussian width must lie "
                                    f"within {RELATIVE_WIDTH_LIMITS}", **where)
        if key == "factors" and not low**2 <= value <= 1.0 / low**2:
            raise InvalidModelError(f"the measurement sets factors to {value!r}: a Poisson scale tau must "
                                    f"lie within ({low**2:g}, {1.0 / low**2:g}) (relative widths within "
                                    f"{RELATIVE_WIDTH_LIMITS})", **where)
