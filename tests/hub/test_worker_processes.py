"""A scan's worker processes die with it, however it ends, and its finished rows stay (issue 11).

slow_scan.py runs a scan on two local workers whose first 16 points are quick and whose others take
a minute each; it is killed once the quick points' rows are written, while both workers are in
the middle of slow points. Before the fix, the workers outlived their parent (SIGTERM, SIGKILL)
or their parent waited for their chunks (SIGINT), and no row was written before the end.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from likelihub.running.scan_formats import count_rows, read_rows
from likelihub.running.scan_output import ScanOutput
from likelihub.running.scanning import run_scan

from .processes import alive, children, default_interrupt, wait_for
from .slow_scan import Slow, points

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"),
                                reason="workers die with their parent through Linux's PR_SET_PDEATHSIG")

SCRIPT = Path(__file__).with_name("slow_scan.py")
COUNT, QUICK = 64, 16  # the first chunk (16 of 64 points over two workers) is the quick points


@pytest.mark.parametrize(("signum", "status"), [(signal.SIGTERM, 143), (signal.SIGINT, 130),
                                                (signal.SIGKILL, -signal.SIGKILL)])
def test_workers_die_with_their_scan_and_finished_rows_stay(tmp_path, signum, status):
    output = tmp_path / "rows.csv"
    # Ctrl-C at its default in the scan, as in a terminal's foreground job: a test run started in
    # the background by a non-interactive shell ignores SIGINT, and its children inherited that.
    scan = subprocess.Popen([sys.executable, str(SCRIPT), str(output), str(COUNT), str(QUICK), "60"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            preexec_fn=default_interrupt)
    try:
        wait_for(lambda: count_rows(output) >= QUICK, "the quick points' rows")
        workers = children(scan.pid)
        assert len(workers) == 2 and all(alive(w) for w in workers)
        scan.send_signal(signum)  # only to the scan, as a batch system or a parent process does
        try:
            _, stderr = scan.communicate(timeout=60)
        except subprocess.TimeoutExpired:  # hung: fail with where each of its threads is
            scan.send_signal(signal.SIGUSR1)
            time.sleep(2.0)
            scan.kill()
            _, stderr = scan.communicate()
            pytest.fail(f"the scan did not end within 60 s of {signum.name}; its threads:\n{stderr}")
    finally:
        if scan.poll() is None:  # a failed test must not leave the scan (or its pipes) behind
            scan.kill()
            scan.communicate()
    assert scan.returncode == status
    assert "Traceback" not in stderr  # nor from a worker
    # No worker survives: each had a minute of sleep left (the kernel reaps them at once).
    wait_for(lambda: not any(alive(w) for w in workers), "the workers to end", limit=10.0)
    # The quick points' rows stay, and the scan can be resumed from them.
    kept = [row["name"] for _, row in read_rows(output, ["i"], "cls")]
    assert kept == [f"point_{i}" for i in range(QUICK)]
    assert Path(f"{output}.lock").is_file()
    scanned = points(COUNT)
    with ScanOutput(output, resume=True, settings={"what": "cls"}) as writer:
        todo = writer.start(scanned, ["i"], "cls")
        assert [p.name for p in todo] == [p.name for p in scanned[QUICK:]]
        run_scan(todo, Slow(), executor="serial", on_rows=writer.append)
        rows = writer.finish(scanned)
    assert [row["name"] for row in rows] == [p.name for p in scanned]
    assert rows[40]["cls_obs"] == 0.04  # the row of point 40 (its index / 1000)


def test_a_worker_forked_before_setting_its_handlers_ends_quietly_on_sigterm():
    # A worker forked while the scan's SIGTERM handler is active, and killed before its own
    # initializer ran, must end as on SIGTERM by default, not raise Terminated (a traceback).
    import os

    from likelihub.running.worker_processes import interrupt_on_termination

    with interrupt_on_termination():
        child = os.fork()
        if child == 0:  # pragma: no cover - the child
            try:
                time.sleep(60)
                os._exit(0)
            except BaseException:
                os._exit(3)  # Terminated reached the child's Python code
        time.sleep(0.2)
        os.kill(child, signal.SIGTERM)
        _, status = os.waitpid(child, 0)
    assert os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGTERM
