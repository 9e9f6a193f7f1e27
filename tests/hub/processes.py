"""Processes as Linux's /proc shows them: a process's children, whether one is alive; polling."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import pytest


def _stat(pid: int) -> list[str] | None:
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return text.rsplit(")", 1)[1].split()  # state, parent, ...


def children(pid: int) -> list[int]:
    """Processes whose parent is ``pid`` (from /proc), except multiprocessing's resource tracker."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit() and (_stat(int(entry)) or [None, None])[1] == str(pid):
            try:
                command = Path(f"/proc/{entry}/cmdline").read_bytes()
            except OSError:  # it ended meanwhile
                continue
            if b"resource_tracker" not in command:
                found.append(int(entry))
    return found


def alive(pid: int) -> bool:
    stat = _stat(pid)
    return stat is not None and stat[0] not in ("Z", "X")


def wait_for(condition, what: str, limit: float = 60.0) -> None:
    """Poll ``condition`` until it holds; fail, naming ``what``, if it has not after ``limit``
    seconds (a guard against a hung test, not a measure of speed)."""
    end = time.monotonic() + limit
    while not condition():
        if time.monotonic() > end:
            pytest.fail(f"still waiting for {what} after {limit} s")
        time.sleep(0.05)


def default_interrupt() -> None:
    """In a child about to run (``preexec_fn``): SIGINT at its default, so that Python turns it
    into KeyboardInterrupt, even where this process ignores it (started in the background)."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)
