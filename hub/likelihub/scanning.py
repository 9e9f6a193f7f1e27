"""Scans over many signal points: one model per point, spread over local processes or a Dask cluster.

:func:`run_scan` is the engine; plugins that know how to enumerate points (the HistFactory plugin's
patchsets: :func:`likelihub.scan`) give it the points and a picklable function that evaluates one.

Executors:

- ``None`` (default): a local pool of processes, one per core (``max_workers`` to change),
  each given the evaluating function once, when it starts (:class:`LocalPool`; a plugin may
  start one early, so that the workers warm up while it reads the points);
- ``"serial"``: in this process, a chunk of :data:`SERIAL_CHUNK` points after the other;
- a :class:`concurrent.futures.Executor` of your own;
- a ``distributed.Client`` or the address of a Dask scheduler (``"tcp://host:8786"``): the points
  are spread over its workers. To use a batch system, start the cluster with dask-jobqueue
  (e.g. ``SLURMCluster(cores=1, memory="2GB").scale(jobs=50)``) and pass ``Client(cluster)``.

Points travel in chunks. Where the evaluating function has ``evaluate_many(points)`` (the
HistFactory scan's: the fits of a chunk's models advance in lock-step), a chunk is evaluated with
it; otherwise point by point. Rows come back in the order of the points, whatever order they
finished in; a point whose evaluation fails keeps its row, with the error message in ``error``.
"""

from __future__ import annotations

import csv
import gc
import io
import json
import math
import os
import sys
from collections.abc import Callable, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field

__all__ = ["ScanPoint", "ScanResult", "LocalPool", "run_scan", "SERIAL_CHUNK", "DASK_CHUNK"]

#: Points evaluated together in a serial scan, and in one task on a Dask cluster (where the
#: evaluating function has ``evaluate_many``, e.g. fits in lock-step).
SERIAL_CHUNK = 16
DASK_CHUNK = 8


@dataclass(frozen=True)
class ScanPoint:
    """One signal point: its name, its label values (e.g. the two masses), and what the evaluating
    function needs of it alone (e.g. its signal patch), which travels with it to the worker."""

    name: str
    values: tuple = ()
    payload: object = field(default=None, compare=False, repr=False)


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
        """The rows as CSV: name, one column per label, one per result value."""
        buffer = io.StringIO()
        keys = ["cls_obs", "cls_exp"] if self.what == "cls" else ["upper_limit_obs", "upper_limit_exp"]
        header = ["name", *self.labels, keys[0], *[f"{keys[1]}_{n}" for n in (-2, -1, 0, 1, 2)], "error"]
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(header)
        for row in self.rows:
            expected = row.get(keys[1]) or [None] * 5
            writer.writerow([row["name"], *row["values"], row.get(keys[0]), *expected,
                             row.get("error") or ""])
        return buffer.getvalue()

    def write(self, path: str) -> None:
        """Write JSON (``.json``) or CSV (``.csv``) to ``path``."""
        text = self.to_csv() if str(path).endswith(".csv") else self.to_json(indent=1)
        with open(path, "w") as stream:
            stream.write(text)

    def __str__(self) -> str:
        key = "cls_obs" if self.what == "cls" else "upper_limit_obs"
        failed = sum(1 for r in self.rows if r.get("error"))
        at = "" if self.mu is None else f" at mu = {self.mu:g}"
        status = f", {failed} failed" if failed else ""
        lines = [f"Scan of {len(self.rows)} points ({self.what}{at}){status}"]
        for row in self.rows:
            value = row.get(key)
            shown = row.get("error") or ("n/a" if value is None else f"{value:.5g}")
            lines.append(f"  {row['name']:<40} {shown}")
        return "\n".join(lines)


def _guarded(evaluate: Callable[[ScanPoint], dict], point: ScanPoint) -> dict:
    row = {"name": point.name, "values": list(point.values)}
    try:
        row.update(evaluate(point))
    except Exception as error:  # one bad point must not lose the others
        row["error"] = f"{type(error).__name__}: {error}"
    return row


