"""Combining datacards as Combine's ``combineCards.py`` does, on parsed :class:`Datacard` objects.

The rules (``scripts/combineCards.py``):

- each card has a label: ``label=card.txt`` (a mapping's key), else ``ch1``, ``ch2``, ... in
  order; a one-bin card's channel becomes ``label``, a multi-bin card's channels
  ``label_<bin>``; the label ``.`` keeps the card's own channel names;
- a channel's columns are its signal processes, then its backgrounds; process indices are
  renumbered (signals <= 0); a process must be a signal in every card or in none;
- systematics are merged by name, each column keeping its card's value; a name with different
  types in two cards is an error naming both, except lnN with shape or shape? (the line becomes
  ``shape?``: templates where the card has them, a log-normal elsewhere); gmN lines must agree on
  N and ``param`` lines on their mean, width and range;
- ``shapes`` lines are rewritten per channel: ``$CHANNEL`` becomes the card's own channel name
  and file names are made relative to the card's folder;
- ``rateParam`` lines are expanded to the (channel, process) pairs of their card they match, with
  the channel renamed; ``extArg``, ``flatParam``, ``autoMCStats`` (per channel), ``group`` (the
  union of the cards' members) and ``nuisance edit`` lines are carried over, the edits' channel
  patterns renamed (a ``*`` channel becomes the card's channels, ``*`` process or channel adds
  ``ifexists``), duplicates removed and sorted as combineCards.py sorts them.

Every line of the combined card remembers the file and line it came from (``Datacard.origins``),
so that errors name them.
"""

from __future__ import annotations

import dataclasses
import fnmatch
import re
from collections.abc import Sequence
from pathlib import Path, PurePath

from likelihub.errors import InvalidModelError

from .card import AutoMCStats, Column, Datacard, Group, NuisanceEdit, Param, RateParam, ShapeRule, Systematic
from .groups import card_groups
from .patterns import compile_regex
from .shapes import _check_names as check_shape_rule

__all__ = ["combine_cards"]


def _literal(name: str) -> str:
    """``name`` as an fnmatch pattern matching only itself."""
    return "".join(f"[{c}]" if c in "*?[" else c for c in name)


def _merged_kind(first: str, second: str) -> str | None:
    """combineCards.py's rule for one name with two types: lnN with shape (or shape?) and shape
    with shape? make shape?; anything else is refused (None)."""
    if first == second:
        return first
    return "shape?" if {first, second} in ({"lnN", "shape"}, {"lnN", "shape?"}, {"shape", "shape?"}) else None


