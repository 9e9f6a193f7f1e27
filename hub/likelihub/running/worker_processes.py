"""Worker processes that die with their parent, and signals that end a long run cleanly.

A scan's local pool (:class:`likelihub.running.scanning.LocalPool`) and any other pool of processes
likelihub starts use these:

- :func:`die_with_parent`, in each worker as it starts: the kernel sends it SIGKILL when the
  process that started it ends, however it ends (``kill -9`` included; Linux's
  ``PR_SET_PDEATHSIG``), and a terminal's Ctrl-C (sent to the whole foreground process group)
  is left to the parent, which decides what to keep;
- :func:`terminate_pool`: stop a :class:`~concurrent.futures.ProcessPoolExecutor` now, without
  waiting for the chunks its workers are computing (``shutdown`` would wait for them);
- :func:`interrupt_on_termination`: while it is active, SIGTERM (a batch system's or a shell's
  ``kill``) raises :class:`Terminated` in the main thread, as Ctrl-C raises
  :class:`KeyboardInterrupt`, so that ``finally`` blocks run: the pool is stopped and the rows
  written so far stay in the output.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import sys
import threading
from concurrent.futures import ProcessPoolExecutor

__all__ = ["die_with_parent", "terminate_pool", "interrupt_on_termination", "Terminated",
           "exit_status"]

#: prctl(2) option that sets the signal a process receives when its parent ends (linux/prctl.h).
PR_SET_PDEATHSIG = 1


class Terminated(KeyboardInterrupt):
    """SIGTERM received while :func:`interrupt_on_termination` was active.

    A :class:`KeyboardInterrupt`, so that code that cleans up after Ctrl-C cleans up after it.
    """

    signum = signal.SIGTERM


def exit_status(interrupt: BaseException) -> int:
    """The shell's exit status of a process ended by ``interrupt``: 128 + the signal's number
    (130 for Ctrl-C, 143 for SIGTERM)."""
    number = getattr(interrupt, "signum", signal.SIGINT)
    return 128 + int(number)


def die_with_parent(parent_pid: int | None) -> None:
    """In a worker process: be killed when the process that started it ends, and ignore Ctrl-C
    (the parent handles it and stops the workers).

    On Linux, through ``prctl(PR_SET_PDEATHSIG, SIGKILL)``; where that is not available (other
    systems), the worker still ignores Ctrl-C and relies on the parent's :func:`terminate_pool`.
    Where ``parent_pid`` is given (the expected parent), a parent that ended before this call
    ran makes the worker exit at once.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # not the parent's handler, inherited by fork
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0)
    if parent_pid is not None and os.getppid() != parent_pid:  # it died before the signal was set
        os._exit(1)


def terminate_pool(executor: ProcessPoolExecutor, timeout: float = 5.0) -> None:
    """Stop ``executor`` now: cancel its pending tasks, terminate its workers (SIGTERM, then
    SIGKILL after ``timeout`` seconds) and release it, without waiting for running tasks."""
    processes = list((getattr(executor, "_processes", None) or {}).values())
    executor.shutdown(wait=False, cancel_futures=True)
    for process in processes:
        with contextlib.suppress(Exception):
            process.terminate()
    for process in processes:
        with contextlib.suppress(Exception):
            process.join(timeout)
            if process.is_alive():
                process.kill()
                process.join(timeout)


def _terminating_handler(owner: int):
    """A SIGTERM handler raising :class:`Terminated` in the process ``owner``; in a process
    forked from it that has not set its own handler yet (a worker still starting), SIGTERM does
    what it does by default: end the process, without a traceback."""

    def handle(signum, frame):
        if os.getpid() != owner:
            signal.signal(signum, signal.SIG_DFL)
            os.kill(os.getpid(), signum)
            return
        raise Terminated(f"received signal {signal.Signals(signum).name}")

    return handle


@contextlib.contextmanager
def interrupt_on_termination():
    """While active, SIGTERM raises :class:`Terminated` in the main thread.

    Does nothing outside the main thread, or where a handler of SIGTERM other than the default
    is installed already (the application's handler stays in charge); the previous handler is
    restored on exit.
    """
    if threading.current_thread() is not threading.main_thread() or \
            signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL:
        yield
        return
    previous = signal.signal(signal.SIGTERM, _terminating_handler(os.getpid()))
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
