"""Reading a Combine text datacard into a :class:`~likelihub_combine.card.Datacard`.

The syntax is that of Combine's ``DatacardParser.py``: the header (``imax``, ``jmax``, ``kmax``,
each a number or ``*``), ``shapes`` lines, the ``bin``/``observation`` pair, the
``bin``/``process``/``process``/``rate`` block (either ``process`` line may come first: the one of
integers holds the indices, <= 0 for signal), then one line per systematic or parameter. ``#``
starts a comment, lines of dashes separate blocks, and text after the last column of a systematic
line is ignored (cards use it for remarks). Every error names the file and line.
"""

from __future__ import annotations

import re
from pathlib import Path

from likelihub.errors import InvalidModelError

from .card import (
    Column,
    Datacard,
    ShapeRule,
)
from .systematic_lines import SystematicLines, to_float

__all__ = ["parse_datacard", "read_datacard"]


def read_datacard(path: str | Path, *, allow_no_signal: bool = False) -> Datacard:
    """Parse the datacard in the file ``path``.

    Raises
    ------
    InvalidModelError
        The file cannot be read, or a line is malformed (the error names the file and line).
    """
    path = Path(path)
    try:
        text = path.read_text()
    except OSError as error:
        raise InvalidModelError(f"cannot read the datacard: {error.strerror}", file=str(path)) from None
    except UnicodeDecodeError:
        raise InvalidModelError("not a text datacard (not UTF-8 text)", file=str(path)) from None
    return parse_datacard(text, path=str(path), allow_no_signal=allow_no_signal)


class _Lines:
    """The card's meaningful lines: (line number, fields), comments and separators dropped."""

    def __init__(self, text: str):
        self.items = []
        for number, raw in enumerate(text.splitlines(), start=1):
            line = raw.split("#", 1)[0].strip()
            if not line or line.startswith("-"):
                continue
            self.items.append((number, line.split()))