class _Combiner:
    def __init__(self):
        self.columns: list[Column] = []
        self.observations: dict[str, float | None] = {}
        self.channel_origin: dict[str, str] = {}
        self.signal: dict[str, tuple[bool, str]] = {}
        self.systematics: dict[str, dict] = {}
        self.params: dict[str, tuple[Param, str]] = {}
        self.flat: dict[str, tuple[Param, str]] = {}
        self.rate_params: list[tuple[RateParam, str]] = []
        self.ext_args: dict = {}
        self.auto_mc_stats: dict[str, tuple[AutoMCStats, str]] = {}
        self.groups: dict[str, tuple[list[str], str]] = {}
        self.edits: dict[tuple[str, ...], str] = {}
        self.shapes: list[tuple[ShapeRule, str]] = []
        self.cards: list[str] = []

    def add(self, label: str | None, card: Datacard, number: int) -> None:
        where = card.where
        single = len(card.channels) == 1
        if label is None:
            label = f"ch{number}"
        if label == ".":
            names = {b: b for b in card.channels}
        else:
            names = {b: label if single else f"{label}_{b}" for b in card.channels}
        self.cards.append(f"{label}={card.path or '<text>'}")
        for old, new in names.items():
            if new in self.observations:
                raise InvalidModelError(
                    f"two cards make the channel {new!r} ({self.channel_origin[new]} and "
                    f"{where(card.observation_line)}): give the cards other labels",
                    file=where(card.observation_line),
                    channel=new,
                )
            self.observations[new] = card.observations[old]
            self.channel_origin[new] = where(card.observation_line)
        position = {}
        for old in card.channels:
            for signal in (True, False):
                for i, column in enumerate(card.columns):
                    if column.channel == old and column.signal == signal:
                        position[i] = len(self.columns)
                        self.columns.append(Column(names[old], column.process, column.index, column.rate))
                        self.check_signal(column, where(card.rate_line))
        self.add_systematics(card, position)
        self.add_parameters(card, names)
        self.add_edits(card, names, label, single)
        self.add_shapes(card, names)

    def check_signal(self, column: Column, where: str) -> None:
        known = self.signal.setdefault(column.process, (column.signal, where))
        if known[0] != column.signal:
            kind = "a signal" if column.signal else "a background"
            raise InvalidModelError(
                f"the process is {kind} here but not in {known[1]}", file=where, sample=column.process
            )

    def add_systematics(self, card: Datacard, position: dict[int, int]) -> None:
        for systematic in card.systematics:
            where = card.where(systematic.line)
            entry = self.systematics.setdefault(
                systematic.name,
                {"kind": systematic.kind, "count": systematic.count, "values": {}, "where": []},
            )
            kind = _merged_kind(entry["kind"], systematic.kind)
            if kind is None:
                raise InvalidModelError(
                    f"the systematic is {systematic.kind} here but {entry['kind']} in {entry['where'][0]}",
                    file=where,
                    modifier=systematic.name,
                )
            if systematic.kind == "gmN" and entry["count"] != systematic.count:
                raise InvalidModelError(
                    f"gmN with N = {systematic.count} here but N = {entry['count']} in {entry['where'][0]}",
                    file=where,
                    modifier=systematic.name,
                )
            entry["kind"] = kind
            entry["where"].append(where)
            for i, value in enumerate(systematic.values):
                if value is not None and i in position:
                    entry["values"][position[i]] = value

    def add_parameters(self, card: Datacard, names: dict[str, str]) -> None:
        for param in card.params:
            where = card.where(param.line)
            known = self.flat if param.flat else self.params
            if param.name in known and dataclasses.replace(
                known[param.name][0], line=0
            ) != dataclasses.replace(param, line=0):
                raise InvalidModelError(
                    f"the param line differs from that of {known[param.name][1]}",
                    file=where,
                    modifier=param.name,
                )
            known.setdefault(param.name, (param, where))
        for item in card.rate_params:
            where = card.where(item.line)
            pairs = [
                (c.channel, c.process)
                for c in card.columns
                if fnmatch.fnmatchcase(c.channel, item.channel)
                and fnmatch.fnmatchcase(c.process, item.process)
            ]
            if not pairs:
                raise InvalidModelError(
                    f"rateParam matches no process: channel {item.channel!r}, process {item.process!r}",
                    file=where,
                    modifier=item.name,
                )
            for channel, process in dict.fromkeys(pairs):
                renamed = dataclasses.replace(
                    item, channel=_literal(names[channel]), process=_literal(process)
                )
                self.rate_params.append((renamed, where))
        for ext in card.ext_args:
            where = card.where(ext.line)
            if ext.name in self.ext_args and (
                self.ext_args[ext.name][0].value,
                self.ext_args[ext.name][0].range,
            ) != (
                ext.value,
                ext.range,
            ):
                raise InvalidModelError(
                    f"the extArg differs from that of {self.ext_args[ext.name][1]}",
                    file=where,
                    modifier=ext.name,
                )
            self.ext_args.setdefault(ext.name, (ext, where))
        for option in card.auto_mc_stats:
            for channel in card.channels:
                if fnmatch.fnmatchcase(channel, option.channel):
                    renamed = dataclasses.replace(option, channel=names[channel])
                    self.auto_mc_stats[names[channel]] = (renamed, card.where(option.line))
        for name, members in card_groups(card).items():
            group = self.groups.setdefault(
                name, ([], card.where(next(g.line for g in card.groups if g.name == name)))
            )
            group[0].extend(m for m in members if m not in group[0])

    def add_edits(self, card: Datacard, names: dict[str, str], label: str, single: bool) -> None:
        for edit in card.edits:
            where = card.where(edit.line)
            arguments = list(edit.arguments)
            if edit.action not in ("freeze", "changepdf") and len(arguments) > 2:
                process, channel, rest = arguments[0], arguments[1], arguments[2:]
                if "*" in (process, channel) and "ifexists" not in rest:
                    rest.append("ifexists")
                if channel == "*":
                    channel = "|".join(re.escape(names[b]) for b in card.channels)
                    channel = f"({channel})" if len(card.channels) > 1 else channel
                else:
                    pattern = compile_regex(channel.replace("+", r"\+"), what="nuisance edit: the channel",
                                            file=where)
                    matched = [names[b] for b in card.channels if pattern.fullmatch(b)]
                    if not matched and "ifexists" not in rest:
                        raise InvalidModelError(
                            f"nuisance edit {edit.action}: the channel {channel!r} matches no channel "
                            "of the card",
                            file=where,
                        )
                    if not matched:
                        continue
                    channel = "|".join(re.escape(b) for b in matched)
                    channel = f"({channel})" if len(matched) > 1 else channel
                arguments = [process, channel, *rest]
            self.edits.setdefault((edit.action, *arguments), where)

    def add_shapes(self, card: Datacard, names: dict[str, str]) -> None:
        folder = str(PurePath(card.path).parent) if card.path else ""
        for rule in card.shapes:  # a rule of no channel or process of its card is a typo
            check_shape_rule(card, rule)
        for old, new in names.items():
            own = {rule.process: rule for rule in card.shapes if rule.channel == old}
            common = {rule.process: rule for rule in card.shapes if rule.channel == "*"}
            rules = list(own.values()) + [rule for p, rule in common.items() if p not in own]
            for rule in rules:
                file = rule.file.replace("$CHANNEL", old)
                if file != "FAKE" and folder not in ("", ".") and not Path(file).is_absolute():
                    file = f"{folder}/{file}"
                renamed = ShapeRule(
                    rule.process,
                    new,
                    file,
                    None if rule.histogram is None else rule.histogram.replace("$CHANNEL", old),
                    None
                    if rule.systematic_histogram is None
                    else rule.systematic_histogram.replace("$CHANNEL", old),
                    rule.line,
                )
                self.shapes.append((renamed, card.where(rule.line)))

    # -- the combined card ---------------------------------------------------------------------
    def card(self) -> Datacard:
        signals = list(dict.fromkeys(c.process for c in self.columns if c.signal))
        backgrounds = list(dict.fromkeys(c.process for c in self.columns if not c.signal))
        columns = [
            dataclasses.replace(
                c,
                index=signals.index(c.process) - len(signals) + 1
                if c.signal
                else 1 + backgrounds.index(c.process),
            )
            for c in self.columns
        ]
        result = Datacard(
            path=None,
            channels=list(self.observations),
            observations=dict(self.observations),
            columns=columns,
            title="combination of " + ", ".join(self.cards),
        )
        number = _Numbers(result.origins)
        every_card = ", ".join(dict.fromkeys(self.channel_origin.values()))
        result.observation_line, result.rate_line = number(every_card), number(every_card)
        result.shapes = [dataclasses.replace(rule, line=number(where)) for rule, where in self.shapes]
        for name in sorted(self.systematics):
            entry = self.systematics[name]
            values = tuple(entry["values"].get(i) for i in range(len(columns)))
            line = number(", ".join(entry["where"]))
            result.systematics.append(Systematic(name, entry["kind"], values, line, entry["count"]))
        for known in (self.params, self.flat):
            result.params += [dataclasses.replace(p, line=number(where)) for p, where in known.values()]
        result.rate_params = [dataclasses.replace(r, line=number(where)) for r, where in self.rate_params]
        result.ext_args = [dataclasses.replace(e, line=number(where)) for e, where in self.ext_args.values()]
        result.groups = [
            Group(name, tuple(members), number(where)) for name, (members, where) in self.groups.items()
        ]
        result.auto_mc_stats = [
            dataclasses.replace(a, line=number(where)) for a, where in self.auto_mc_stats.values()
        ]
        # combineCards.py writes the edits once each, the longest first (then in reverse text order).
        order = sorted(self.edits, key=lambda e: (len(" ".join(e).split()), " ".join(e)), reverse=True)
        result.edits = [NuisanceEdit(e[0], tuple(e[1:]), number(self.edits[e])) for e in order]
        return result


class _Numbers:
    """Line numbers of a made card, each remembering its origin."""

    def __init__(self, origins: dict[int, str], start: int = 0):
        self.origins, self.last = origins, start

    def __call__(self, origin: str) -> int:
        self.last += 1
        self.origins[self.last] = origin
        return self.last


def combine_cards(cards: Sequence[tuple[str | None, Datacard]]) -> Datacard:
    """The combination of ``cards``, (label, card) pairs (label None: ``ch<i>``), as
    ``combineCards.py label=card.txt ...`` makes it.

    Raises
    ------
    InvalidModelError
        Two cards giving a systematic (or a process' signal role, a gmN count, a param or extArg
        line) differently, or two channels of the same name; the error names both cards' lines.
    """
    if not cards:
        raise InvalidModelError("no datacard to combine")
    combiner = _Combiner()
    for number, (label, card) in enumerate(cards, start=1):
        combiner.add(label, card, number)
    return combiner.card()
