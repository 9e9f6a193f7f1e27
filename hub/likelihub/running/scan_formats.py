"""The formats of a scan's rows: CSV, a JSON list, JSON lines; written, and read back to resume.

A row is ``{"name", "values", "cls_obs", "cls_exp"}`` (or ``"upper_limit_obs"``,
``"upper_limit_exp"``), with ``"error"`` where the point failed. As CSV: one column per label,
the observed value, the five expected values (-2..2 sigma) and the error (see :func:`csv_header`).
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import os
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from likelihub.errors import ScanOutputError

__all__ = ["ScanResult", "SUFFIXES", "result_keys", "csv_header", "csv_record",
           "format_rows", "read_rows", "count_rows", "write_atomically"]

#: Output formats of a scan, by suffix.
SUFFIXES = (".csv", ".json", ".jsonl")


def result_keys(what: str) -> tuple[str, str]:
    """The observed and expected keys of a row: ``cls_obs``, ``cls_exp`` or the upper limits'."""
    return ("cls_obs", "cls_exp") if what == "cls" else ("upper_limit_obs", "upper_limit_exp")


def csv_header(labels: Sequence[str], what: str) -> list[str]:
    """Columns of a CSV table: name, the labels, the observed value, the five expected (-2..2
    sigma) and the error."""
    observed, expected = result_keys(what)
    return ["name", *labels, observed, *[f"{expected}_{n}" for n in (-2, -1, 0, 1, 2)], "error"]


def csv_record(row: Mapping, what: str) -> list:
    """One row as CSV fields (see :func:`csv_header`)."""
    observed, expected = result_keys(what)
    band = row.get(expected) or [None] * 5
    return [row["name"], *row["values"], row.get(observed), *band, row.get("error") or ""]


def format_rows(rows: Sequence[Mapping], suffix: str, labels: Sequence[str], what: str, *,
                header: bool = True, final: bool = True) -> str:
    """Rows as the text of a file with ``suffix``: CSV (with its header line where ``header``),
    one JSON list (``.json`` when ``final``) or JSON lines (``.jsonl``, and ``.json`` while a
    scan runs)."""
    if suffix == ".csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        if header:
            writer.writerow(csv_header(labels, what))
        writer.writerows(csv_record(row, what) for row in rows)
        return buffer.getvalue()
    if suffix == ".json" and final:
        return json.dumps(list(rows), indent=1)
    return "".join(json.dumps(row) + "\n" for row in rows)


def write_atomically(path, text: str) -> None:
    """Write ``text`` to a new file beside ``path`` and rename it over ``path``: readers see the
    old file or the whole new one, never a part (the permissions are those of a new file)."""
    path = Path(path)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        with open(descriptor, "w", encoding="utf-8", newline="") as stream:
            stream.write(text)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise


def _complete_lines(text: str) -> str:
    """``text`` up to its last newline: a line cut short by a killed process is dropped."""
    return text[:text.rfind("\n") + 1]


def _json_rows(path: Path, text: str) -> list:
    if text.lstrip().startswith("["):  # a finished .json file
        try:
            rows = json.loads(text)
        except json.JSONDecodeError as error:
            raise ScanOutputError(f"{path} is not valid JSON ({error.msg} at line {error.lineno}); "
                                  "it cannot be resumed") from None
        return [(i + 1, row) for i, row in enumerate(rows)]
    rows = []
    for number, line in enumerate(_complete_lines(text).splitlines(), start=1):
        if line.strip():
            try:
                rows.append((number, json.loads(line)))
            except json.JSONDecodeError as error:
                raise ScanOutputError(f"{path}, line {number}: not a JSON row ({error.msg}); it "
                                      "cannot be resumed") from None
    return rows


