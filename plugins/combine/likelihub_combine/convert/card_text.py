"""Writing a Combine text datacard: the blocks in the order ``DatacardParser.py`` reads them.

:class:`CardText` collects channels, columns (a process in a channel), per-column systematic lines
and the lines that follow them (rateParam, param, autoMCStats, nuisance edit), and renders the
card with aligned columns. Numbers are written with Python's ``repr`` (the shortest text that
reads back as the same double), so a card written here reads back bit for bit.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from likelihub.errors import InvalidModelError

__all__ = ["CardText", "number", "check_name"]

#: What a channel, process or parameter name may hold: no spaces, no comment sign, no glob
#: characters (rateParam lines match channels and processes as shell patterns), no path separator.
_NAME = re.compile(r"^[A-Za-z0-9_.+\-:]+$")


def number(value: float) -> str:
    """A float as the shortest text that reads back as the same double (integers without ``.0``)."""
    value = float(value)
    return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)


def check_name(name: str, what: str, **location) -> str:
    """``name`` if a datacard can hold it, else an InvalidModelError."""
    if not isinstance(name, str) or not _NAME.match(name):
        raise InvalidModelError(
            f"the {what} name {name!r} cannot be written in a datacard (letters, digits and _ . + - : only)",
            **location,
        )
    return name


@dataclass
class _Column:
    channel: str
    process: str
    index: int
    rate: str


@dataclass
class CardText:
    """A datacard under construction (see the module docstring)."""

    header: list[str] = field(default_factory=list)
    channels: list[tuple[str, str]] = field(default_factory=list)  # (channel, observation)
    shapes: list[str] = field(default_factory=list)
    columns: list[_Column] = field(default_factory=list)
    systematics: dict[tuple[str, str], dict[int, str]] = field(default_factory=dict)
    tail: list[str] = field(default_factory=list)

    def add_column(self, channel: str, process: str, index: int, rate: str) -> int:
        """Add a column; its position."""
        self.columns.append(_Column(channel, process, index, rate))
        return len(self.columns) - 1

    def set_value(self, name: str, kind: str, column: int, value: str) -> None:
        """Set the value of systematic ``name`` (type ``kind``, e.g. ``lnN`` or ``gmN 4``) in a column."""
        values = self.systematics.setdefault((name, kind), {})
        if column in values:
            raise InvalidModelError(
                f"the parameter acts twice as {kind} on one sample, which a datacard cannot say",
                channel=self.columns[column].channel,
                sample=self.columns[column].process,
                modifier=name,
            )
        values[column] = value

    def render(self) -> str:
        """The card's text."""
        rule = "-" * 80
        lines = [*(f"# {text}" for text in self.header), "imax *", "jmax *", "kmax *", rule]
        lines += self.shapes + [rule]
        lines += _table(
            [["bin", *(c for c, _ in self.channels)], ["observation", *(o for _, o in self.channels)]]
        ) + [rule]
        rows = [
            ["bin", "", *(c.channel for c in self.columns)],
            ["process", "", *(c.process for c in self.columns)],
            ["process", "", *(str(c.index) for c in self.columns)],
            ["rate", "", *(c.rate for c in self.columns)],
        ]
        for (name, kind), values in self.systematics.items():
            rows.append([name, kind, *(values.get(i, "-") for i in range(len(self.columns)))])
        table = _table(rows)
        lines += table[:4] + [rule] + table[4:] + self.tail
        return "\n".join(lines) + "\n"


def _table(rows: list[list[str]]) -> list[str]:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return [
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip() for row in rows
    ]
