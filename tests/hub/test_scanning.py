"""The scan engine: row order, failures kept, executors (serial, processes, Dask LocalCluster), output."""

import csv
import io
import json
import os
from dataclasses import dataclass
from pathlib import Path

import pytest

import likelihub as lh
from likelihub.running.scanning import LocalPool, ScanPoint, ScanResult, run_scan

from .counting import CountingBackend

POINTS = [ScanPoint(f"signal_{s}", (s, 10 * s)) for s in (1.0, 2.0, 4.0, 8.0)]


def cls_of_point(point: ScanPoint) -> dict:
    """CLs at mu = 1 of a counting model with signal = the point's first label."""
    if point.values[0] < 0:
        raise ValueError("negative signal")
    result = lh.StatisticalModel(CountingBackend(10, point.values[0], 8)).cls(1.0)
    return {"cls_obs": result.cls_obs, "cls_exp": result.cls_exp}


@pytest.fixture(scope="module")
def serial_rows():
    return run_scan(POINTS, cls_of_point, executor="serial")


def test_rows_follow_the_points(serial_rows):
    assert [r["name"] for r in serial_rows] == [p.name for p in POINTS]
    assert serial_rows[0]["values"] == [1.0, 10.0]
    # Each row is the single-model result for its point.
    single = lh.StatisticalModel(CountingBackend(10, 4.0, 8)).cls(1.0)
    assert serial_rows[2]["cls_obs"] == single.cls_obs
    # More signal, stronger exclusion: CLs falls with the signal yield.
    values = [r["cls_obs"] for r in serial_rows]
    assert values == sorted(values, reverse=True)


def test_failing_point_keeps_its_row():
    rows = run_scan([POINTS[0], ScanPoint("bad", (-1.0, 0.0))], cls_of_point, executor="serial")
    assert rows[1]["name"] == "bad" and rows[1]["error"] == "ValueError: negative signal"
    assert "error" not in rows[0]


def test_process_pool_equals_serial(serial_rows):
    rows = run_scan(POINTS, cls_of_point, max_workers=2)
    assert rows == serial_rows


@dataclass
class WarmingEvaluator:
    """cls_of_point that records, in ``directory``, each process that warmed up (``warm_up``)."""

    directory: str
    fail_warm_up: bool = False

    def warm_up(self) -> None:
        if self.fail_warm_up:
            raise RuntimeError("no warm-up today")
        Path(self.directory, str(os.getpid())).write_text("warm")

    def __call__(self, point: ScanPoint) -> dict:
        return {**cls_of_point(point), "pid": os.getpid()}


def test_local_pool_warms_every_worker_and_equals_serial(serial_rows, tmp_path):
    evaluate = WarmingEvaluator(str(tmp_path))
    with LocalPool(evaluate, max_workers=2) as pool:
        rows = run_scan(POINTS * 3, evaluate, executor=pool)
    assert [{k: v for k, v in r.items() if k != "pid"} for r in rows] == serial_rows * 3
    warmed = {int(p.name) for p in tmp_path.iterdir()}
    # Both workers started and warmed up at once; every point ran in a warmed worker.
    assert len(warmed) == 2 and {r["pid"] for r in rows} <= warmed and os.getpid() not in warmed


def test_local_pool_survives_a_failed_warm_up_and_refuses_other_functions(serial_rows, tmp_path):
    evaluate = WarmingEvaluator(str(tmp_path), fail_warm_up=True)
    with LocalPool(evaluate, max_workers=2) as pool:
        rows = run_scan(POINTS, evaluate, executor=pool)
        assert [{k: v for k, v in r.items() if k != "pid"} for r in rows] == serial_rows
        with pytest.raises(ValueError, match="another evaluating function"):
            run_scan(POINTS, cls_of_point, executor=pool)


def test_dask_local_cluster_equals_serial(serial_rows):
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster, distributed.Client(cluster) as client:
        rows = run_scan(POINTS, cls_of_point, executor=client)
    assert rows == serial_rows


def test_result_table_writes_json_and_csv(serial_rows, tmp_path):
    result = ScanResult(serial_rows, labels=["m1", "m2"], what="cls", mu=1.0)
    assert json.loads(result.to_json()) == serial_rows
    table = list(csv.reader(io.StringIO(result.to_csv())))
    assert table[0][:4] == ["name", "m1", "m2", "cls_obs"] and len(table) == 1 + len(POINTS)
    assert float(table[1][3]) == pytest.approx(serial_rows[0]["cls_obs"], rel=1e-12)
    result.write(tmp_path / "scan.csv")
    assert (tmp_path / "scan.csv").read_text() == result.to_csv()
    assert "signal_1.0" in str(result)


