"""The validation page's numbers (docs/validation-results.json) agree with their references.

Each row holds a reference value (pyhf 0.7.6 from shared/data/reference/histfactory-pyhf.json, the
SModelS unit tests, spey 0.2.7's own tests), likelihub's value and the tolerance the tests assert;
the page renders them (docs/hooks/validation.py). A stale or wrong file fails here.
"""

import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
RESULTS = json.loads((ROOT / "docs" / "validation-results.json").read_text())
ROWS = [row for key in ("histfactory_vs_pyhf", "simplified_vs_smodels_spey") for row in RESULTS[key]]


@pytest.mark.parametrize("row", ROWS, ids=[f"{r['model']}: {r['quantity']}" for r in ROWS])
def test_every_row_agrees_with_its_reference(row):
    reference, ours = row["reference"], row["likelihub"]
    if row["kind"] == "at most":
        assert ours <= reference + row["tolerance"]
    elif row["kind"] == "rel":
        assert ours == pytest.approx(reference, rel=row["tolerance"])
    else:
        assert ours == pytest.approx(reference, abs=row["tolerance"])


def test_the_references_are_those_of_shared_data(shared_data):
    reference = json.loads((shared_data / "reference" / "histfactory-pyhf.json").read_text())
    cases = {f"{c['analysis']} {c['patch']}": c for c in reference["cases"]}
    for row in RESULTS["histfactory_vs_pyhf"]:
        if row["quantity"] == "CLs(mu = 1), observed" and "convergence" not in row["model"]:
            assert row["reference"] == cases[row["model"]]["cls_obs_mu1"]


def test_the_page_renders_the_tables():
    import importlib.util

    path = ROOT / "docs" / "hooks" / "validation.py"
    spec = importlib.util.spec_from_file_location("validation_hook", path)
    hook = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(hook)
    page = hook.on_page_markdown("before\n" + hook.MARKER + "\nafter", None, None, None)
    assert "| 1Lbb C1N2_Wh_hbb_900_250 | CLs(mu = 1), observed | 0.4573413 |" in page
