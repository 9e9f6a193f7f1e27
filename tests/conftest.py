"""Shared fixtures: the published likelihoods and reference numbers in ../shared/data."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPOSITORY = Path(__file__).resolve().parents[1]


def _shared_data_path() -> Path:
    override = os.environ.get("LIKELIHUB_SHARED_DATA")
    return Path(override) if override else REPOSITORY.parent / "shared" / "data"


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
