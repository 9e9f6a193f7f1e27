"""``nuisance edit`` lines, applied as Combine's ``NuisanceModifier.py`` applies them.

Each edit acts on the systematic lines above it (text2workspace.py applies an edit as it reads
it), in the order of the card:

- ``drop process channel name [ifexists]``: the systematics whose name matches ``name`` no longer
  act on the matching columns;
- ``rename old new`` (everywhere, ``param`` lines too) or ``rename process channel old new
  [ifexists]`` (the matching columns move to a line ``new`` of the same type);
- ``add process channel name lnN|lnU value [addq|overwrite]``: a log-normal effect on the matching
  columns (``addq`` adds it in quadrature to an existing one, ``overwrite`` replaces it);
- ``changepdf name newtype`` between lnN and lnU, or among the shape types;
- ``merge process channel name1 name2`` (name2's effects added in quadrature to name1's) and
  ``split process channel old new1 new2 value1 value2``, ``flip process channel name n2p|p2n``;
- ``freeze name [ifexists]``: applied to the built parameters (:func:`edit_freezes`).

``process`` and ``channel`` are regular expressions matched in full (``*`` for all), ``name`` too
(``rename`` and ``add`` take a plain name). An edit that finds nothing is an error unless it ends
with ``ifexists`` (``add`` warns, as Combine does).
"""

from __future__ import annotations

import dataclasses
import math
import re
import warnings

from likelihub.errors import InvalidModelError

from .card import Datacard, NuisanceEdit, Systematic
from .patterns import compile_regex

__all__ = ["apply_edits", "edit_freezes"]

_SHAPES = ("shape", "shape?", "shapeN", "shapeN2")


@dataclasses.dataclass
class _Line:
    name: str
    kind: str
    values: list
    line: int
    count: int | None = None