def _csv_rows(path: Path, text: str, labels: Sequence[str], what: str) -> list:
    records = list(csv.reader(io.StringIO(_complete_lines(text))))
    if not records:
        return []
    expected = csv_header(labels, what)
    if records[0] != expected:
        raise ScanOutputError(f"{path}: its columns {records[0]} are not this scan's {expected} "
                              "(another kind of scan, or other labels?); it cannot be resumed")
    observed, band = result_keys(what)
    count = len(labels)
    rows = []
    for number, record in enumerate(records[1:], start=2):
        if len(record) != len(expected):
            raise ScanOutputError(f"{path}, line {number}: {len(record)} fields, not "
                                  f"{len(expected)}; it cannot be resumed")
        try:
            value = float(record[count + 1]) if record[count + 1] else None
            bands = [float(v) if v else None for v in record[count + 2:count + 7]]
        except ValueError:
            raise ScanOutputError(f"{path}, line {number}: a result is not a number; it cannot "
                                  "be resumed") from None
        row = {"name": record[0], "values": record[1:count + 1]}  # as text: checked, then replaced
        if record[-1]:
            row["error"] = record[-1]
        if value is not None or not record[-1]:
            row[observed] = value
            row[band] = None if all(v is None for v in bands) else bands
        rows.append((number, row))
    return rows


def read_rows(path, labels: Sequence[str] = (), what: str = "cls") -> list[tuple[int, dict]]:
    """``(line, row)`` of each complete row in a scan's output (finished or interrupted), for
    resuming it; CSV label values are left as text. A last line cut short is skipped.

    Raises
    ------
    ScanOutputError
        Naming the file and line of what cannot be read.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise ScanOutputError(f"{path} cannot be read to resume it ({error})") from None
    if path.suffix == ".csv":
        return _csv_rows(path, text, labels, what)
    return _json_rows(path, text)


def count_rows(path) -> int:
    """How many complete rows a scan's output holds (0 where it is missing or unreadable)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return 0
    if path.suffix == ".csv":
        return max(0, len(list(csv.reader(io.StringIO(_complete_lines(text))))) - 1)
    if text.lstrip().startswith("["):  # a finished .json file
        try:
            return len(json.loads(text))
        except ValueError:
            return 0
    return sum(1 for line in _complete_lines(text).splitlines() if line.strip())


@dataclass
class ScanResult:
    """One row per point, in the order of the points.

    Attributes
    ----------
    rows
        Dictionaries with ``name``, ``values`` and the results (``cls_obs``, ``cls_exp`` or
        ``upper_limit_obs``, ``upper_limit_exp``), and ``error`` where the point failed.
    labels
        Names of the label values (e.g. ``["m1", "m2"]``).
    what, mu
        What was computed, and at which signal strength (CLs).
    """

    rows: list[dict]
    labels: list[str] = field(default_factory=list)
    what: str = "cls"
    mu: float | None = None

    def to_json(self, **kwargs) -> str:
        """The rows as a JSON list."""
        return json.dumps(self.rows, **kwargs)

    def to_csv(self) -> str:
        """The rows as CSV: name, one column per label, one per result value, the error."""
        return format_rows(self.rows, ".csv", self.labels, self.what)

    def write(self, path) -> None:
        """Write CSV (``.csv``), JSON lines (``.jsonl``) or JSON (else) to ``path``, atomically
        (a temporary file renamed over it)."""
        suffix = os.path.splitext(str(path))[1]
        text = format_rows(self.rows, suffix if suffix in (".csv", ".jsonl") else ".json",
                           self.labels, self.what)
        write_atomically(path, text)

    def __str__(self) -> str:
        key = result_keys(self.what)[0]
        failed = sum(1 for r in self.rows if r.get("error"))
        at = "" if self.mu is None else f" at mu = {self.mu:g}"
        status = f", {failed} failed" if failed else ""
        lines = [f"Scan of {len(self.rows)} points ({self.what}{at}){status}"]
        for row in self.rows:
            value = row.get(key)
            shown = row.get("error") or ("n/a" if value is None else f"{value:.5g}")
            lines.append(f"  {row['name']:<40} {shown}")
        return "\n".join(lines)
