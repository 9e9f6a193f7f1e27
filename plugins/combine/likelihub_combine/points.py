"""The point source ``combine.cards``: a set of datacards, one model per card (typically one per
mass point), scanned by the core (``likelihub.scan``, ``likelihub scan``).

    lh.scan({120: "hww_m120.txt", 130: "hww_m130.txt"})               # the keys are the masses
    lh.scan(["cards/a.txt", "cards/b.txt"], kind="combine.cards", mass=125)
    lh.scan("cards/hww_m*.txt", kind="combine.cards", mass_regex=r"m(\\d+)", what="upper_limit")
    likelihub scan 'cards/hww_m*.txt' --kind combine.cards --mass-regex 'm(\\d+)' --what upper_limit

The cards: a mapping {label: card}, a list of cards, a glob pattern, or a folder (its ``*.txt``
cards, sorted). Each point is named by its label (the mapping's key, else the card's file name
without suffix). ``$MASS`` of each card's ``shapes`` lines (Combine's ``-m``) is ``mass`` where
given, else the first group of ``mass_regex`` matched in the card's file name, else a numeric
mapping key; the points then carry the mass as their label value ``mass``. Every card is parsed
when the scan opens (a malformed one stops it, naming its file and line); each point's templates
are read where its model is built.
"""

from __future__ import annotations

import glob
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click

import likelihub
from likelihub.errors import InvalidArgumentError
from likelihub.plugin import PointFamily, PointSource, ScanPoint, settings_of

from .patterns import argument_regex

__all__ = ["CardSetSource", "CardModels", "looks_like_datacard"]

#: The keywords one of which a datacard's first lines hold (after remarks).
_CARD_KEYWORDS = ("imax", "jmax", "kmax", "bin", "observation", "shapes")
_OPTIONS = {"mass", "mass_regex", "freeze", "r_range"}


def looks_like_datacard(path: str | os.PathLike) -> bool:
    """Whether the file's first lines (up to 4 kB) hold a datacard's header keywords."""
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            head = handle.read(4096)
    except OSError:
        return False
    words = [line.split()[0] for line in head.splitlines() if line.split() and not line.startswith("#")]
    return sum(word in _CARD_KEYWORDS for word in words[:12]) >= 2


@dataclass
class CardModels:
    """The model of a point: ``datacard(card, mass=..., freeze=..., r_range=...)``."""

    freeze: Sequence[str] = ()
    r_range: tuple[float, float] = (0.0, 20.0)

    def __call__(self, point: ScanPoint):
        path, mass = point.payload
        return likelihub.get_backend("combine.datacard")(path, mass=mass, freeze=list(self.freeze),
                                                         r_range=self.r_range)


