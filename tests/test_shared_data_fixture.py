"""Tests read the shared data through one place (tests/conftest.py), which honours
$LIKELIHUB_SHARED_DATA: pointed elsewhere, the same tests are collected; pointed nowhere, they are
skipped saying why, never silently dropped (test_validation_pyhf.py once looked for ../shared at
collection and lost 15 of its 22 tests under LIKELIHUB_SHARED_DATA)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parents[1]
MODULE = "tests/histfactory/test_validation_pyhf.py"


def _run(*args: str, data: str) -> str:
    env = dict(os.environ, LIKELIHUB_SHARED_DATA=data)
    done = subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *args, MODULE],
                          cwd=REPOSITORY, env=env, capture_output=True, text=True, timeout=300)
    return done.stdout


def test_collection_follows_the_environment_variable(shared_data, tmp_path):
    elsewhere = tmp_path / "moved" / "data"
    elsewhere.parent.mkdir()
    elsewhere.symlink_to(shared_data, target_is_directory=True)
    here = [line for line in _run("--co", "-q", data=str(shared_data)).splitlines() if "::" in line]
    moved = [line for line in _run("--co", "-q", data=str(elsewhere)).splitlines() if "::" in line]
    assert here == moved and len(here) == 22  # the reference file's 22 cases and checks


def test_absent_data_are_skipped_saying_so(tmp_path):
    out = _run("-q", "-rs", data=str(tmp_path / "nowhere"))
    assert "published likelihoods not found" in out and "skipped" in out
    assert " passed" not in out and " failed" not in out
