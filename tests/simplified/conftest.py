"""The simplified-likelihood inputs of ../shared/data/simplified, through one fixture."""

from __future__ import annotations

import json

import numpy as np
import pytest


@pytest.fixture(scope="session")
def simplified_model(shared_data):
    """A loader: ``simplified_model("CMS-NOTE-2017-001")`` -> the JSON content as a dict."""
    folder = shared_data / "simplified"

    def load(name: str) -> dict:
        return json.loads((folder / f"{name}.json").read_text())

    return load


@pytest.fixture(scope="session")
def cms_analyses(shared_data):
    """Names of the real CMS analysis files (CMS-SUS-*, CMS-EXO-*, CMS-PAS-*)."""
    return sorted(p.stem for p in (shared_data / "simplified").glob("CMS-*.json") if "NOTE" not in p.stem)


def first_bins(model: dict, n: int, signal_scale: float = 1.0) -> dict:
    """The first n bins of a model as factory arguments (third moment included where given)."""
    out = dict(signal_yields=np.asarray(model["signal"][:n]) * signal_scale,
               background_yields=model["background"][:n], data=model["observed"][:n],
               covariance_matrix=np.asarray(model["covariance"])[:n, :n])
    if model.get("third_moment") is not None:
        out["third_moment"] = model["third_moment"][:n]
    return out
