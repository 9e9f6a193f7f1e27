"""What a conversion could not carry over exactly, and how parameters correspond.

A conversion either reproduces the likelihood exactly (to rounding) or refuses: every construct
that has no exact equivalent on the other side goes through :meth:`Approximations.note`, which
raises :class:`~likelihub.errors.InvalidModelError` ("... has no exact pyhf equivalent: ...",
naming the file and line, channel, process and systematic) unless the caller asked for
``approximate=True``; then the construct is converted as the message says and listed in one
:class:`ConversionWarning` at the end (:meth:`Approximations.warn`).

Parameters that the two sides write differently are related by an affine map,
``other = offset + scale * value`` (:class:`ParameterLink`): a ``gmN`` count parameter is pyhf's
shapesys factor times N, an autoMCStats Barlow-Beeston-lite parameter x is pyhf's staterror
``gamma = 1 + delta x``. The likelihoods are then equal at linked points up to a constant
(the Gaussian normalisation ``log delta`` of each rescaled parameter), which the conversion
computes: :attr:`constant`.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping
from dataclasses import dataclass

from likelihub.errors import InvalidModelError

__all__ = [
    "ConversionWarning",
    "Approximations",
    "ParameterLink",
    "map_values",
    "refuse",
    "FIXED_GAUSSIAN_NLL",
    "FIXED_POISSON_NLL",
]

#: -log of pyhf's constraint of a staterror or shapesys component it fixes (a bin without
#: uncertainty): Gaussian N(1 | 1, 1), and Poisson(1 | 1) with pyhf's placeholder tau = 1.
FIXED_GAUSSIAN_NLL = 0.5 * math.log(2.0 * math.pi)
FIXED_POISSON_NLL = 1.0


class ConversionWarning(UserWarning):
    """A conversion with ``approximate=True`` approximated some constructs (listed in the message)."""


class Approximations:
    """Collects what a conversion approximates, or refuses it.

    Parameters
    ----------
    approximate
        Convert constructs without an exact equivalent approximately (and warn) instead of raising.
    target
        The other side's name for messages (``"pyhf"`` or ``"Combine"``).
    """

    def __init__(self, approximate: bool, target: str):
        self.approximate = bool(approximate)
        self.target = target
        self.items: list[str] = []

    def note(self, what: str, reason: str, approximation: str, **location) -> None:
        """Record that ``what`` is converted as ``approximation`` (raise unless approximating)."""
        if not self.approximate:
            raise InvalidModelError(
                f"{what} has no exact {self.target} equivalent: {reason} (approximate=True, or "
                f"--approximate, converts it as {approximation})",
                **location,
            )
        where = ", ".join(f"{key} {value}" for key, value in location.items() if value is not None)
        self.items.append(f"{what}{f' ({where})' if where else ''}: {reason}; converted as {approximation}")

    def warn(self, stacklevel: int = 3) -> None:
        """One :class:`ConversionWarning` listing every approximation (none: no warning)."""
        if self.items:
            warnings.warn(
                ConversionWarning(
                    f"{len(self.items)} approximation(s), the likelihoods differ: " + " | ".join(self.items)
                ),
                stacklevel=stacklevel,
            )


def refuse(what: str, reason: str, target: str, **location) -> None:
    """Raise for a construct that has no equivalent at all, exact or approximate."""
    raise InvalidModelError(f"{what} has no {target} equivalent: {reason}", **location)


@dataclass(frozen=True)
class ParameterLink:
    """``target = offset + scale * source``: a parameter of the converted model (``target``, with
    ``[i]`` for a component of a per-bin parameter) and the source parameter it stands for."""

    source: str
    target: str
    scale: float = 1.0
    offset: float = 0.0


def map_values(links: list[ParameterLink], values: Mapping[str, float]) -> dict[str, float]:
    """The converted model's parameter values at the source model's ``values`` (by name).

    Raises
    ------
    InvalidModelError
        A linked source parameter missing from ``values``.
    """
    mapped = {}
    for link in links:
        if link.source not in values:
            raise InvalidModelError(f"no value for parameter {link.source!r}", argument="values")
        mapped[link.target] = link.offset + link.scale * float(values[link.source])
    return mapped
