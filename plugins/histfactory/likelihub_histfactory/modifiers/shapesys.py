"""The ``shapesys`` modifier: an uncorrelated uncertainty per bin of one sample (a Barlow-Beeston
term), the sample's rate in bin k times ``gamma_k``.

One parameter per bin, ``name[k]``, initial value 1, bounds [1e-10, 10], Poisson-constrained as
pyhf does: scale ``tau = (nom / delta)^2``, auxiliary datum tau, rate ``gamma tau``; a bin whose
yield or uncertainty is not positive has its parameter fixed (tau 1). A shapesys belongs to one
sample (pyhf forbids sharing it by name). Widths must lie within
:data:`.constraints.RELATIVE_WIDTH_LIMITS`. Its terms are plain factors
(:mod:`likelihub_histfactory.interpolation.factor`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import numpy as np

from likelihub.errors import InvalidModelError

from .base import ParameterSet, check_length, check_values, check_yields, shared_mask
from .constraints import RELATIVE_WIDTH_LIMITS, describe_width, outside_limits

__all__ = ["NAME", "PER_BIN", "CONSTRAINT", "SHARING_GROUP", "SORTED_BY_NAME", "INTERPOLATION_CODES",
           "check_data", "check_sharing", "n_parameters", "parameter_set", "bin_parameters", "scales"]

NAME = "shapesys"
PER_BIN = True
CONSTRAINT = "poisson"
SHARING_GROUP = NAME
SORTED_BY_NAME = False
INTERPOLATION_CODES = None


def check_data(modifier: Mapping, n_bins: int, location: dict) -> None:
    """One finite, non-negative uncertainty per bin of the channel."""
    check_length(modifier["data"], n_bins, "shapesys uncertainties", location)
    check_values(modifier["data"], "shapesys uncertainty", location, nonnegative=True)


def check_sharing(name: str, uses: list, where: Callable[[tuple], dict]) -> None:
    """A shapesys parameter belongs to one sample: a name used twice is refused."""
    raise InvalidModelError("a shapesys parameter belongs to one sample, but this name is "
                            f"used {len(uses)} times", **where(uses[1]))


def n_parameters(bins_by_channel: Mapping[str, int]) -> int:
    """The bins of its (one) channel."""
    return next(iter(bins_by_channel.values()))


def scales(nominal: np.ndarray, delta: np.ndarray, where: dict) -> tuple[list[float], list[bool]]:
    """pyhf's scales ``tau = (nom / delta)^2`` of one sample's bins, and which are fixed (a bin
    whose yield or uncertainty is not positive: tau 1, fixed, as pyhf); ``where`` names the
    sample and modifier in errors."""
    valid = (nominal > 0) & (delta > 0)
    with np.errstate(over="ignore", under="ignore", invalid="ignore"):
        relative = np.where(valid, delta / np.where(valid, nominal, 1.0), 1.0)
        bad = np.flatnonzero(valid & outside_limits(relative))
        if bad.size:
            b = int(bad[0])
            raise InvalidModelError(
                f"the shapesys relative uncertainty (uncertainty {float(delta[b])!r} / nominal yield "
                f"{float(nominal[b])!r}) {describe_width(relative[b])}, so tau = (nominal / uncertainty)^2 "
                f"cannot be used; relative uncertainties must lie within {RELATIVE_WIDTH_LIMITS}", bin=b,
                **where)
        # pyhf's formula, or the same number without squares where the squares over- or underflow
        tau = nominal**2 / np.where(valid, delta, 1.0) ** 2
        tau = np.where(np.isfinite(tau) & (tau > 0), tau, (nominal / np.where(valid, delta, 1.0)) ** 2)
    return np.where(valid, tau, 1.0).tolist(), (~valid).tolist()


def parameter_set(name: str, uses: list, layout, source: str | None) -> ParameterSet:
    """A Poisson-constrained parameter per bin of its sample's channel (see the module docstring)."""
    if len(uses) > 1:
        raise InvalidModelError("a shapesys modifier cannot be shared by name (pyhf forbids it)",
                                file=source, channel=uses[1][0], sample=uses[1][1], modifier=name)
    c, s, _, modifier = uses[0]
    n = layout.nbins[c]
    where = {"file": source, "channel": c, "sample": s, "modifier": name}
    delta = check_yields(modifier.get("data"), n, where, "shapesys data")
    widths, fixed = scales(layout.nominal[s][layout.bins(c)], delta, where)
    return ParameterSet(name, NAME, n, CONSTRAINT, [1.0] * n, [[1e-10, 10.0]] * n, list(fixed),
                        is_scalar=False, auxdata=list(widths), widths=list(widths))


def bin_parameters(layout, uses: list, start: int) -> np.ndarray:
    """The parameter index of each global bin (-1 where none): one per bin of its channel."""
    index = np.full(layout.n_bins, -1)
    mask = shared_mask(layout, uses)
    index[mask] = start + np.arange(int(mask.sum()))
    return index
