"""What the factory reads: one datacard, or several combined as ``combineCards.py`` combines them
(:mod:`likelihub_combine.combine_cards`), and datacard lines appended to the card (the long
exercise appends ``rateParams.txt`` to its combined card)."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from pathlib import Path

from likelihub.errors import InvalidArgumentError, InvalidModelError

from .card import Datacard
from .combine_cards import combine_cards
from .parser import read_datacard
from .systematic_lines import SystematicLines

__all__ = ["read_cards", "append_lines"]

CardSource = str | Path | Datacard


def _read(source, argument: str) -> Datacard:
    if isinstance(source, Datacard):
        return source
    if isinstance(source, (str, Path)):
        return read_datacard(source, allow_no_signal=True)
    raise InvalidArgumentError(
        f"a datacard is a file name or a parsed Datacard, got {type(source).__name__}", argument=argument
    )


def read_cards(cards: CardSource | Mapping[str, CardSource] | Sequence[CardSource]) -> Datacard:
    """The card of the factory's ``card`` argument.

    - a file (``str`` or :class:`~pathlib.Path`) or a parsed :class:`Datacard`: that card, its
      channels keeping their names;
    - a mapping ``{label: card}``: the cards combined, ``combineCards.py label=card.txt ...``;
    - a list of cards: combined as ``combineCards.py card1.txt card2.txt`` (labels ``ch1``,
      ``ch2``...); a string ``"label=card.txt"`` in the list gives its label.

    Cards without a signal process are accepted (control regions); the physics model decides
    whether the result has something to scale.
    """
    if isinstance(cards, (str, Path, Datacard)):
        return _read(cards, "card")
    if isinstance(cards, Mapping):
        labelled = []
        for label, source in cards.items():
            if not isinstance(label, str) or not label:
                raise InvalidArgumentError(f"the label {label!r} is not a non-empty string", argument="card")
            labelled.append((label, _read(source, "card")))
    elif isinstance(cards, Sequence):
        labelled = []
        for source in cards:
            label = None
            if isinstance(source, str) and "=" in source:
                label, source = source.split("=", 1)
            labelled.append((label, _read(source, "card")))
    else:
        raise InvalidArgumentError(
            "must be a datacard file, a list of them or a {label: file} mapping, "
            f"got {type(cards).__name__}",
            argument="card",
        )
    if not labelled:
        raise InvalidArgumentError("names no datacard", argument="card")
    return combine_cards(labelled)


class _Appender(SystematicLines):
    """Parses datacard lines after the rate block into an existing card."""

    def __init__(self, card: Datacard):
        self.card = card

    def where(self, line: int) -> str:
        return self.card.where(line)


def append_lines(card: Datacard, lines: str | Path | Sequence[str]) -> Datacard:
    """``card`` with datacard lines appended (systematics, ``rateParam``, ``param``, ``group``,
    ``nuisance edit``...), as one appends ``rateParams.txt`` to a combined card.

    ``lines`` is a file (a ``str`` or :class:`~pathlib.Path`) or a list of lines. The card given
    is not changed.

    Raises
    ------
    InvalidModelError
        The file cannot be read, or a line is malformed (the error names the file and line).
    """
    if isinstance(lines, (str, Path)):
        try:
            text, name = Path(lines).read_text(), str(lines)
        except OSError as error:
            raise InvalidModelError(
                f"cannot read the datacard lines to append: {error.strerror} (give lines as a list)",
                file=str(lines),
            ) from None
    else:
        text, name = "\n".join(lines), "<extra lines>"
    result = dataclasses.replace(
        card,
        systematics=list(card.systematics),
        params=list(card.params),
        rate_params=list(card.rate_params),
        ext_args=list(card.ext_args),
        auto_mc_stats=list(card.auto_mc_stats),
        edits=list(card.edits),
        groups=list(card.groups),
        origins=dict(card.origins),
    )
    used = [card.observation_line, card.rate_line, *card.origins]
    for items in (card.systematics, card.shapes, card.params, card.rate_params, card.ext_args):
        used += [item.line for item in items]
    used += [item.line for item in (*card.auto_mc_stats, *card.edits, *card.groups)]
    start = max(used, default=0)
    appender = _Appender(result)
    for offset, raw in enumerate(text.splitlines(), start=1):
        line = raw.split("#", 1)[0].strip()
        if not line or line.startswith("-"):
            continue
        result.origins[start + offset] = f"{name}:{offset}"
        appender.systematic(start + offset, line.split())
    nonzero = [column.rate != 0 for column in result.columns]
    result.systematics = [
        s
        for s in result.systematics
        if any(v is not None and keep for v, keep in zip(s.values, nonzero, strict=True))
    ]
    return result