class _Editor:
    def __init__(self, card: Datacard):
        self.card = card
        self.lines = [_Line(s.name, s.kind, list(s.values), s.line, s.count) for s in card.systematics]
        self.params = list(card.params)

    def fail(self, edit: NuisanceEdit, message: str, name: str | None = None):
        raise InvalidModelError(
            f"nuisance edit {edit.action} {' '.join(edit.arguments)}: {message}",
            file=self.card.where(edit.line),
            modifier=name,
        )

    def pattern(self, edit: NuisanceEdit, text: str, what: str) -> re.Pattern | None:
        if text == "*" and what != "name":
            return None
        try:
            return compile_regex(text.replace("+", r"\+") if what == "channel" else text, what=f"the {what}")
        except InvalidModelError as error:
            self.fail(edit, str(error))

    def columns(self, edit: NuisanceEdit, process: str, channel: str) -> tuple[list[int], bool]:
        """The columns whose process and channel match; whether any channel matched."""
        p, c = self.pattern(edit, process, "process"), self.pattern(edit, channel, "channel")
        channels = [x for x in self.card.channels if c is None or c.fullmatch(x)]
        found = [
            i
            for i, column in enumerate(self.card.columns)
            if column.channel in channels and (p is None or p.fullmatch(column.process))
        ]
        return found, bool(channels)

    def above(self, edit: NuisanceEdit) -> list[_Line]:
        """The lines above the edit, and those it made."""
        return [line for line in self.lines if line.line <= edit.line]

    def arguments(self, edit: NuisanceEdit, count: int, syntax: str) -> tuple[str, ...]:
        if len(edit.arguments) < count:
            self.fail(edit, f"the syntax is: nuisance edit {edit.action} {syntax}")
        return edit.arguments

    # -- the actions ---------------------------------------------------------------------------
    def drop(self, edit: NuisanceEdit) -> None:
        process, channel, name, *options = self.arguments(edit, 3, "process channel name [ifexists]")
        columns, _ = self.columns(edit, process, channel)
        pattern = self.pattern(edit, name, "name")
        found = False
        for line in self.above(edit):
            if pattern.fullmatch(line.name):
                for i in columns:
                    line.values[i] = None
                found = found or bool(columns)
        if not found and channel != "*" and "ifexists" not in options:
            self.fail(edit, "found nothing (add ifexists to allow it)", name)

    def rename(self, edit: NuisanceEdit) -> None:
        arguments = edit.arguments
        if len(arguments) != 2 and len(arguments) < 4:
            self.fail(edit, "the syntax is: nuisance edit rename [process channel] old new [ifexists]")
        old, new = arguments[:2] if len(arguments) == 2 else arguments[2:4]
        lines = [line for line in self.above(edit) if line.name == old]
        params = [p for p in self.params if p.name == old and p.line < edit.line]
        if not lines and not params:
            self.fail(edit, f"no nuisance parameter named {old!r} above the edit", old)
        for line in lines:
            if line.kind == "gmN":
                self.fail(edit, "gmN parameters cannot be renamed (rename them in the card)", old)
        if any(p.flat for p in params):
            self.fail(edit, "flatParam parameters cannot be renamed (rename them in the card)", old)
        # A new name already used by a line of another type is refused when the model is built.
        if len(arguments) == 2:
            for line in lines:
                line.name = new
            self.params = [dataclasses.replace(p, name=new) if p in params else p for p in self.params]
            return
        process, channel, *_ = arguments
        options = arguments[4:]
        columns, any_channel = self.columns(edit, process, channel)
        if "ifexists" not in options and (not any_channel or not columns):
            self.fail(edit, f"no {'process' if any_channel else 'channel'} matches (add ifexists)", old)
        for line in lines:
            target = next((x for x in self.above(edit) if x.name == new and x.kind == line.kind), None)
            if target is None:
                target = _Line(new, line.kind, [None] * len(line.values), edit.line, line.count)
                self.lines.append(target)
            for i in columns:  # as Combine: the target takes the old line's entry, "-" included
                target.values[i], line.values[i] = line.values[i], None

    def add(self, edit: NuisanceEdit) -> None:
        process, channel, name, kind, text, *options = self.arguments(
            edit, 5, "process channel name lnN|lnU value [addq|overwrite]"
        )
        if kind not in ("lnN", "lnU"):
            self.fail(edit, f"adding a {kind} systematic is not supported (lnN and lnU are)", name)
        value = _kappa(self, edit, text, name)
        columns, any_channel = self.columns(edit, process, channel)
        if not columns:
            warnings.warn(
                f"{self.card.where(edit.line)}: nuisance edit add found no "
                f"{'process' if any_channel else 'channel'} to act on",
                RuntimeWarning,
                stacklevel=2,
            )
        for i in columns:
            self.add_value(edit, name, kind, i, value, options)

    def add_value(self, edit, name: str, kind: str, column: int, value, options) -> None:
        """Combine's doAddNuisance on one column."""
        matching = [line for line in self.above(edit) if line.name == name]
        if any(line.kind != kind for line in matching):
            self.fail(edit, f"{name!r} exists with another type than {kind}", name)
        if matching:
            line = matching[-1]
        else:
            line = _Line(name, kind, [None] * len(self.card.columns), edit.line)
            self.lines.append(line)
        if value is None or value == 1.0:
            return
        existing = line.values[column]
        if existing is not None:
            if "addq" in options:
                value = _quadrature(self, edit, kind, existing, value, name)
            elif "overwrite" not in options:
                self.fail(
                    edit,
                    f"{name!r} already acts on process {self.card.columns[column].process!r} in channel "
                    f"{self.card.columns[column].channel!r} (add addq or overwrite)",
                    name,
                )
        line.values[column] = value

    def merge(self, edit: NuisanceEdit) -> None:
        process, channel, first, second, *options = self.arguments(
            edit, 4, "process channel name1 name2 [ifexists]"
        )
        columns, _ = self.columns(edit, process, channel)
        pattern = self.pattern(edit, second, "name")
        found = False
        for line in self.above(edit):
            if pattern.fullmatch(line.name):
                for i in columns:
                    found = True
                    self.add_value(edit, first, line.kind, i, line.values[i], ["addq"])
                    line.values[i] = None
        if not found and channel != "*" and "ifexists" not in options:
            self.fail(edit, "found nothing (add ifexists to allow it)", second)

    def split(self, edit: NuisanceEdit) -> None:
        process, channel, old, new1, new2, text1, text2, *options = self.arguments(
            edit, 7, "process channel old new1 new2 value1 value2"
        )
        columns, _ = self.columns(edit, process, channel)
        pattern = self.pattern(edit, old, "name")
        found = False
        for line in self.above(edit):
            if pattern.fullmatch(line.name):
                for i in columns:
                    found = True
                    if line.values[i] is not None:
                        self.add_value(
                            edit, new1, line.kind, i, _kappa(self, edit, text1, new1), ["overwrite"]
                        )
                        self.add_value(
                            edit, new2, line.kind, i, _kappa(self, edit, text2, new2), ["overwrite"]
                        )
                    line.values[i] = None
        if not found and channel != "*" and "ifexists" not in options:
            self.fail(edit, "found nothing (add ifexists to allow it)", old)

    def flip(self, edit: NuisanceEdit) -> None:
        process, channel, name, *options = self.arguments(edit, 3, "process channel name n2p|p2n [ifexists]")
        if "n2p" not in options and "p2n" not in options:
            self.fail(edit, "needs the option n2p and/or p2n", name)
        columns, _ = self.columns(edit, process, channel)
        pattern = self.pattern(edit, name, "name")
        found = False
        for line in self.above(edit):
            if not pattern.fullmatch(line.name):
                continue
            if line.kind != "lnN":
                self.fail(edit, f"flip acts on lnN lines only, {line.name!r} is {line.kind}", line.name)
            for i in columns:
                found = True
                value = line.values[i]
                first = value[0] if isinstance(value, tuple) else value
                if value is None or not (
                    ("p2n" in options and first > 1) or ("n2p" in options and first < 1)
                ):
                    continue
                line.values[i] = tuple(1.0 / v for v in value) if isinstance(value, tuple) else 1.0 / value
        if not found and channel != "*" and "ifexists" not in options:
            self.fail(edit, "found nothing (add ifexists to allow it)", name)

    def changepdf(self, edit: NuisanceEdit) -> None:
        name, kind = self.arguments(edit, 2, "name newtype")[:2]
        pattern = self.pattern(edit, name, "name")
        for line in self.above(edit):
            if not pattern.fullmatch(line.name) or line.kind == kind:
                continue
            if {line.kind, kind} <= {"lnN", "lnU"} or {line.kind, kind} <= set(_SHAPES):
                line.kind = kind
            else:
                self.fail(edit, f"cannot change {line.name!r} from {line.kind} to {kind}", line.name)