def test_the_scan_function_is_not_shadowed_by_its_module():
    import likelihub.running.scanning  # noqa: F401  (importing the engine must leave likelihub.scan callable)

    assert callable(lh.scan) and lh.scan.__module__ == "likelihub"


@dataclass
class ManyAtOnce:
    """cls_of_point with ``evaluate_many``: the models of a chunk fitted in lock-step
    (likelihub.infer.lockstep), errors reported point by point; ``broken`` returns one outcome
    too few."""

    broken: bool = False

    def __call__(self, point: ScanPoint) -> dict:
        return cls_of_point(point)

    def evaluate_many(self, points):
        if self.broken:
            return [{"cls_obs": -1.0}]
        outcomes, models = [], []
        for point in points:
            if point.values[0] < 0:
                outcomes.append(ValueError("negative signal"))
            else:
                outcomes.append(len(models))
                models.append(lh.StatisticalModel(CountingBackend(10, point.values[0], 8)))
        results = lh.infer.lockstep.cls_together(models)
        return [o if isinstance(o, Exception)
                else {"cls_obs": results[o].cls_obs, "cls_exp": results[o].cls_exp} for o in outcomes]


def test_chunks_evaluated_together_give_the_same_rows_whatever_the_executor(serial_rows):
    points = [*POINTS, ScanPoint("bad", (-1.0, 0.0))]
    rows = run_scan(points, ManyAtOnce(), executor="serial")
    assert rows[-1]["error"] == "ValueError: negative signal"
    for row, single in zip(rows, serial_rows, strict=False):
        # lock-step fits vs one model's: the same minima to the fits' precision (edm <= 1e-8)
        assert row["cls_obs"] == pytest.approx(single["cls_obs"], rel=1e-5)
    assert run_scan(points, ManyAtOnce(), max_workers=2) == rows  # exactly
    # an evaluate_many that gives a wrong number of outcomes: each point is evaluated alone
    assert run_scan(POINTS, ManyAtOnce(broken=True), executor="serial") == serial_rows


class Counter:
    """A progress bar's stand-in: counts the points it is told about (``update(n)``)."""

    def __init__(self):
        self.updates = []

    def update(self, count: int) -> None:
        self.updates.append(count)


@pytest.mark.parametrize("executor", ["serial", None])
def test_progress_goes_to_the_callers_bar_or_function(executor):
    # What the command line needs to show any long run's progress (scans, toys' chunks) in a bar
    # of its own: chunk by chunk, the number of points just done.
    bar, calls = Counter(), []
    points = POINTS * 5
    run_scan(points, cls_of_point, executor=executor, max_workers=2, progress=bar)
    run_scan(points, cls_of_point, executor=executor, max_workers=2, progress=calls.append)
    assert sum(bar.updates) == sum(calls) == len(points)
    assert len(bar.updates) > 1  # as chunks finish, not once at the end


def test_rows_go_to_on_rows_as_chunks_finish():
    points = [ScanPoint(f"point_{i}", (1.0 + i % 4, 0.0)) for i in range(20)]
    chunks = []
    rows = run_scan(points, cls_of_point, max_workers=2, on_rows=chunks.append)
    assert len(chunks) > 1 and sum(len(c) for c in chunks) == len(rows) == 20
    names = [row["name"] for row in rows]  # the points' order
    for chunk in chunks:  # each chunk's rows arrive together, in the points' order
        start = names.index(chunk[0]["name"])
        assert rows[start:start + len(chunk)] == chunk


def test_bad_executors_are_refused_before_any_work():
    from likelihub.errors import ExecutorError

    with pytest.raises(ExecutorError, match="'bogus' is not 'processes', 'serial' or the address"):
        run_scan(POINTS, cls_of_point, executor="bogus")
    with pytest.raises(ExecutorError, match="not int"):
        run_scan(POINTS, cls_of_point, executor=4)


def test_an_unreachable_scheduler_is_an_executor_error():
    pytest.importorskip("distributed")
    import socket

    from likelihub.errors import ExecutorError

    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(ExecutorError, match=f"cannot reach the Dask scheduler at tcp://127.0.0.1:{port}"):
        run_scan(POINTS, cls_of_point, executor=f"tcp://127.0.0.1:{port}", connect_timeout=1.0)


def test_a_row_error_is_one_line():
    def failing(point):
        raise ValueError("first line\n  second line")

    rows = run_scan(POINTS[:2], failing, executor="serial")
    assert rows[0]["error"] == "ValueError: first line second line"
