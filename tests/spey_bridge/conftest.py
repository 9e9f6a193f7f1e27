"""Fixtures of the spey bridge's tests: spey itself (the tests skip, saying why, without it) and
the shared inputs as spey's callers pass them."""

from __future__ import annotations

import json
import os
import tarfile

import numpy as np
import pytest


@pytest.fixture(scope="session")
def spey():
    """spey (>= 0.2.7), imported without its check for updates (a request to PyPI)."""
    os.environ.setdefault("SPEY_CHECKUPDATE", "OFF")
    return pytest.importorskip("spey", minversion="0.2.7",
                               reason="spey is not installed: pip install 'likelihub[spey]' "
                                      "(or -e plugins/spey-bridge)")


@pytest.fixture(scope="session")
def simplified_inputs(shared_data):
    """``simplified_inputs(name, n_bins=None)``: spey's arguments of a shared simplified model
    (signal, background, data, covariance and third moments where the file has them)."""

    def load(name: str, n_bins: int | None = None) -> dict:
        model = json.loads((shared_data / "simplified" / f"{name}.json").read_text())
        n = n_bins or len(model["observed"])
        out = dict(signal_yields=model["signal"][:n], background_yields=model["background"][:n],
                   data=model["observed"][:n], covariance_matrix=np.asarray(model["covariance"])[:n, :n])
        if model.get("third_moment") is not None:
            out["third_moment"] = model["third_moment"][:n]
        return out

    return load


def pallet_member(archive, suffix: str):
    """The JSON member of a HEPData pallet whose name ends with ``suffix``, parsed."""
    with tarfile.open(archive) as tar:
        member = next(m for m in tar.getmembers() if m.name.endswith(suffix))
        return json.load(tar.extractfile(member))