def _evaluate_rows(evaluate: Callable[[ScanPoint], dict], chunk: list[ScanPoint]) -> list[dict]:
    """Rows of a chunk of points: together where the function can evaluate many points at once
    (``evaluate.evaluate_many(points)``: per point, its results or the exception it raised, e.g.
    fits of many models in lock-step), else one by one."""
    many = getattr(evaluate, "evaluate_many", None)
    if many is None:
        return [_guarded(evaluate, point) for point in chunk]
    try:
        outcomes = list(many(chunk))
        if len(outcomes) != len(chunk):
            raise ValueError(f"evaluate_many gave {len(outcomes)} outcomes for {len(chunk)} points")
    except Exception:  # it should report errors point by point; if not, each point alone does
        return [_guarded(evaluate, point) for point in chunk]
    rows = []
    for point, outcome in zip(chunk, outcomes, strict=True):
        row = {"name": point.name, "values": list(point.values)}
        if isinstance(outcome, Exception):
            row["error"] = f"{type(outcome).__name__}: {outcome}"
        else:
            row.update(outcome)
        rows.append(row)
    return rows


def _guided_chunks(points: list, workers: int) -> list[list]:
    """Chunks of decreasing size (half of what is left over the workers each time, as OpenMP's
    guided schedule): ``evaluate``, which may hold a whole workspace, is pickled once per chunk
    rather than once per point, and the last chunks are small, so no worker idles long at the end."""
    chunks, start = [], 0
    while start < len(points):
        size = max(1, math.ceil((len(points) - start) / (2 * workers)))
        chunks.append(points[start:start + size])
        start += size
    return chunks


# The evaluating function of a LocalPool's worker process, set there by the pool's initializer
# when the process starts (never in the process that owns the pool) and read by its tasks.
_WORKER_STATE: dict = {}


def _install(evaluate: Callable[[ScanPoint], dict]) -> None:
    """Initializer of a LocalPool's worker: keep ``evaluate`` for the worker's life, out of the
    garbage collector's scans, with one BLAS thread; then its ``warm_up()``, where it has one."""
    from threadpoolctl import threadpool_limits

    _WORKER_STATE["evaluate"] = evaluate
    # One BLAS thread for the worker's life: the processes already share out the cores, and
    # threaded BLAS on small matrices in several processes at once made a scan twice as slow.
    threadpool_limits(limits=1, user_api="blas")
    gc.freeze()
    warm_up = getattr(evaluate, "warm_up", None)
    if warm_up is not None:
        try:
            warm_up()
        except Exception:
            pass  # a failed warm-up costs time, not results: the points report their errors


def _ready() -> bool:
    return "evaluate" in _WORKER_STATE


def _evaluate_installed(chunk: list[ScanPoint]) -> list[dict]:
    return _evaluate_rows(_WORKER_STATE["evaluate"], chunk)


class LocalPool:
    """Worker processes on this machine, each holding the evaluating function from its start.

    The function (e.g. a whole background workspace, with what a worker caches of it) travels
    to each worker once (inherited through fork on Linux), not with every chunk of points, and
    the workers start at once and call the function's ``warm_up()`` (e.g. loading compiled
    kernels) while the caller still prepares the points. Use as a context manager, or call
    :meth:`shutdown`; pass it to :func:`run_scan` as the executor.

    Parameters
    ----------
    evaluate
        The picklable function of one :class:`ScanPoint` that every point of the scan uses.
    max_workers
        Number of processes (default: the number of cores).
    """

    def __init__(self, evaluate: Callable[[ScanPoint], dict], max_workers: int | None = None):
        self.evaluate = evaluate
        self.workers = max_workers or os.cpu_count() or 1
        self._executor = ProcessPoolExecutor(self.workers, initializer=_install, initargs=(evaluate,))
        for _ in range(self.workers):  # one task each: every process starts (and warms up) now
            self._executor.submit(_ready)

    def submit(self, chunk: list[ScanPoint]):
        """Evaluate a chunk of points in a worker; a future of its rows."""
        return self._executor.submit(_evaluate_installed, chunk)

    def shutdown(self) -> None:
        """Stop the worker processes."""
        self._executor.shutdown()

    def __enter__(self) -> LocalPool:
        return self

    def __exit__(self, *exc_info) -> None:
        self.shutdown()


