"""Scans over many signal points: one model per point, spread over local processes or a Dask cluster.

:func:`run_scan` is the engine; :func:`likelihub.scan` (:mod:`likelihub.running.scan`) gives it the
points of a plugin's point source (:mod:`likelihub.running.points`) and a picklable function that
evaluates one (:class:`~likelihub.running.scan.ModelEvaluator`).

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
core's model evaluator: the fits of a chunk's models advance in lock-step), a chunk is evaluated with
it; otherwise point by point. Rows come back in the order of the points, whatever order they
finished in; a point whose evaluation fails keeps its row, with the error message in ``error``.
As each chunk finishes, its rows go to ``on_rows`` (:class:`likelihub.running.scan_output.ScanOutput`
appends them to the output file, so that an interrupted scan keeps them and can be resumed).

Interruptions: the local pool's workers die with the process that started them (even by
``kill -9``: :func:`likelihub.running.worker_processes.die_with_parent`), and Ctrl-C (or SIGTERM under
:func:`likelihub.running.worker_processes.interrupt_on_termination`) stops them at once instead of
waiting for their chunks; pending chunks of other executors are cancelled.
"""

from __future__ import annotations

import gc
import logging
import math
import multiprocessing
import os
import re
import sys
from collections.abc import Callable, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field

from likelihub.backend.capabilities import evaluator_capabilities
from likelihub.errors import ExecutorError
from likelihub.running.scan_formats import ScanResult
from likelihub.running.worker_processes import die_with_parent, terminate_pool

__all__ = ["ScanPoint", "ScanResult", "LocalPool", "run_scan", "executor_problem",
           "SERIAL_CHUNK", "DASK_CHUNK", "MAX_CHUNK", "CONNECT_TIMEOUT"]
_log = logging.getLogger(__name__)

#: Points evaluated together in a serial scan, and in one task on a Dask cluster (where the
#: evaluating function has ``evaluate_many``, e.g. fits in lock-step).
SERIAL_CHUNK = 16
DASK_CHUNK = 8
#: The most points of a chunk on local processes: rows reach the output chunk by chunk, so this
#: bounds what an interrupted scan loses (1Lbb: about 32 x 40 ms per worker).
MAX_CHUNK = 32
#: Seconds to wait for a Dask scheduler named by its address before giving up.
CONNECT_TIMEOUT = 10.0
#: A Dask scheduler's address: ``[protocol://]host:port`` (or ``inproc://...``).
DASK_ADDRESS = re.compile(r"(?:(?:tcp|tls|ucx|ws|wss)://)?(?:\[[0-9A-Fa-f:.]+\]|[\w.-]+):\d{1,5}"
                          r"|inproc://\S+")


def executor_problem(executor) -> str | None:
    """Why ``executor`` is not a valid executor of :func:`run_scan`, or None."""
    if executor is None or isinstance(executor, (Executor, LocalPool)) or _is_dask_client(executor) \
            or callable(getattr(executor, "submit", None)):
        return None
    if isinstance(executor, str):
        if executor in ("serial", "processes") or DASK_ADDRESS.fullmatch(executor):
            return None
        return (f"{executor!r} is not 'processes', 'serial' or the address of a Dask scheduler "
                "(tcp://host:8786)")
    return (f"expected None, 'serial', a concurrent.futures Executor, a LocalPool, a "
            f"distributed.Client or a scheduler address, not {type(executor).__name__}")


@dataclass(frozen=True)
class ScanPoint:
    """One signal point: its name, its label values (e.g. the two masses), and what the evaluating
    function needs of it alone (e.g. its signal patch), which travels with it to the worker."""

    name: str
    values: tuple = ()
    payload: object = field(default=None, compare=False, repr=False)


def _error_text(error: Exception) -> str:
    """The ``error`` of a row: the exception's type and message, on one line."""
    return " ".join(f"{type(error).__name__}: {error}".split())


def _guarded(evaluate: Callable[[ScanPoint], dict], point: ScanPoint) -> dict:
    row = {"name": point.name, "values": list(point.values)}
    try:
        row.update(evaluate(point))
    except Exception as error:  # one bad point must not lose the others
        row["error"] = _error_text(error)
    return row


def _evaluate_rows(evaluate: Callable[[ScanPoint], dict], chunk: list[ScanPoint]) -> list[dict]:
    """Rows of a chunk of points: together where the function can evaluate many points at once
    (``evaluate.evaluate_many(points)``: per point, its results or the exception it raised, e.g.
    fits of many models in lock-step), else one by one."""
    if not evaluator_capabilities(evaluate).evaluate_many:
        return [_guarded(evaluate, point) for point in chunk]
    try:
        outcomes = list(evaluate.evaluate_many(chunk))
        if len(outcomes) != len(chunk):
            raise ValueError(f"evaluate_many gave {len(outcomes)} outcomes for {len(chunk)} points")
    except Exception:  # it should report errors point by point; if not, each point alone does
        return [_guarded(evaluate, point) for point in chunk]
    rows = []
    for point, outcome in zip(chunk, outcomes, strict=True):
        row = {"name": point.name, "values": list(point.values)}
        if isinstance(outcome, Exception):
            row["error"] = _error_text(outcome)
        else:
            row.update(outcome)
        rows.append(row)
    return rows


