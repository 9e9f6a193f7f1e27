"""What the modifier modules share: the parameter set a modifier declares, the checks of yields
and of per-bin values, and the defaults for modifiers without a rule of their own.

:class:`ParameterSet` is what a modifier module's ``parameter_set`` returns (configured later by
the measurement, :mod:`likelihub_histfactory.compile.parameters`); :func:`check_yields` and
:func:`check_length` / :func:`check_values` are the checks whose errors name the place (file,
channel, sample, modifier, bin); :func:`shared_mask` is pyhf's rule for per-bin modifiers carried
by several samples.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from likelihub.errors import InvalidModelError

__all__ = ["ParameterSet", "check_yields", "check_length", "check_values", "shared_mask",
           "one_parameter", "no_sharing_rules", "no_data_checks"]


@dataclass
class ParameterSet:
    """One named set of parameters (one modifier name).

    Attributes
    ----------
    name
        The modifier name (parameters are ``name`` or ``name[i]``).
    modifier_type
        Type of the modifier that first declared it.
    n_parameters
        Number of parameters (1, or the number of bins it acts on).
    constraint
        ``"normal"``, ``"poisson"`` or None (unconstrained).
    inits, bounds, fixed
        Per parameter.
    is_scalar
        One parameter named without an index (False: ``name[i]`` for each bin).
    auxdata
        Auxiliary data (constrained sets only).
    widths
        Gaussian widths (sigmas) or Poisson scale factors (tau), per parameter.
    shared_types
        Other modifier types that share the set by name.
    """

    name: str
    modifier_type: str
    n_parameters: int
    constraint: str | None
    inits: list[float]
    bounds: list[list[float]]
    fixed: list[bool]
    is_scalar: bool = True
    auxdata: list[float] | None = None
    widths: list[float] | None = None
    shared_types: set[str] = field(default_factory=set)

    def parameter_names(self) -> list[str]:
        """``name`` for a scalar set, ``name[i]`` for each bin otherwise."""
        if self.is_scalar:
            return [self.name]
        return [f"{self.name}[{i}]" for i in range(self.n_parameters)]


def check_yields(values, n: int, where: dict, what: str) -> np.ndarray:
    """``values`` as an array of ``n`` finite, non-negative yields; errors name ``where``."""
    array = np.asarray(values, dtype=float) if isinstance(values, list) else None
    if array is None or array.ndim != 1:
        raise InvalidModelError(f"{what} must be a list of numbers", **where)
    if array.size != n:
        raise InvalidModelError(f"{what} has {array.size} bins, the channel has {n}", **where)
    bad = np.flatnonzero(~np.isfinite(array) | (array < 0))
    if bad.size:
        raise InvalidModelError(f"{what} is {array[bad[0]]!r}: yields must be finite and "
                                "non-negative", bin=int(bad[0]), **where)
    return array


def check_values(values: Sequence[float], what: str, location: dict, nonnegative: bool) -> None:
    """Each of ``values`` (of a document that passed the schema) finite, and non-negative if asked."""
    for index, value in enumerate(values):
        if not math.isfinite(value):
            raise InvalidModelError(f"{what} is {value} (not finite)", bin=index, **location)
        if nonnegative and value < 0:
            raise InvalidModelError(f"{what} is negative ({value})", bin=index, **location)


def check_length(values: Sequence, n_bins: int, what: str, location: dict, reference: str = "") -> None:
    """``values`` has one entry per bin of the channel (``reference``: the sample that set them)."""
    if len(values) != n_bins:
        reference = f" (those of its first sample, {reference!r})" if reference else ""
        raise InvalidModelError(f"{what} has {len(values)} bins, the channel has {n_bins}{reference}",
                                **location)


def shared_mask(layout, uses: list) -> np.ndarray:
    """Global bins a per-bin modifier acts on; every sample carrying it must carry it in the same
    channels (pyhf asserts as much).

    ``layout`` is the model's :class:`~likelihub_histfactory.compile.model.Layout`; ``uses`` the
    modifier's (channel, sample name, sample, modifier) uses.
    """
    masks, channels = {}, {}
    for c, s, _, _ in uses:
        masks.setdefault(s, np.zeros(layout.n_bins, bool))[layout.bins(c)] = True
        channels.setdefault(s, []).append(c)
    first_sample, first = next(iter(masks.items()))
    for s, mask in masks.items():
        if not np.array_equal(mask, first):
            raise InvalidModelError(
                f"a {uses[0][3]['type']} shared by samples must act on the same channels for each (as "
                f"pyhf requires): sample {first_sample!r} carries it in {channels[first_sample]}, sample "
                f"{s!r} in {channels[s]}", file=layout.source, sample=s, modifier=uses[0][3]["name"])
    return first


# -- defaults of the modifier modules ---------------------------------------------------------
def one_parameter(bins_by_channel: Mapping[str, int]) -> int:
    """``n_parameters`` of a scalar modifier: one, whatever the channels."""
    return 1


def no_sharing_rules(name: str, uses: list, where: Callable[[tuple], dict]) -> None:
    """``check_sharing`` of a modifier that any sample of any channel may share by name."""


def no_data_checks(modifier: Mapping, n_bins: int, location: dict) -> None:
    """``check_data`` of a modifier without data (``null``) or whose data the schema settles."""