class _Parser(SystematicLines):
    def __init__(self, text: str, path: str | None, allow_no_signal: bool = False):
        self.path = path
        self.allow_no_signal = allow_no_signal
        self.lines = _Lines(text).items
        self.header = {}
        self.channels: list[str] | None = None
        self.channel_line = 0
        self.observed: list[str] | None = None
        self.observation_line = 0
        self.column_bins: list[str] | None = None
        self.process_lines: list[tuple[int, list[str]]] = []
        self.rates: list[str] | None = None
        self.rate_line = 0
        self.card = Datacard(path=path, channels=[], observations={}, columns=[])

    def where(self, line: int) -> str:
        return f"{self.path or '<datacard>'}:{line}"

    # -- the blocks before the systematics -----------------------------------------------------
    def parse(self) -> Datacard:
        for number, fields in self.lines:
            key = fields[0]
            if self.rates is None:
                self.head(number, key, fields)
            else:
                self.systematic(number, fields)
        if self.rates is None:
            raise InvalidModelError(
                "the card has no 'rate' line", file=self.where(self.lines[-1][0] if self.lines else 0)
            )
        self.check_counts()
        return self.card

    def head(self, number: int, key: str, fields: list[str]) -> None:
        where = self.where(number)
        if key in ("imax", "jmax", "kmax"):
            if len(fields) < 2:
                raise InvalidModelError(f"'{key}' needs a number or '*'", file=where)
            value = fields[1]
            if value != "*":
                try:
                    self.header[key] = (int(value), number)
                except ValueError:
                    raise InvalidModelError(
                        f"'{key}': {value!r} is not a number or '*'", file=where
                    ) from None
        elif key == "shapes":
            self.shape_rule(number, fields)
        elif key == "bin":
            if self.observed is None and self.channels is None:
                self.channels, self.channel_line = fields[1:], number
            elif self.column_bins is None:
                self.column_bins = fields[1:]
            else:
                raise InvalidModelError("a third 'bin' line", file=where)
        elif key in ("observation", "Observation"):
            self.observed, self.observation_line = fields[1:], number
        elif key == "process":
            if len(self.process_lines) == 2:
                raise InvalidModelError("a third 'process' line", file=where)
            self.process_lines.append((number, fields[1:]))
        elif key == "rate":
            self.rates, self.rate_line = fields[1:], number
            self.rate_block(number)
        # Any other line before the rate line is a remark (a title, a date), as Combine reads it.

    def shape_rule(self, number: int, fields: list[str]) -> None:
        where = self.where(number)
        if len(fields) < 4:
            raise InvalidModelError(
                "a 'shapes' line needs: shapes process channel file [histogram [systematic histogram]]",
                file=where,
            )
        if fields[3] != "FAKE" and len(fields) < 5:
            raise InvalidModelError(
                f"the 'shapes' line for file {fields[3]!r} names no histogram", file=where
            )
        histogram = fields[4] if len(fields) > 4 else None
        if histogram is not None and ":" in histogram:
            raise InvalidModelError(
                f"parametric shapes (a RooFit pdf in a workspace, {histogram!r}) "
                "are not supported: only TH1 templates and FAKE",
                file=where,
            )
        self.card.shapes.append(
            ShapeRule(
                fields[1], fields[2], fields[3], histogram, fields[5] if len(fields) > 5 else None, number
            )
        )

    def rate_block(self, number: int) -> None:
        where = self.where(number)
        if self.observed is None:
            raise InvalidModelError("the card has no 'observation' line before its 'rate' line", file=where)
        if self.column_bins is None:
            raise InvalidModelError("the rate block has no 'bin' line", file=where)
        if len(self.process_lines) != 2:
            raise InvalidModelError(
                "the rate block needs two 'process' lines (names and indices)", file=where
            )
        if self.channels is None:  # shorthand: no bin line before the observation
            self.channels = list(dict.fromkeys(self.column_bins))
            self.channel_line = self.observation_line
        if len(set(self.channels)) != len(self.channels):
            raise InvalidModelError(
                f"the channels {self.channels} are not unique", file=self.where(self.channel_line)
            )
        if len(self.observed) < len(self.channels):
            raise InvalidModelError(
                f"the observation line has {len(self.observed)} values for {len(self.channels)} channels",
                file=self.where(self.observation_line),
            )
        for channel, text in zip(self.channels, self.observed, strict=False):
            value = to_float(text, self.where(self.observation_line), f"observation of channel {channel!r}")
            self.card.observations[channel] = None if value == -1 else value
            if value < 0 and value != -1:
                raise InvalidModelError(
                    f"negative observation {text}", file=self.where(self.observation_line), channel=channel
                )
        self.card.channels = list(self.channels)
        self.card.observation_line = self.observation_line
        self.card.rate_line = number
        (line_a, first), (line_b, second) = self.process_lines
        names, indices, index_line = (first, second, line_b) if _all_int(second) else (second, first, line_a)
        if not _all_int(indices):
            raise InvalidModelError(
                "neither 'process' line holds the process indices (integers)", file=self.where(line_b)
            )
        count = len(self.column_bins)
        for what, values, line in (
            ("process names", names, line_a),
            ("process indices", indices, index_line),
            ("rates", self.rates, number),
        ):
            if len(values) != count:
                raise InvalidModelError(
                    f"the rate block's 'bin' line has {count} columns but its {what} line has {len(values)}",
                    file=self.where(line),
                )
        seen = {}
        for channel, process, index, rate in zip(self.column_bins, names, indices, self.rates, strict=False):
            if channel not in self.card.observations:
                raise InvalidModelError(
                    "the rate block names a channel without an observation",
                    file=self.where(number),
                    channel=channel,
                )
            if (channel, process) in seen:
                raise InvalidModelError(
                    "the process appears twice in the channel",
                    file=self.where(number),
                    channel=channel,
                    sample=process,
                )
            seen[channel, process] = True
            value = to_float(rate, self.where(number), f"rate of process {process!r} in channel {channel!r}")
            if value < 0 and value != -1:
                raise InvalidModelError(
                    f"negative rate {rate}", file=self.where(number), channel=channel, sample=process
                )
            self.card.columns.append(Column(channel, process, int(index), value))
        kinds = {}
        for column in self.card.columns:
            if kinds.setdefault(column.process, column.signal) != column.signal:
                raise InvalidModelError(
                    "the process is a signal (index <= 0) in some channels and a background in others",
                    file=self.where(index_line),
                    sample=column.process,
                )
        if not any(kinds.values()) and not self.allow_no_signal:
            raise InvalidModelError(
                "the card has no signal process (process index <= 0)", file=self.where(index_line)
            )
        for channel in self.card.channels:
            rates = [c for c in self.card.columns if c.channel == channel and c.rate != 0]
            if not any(not c.signal for c in rates):
                raise InvalidModelError(
                    "the channel has no background process with a non-zero rate",
                    file=self.where(number),
                    channel=channel,
                )

    def check_counts(self) -> None:
        expected = {"imax": len(self.card.channels), "jmax": len(self.card.processes) - 1}
        for key, count in expected.items():
            if key in self.header and self.header[key][0] != count:
                value, line = self.header[key]
                what = "channels" if key == "imax" else "processes minus one"
                raise InvalidModelError(
                    f"{key} {value} but the card has {count} {what}", file=self.where(line)
                )
        nonzero = [column.rate != 0 for column in self.card.columns]
        self.card.systematics = [
            s
            for s in self.card.systematics  # lines without any effect, as Combine
            if any(v is not None and keep for v, keep in zip(s.values, nonzero, strict=False))
        ]
        if "kmax" in self.header and not self.card.edits:
            value, line = self.header["kmax"]
            found = len(self.card.systematics) + sum(not p.flat for p in self.card.params)
            if value != found:
                raise InvalidModelError(
                    f"kmax {value} but the card has {found} systematics (kmax * skips this check)",
                    file=self.where(line),
                )


def _all_int(values: list[str]) -> bool:
    return bool(values) and all(re.fullmatch(r"[+-]?\d+", v) for v in values)


def parse_datacard(text: str, *, path: str | None = None, allow_no_signal: bool = False) -> Datacard:
    """Parse the text of a datacard (``path``, if given, is named in errors).

    ``allow_no_signal`` accepts a card without a signal process (a control region, to be
    combined with others; Combine's ``--X-allow-no-signal``).
    """
    return _Parser(text, path, allow_no_signal).parse()