def _guided_chunks(points: list, workers: int) -> list[list]:
    """Chunks of decreasing size (half of what is left over the workers each time, as OpenMP's
    guided schedule): ``evaluate``, which may hold a whole workspace, is pickled once per chunk
    rather than once per point, and the last chunks are small, so no worker idles long at the end;
    none has more than :data:`MAX_CHUNK` points (rows reach the output chunk by chunk)."""
    chunks, start = [], 0
    while start < len(points):
        size = min(MAX_CHUNK, max(1, math.ceil((len(points) - start) / (2 * workers))))
        chunks.append(points[start:start + size])
        start += size
    return chunks


# The evaluating function of a LocalPool's worker process, set there by the pool's initializer
# when the process starts (never in the process that owns the pool) and read by its tasks.
_WORKER_STATE: dict = {}


def _install(evaluate: Callable[[ScanPoint], dict], parent_pid: int | None) -> None:
    """Initializer of a LocalPool's worker: die with the parent process (and leave Ctrl-C to
    it), keep ``evaluate`` for the worker's life, out of the garbage collector's scans, with one
    BLAS thread; then its ``warm_up()``, where it has one."""
    from threadpoolctl import threadpool_limits

    die_with_parent(parent_pid)
    _WORKER_STATE["evaluate"] = evaluate
    # One BLAS thread for the worker's life: the processes already share out the cores, and
    # threaded BLAS on small matrices in several processes at once made a scan twice as slow.
    threadpool_limits(limits=1, user_api="blas")
    gc.freeze()
    if evaluator_capabilities(evaluate).warm_up:
        try:
            evaluate.warm_up()
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
    :meth:`shutdown`; pass it to :func:`run_scan` as the executor. The workers die with the
    process that started the pool (``kill -9`` included, on Linux) and ignore Ctrl-C; a context
    left by an exception (Ctrl-C included) stops them at once (:meth:`terminate`).

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
        # The workers' parent is this process (fork, spawn), or a fork server (Python 3.14's
        # default on Linux), which ends with this process: they die with whichever it is.
        context = multiprocessing.get_context()  # the one ProcessPoolExecutor uses by default
        parent = os.getpid() if context.get_start_method() in ("fork", "spawn") else None
        self._executor = ProcessPoolExecutor(self.workers, mp_context=context, initializer=_install,
                                             initargs=(evaluate, parent))
        for _ in range(self.workers):  # one task each: every process starts (and warms up) now
            self._executor.submit(_ready)

    def submit(self, chunk: list[ScanPoint]):
        """Evaluate a chunk of points in a worker; a future of its rows."""
        return self._executor.submit(_evaluate_installed, chunk)

    def shutdown(self) -> None:
        """Stop the worker processes once their tasks are done."""
        self._executor.shutdown()

    def terminate(self) -> None:
        """Stop the worker processes now, dropping their tasks (an interrupted scan)."""
        terminate_pool(self._executor)

    def __enter__(self) -> LocalPool:
        return self

    def __exit__(self, kind, error, traceback) -> None:
        if kind is None:
            self.shutdown()
        else:
            self.terminate()


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


class _Progress:
    """Advances the scan's progress: a tqdm bar made here (``progress`` None: when standard
    error is a terminal; True; False: none), the caller's bar (an object with ``update(n)``,
    e.g. one counting toys), or a callable of the number of points just finished."""

    def __init__(self, total: int, progress):
        self._bar = None
        self._advance = None
        if progress is None:
            progress = sys.stderr.isatty()
        if progress is True:
            from tqdm.auto import tqdm

            self._bar = tqdm(total=total, unit="point")
            self._advance = self._bar.update
        elif hasattr(progress, "update"):
            self._advance = progress.update
        elif callable(progress):
            self._advance = progress

    def __call__(self, count: int) -> None:
        if self._advance is not None:
            self._advance(count)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()


def _collect(futures: list, done, total: int, progress, on_rows) -> list[dict]:
    """The rows of ``futures`` in their order, waiting for them as ``done`` yields them, each
    chunk's rows given to ``on_rows`` as it finishes; pending futures are cancelled if the wait
    is interrupted."""
    bar = _Progress(total, progress)
    finished = {}
    try:
        for future in done(futures):
            rows = future.result()
            finished[future] = rows
            _log.debug("scan chunk %d of %d done (%d points)", len(finished), len(futures), len(rows))
            if on_rows is not None:
                on_rows(rows)
            bar(len(rows))
    except BaseException:
        for future in futures:
            future.cancel()
        raise
    finally:
        bar.close()
    return [row for future in futures for row in finished[future]]


