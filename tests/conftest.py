"""Shared fixtures: the published likelihoods and reference numbers in ../shared/data."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

REPOSITORY = Path(__file__).resolve().parents[1]


def _shared_data_path() -> Path:
    override = os.environ.get("LIKELIHUB_SHARED_DATA")
    return Path(override) if override else REPOSITORY.parent / "shared" / "data"


def shared_reference(name: str) -> dict | None:
    """A reference file of the shared data (``reference/<name>``), parsed, for parametrising tests
    at collection; None where the shared data are absent (the tests then take the
    :func:`shared_data` fixture, which skips them saying why)."""
    path = _shared_data_path() / "reference" / name
    return json.loads(path.read_text()) if path.is_file() else None


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The folder of published likelihoods (``../shared/data`` or $LIKELIHUB_SHARED_DATA).

    Tests that use it skip, saying why, where it is absent; CI always has it.
    """
    path = _shared_data_path()
    if not (path / "README.md").is_file():
        pytest.skip(f"published likelihoods not found at {path} (set LIKELIHUB_SHARED_DATA or "
                    "check out ../shared beside the repository)")
    return path