def _kappa(editor: _Editor, edit: NuisanceEdit, text: str, name: str):
    """A log-normal value as the parser keeps it: a kappa, a (low, high) pair, None for none."""
    try:
        values = [float(x) for x in text.split("/")]
    except ValueError:
        editor.fail(edit, f"the value {text!r} is not a number (or low/high)", name)
    if len(values) > 2 or any(not math.isfinite(v) or v < 0 for v in values):
        editor.fail(edit, f"the value {text!r} is not a positive number (or low/high)", name)
    if len(values) == 2:
        if min(values) <= 0:
            editor.fail(edit, f"the value {text!r} must be positive", name)
        return tuple(values)
    return None if values[0] == 0 else values[0]


def _quadrature(editor: _Editor, edit: NuisanceEdit, kind: str, first, second, name: str):
    """Combine's quadratureAdd: log kappas added in quadrature, the sign of the first kept;
    pairs element by element (a lone kappa k acting as 1/k below)."""
    if isinstance(first, tuple) or isinstance(second, tuple):
        low1, high1 = first if isinstance(first, tuple) else (1.0 / first, first)
        low2, high2 = second if isinstance(second, tuple) else (1.0 / second, second)
        return (
            _quadrature(editor, edit, kind, low1, low2, name),
            _quadrature(editor, edit, kind, high1, high2, name),
        )
    if kind not in ("lnN", "lnU"):
        editor.fail(edit, f"adding {kind} effects in quadrature is not supported", name)
    if math.log(first) * math.log(second) < 0:
        editor.fail(
            edit, f"cannot add {first} and {second} in quadrature: they go in different directions", name
        )
    total = math.exp(math.hypot(math.log(first), math.log(second)))
    return total if first > 1 else 1.0 / total


_ACTIONS = ("drop", "rename", "add", "merge", "split", "flip", "changepdf")


def apply_edits(card: Datacard) -> Datacard:
    """``card`` after its ``nuisance edit`` lines (freeze aside: :func:`edit_freezes`).

    Raises
    ------
    InvalidModelError
        An unknown or malformed edit, or one that finds nothing without ``ifexists``; the error
        names the file and line.
    """
    if not card.edits:
        return card
    editor = _Editor(card)
    for edit in card.edits:
        if edit.action == "freeze":
            continue
        if edit.action not in _ACTIONS:
            editor.fail(edit, f"unknown action {edit.action!r} (known: freeze, {', '.join(_ACTIONS)})")
        getattr(editor, edit.action)(edit)
    nonzero = [column.rate != 0 for column in card.columns]
    systematics = [
        Systematic(line.name, line.kind, tuple(line.values), line.line, line.count)
        for line in sorted(editor.lines, key=lambda line: line.line)
        if any(v is not None and keep for v, keep in zip(line.values, nonzero, strict=True))
    ]
    return dataclasses.replace(card, systematics=systematics, params=editor.params)


def edit_freezes(card: Datacard, names: list[str]) -> set[str]:
    """The parameters (of ``names``) that the card's ``nuisance edit freeze <regex> [ifexists]``
    lines freeze."""
    frozen = set()
    for edit in card.edits:
        if edit.action != "freeze":
            continue
        where = card.where(edit.line)
        if not edit.arguments or len(edit.arguments) > 2:
            raise InvalidModelError("the syntax is: nuisance edit freeze name [ifexists]", file=where)
        pattern = compile_regex(edit.arguments[0], what="nuisance edit freeze:", file=where)
        found = [name for name in names if pattern.fullmatch(name)]
        if not found and "ifexists" not in edit.arguments[1:]:
            raise InvalidModelError(
                f"nuisance edit freeze: no parameter matches {edit.arguments[0]!r}", file=where
            )
        frozen.update(found)
    return frozen
