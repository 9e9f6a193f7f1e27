"""Physics models: which parameter of interest scales each process, as text2workspace.py's ``-P``
builds them.

- The default model (Combine's ``PhysicsModel:defaultModel``): one POI ``r`` in [0, 20], starting
  at 1, scaling every signal process (index <= 0); backgrounds are not scaled.
- The multi-signal model (``PhysicsModel:multiSignalModel``), from physics options as given to
  ``--PO``: ``map=bin/process:poi[init,min,max]`` (``bin/process`` a regular expression matched
  with ``re.match`` against ``<bin>/<process>``, several patterns separated by commas; ``poi``
  defined with its range the first time, named alone afterwards), ``map=...:1`` (not scaled),
  ``map=...:0`` (the process dropped from the model), ``map=...:super`` (the default rule), and
  ``turnoff=p1,p2`` (``map=.*/(p1|p2):0``). Where several maps match a process, the last one
  given wins; a process no map matches is not scaled (Combine's rule: ``1`` is the default of
  the multi-signal model, for signal processes too). ``verbose`` is accepted and ignored.

A map pattern that matches no ``bin/process`` of the card, an expression POI
(``map=...:name=expr``) and an unknown option are errors naming the option.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from likelihub.errors import InvalidArgumentError, InvalidModelError

from .card import Column, Datacard
from .parameters import POI_RANGE, Parameter
from .patterns import argument_regex

__all__ = ["POI", "PhysicsModel", "DEFAULT_MODEL", "physics_model"]

_POI = re.compile(r"^([A-Za-z_][\w.]*)(?:\[([^\]]*)\])?$")
_ARGUMENT = "physics_options"


@dataclass(frozen=True)
class POI:
    """A parameter of interest of the physics model: name, initial value and range."""

    name: str
    init: float
    low: float
    high: float

    def parameter(self) -> Parameter:
        """The POI as a free parameter of the likelihood."""
        return Parameter(self.name, self.init, self.low, self.high, None, origin="POI")


@dataclass(frozen=True)
class PhysicsModel:
    """The POIs and the scaling rule: ``maps`` are (target, compiled patterns, option) in the
    order given, target a POI name, ``"1"``, ``"0"`` or ``"super"``; None for the default model."""

    pois: tuple[POI, ...]
    maps: tuple[tuple[str, tuple[re.Pattern, ...], str], ...] | None = None

    def target(self, column: Column) -> str | int | None:
        """The POI that scales ``column``; None where it is not scaled, 0 where it is dropped."""
        if self.maps is None:
            return "r" if column.signal else None
        found = "1"
        key = f"{column.channel}/{column.process}"
        for target, patterns, _ in self.maps:
            if any(p.match(key) for p in patterns):
                found = target
        if found == "super":
            return "r" if column.signal else None
        return {"1": None, "0": 0}.get(found, found)


DEFAULT_MODEL = PhysicsModel((POI("r", 1.0, *POI_RANGE),))


def _poi(text: str, option: str) -> tuple[str, POI | None]:
    """The name in ``name[init,min,max]`` (or ``name[min,max]``: init the middle, as RooFit's
    factory) and its POI, None where no range is given."""
    match = _POI.match(text)
    if not match:
        raise InvalidArgumentError(
            f"{option!r}: {text!r} is not a parameter name, name[init,min,max], 1, 0 or super",
            argument=_ARGUMENT,
        )
    name, inside = match.groups()
    if inside is None:
        return name, None
    try:
        numbers = [float(x) for x in inside.split(",")]
    except ValueError:
        numbers = []
    if len(numbers) == 2:
        numbers.insert(0, 0.5 * (numbers[0] + numbers[1]))
    if len(numbers) != 3 or not numbers[1] < numbers[2] or not numbers[1] <= numbers[0] <= numbers[2]:
        raise InvalidArgumentError(
            f"{option!r}: the POI {name} needs [init,min,max] with min <= init <= max and min < max "
            f"(or [min,max]), got [{inside}]",
            argument=_ARGUMENT,
        )
    return name, POI(name, *numbers)


def physics_model(options: Sequence[str] | None, card: Datacard) -> PhysicsModel:
    """The physics model of the ``--PO`` options ``options`` (None or empty: the default model),
    checked against ``card``.

    Raises
    ------
    InvalidArgumentError
        An unknown option, a malformed map, a pattern matching no ``bin/process`` of the card, a
        POI used before its range is given (or given two ranges), a POI named like a parameter of
        the card or scaling no process, or no POI at all.
    """
    if options is None or isinstance(options, str) or not all(isinstance(o, str) for o in options):
        if options is None:
            return _default(card)
        raise InvalidArgumentError(
            "must be a list of physics options (strings such as 'map=.*/ggH:r_ggH[1,0,10]')",
            argument=_ARGUMENT,
        )
    options = [o for o in options if o != "verbose"]
    if not options:
        return _default(card)
    options = [o for o in options if not o.startswith("turnoff=")] + [
        "map=.*/({}):0".format("|".join(o.removeprefix("turnoff=").split(",")))
        for o in options
        if o.startswith("turnoff=")
    ]
    keys = [f"{c.channel}/{c.process}" for c in card.columns]
    pois: dict[str, POI] = {}
    maps = []
    for option in options:
        if not option.startswith("map=") or ":" not in option:
            raise InvalidArgumentError(
                f"unknown physics option {option!r} (likelihub knows Combine's multiSignalModel options: "
                "map=bin/process:poi[init,min,max], turnoff=processes, verbose)",
                argument=_ARGUMENT,
            )
        patterns_text, target = option.removeprefix("map=").split(":", 1)
        patterns = []
        for text in patterns_text.split(","):
            pattern = argument_regex(text, what=f"{option!r}:", argument=_ARGUMENT)
            if not any(pattern.match(key) for key in keys):
                raise InvalidArgumentError(
                    f"{option!r}: the pattern {text!r} matches no bin/process of the card "
                    f"(they read like {keys[0]!r})",
                    argument=_ARGUMENT,
                )
            patterns.append(pattern)
        if "=" in target:
            raise InvalidArgumentError(
                f"{option!r}: expression POIs (name=expr) are not supported", argument=_ARGUMENT
            )
        if target not in ("0", "1", "super"):
            target, poi = _poi(target, option)
            if poi is not None and target in pois and pois[target] != poi:
                raise InvalidArgumentError(
                    f"{option!r}: the POI {target} was given another range before", argument=_ARGUMENT
                )
            if poi is None and target not in pois:
                raise InvalidArgumentError(
                    f"{option!r}: the POI {target} is used before it is defined with [init,min,max]",
                    argument=_ARGUMENT,
                )
            pois.setdefault(target, poi)
        maps.append((target, tuple(patterns), option))
    if any(target == "super" for target, _, _ in maps) and "r" not in pois:
        raise InvalidArgumentError(
            "'super' (the default rule, signals scaled by r) needs a map defining r[init,min,max]",
            argument=_ARGUMENT,
        )
    if not pois:
        raise InvalidArgumentError(f"the physics options {list(options)} define no POI", argument=_ARGUMENT)
    model = PhysicsModel(tuple(pois.values()), tuple(maps))
    _check_names(model, card)
    used = {model.target(column) for column in card.columns}
    for poi in model.pois:
        if poi.name not in used:
            raise InvalidArgumentError(
                f"the POI {poi.name} scales no process (later maps override its own)", argument=_ARGUMENT
            )
    return model


def _default(card: Datacard) -> PhysicsModel:
    if not card.signals:
        raise InvalidModelError(
            "the card has no signal process (process index <= 0) for the default model's r; give "
            "physics_options (map=bin/process:poi[init,min,max]) to choose what a POI scales",
            file=card.where(card.rate_line),
        )
    _check_names(DEFAULT_MODEL, card)
    return DEFAULT_MODEL


def _check_names(model: PhysicsModel, card: Datacard) -> None:
    """A POI may not share its name with a parameter of the card."""
    names = (
        [s.name for s in card.systematics]
        + [p.name for p in card.params]
        + [r.name for r in card.rate_params]
        + [e.name for e in card.ext_args]
    )
    for poi in model.pois:
        if poi.name in names:
            raise InvalidArgumentError(
                f"the POI {poi.name!r} has the name of a parameter of the card", argument=_ARGUMENT
            )