class CardSetSource(PointSource):
    """A set of datacards: ``open(cards, mass=None, mass_regex=None, freeze=None, r_range=(0, 20))``."""

    def recognises(self, source, /, *more, **options) -> bool:
        """A mapping or list of card files, a glob pattern of cards, or a folder holding cards."""
        if more or set(options) - _OPTIONS:
            return False
        try:
            cards = _cards(source)
        except InvalidArgumentError:
            return False
        return bool(cards) and all(looks_like_datacard(path) for _, path in cards[:3])

    def settings(self, options: Mapping[str, Any]) -> dict[str, str]:
        """Every option: they all change the models."""
        return settings_of(options)

    def open(self, source, /, *more, mass: str | float | None = None, mass_regex: str | None = None,
             freeze: Sequence[str] | None = None,
             r_range: tuple[float, float] = (0.0, 20.0)) -> PointFamily:
        """Parse every card (a malformed one raises, naming its file and line) and list the points."""
        from .parser import read_datacard

        if more:
            raise InvalidArgumentError("give the cards as one list, mapping, pattern or folder",
                                       argument="source")
        cards = _cards(source)
        if not cards:
            raise InvalidArgumentError(f"no datacard in {source!r}", argument="source")
        pattern = _compile(mass_regex)
        points, with_mass = [], []
        for label, path in cards:
            read_datacard(path)
            point_mass = _mass_of(label, path, mass, pattern)
            with_mass.append(point_mass is not None)
            points.append(ScanPoint(str(label), values=() if point_mass is None else (_number(point_mass),),
                                    payload=(str(path), point_mass)))
        if any(with_mass) and not all(with_mass):
            raise InvalidArgumentError("some cards have a mass and others none: give mass= or a "
                                       "mass_regex matching every file name", argument="mass_regex")
        low, high = (float(x) for x in r_range)
        builder = CardModels(freeze=list(freeze or []), r_range=(low, high))
        return PointFamily(builder, points, labels=["mass"] if all(with_mass) else [])

    def command_options(self) -> list:
        """--mass, --mass-regex, --freeze, --rMin/--rMax."""
        return [
            click.Option(["--mass", "mass"], default=None,
                         help="[combine cards] $MASS of every card (Combine's -m)."),
            click.Option(["--mass-regex", "mass_regex"], default=None,
                         help="[combine cards] Regular expression whose first group, found in each "
                              "card's file name, is its $MASS and label value."),
            click.Option(["--freeze", "freeze"], default=None,
                         help="[combine cards] Parameters held at their initial values, "
                              "comma-separated (Combine's --freezeParameters)."),
            click.Option(["--rMin", "r_min"], type=float, default=None,
                         help="[combine cards] Lower end of r's range (default 0)."),
            click.Option(["--rMax", "r_max"], type=float, default=None,
                         help="[combine cards] Upper end of r's range (default 20)."),
        ]

    def from_command_line(self, source: str, options: dict[str, Any]) -> tuple[tuple, dict[str, Any]]:
        """--freeze split at commas; --rMin/--rMax as ``r_range``."""
        options = dict(options)
        if options.get("freeze") is not None:
            options["freeze"] = [name.strip() for name in options["freeze"].split(",") if name.strip()]
        low, high = options.pop("r_min", None), options.pop("r_max", None)
        if low is not None or high is not None:
            options["r_range"] = (0.0 if low is None else low, 20.0 if high is None else high)
        return (source,), options


def _cards(source) -> list[tuple[str, Path]]:
    """(label, path) of every card of ``source``."""
    if isinstance(source, Mapping):
        return [(str(label), Path(path)) for label, path in source.items()]
    if isinstance(source, (list, tuple)):
        return [(Path(path).stem, Path(path)) for path in source]
    if not isinstance(source, (str, os.PathLike)):
        raise InvalidArgumentError(f"cards must be a mapping, list, pattern or folder, not "
                                   f"{type(source).__name__}", argument="source")
    text = os.fspath(source)
    if os.path.isdir(text):
        paths = sorted(Path(text).glob("*.txt"))
    elif glob.has_magic(text):
        paths = sorted(Path(p) for p in glob.glob(text))
    else:
        paths = [Path(text)]
    return [(path.stem, path) for path in paths if path.is_file()]


def _compile(mass_regex: str | None):
    if mass_regex is None:
        return None
    pattern = argument_regex(mass_regex, what="the mass pattern", argument="mass_regex")
    if pattern.groups < 1:
        raise InvalidArgumentError("needs a group, e.g. 'm(\\d+)'", argument="mass_regex")
    return pattern


def _mass_of(label: str, path: Path, mass, pattern) -> str | None:
    if mass is not None:
        return str(mass)
    if pattern is not None:
        found = pattern.search(path.name)
        if found is None:
            raise InvalidArgumentError(f"{pattern.pattern!r} does not match the file name {path.name!r}",
                                       argument="mass_regex")
        return found.group(1)
    try:
        float(label)
    except ValueError:
        return None
    return label


def _number(text: str) -> float | str:
    try:
        return float(text)
    except ValueError:
        return text