def _is_dask_client(executor) -> bool:
    return type(executor).__module__.startswith("distributed")


def _run_dask(evaluate, points, executor, progress, on_rows, connect_timeout):
    from distributed import Client
    from distributed import as_completed as dask_completed

    if isinstance(executor, str):
        try:
            client = Client(executor, timeout=connect_timeout)
        except (OSError, TimeoutError) as error:
            raise ExecutorError(f"cannot reach the Dask scheduler at {executor} within "
                                f"{connect_timeout:g} s ({type(error).__name__})") from None
    else:
        client = executor
    try:
        shared = client.scatter(evaluate, broadcast=True)  # sent to each worker once
        # Small chunks of equal size: a cluster's workers may come and go (dask-jobqueue scales).
        chunks = [points[start:start + DASK_CHUNK] for start in range(0, len(points), DASK_CHUNK)]
        futures = client.map(_evaluate_rows, [shared] * len(chunks), chunks, pure=False)
        return _collect(futures, dask_completed, len(points), progress, on_rows)
    finally:
        if isinstance(executor, str):
            client.close()


def run_scan(points: Sequence[ScanPoint], evaluate: Callable[[ScanPoint], dict], *,
             executor=None, max_workers: int | None = None, progress=None,
             on_rows: Callable[[list[dict]], None] | None = None,
             connect_timeout: float = CONNECT_TIMEOUT) -> list[dict]:
    """Evaluate every point; rows in the order of ``points``.

    Parameters
    ----------
    points
        The signal points.
    evaluate
        A picklable function of one :class:`ScanPoint` returning the row's results (a dict).
    executor
        None or "processes" (local processes), a :class:`LocalPool` already started for
        ``evaluate``, "serial", a concurrent.futures Executor, a distributed.Client or a
        scheduler address (see the module docstring).
    max_workers
        Processes of the default local pool (default: the number of cores).
    progress
        A tqdm progress bar (None, the default: when standard error is a terminal; True or
        False), or the caller's bar (an object with ``update(n)``) or callable, given the
        number of points of each chunk as it finishes.
    on_rows
        Called in this process with the rows of each chunk as it finishes (in the order the
        chunks finish), e.g. :meth:`likelihub.running.scan_output.ScanOutput.append`.
    connect_timeout
        Seconds to wait for a Dask scheduler given by its address.

    Raises
    ------
    ExecutorError
        An unknown executor, an unreachable scheduler, or a local worker that died (killed, or
        out of memory); rows already given to ``on_rows`` are kept there.
    """
    problem = executor_problem(executor)
    if problem:
        raise ExecutorError(f"executor: {problem}")
    points = list(points)
    _log.info("scan of %d points, executor %s", len(points), f"{executor.workers} local processes"
              if isinstance(executor, LocalPool) else executor if isinstance(executor, str) or
              _is_dask_client(executor) else type(executor).__name__ if executor else "processes")
    if executor == "serial" or len(points) <= 1:
        return _run_serial(points, evaluate, progress, on_rows)
    if isinstance(executor, str) and executor != "processes" or _is_dask_client(executor):
        return _run_dask(evaluate, points, executor, progress, on_rows, connect_timeout)
    try:
        if executor in (None, "processes"):
            with LocalPool(evaluate, max_workers) as pool:
                return _run_local(points, pool, progress, on_rows)
        if isinstance(executor, LocalPool):
            if executor.evaluate is not evaluate:
                raise ValueError("the LocalPool was started for another evaluating function")
            return _run_local(points, executor, progress, on_rows)
        chunks = _guided_chunks(points, max_workers or os.cpu_count() or 1)
        futures = [executor.submit(_evaluate_chunk, evaluate, chunk) for chunk in chunks]
        return _collect(futures, as_completed, len(points), progress, on_rows)
    except BrokenProcessPool:
        raise ExecutorError("a worker process died before its points were done (killed, or out "
                            "of memory?)") from None


def _run_serial(points, evaluate, progress, on_rows) -> list[dict]:
    bar = _Progress(len(points), progress)
    rows = []
    try:
        for start in range(0, len(points), SERIAL_CHUNK):
            chunk_rows = _evaluate_rows(evaluate, points[start:start + SERIAL_CHUNK])
            if on_rows is not None:
                on_rows(chunk_rows)
            rows.extend(chunk_rows)
            bar(len(chunk_rows))
    finally:
        bar.close()
    return rows


def _run_local(points: list[ScanPoint], pool: LocalPool, progress, on_rows) -> list[dict]:
    futures = [pool.submit(chunk) for chunk in _guided_chunks(points, pool.workers)]
    _log.debug("%d points in %d chunks on %d processes", len(points), len(futures), pool.workers)
    return _collect(futures, as_completed, len(points), progress, on_rows)
