"""A scan's output file: rows written as they finish, resumed, finished atomically, locked (issue 11).

The rows are those of the counting models of test_scanning.py (CLs of a one-bin counting model,
closed forms in tests/hub/counting.py); what is checked here is where they go, not their values,
which test_scanning.py checks.
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass, field

import pytest

from likelihub.errors import ScanOutputError
from likelihub.running.scan_formats import count_rows, read_rows
from likelihub.running.scan_output import ScanOutput
from likelihub.running.scanning import SERIAL_CHUNK, ScanPoint, run_scan

from .test_scanning import cls_of_point

# 40 points: three serial chunks (16, 16, 8); label values (s, 10 s) with s = 1 ... 40.
POINTS = [ScanPoint(f"signal_{s}", (s, 10 * s)) for s in range(1, 41)]
LABELS = ["m1", "m2"]
SETTINGS = {"what": "cls", "mu": 1.0}


@dataclass
class Recording:
    """cls_of_point, recording the points it evaluates; raises KeyboardInterrupt (Ctrl-C) when
    asked to evaluate ``interrupt_at``."""

    interrupt_at: str | None = None
    evaluated: list = field(default_factory=list)

    def __call__(self, point: ScanPoint) -> dict:
        if point.name == self.interrupt_at:
            raise KeyboardInterrupt
        self.evaluated.append(point.name)
        return cls_of_point(point)


def scan_to(path, evaluate, *, resume=False, settings=SETTINGS, points=POINTS) -> list[dict]:
    with ScanOutput(path, resume=resume, settings=settings) as output:
        todo = output.start(points, LABELS, "cls")
        run_scan(todo, evaluate, executor="serial", on_rows=output.append)
        return output.finish(points)


@pytest.fixture(scope="module")
def all_rows():
    return run_scan(POINTS, cls_of_point, executor="serial")


@pytest.mark.parametrize("suffix", [".csv", ".json", ".jsonl"])
def test_an_interrupted_scan_keeps_its_rows_and_resumes_without_recomputing(tmp_path, suffix, all_rows):
    path = tmp_path / f"rows{suffix}"
    evaluate = Recording(interrupt_at=POINTS[2 * SERIAL_CHUNK + 3].name)  # in the third chunk
    with pytest.raises(KeyboardInterrupt):
        scan_to(path, evaluate)
    # The two chunks that finished are in the file, and the lock file marks the scan as interrupted.
    assert count_rows(path) == 2 * SERIAL_CHUNK
    assert (tmp_path / f"rows{suffix}.lock").is_file()
    # Without resume, the interrupted scan's rows are not overwritten.
    with pytest.raises(ScanOutputError, match="interrupted scan.*--resume"):
        ScanOutput(path, settings=SETTINGS)
    resumed = Recording()
    rows = scan_to(path, resumed, resume=True)
    assert resumed.evaluated == [p.name for p in POINTS[2 * SERIAL_CHUNK:]]  # only the missing points
    assert rows == all_rows  # the same rows as one uninterrupted scan, in the points' order
    assert not (tmp_path / f"rows{suffix}.lock").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == [path.name]  # no temporary file left
    if suffix == ".csv":
        table = list(csv.DictReader(path.read_text().splitlines()))
        assert [r["name"] for r in table] == [p.name for p in POINTS]
        assert float(table[5]["cls_obs"]) == all_rows[5]["cls_obs"]  # repr round-trips exactly
    elif suffix == ".json":
        assert json.loads(path.read_text()) == all_rows  # the final file is one JSON list
    else:
        assert [json.loads(line) for line in path.read_text().splitlines()] == all_rows


def test_rows_reach_the_file_as_chunks_finish(tmp_path):
    path = tmp_path / "rows.csv"
    seen = []
    with ScanOutput(path, settings=SETTINGS) as output:
        todo = output.start(POINTS, LABELS, "cls")

        def append(rows):
            output.append(rows)
            seen.append(count_rows(path))  # read back by another reader, before the scan ends

        run_scan(todo, cls_of_point, executor="serial", on_rows=append)
        output.finish(POINTS)
    assert seen == [16, 32, 40]


def test_a_line_cut_short_is_dropped_and_its_point_computed_again(tmp_path, all_rows):
    path = tmp_path / "rows.csv"
    with pytest.raises(KeyboardInterrupt):
        scan_to(path, Recording(interrupt_at=POINTS[SERIAL_CHUNK].name))
    text = path.read_text()
    path.write_text(text[:-20])  # a process killed while writing its last line
    resumed = Recording()
    assert scan_to(path, resumed, resume=True) == all_rows
    assert resumed.evaluated[0] == POINTS[SERIAL_CHUNK - 1].name


def test_resuming_refuses_other_settings_and_other_scans(tmp_path):
    path = tmp_path / "rows.csv"
    with pytest.raises(KeyboardInterrupt):
        scan_to(path, Recording(interrupt_at=POINTS[SERIAL_CHUNK].name))
    with pytest.raises(ScanOutputError, match=r"started with mu = 1.0, not 0.5"):
        ScanOutput(path, resume=True, settings={"what": "cls", "mu": 0.5})
    # a setting given at the start and left off when resuming is a change too
    without_mu = {k: v for k, v in SETTINGS.items() if k != "mu"}
    with pytest.raises(ScanOutputError, match=r"started with mu = 1.0, not None"):
        ScanOutput(path, resume=True, settings=without_mu)
    # another patchset: a point the file holds is not one of this scan's, or has other values
    with pytest.raises(ScanOutputError, match="'signal_1' is not one of this scan's"):
        scan_to(path, Recording(), resume=True, points=POINTS[1:])
    moved = [ScanPoint(p.name, (p.values[0], 0)) for p in POINTS]
    with pytest.raises(ScanOutputError, match=r"'signal_1' has label values \['1', '10'\], not \[1, 0\]"):
        scan_to(path, Recording(), resume=True, points=moved)
    # other columns: an upper-limit scan's output
    with pytest.raises(ScanOutputError, match="columns"):
        with ScanOutput(path, resume=True, settings=SETTINGS) as output:
            output.start(POINTS, LABELS, "upper_limit")
    assert count_rows(path) == SERIAL_CHUNK  # refusing left the file as it was


def test_a_finished_output_is_resumed_without_work_or_overwritten(tmp_path, all_rows):
    path = tmp_path / "rows.json"
    scan_to(path, Recording())
    again = Recording()
    assert scan_to(path, again, resume=True) == all_rows and again.evaluated == []
    assert len(read_rows(path)) == len(POINTS)
    fresh = Recording()
    assert scan_to(path, fresh) == all_rows and len(fresh.evaluated) == len(POINTS)


def test_two_scans_of_one_output_do_not_interleave(tmp_path):
    path = tmp_path / "rows.csv"
    with ScanOutput(path, settings=SETTINGS) as first:
        first.start(POINTS, LABELS, "cls")
        # flock: a second opening of the lock file conflicts, in this process as in another
        with pytest.raises(ScanOutputError, match=r"another scan \(process \d+\) is writing"):
            ScanOutput(path, settings=SETTINGS)
        with pytest.raises(ScanOutputError, match="another scan"):
            ScanOutput(path, resume=True, settings=SETTINGS)
    with ScanOutput(path, resume=True, settings=SETTINGS):  # released when the first one closed
        pass


def test_output_paths_are_checked_before_any_work(tmp_path):
    with pytest.raises(ScanOutputError, match="directory .*missing does not exist"):
        ScanOutput(tmp_path / "missing" / "rows.csv", settings=SETTINGS)
    (tmp_path / "folder.csv").mkdir()
    with pytest.raises(ScanOutputError, match="folder.csv is a directory"):
        ScanOutput(tmp_path / "folder.csv", settings=SETTINGS)
    with pytest.raises(ScanOutputError, match="suffix"):
        ScanOutput(tmp_path / "rows.txt", settings=SETTINGS)
    assert [p.name for p in tmp_path.iterdir()] == ["folder.csv"]  # no lock file left either


def test_a_scan_that_computed_nothing_leaves_nothing(tmp_path):
    path = tmp_path / "rows.csv"
    with pytest.raises(KeyboardInterrupt):
        scan_to(path, Recording(interrupt_at=POINTS[0].name))
    assert list(tmp_path.iterdir()) == []