def _evaluate_chunk(evaluate: Callable[[ScanPoint], dict], chunk: list[ScanPoint]) -> list[dict]:
    # One BLAS thread per worker: the processes already share out the cores, and threaded BLAS on
    # small matrices in several processes at once made a 125-point scan twice as slow.
    from threadpoolctl import threadpool_limits

    # The evaluator (e.g. a whole workspace, just unpickled) lives as long as this worker: kept
    # out of the garbage collector's scans, each point builds and fits ~20% faster.
    gc.freeze()
    try:
        with threadpool_limits(limits=1, user_api="blas"):
            return _evaluate_rows(evaluate, chunk)
    finally:
        gc.unfreeze()


def _progress_bar(total: int, enabled: bool | None):
    """A tqdm bar (default: when standard error is a terminal), or None."""
    if enabled is None:
        enabled = sys.stderr.isatty()
    if not enabled:
        return None
    from tqdm.auto import tqdm

    return tqdm(total=total, unit="point")


def _collect(futures, done, total: int, progress: bool | None) -> None:
    """Wait for ``futures`` (as ``done`` yields them), advancing a progress bar by their rows."""
    bar = _progress_bar(total, progress)
    for future in done(futures):
        if bar is not None:
            result = future.result()
            bar.update(len(result) if isinstance(result, list) else 1)
    if bar is not None:
        bar.close()


def _is_dask(executor) -> bool:
    return isinstance(executor, str) or type(executor).__module__.startswith("distributed")


def _run_dask(evaluate, points, executor, progress):
    from distributed import Client
    from distributed import as_completed as dask_completed

    client = Client(executor) if isinstance(executor, str) else executor
    shared = client.scatter(evaluate, broadcast=True)  # sent to each worker once
    # Small chunks of equal size: a cluster's workers may come and go (dask-jobqueue scales).
    chunks = [points[start:start + DASK_CHUNK] for start in range(0, len(points), DASK_CHUNK)]
    futures = client.map(_evaluate_rows, [shared] * len(chunks), chunks, pure=False)
    _collect(futures, dask_completed, len(points), progress)
    rows = [row for chunk_rows in client.gather(futures) for row in chunk_rows]
    if isinstance(executor, str):
        client.close()
    return rows


def run_scan(points: Sequence[ScanPoint], evaluate: Callable[[ScanPoint], dict], *,
             executor=None, max_workers: int | None = None, progress: bool | None = None
             ) -> list[dict]:
    """Evaluate every point; rows in the order of ``points``.

    Parameters
    ----------
    points
        The signal points.
    evaluate
        A picklable function of one :class:`ScanPoint` returning the row's results (a dict).
    executor
        None (local processes), a :class:`LocalPool` already started for ``evaluate``, "serial",
        a concurrent.futures Executor, a distributed.Client or a scheduler address (see the
        module docstring).
    max_workers
        Processes of the default local pool (default: the number of cores).
    progress
        Show a tqdm progress bar (default: when standard error is a terminal).
    """
    points = list(points)
    if executor == "serial" or len(points) <= 1:
        bar = _progress_bar(len(points), progress)
        rows = []
        for start in range(0, len(points), SERIAL_CHUNK):
            rows.extend(_evaluate_rows(evaluate, points[start:start + SERIAL_CHUNK]))
            if bar is not None:
                bar.update(len(points[start:start + SERIAL_CHUNK]))
        if bar is not None:
            bar.close()
        return rows
    if _is_dask(executor):
        return _run_dask(evaluate, points, executor, progress)
    if executor is None:
        with LocalPool(evaluate, max_workers) as pool:
            return _run_local(points, pool, progress)
    if isinstance(executor, LocalPool):
        if executor.evaluate is not evaluate:
            raise ValueError("the LocalPool was started for another evaluating function")
        return _run_local(points, executor, progress)
    pool: Executor = executor
    chunks = _guided_chunks(points, max_workers or os.cpu_count() or 1)
    futures = [pool.submit(_evaluate_chunk, evaluate, chunk) for chunk in chunks]
    _collect(futures, as_completed, len(points), progress)
    return [row for future in futures for row in future.result()]


def _run_local(points: list[ScanPoint], pool: LocalPool, progress: bool | None) -> list[dict]:
    futures = [pool.submit(chunk) for chunk in _guided_chunks(points, pool.workers)]
    _collect(futures, as_completed, len(points), progress)
    return [row for future in futures for row in future.result()]
