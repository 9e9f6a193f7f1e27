"""A scan on a local pool of two workers, writing its rows as they finish; its first points are
quick, the others take a minute each (run as a script by test_worker_processes.py, which kills it
once the first rows are written, while both workers are busy).

    python slow_scan.py OUTPUT POINTS QUICK_POINTS SECONDS_PER_SLOW_POINT

Exits as ``likelihub scan`` does when interrupted: 130 for Ctrl-C, 143 for SIGTERM.
"""

from __future__ import annotations

import faulthandler
import signal
import sys
import time
from dataclasses import dataclass

from likelihub.running.scan_output import ScanOutput
from likelihub.running.scanning import ScanPoint, run_scan
from likelihub.running.worker_processes import exit_status, interrupt_on_termination


@dataclass
class Slow:
    """A row per point; points from ``quick`` on take ``seconds`` (a fit that takes that long)."""

    quick: int = 0
    seconds: float = 0.0

    def __call__(self, point: ScanPoint) -> dict:
        if point.values[0] >= self.quick:
            time.sleep(self.seconds)
        return {"cls_obs": point.values[0] / 1000}


def points(count: int) -> list[ScanPoint]:
    return [ScanPoint(f"point_{i}", (i,)) for i in range(count)]


def main(output: str, count: int, quick: int, seconds: float) -> None:
    scanned = points(count)
    with interrupt_on_termination(), ScanOutput(output, settings={"what": "cls"}) as writer:
        todo = writer.start(scanned, ["i"], "cls")
        run_scan(todo, Slow(quick, seconds), max_workers=2, progress=False, on_rows=writer.append)
        writer.finish(scanned)


if __name__ == "__main__":
    # A test that finds this scan hung sends SIGUSR1: every thread's stack goes to standard error.
    faulthandler.register(signal.SIGUSR1, all_threads=True)
    try:
        main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4]))
    except KeyboardInterrupt as interrupt:
        sys.exit(exit_status(interrupt))
