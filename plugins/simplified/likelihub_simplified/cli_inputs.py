"""Reading a simplified likelihood's JSON file and a signal given on the command line, for the
file format of :mod:`likelihub_simplified.cli_format`.

The file (the layout of the SModelS-derived files of ``../shared/data/simplified``): a JSON object

    {"observed": [n_1, ..., n_N],              # required: observed counts
     "background": [b_1, ..., b_N],            # required (or "background_m1")
     "covariance": [[...], ...],               # N x N, events^2 (or "covariance_m2"), optional
     "third_moment": [m3_1, ..., m3_N],        # or null (or "third_moment_m3", "third_moments")
     "background_uncertainty": [...],          # optional, absolute, per bin
     "region_names": ["SR1", ...],             # optional (or "bin_names")
     "signal": [s_1, ..., s_N],                # optional: the signal, unless --signal gives one
     ...}                                      # anything else (metadata) is ignored

A signal (``--signal VALUE``): comma-separated yields (``1.2,0.4,0``), a JSON array
(``[1.2, 0.4, 0]``), or a file: JSON (a list, ``{"signal": [...]}``, or ``{poi: [...], ...}``
for two or more signal components, each with its own POI) or text (CSV: one column, or one row, of
numbers; a header line and ``#`` comments are skipped).
"""

from __future__ import annotations

import csv
import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from likelihub.errors import InvalidArgumentError, InvalidModelError

__all__ = ["SimplifiedFile", "read_simplified_file", "read_signal", "check_signal", "KEYS"]

#: Each input and the keys that may hold it, the first preferred.
KEYS = {
    "observed": ("observed",),
    "background": ("background", "background_m1"),
    "covariance": ("covariance", "covariance_m2"),
    "third_moment": ("third_moment", "third_moment_m3", "third_moments"),
    "background_uncertainty": ("background_uncertainty",),
    "region_names": ("region_names", "bin_names"),
    "signal": ("signal",),
}

_NUMBER = re.compile(r"\s*[-+]?((\d+\.?\d*|\.\d+)([eE][-+]?\d+)?|nan|inf|infinity)\s*", re.IGNORECASE)


@dataclass(frozen=True)
class SimplifiedFile:
    """The inputs of a simplified likelihood's file: lists as read (checked by the factories),
    None where the file has none; ``keys`` maps each input to the key it was read from."""

    path: str
    observed: list
    background: list
    covariance: list | None
    third_moment: list | None
    background_uncertainty: list | None
    region_names: list[str] | None
    signal: list | dict | None
    keys: dict

    @property
    def n_bins(self) -> int:
        """The number of bins (of the background)."""
        return len(self.background)

    def bin_label(self, index: int) -> str:
        """The bin's name where the file names its bins, else its index."""
        return str(self.region_names[index]) if self.region_names else str(index)


def _read_json(path: str, what: str):
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InvalidModelError(f"no such {what}", file=str(path)) from None
    except (OSError, UnicodeDecodeError) as error:
        raise InvalidModelError(f"cannot be read ({type(error).__name__}: {error})", file=str(path)) from None
    try:
        return json.loads(text)
    except ValueError as error:
        raise InvalidModelError(f"is not JSON ({error})", file=str(path)) from None


def read_simplified_file(path: str) -> SimplifiedFile:
    """The inputs of the simplified likelihood's JSON file ``path``.

    Raises
    ------
    likelihub.errors.InvalidModelError
        The file cannot be read, is not a JSON object, lacks ``observed`` or ``background``, holds
        an input twice under two keys, or an input that is not a list (the message names the key).
    """
    document = _read_json(path, "file")
    if not isinstance(document, dict):
        raise InvalidModelError("a simplified likelihood is a JSON object with 'observed' and "
                                f"'background', not a {type(document).__name__}", file=str(path))
    values, keys = {}, {}
    for name, aliases in KEYS.items():
        present = [key for key in aliases if document.get(key) is not None]
        if len(present) > 1:
            raise InvalidModelError(f"holds the {name.replace('_', ' ')} twice: under "
                                    f"{' and '.join(map(repr, present))}", file=str(path))
        if present:
            value = document[present[0]]
            if not isinstance(value, (list, dict) if name == "signal" else list):
                raise InvalidModelError(f"{present[0]!r} must be a list, not {type(value).__name__}",
                                        file=str(path))
            values[name], keys[name] = value, present[0]
    for required in ("observed", "background"):
        if required not in values:
            raise InvalidModelError(f"has no {' or '.join(map(repr, KEYS[required]))}: a simplified "
                                    "likelihood needs the observed counts and the background", file=str(path))
    return SimplifiedFile(path=str(path), observed=values["observed"], background=values["background"],
                          covariance=values.get("covariance"), third_moment=values.get("third_moment"),
                          background_uncertainty=values.get("background_uncertainty"),
                          region_names=values.get("region_names"), signal=values.get("signal"), keys=keys)


