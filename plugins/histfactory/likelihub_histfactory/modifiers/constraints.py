"""The widths of the constraint terms, computed from a workspace as pyhf 0.7.6 does, and checked.

- staterror: a Gaussian around 1 of width ``sqrt(sum_s delta_s^2) / sum_s nom_s`` per bin, over
  the samples carrying the modifier;
- shapesys: a Poisson constraint of scale ``tau = (nom / delta)^2`` (auxiliary datum tau).

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

__all__ = ["RELATIVE_WIDTH_LIMITS", "staterror_widths", "shapesys_scales", "check_configured_values"]

#: Smallest and largest relative width (Gaussian sigma, or 1 / sqrt(tau) of a Poisson
#: constraint) a model may have; see the module docstring. Within them, every term of -log L, its
#: gradient and Hessian stays finite for parameters within [1e-10, 1e50].
RELATIVE_WIDTH_LIMITS = (1e-100, 1e100)


def _describe(relative: float) -> str:
    low, high = RELATIVE_WIDTH_LIMITS
    if relative == 0.0:
        return "underflows to zero"
    if not math.isfinite(relative):
        return "overflows"
    return f"is {relative:.3g}, below {low:g}" if relative < low else f"is {relative:.3g}, above {high:g}"


def _outside(relative: np.ndarray) -> np.ndarray:
    low, high = RELATIVE_WIDTH_LIMITS
    return ~((relative >= low) & (relative <= high))


def staterror_widths(layout, uses: list, deltas: np.ndarray, mask: np.ndarray
                     ) -> tuple[list[float], list[bool]]:
    """pyhf's staterror widths of the masked global bins, and which are fixed (zero width).

    Parameters
    ----------
    layout
        The model's ``compile._Layout`` (``nominal``, ``locate``, ``source``).
    uses
        The modifier's (channel, sample name, sample, modifier) uses.
    deltas
        The uncertainties of each use (rows) in every global bin (zero outside its channel).
    mask
        The global bins the modifier acts on.
    """
    samples = sorted({s for _, s, _, _ in uses})
    total = sum(layout.nominal[s] for s in samples)
    positive = total > 0
    with np.errstate(over="ignore", under="ignore"):
        # pyhf's formula (its numbers), and the same width without squares for the check
        relative_sq = np.sum(np.where(positive, deltas / np.where(positive, total, 1.0), 0.0) ** 2, axis=0)
        relative = np.where(positive, np.hypot.reduce(deltas, axis=0) / np.where(positive, total, 1.0), 0.0)
    constrained = positive & np.any(deltas > 0, axis=0) & mask
    bad = np.flatnonzero(constrained & _outside(relative))
    if bad.size:
        b = int(bad[0])
        c, local = layout.locate(b)
        row = int(np.argmax(deltas[:, b]))
        raise InvalidModelError(
            f"the staterror's relative width sqrt(sum delta^2) / sum nominal {_describe(relative[b])} "
            f"(staterror data {float(deltas[row, b])!r} on a total nominal yield of {float(total[b])!r}); "
            "widths "
            f"must lie within {RELATIVE_WIDTH_LIMITS}: use 0 for no uncertainty (the parameter is "
            "then fixed)", file=layout.source, channel=c, sample=uses[row][1],
            modifier=uses[row][3]["name"], bin=local)
    widths = np.where(constrained, np.sqrt(relative_sq), 0.0)[mask]
    fixed = widths == 0
    widths[fixed] = 1.0
    return widths.tolist(), fixed.tolist()


def shapesys_scales(nominal: np.ndarray, delta: np.ndarray, where: dict) -> tuple[list[float], list[bool]]:
    """pyhf's shapesys scales ``tau = (nom / delta)^2`` of one sample's bins, and which are fixed
    (a bin whose yield or uncertainty is not positive: tau 1, fixed, as pyhf); ``where`` names the
    sample and modifier in errors."""
    valid = (nominal > 0) & (delta > 0)
    with np.errstate(over="ignore", under="ignore", invalid="ignore"):
        relative = np.where(valid, delta / np.where(valid, nominal, 1.0), 1.0)
        bad = np.flatnonzero(valid & _outside(relative))
        if bad.size:
            b = int(bad[0])
            raise InvalidModelError(
                f"the shapesys relative uncertainty (uncertainty {float(delta[b])!r} / nominal yield "
                f"{float(nominal[b])!r}) {_describe(relative[b])}, so tau = (nominal / uncertainty)^2 cannot "
                f"be used; relative uncertainties must lie within {RELATIVE_WIDTH_LIMITS}", bin=b, **where)
        # pyhf's formula, or the same number without squares where the squares over- or underflow
        tau = nominal**2 / np.where(valid, delta, 1.0) ** 2
        tau = np.where(np.isfinite(tau) & (tau > 0), tau, (nominal / np.where(valid, delta, 1.0)) ** 2)
    return np.where(valid, tau, 1.0).tolist(), (~valid).tolist()


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
