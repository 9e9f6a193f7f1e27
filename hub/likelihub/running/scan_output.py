"""The output file of a scan: rows written as they finish, resumed after an interruption,
finished atomically, written by one scan at a time.

    with ScanOutput("results.csv", resume=True, settings={"what": "cls", "mu": 1.0}) as output:
        todo = output.start(points, labels=["m1", "m2"], what="cls")   # points not in the file yet
        run_scan(todo, evaluate, on_rows=output.append)                # rows appended as they finish
        rows = output.finish(points)                                    # the final file, in order

The format follows the suffix: ``.csv`` (a header, then one line per point), ``.json`` (a JSON
list of rows) or ``.jsonl`` (one JSON row per line). While the scan runs, finished rows are
appended in the order they finish and flushed to disk, as CSV lines for ``.csv`` and JSON lines
for ``.json`` and ``.jsonl``: a scan that is interrupted (Ctrl-C, ``kill``, a batch system's
time limit, a crash) keeps every row it wrote. When every point is done, the final file is written
to a temporary file beside it, in the points' order, and renamed over it (atomically).

Beside the output, ``<output>.lock`` is held (``fcntl.flock``) while a scan writes it: a second
scan of the same output is refused at once. It holds the scan's settings (JSON); it is removed
when the final file is written, so one left behind marks an interrupted scan. Resuming
(``resume=True``) reads the rows the output holds, checks that they belong to this scan (same
settings, known point names and label values, same columns) and computes only the missing points;
rows with an ``error`` count as done. Without ``resume``, an interrupted scan's output is not
overwritten: the scan is refused and says how to resume it.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Mapping, Sequence
from pathlib import Path

from likelihub.errors import ScanOutputError
from likelihub.running.scan_formats import SUFFIXES, format_rows, read_rows, result_keys, write_atomically

try:
    import fcntl
except ImportError:  # pragma: no cover - not on Windows: no lock, the rest works
    fcntl = None

__all__ = ["ScanOutput", "SUFFIXES", "output_path_problem", "write_atomically"]


def output_path_problem(path) -> str | None:
    """What stops a file from being written at ``path`` (a missing or read-only directory, a
    directory in its place, a read-only file), or None. Checked before any work is done."""
    path = Path(path)
    if path.is_dir():
        return f"{path} is a directory"
    parent = path.parent
    if not parent.exists():
        return f"the directory {parent} does not exist"
    if not parent.is_dir():
        return f"{parent} is not a directory"
    if not os.access(parent, os.W_OK | os.X_OK):
        return f"the directory {parent} is not writable"
    if path.exists() and not os.access(path, os.W_OK):
        return f"{path} is not writable"
    return None


def _holds_rows(path: Path) -> bool:
    """Whether the output at ``path`` holds at least one row (more than a CSV header)."""
    if not path.is_file():
        return False
    with open(path, encoding="utf-8", errors="replace") as stream:
        text = stream.read(1 << 16)
    if path.suffix == ".csv":
        return text.count("\n") > 1
    return text.strip() not in ("", "[]")


def _label_text(value) -> str:
    """A label value as the CSV writer writes it."""
    return "" if value is None else str(value)


def _acquire(lock_path: Path, output: Path) -> int:
    """Open and lock (exclusively, without waiting) the lock file; its descriptor."""
    for _ in range(10):
        try:
            descriptor = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o666)
        except OSError as error:
            raise ScanOutputError(f"cannot create the lock file {lock_path} ({error.strerror})") from None
        if fcntl is None:
            return descriptor
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            holder = _read_state(descriptor).get("pid", "unknown")
            os.close(descriptor)
            raise ScanOutputError(f"another scan (process {holder}) is writing {output} (it holds "
                                  f"{lock_path}): wait for it to end, or choose another output") from None
        try:  # the lock file may have been removed by a scan that just finished: lock the new one
            if os.fstat(descriptor).st_ino == os.stat(lock_path).st_ino:
                return descriptor
        except FileNotFoundError:
            pass
        os.close(descriptor)
    raise ScanOutputError(f"cannot lock {lock_path}: it keeps being replaced")


def _read_state(descriptor: int) -> dict:
    os.lseek(descriptor, 0, os.SEEK_SET)
    text = b""
    while chunk := os.read(descriptor, 65536):
        text += chunk
    try:
        state = json.loads(text) if text.strip() else {}
    except (json.JSONDecodeError, UnicodeDecodeError):
        return {}
    return state if isinstance(state, dict) else {}


def _write_state(descriptor: int, state: Mapping) -> None:
    os.ftruncate(descriptor, 0)
    os.lseek(descriptor, 0, os.SEEK_SET)
    os.write(descriptor, (json.dumps(state, indent=1) + "\n").encode())
    os.fsync(descriptor)


class ScanOutput:
    """A scan's output file: locked, resumed, appended to as rows finish, finished atomically.

    Parameters
    ----------
    path
        The output: ``.csv``, ``.json`` or ``.jsonl``. Checked now: a missing or read-only
        directory, another scan writing it, or an interrupted scan's rows without ``resume``
        raise :class:`ScanOutputError` before any work.
    resume
        Keep the rows the output holds and compute only the missing points.
    settings
        What the rows depend on besides the points (e.g. ``what``, ``mu``, ``cl``), as JSON
        values: kept in the lock file, and compared when a scan is resumed.
    """

    def __init__(self, path, *, resume: bool = False, settings: Mapping | None = None):
        self.path = Path(path)
        if self.path.suffix not in SUFFIXES:
            raise ScanOutputError(f"{self.path}: the output's suffix must be one of "
                                  f"{', '.join(SUFFIXES)}")
        problem = output_path_problem(self.path)
        if problem:
            raise ScanOutputError(f"cannot write the output: {problem}")
        self.resume = resume
        self.settings = json.loads(json.dumps(dict(settings or {})))
        self.lock_path = self.path.with_name(self.path.name + ".lock")
        self.rows: dict[str, dict] = {}
        self.resumed = 0
        self._stream = None
        self._what = "cls"
        self._labels: list[str] = []
        self._finished = False
        self._descriptor = _acquire(self.lock_path, self.path)
        self._previous = _read_state(self._descriptor)
        try:
            self._check(self._previous)
            _write_state(self._descriptor, {"pid": os.getpid(), "settings": self.settings})
        except BaseException:
            self.close()
            raise

    def _check(self, previous: dict) -> None:
        """Refuse to resume a scan made with other settings, or to overwrite an interrupted one."""
        if not previous:
            return
        if self.resume:
            before = previous.get("settings", {})
            # every setting of either scan: one given at the start and left off now counts too
            keys = list(self.settings) + [k for k in before if k not in self.settings]
            changed = [f"{k} = {before.get(k)!r}, not {self.settings.get(k)!r}" for k in keys
                       if before.get(k) != self.settings.get(k)]
            if changed:
                raise ScanOutputError(f"{self.path} was started with {'; '.join(changed)} (see "
                                      f"{self.lock_path}): resume it with the same settings, or "
                                      "choose another output")
        elif _holds_rows(self.path):
            raise ScanOutputError(f"{self.path} holds the rows of an interrupted scan (see "
                                  f"{self.lock_path}): resume it (likelihub scan --resume, or "
                                  "resume=True), or delete both files to start again")

    def start(self, points: Sequence, labels: Sequence[str] = (), what: str = "cls") -> list:
        """Prepare the file for the scan of ``points`` (with their ``name`` and ``values``);
        the points whose rows it does not hold yet (all of them unless resuming)."""
        self._what, self._labels = what, list(labels)
        by_name = {point.name: point for point in points}
        if len(by_name) != len(points):
            raise ScanOutputError(f"{self.path}: the points' names are not unique; rows written "
                                  "as they finish need unique names")
        if self.resume and self.path.is_file():
            for number, row in read_rows(self.path, labels, what):
                self._keep(number, row, by_name)
        self.resumed = len(self.rows)
        kept = [self.rows[p.name] for p in points if p.name in self.rows]
        with self._writing():
            write_atomically(self.path, format_rows(kept, self.path.suffix, labels, what, final=False))
            self._stream = open(self.path, "a", encoding="utf-8", newline="")
        _write_state(self._descriptor, {"pid": os.getpid(), "settings": self.settings,
                                        "labels": self._labels, "points": len(points)})
        return [point for point in points if point.name not in self.rows]

    def _keep(self, number: int, row, by_name: Mapping) -> None:
        where = f"{self.path}, row at line {number}" if self.path.suffix != ".json" else \
            f"{self.path}, row {number}"
        observed, _ = result_keys(self._what)
        if not isinstance(row, dict) or not isinstance(row.get("name"), str) or \
                not isinstance(row.get("values"), list) or (observed not in row and "error" not in row):
            raise ScanOutputError(f"{where}: not a row of a {self._what} scan; it cannot be resumed")
        point = by_name.get(row["name"])
        if point is None:
            raise ScanOutputError(f"{where}: point {row['name']!r} is not one of this scan's (the "
                                  "output of another scan?); it cannot be resumed")
        values = list(point.values)
        found = row["values"]
        same = [_label_text(v) for v in values] == found if self.path.suffix == ".csv" else values == found
        if not same:
            raise ScanOutputError(f"{where}: point {row['name']!r} has label values {found}, not "
                                  f"{values} (another patchset?); it cannot be resumed")
        self.rows.setdefault(row["name"], {**row, "values": values})

    def append(self, rows: Sequence[Mapping]) -> None:
        """Write finished rows at the end of the file, and flush them to disk."""
        text = format_rows(rows, self.path.suffix, self._labels, self._what, header=False,
                           final=False)
        with self._writing():
            self._stream.write(text)
            self._stream.flush()
            os.fsync(self._stream.fileno())
        for row in rows:
            self.rows[row["name"]] = dict(row)

    def finish(self, points: Sequence) -> list[dict]:
        """Write the final file (the rows in the points' order, atomically), remove the lock
        file and release it; the rows."""
        missing = [p.name for p in points if p.name not in self.rows]
        if missing:
            raise ScanOutputError(f"{self.path}: no rows of {len(missing)} points "
                                  f"({', '.join(missing[:3])}{', ...' if len(missing) > 3 else ''})")
        ordered = [self.rows[p.name] for p in points]
        self._stream.close()
        with self._writing():
            write_atomically(self.path, format_rows(ordered, self.path.suffix, self._labels, self._what))
        os.unlink(self.lock_path)
        self._finished = True
        self.close()
        return ordered

    @contextlib.contextmanager
    def _writing(self):
        try:
            yield
        except OSError as error:  # a full disk, a file system gone read-only
            raise ScanOutputError(f"cannot write {self.path}: {error.strerror or error}; the rows "
                                  "written so far are kept") from None

    def close(self) -> None:
        """Close the file and release the lock, keeping what was written (and the lock file, which
        marks the scan as interrupted, unless nothing was written)."""
        if self._stream is not None and not self._stream.closed:
            self._stream.close()
        if self._descriptor is None:
            return
        if not self._finished and not self._previous and not _holds_rows(self.path):
            # nothing was computed: leave no interrupted scan behind (nor a file of a header only)
            with contextlib.suppress(OSError):
                if self._stream is not None:
                    os.unlink(self.path)
                os.unlink(self.lock_path)
        os.close(self._descriptor)  # releases the lock
        self._descriptor = None

    def __enter__(self) -> ScanOutput:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()