def _numbers(text: str) -> list[float] | None:
    """``text`` as comma-separated numbers, or None where it is not."""
    parts = text.split(",")
    if not all(_NUMBER.fullmatch(part) for part in parts):
        return None
    return [float(part) for part in parts]


def _text_signal(text: str, source: str) -> list[float]:
    """A CSV or plain-text file: one column (a header line allowed) or one row of numbers."""
    rows = [[cell.strip() for cell in row] for row in csv.reader(line for line in text.splitlines()
                                                                  if not line.lstrip().startswith("#"))]
    rows = [row for row in rows if any(row)]
    if rows and _numbers(",".join(rows[0])) is None and len(rows) > 1:
        rows = rows[1:]  # a header
    if len(rows) == 1:
        values = _numbers(",".join(rows[0]))
        if values is not None:
            return values
    values = []
    for number, row in enumerate(rows, start=1):
        if len(row) != 1 or _numbers(row[0]) is None:
            raise InvalidArgumentError(f"line {number} ({','.join(row)!r}): a signal file holds one "
                                       "column (or one row) of numbers", argument="signal", file=source)
        values.append(float(row[0]))
    if not values:
        raise InvalidArgumentError("holds no numbers", argument="signal", file=source)
    return values


def _json_signal(document, source: str):
    file = None if source == "--signal" else source
    if isinstance(document, dict) and not document:
        raise InvalidArgumentError('is an empty JSON object: no signal (give a list of yields, '
                                   '{"signal": [...]}, or {poi: [...], ...})', argument="signal", file=file)
    if isinstance(document, dict) and "signal" in document:
        document = document["signal"]
    if isinstance(document, list):
        return document
    if isinstance(document, dict) and len(document) >= 2 and all(isinstance(v, list)
                                                                  for v in document.values()):
        return document  # several components {poi: yields}
    raise InvalidArgumentError('a JSON signal is a list of yields, {"signal": [...]}, or {poi: [...], ...} '
                               "for two or more signal components", argument="signal", file=source)


def read_signal(value: str) -> tuple[list | dict, str]:
    """The signal ``--signal VALUE`` gives (comma-separated numbers, a JSON array, or a file),
    and where it came from (for messages).

    Raises
    ------
    likelihub.errors.InvalidArgumentError
        ``value`` is neither numbers nor a readable file, or the file holds no signal.
    """
    text = str(value).strip()
    numbers = _numbers(text)
    if numbers is not None:
        return numbers, "--signal"
    if text.startswith("["):
        try:
            document = json.loads(text)
        except ValueError as error:
            raise InvalidArgumentError(f"{text!r} is not a JSON array ({error})", argument="signal") from None
        return _json_signal(document, "--signal"), "--signal"
    path = Path(text)
    if not path.is_file():
        raise InvalidArgumentError(f"{text!r} is neither comma-separated yields (1.2,0.4,0) nor a file",
                                   argument="signal")
    try:
        content = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise InvalidArgumentError(f"cannot be read ({type(error).__name__})", argument="signal",
                                   file=text) from None
    if path.suffix.lower() == ".json" or content.lstrip()[:1] in ("[", "{"):
        try:
            document = json.loads(content)
        except ValueError as error:
            raise InvalidArgumentError(f"is not JSON ({error})", argument="signal", file=text) from None
        return _json_signal(document, text), text
    return _text_signal(content, text), text


def _check_yields(yields, inputs: SimplifiedFile, source: str, component: str = "") -> None:
    what = f"component {component!r}: " if component else ""
    source = None if source == "--signal" else source  # the option's own text: no file
    if not isinstance(yields, list):
        raise InvalidArgumentError(f"{what}must be a list of yields, not {type(yields).__name__}",
                                   argument="signal", file=source)
    if any(isinstance(value, (list, dict)) for value in yields):
        raise InvalidArgumentError(f"{what}must be a flat list of numbers (one yield per bin), not a "
                                   "nested list", argument="signal", file=source)
    if len(yields) != inputs.n_bins:
        raise InvalidArgumentError(f"{what}has {len(yields)} yields, but {inputs.path} has "
                                   f"{inputs.n_bins} bins", argument="signal", file=source)
    for index, value in enumerate(yields):
        where = f"bin {index + 1} of {inputs.n_bins}"
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise InvalidArgumentError(f"{what}{value!r} is not a finite number ({where})",
                                       argument="signal", file=source, bin=inputs.bin_label(index))
        if value < 0:
            raise InvalidArgumentError(f"{what}the yield {value:g} is negative ({where})",
                                       argument="signal", file=source, bin=inputs.bin_label(index))


def check_signal(signal, inputs: SimplifiedFile, source: str) -> None:
    """Refuse a signal of another length than the file's bins, or a yield that is not a finite,
    non-negative number (naming the bin), before the model is built."""
    if isinstance(signal, Mapping):
        for name, yields in signal.items():
            _check_yields(yields, inputs, source, str(name))
    else:
        _check_yields(signal, inputs, source)
