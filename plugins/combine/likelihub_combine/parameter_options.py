"""Combine's command-line options on the model's parameters, applied to a built model in
Combine's order (``src/Combine.cc``):

1. ``nuisance edit freeze`` lines of the card (the workspace's frozen parameters);
2. ``--rMin``/``--rMax`` (``r_range``): the range of the physics model's first POI;
3. ``--setParameterRanges`` (``parameter_ranges``), then ``--setParameters`` (``set_parameters``):
   ranges and values (the initial values, and the values frozen parameters keep);
4. ``--redefineSignalPOIs`` (``pois``): the POI likelihub tests is the first named (any
   parameter; a nuisance promoted to POI loses its constraint term, as in Combine); the POIs
   float; POIs of the physics model not named float as ordinary unconstrained parameters;
5. ``--floatParameters`` (``float_parameters``), then ``--freezeParameters`` (``freeze``), then
   ``--freezeNuisanceGroups`` (``freeze_groups``): freezing wins over floating.

Names may be Combine's patterns: ``rgx{regex}`` (the nuisance parameters: every parameter of a
systematic, ``param`` or autoMCStats line, not the POIs, rateParams or extArgs), ``var{regex}``
(any parameter), ``allConstrainedNuisances`` (``freeze``) and ``all`` (``float_parameters``);
in ``set_parameters`` and ``parameter_ranges`` ``rgx{regex}`` matches any parameter. A group
``^name`` in ``freeze_groups`` freezes every nuisance parameter outside the group. A name or
pattern that matches nothing is an error.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence

from likelihub.errors import InvalidArgumentError

from .build import Built
from .card import Datacard
from .edits import edit_freezes
from .groups import model_groups
from .patterns import argument_regex

__all__ = ["apply_parameter_options"]

_NOT_NUISANCES = ("POI", "rateParam", "extArg")


def _names_list(value, argument: str) -> list[str]:
    """A list of names: a list of strings, or one string of comma-separated names (commas inside
    ``{...}`` kept)."""
    if value is None:
        return []
    if isinstance(value, str):
        return [n for n in re.split(r",(?![^{]*\})", value) if n]
    if isinstance(value, Sequence) and all(isinstance(n, str) for n in value):
        return list(value)
    raise InvalidArgumentError("must be a list of parameter names", argument=argument)


class _Options:
    def __init__(self, built: Built, card: Datacard):
        self.built, self.card = built, card
        self.table = built.table
        self.names = [p.name for p in self.table.items]
        self.pois = list(built.pois)

    def nuisances(self) -> list[str]:
        return [
            p.name
            for p in self.table.items
            if p.name not in self.pois and (p.origin not in _NOT_NUISANCES or p.constraint is not None)
        ]

    def match(self, name: str, argument: str, nuisances_only: bool = True) -> list[str]:
        """The parameters ``name`` designates (a name, ``rgx{}`` or ``var{}``)."""
        pattern = re.fullmatch(r"(rgx|var)\{(.*)\}", name)
        if pattern is None:
            if name not in self.names:
                raise InvalidArgumentError(f"no parameter {name!r} in the model", argument=argument)
            return [name]
        kind, text = pattern.groups()
        compiled = argument_regex(text, what=f"{name}: the pattern", argument=argument)
        pool = self.nuisances() if kind == "rgx" and nuisances_only else self.names
        found = [n for n in pool if compiled.fullmatch(n)]
        if not found:
            raise InvalidArgumentError(f"{name!r} matches no parameter", argument=argument)
        return found

    def set_range(self, name: str, low: float, high: float, argument: str) -> None:
        if not (isinstance(low, (int, float)) and isinstance(high, (int, float))) or not low < high:
            raise InvalidArgumentError(
                f"the range ({low}, {high}) of {name!r} is not increasing", argument=argument
            )
        parameter = self.table.get(name)
        parameter.low, parameter.high = float(low), float(high)
        parameter.init = min(max(parameter.init, parameter.low), parameter.high)

    def ranges(self, r_range, parameter_ranges) -> None:
        if r_range is not None:
            low, high = _pair(r_range, "r_range")
            if not low < high or not low <= 1.0 <= high and not low <= 0.0 <= high:
                raise InvalidArgumentError(
                    f"r_range ({low}, {high}) must be increasing and hold 0 or 1", argument="r_range"
                )
            self.set_range(self.pois[0], low, high, "r_range")
        for key, value in _mapping(parameter_ranges, "parameter_ranges").items():
            low, high = _pair(value, "parameter_ranges")
            for name in self.match(key, "parameter_ranges", nuisances_only=False):
                self.set_range(name, low, high, "parameter_ranges")

    def values(self, set_parameters) -> None:
        for key, value in _mapping(set_parameters, "set_parameters").items():
            if not isinstance(value, (int, float)) or not math.isfinite(value):
                raise InvalidArgumentError(
                    f"the value of {key!r} must be a finite number", argument="set_parameters"
                )
            for name in self.match(key, "set_parameters", nuisances_only=False):
                parameter = self.table.get(name)
                if not parameter.low <= value <= parameter.high:
                    raise InvalidArgumentError(
                        f"{name} = {value} lies outside its range [{parameter.low}, {parameter.high}] "
                        "(change it with parameter_ranges)",
                        argument="set_parameters",
                    )
                parameter.init = float(value)

    def redefine(self, pois) -> str:
        names = _names_list(pois, "pois")
        if pois is not None and not names:
            raise InvalidArgumentError("names no parameter", argument="pois")
        for name in names:
            if name not in self.names:
                raise InvalidArgumentError(
                    f"no parameter {name!r} in the model (the POIs of the physics model: {self.pois})",
                    argument="pois",
                )
            self.table.get(name).constraint = None  # as Combine: a promoted nuisance loses its constraint
        if names:
            self.pois = names
        self.built.frozen.difference_update(self.pois)
        return self.pois[0]

    def freezing(self, float_parameters, freeze, freeze_groups, groups) -> None:
        for name in _names_list(float_parameters, "float_parameters"):
            found = self.nuisances() if name == "all" else self.match(name, "float_parameters")
            self.built.frozen.difference_update(found)
        for name in _names_list(freeze, "freeze"):
            found = self.nuisances() if name == "allConstrainedNuisances" else self.match(name, "freeze")
            self.built.frozen.update(found)
        for name in _names_list(freeze_groups, "freeze_groups"):
            group = name.removeprefix("^")
            if group not in groups:
                raise InvalidArgumentError(
                    f"no group {group!r} (the model's groups: {sorted(groups)})", argument="freeze_groups"
                )
            if name.startswith("^"):
                self.built.frozen.update(n for n in self.nuisances() if n not in groups[group])
            else:
                self.built.frozen.update(groups[group])


def _mapping(value, argument: str) -> Mapping:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise InvalidArgumentError("must be a mapping of parameter names", argument=argument)
    return value


def _pair(value, argument: str) -> tuple[float, float]:
    try:
        low, high = (float(x) for x in value)
    except (TypeError, ValueError):
        raise InvalidArgumentError(
            f"{value!r} is not a (low, high) pair of numbers", argument=argument
        ) from None
    if math.isnan(low) or math.isnan(high):
        raise InvalidArgumentError(f"{value!r} is not a (low, high) pair of numbers", argument=argument)
    return low, high


def apply_parameter_options(
    built: Built,
    card: Datacard,
    *,
    r_range=None,
    parameter_ranges: Mapping | None = None,
    set_parameters: Mapping | None = None,
    pois: str | Sequence[str] | None = None,
    float_parameters: str | Sequence[str] | None = None,
    freeze: str | Sequence[str] | None = None,
    freeze_groups: str | Sequence[str] | None = None,
) -> tuple[list[int], dict[str, tuple[str, ...]]]:
    """Apply the options to ``built`` (its parameters and frozen set, in place).

    Returns
    -------
    tuple
        The indices of the POIs (the physics model's, or those ``pois`` names), the one
        likelihub tests first, and the model's groups (name -> parameters).

    Raises
    ------
    InvalidArgumentError
        An unknown name, group or pattern matching nothing, a range that is not increasing, a
        value outside its parameter's range; the error names the argument.
    """
    options = _Options(built, card)
    built.frozen.update(edit_freezes(card, options.names))
    options.ranges(r_range, parameter_ranges)
    options.values(set_parameters)
    options.redefine(pois)
    mc_stats = [p.name for p in built.table.items if p.origin == "autoMCStats"]
    groups = model_groups(card, [n for n in options.names if n not in built.pois], mc_stats)
    options.freezing(float_parameters, freeze, freeze_groups, groups)
    return [built.table.index(name) for name in options.pois], groups
