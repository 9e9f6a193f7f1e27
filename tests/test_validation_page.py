"""The validation page (docs/validation-results.json, rendered by docs/hooks/validation.py) shows
what likelihub computes, and each of its rows agrees with its reference.

The page's numbers are written by ``python docs/validation_results.py`` (about two minutes). Here:
the simplified-likelihood rows are computed again and must equal the page's (the HistFactory rows
are computed by tests/histfactory/test_validation_pyhf.py, which checks them against the page with
:func:`assert_page_shows` as it checks them against pyhf); every row's value agrees with its
reference within the tolerance the tests assert; the references are those of the shared data; the
page renders.
"""

import importlib.util
import json
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
RESULTS = json.loads((ROOT / "docs" / "validation-results.json").read_text())
ROWS = [row for key in ("histfactory_vs_pyhf", "simplified_vs_smodels_spey") for row in RESULTS[key]]

#: How far a fresh computation may lie from the page's number: the limits are root-found to rtol
#: 1e-6 and the fits to an EDM of 1e-10; the page was written on another machine, another day.
PAGE_RTOL = 1e-6


def _module(path: Path, name: str):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def assert_page_shows(model: str, quantity: str, value) -> None:
    """The page's row for ``model`` (its label, up to a parenthesised note) and ``quantity`` holds
    ``value`` (a number or a list) within :data:`PAGE_RTOL`."""
    rows = [r for r in RESULTS["histfactory_vs_pyhf"] + RESULTS["simplified_vs_smodels_spey"]
            if r["quantity"] == quantity and (r["model"] == model or r["model"].startswith(model + " ("))]
    assert len(rows) == 1, f"the page has {len(rows)} rows for {model!r}, {quantity!r}"
    np.testing.assert_allclose(value, rows[0]["likelihub"], rtol=PAGE_RTOL, atol=1e-12,
                               err_msg=f"the validation page is stale for {model}, {quantity}: "
                                       "rerun python docs/validation_results.py")


@pytest.mark.parametrize("row", ROWS, ids=[f"{r['model']}: {r['quantity']}" for r in ROWS])
def test_every_row_agrees_with_its_reference(row):
    reference, ours = np.asarray(row["reference"]), np.asarray(row["likelihub"])
    if row["kind"] == "at most":
        assert np.all(ours <= reference + row["tolerance"])
    elif row["kind"] == "rel":
        np.testing.assert_allclose(ours, reference, rtol=row["tolerance"])
    else:
        np.testing.assert_allclose(ours, reference, rtol=0, atol=row["tolerance"])


def test_simplified_rows_are_what_likelihub_computes(shared_data, monkeypatch):
    monkeypatch.setenv("LIKELIHUB_SHARED_DATA", str(shared_data))
    monkeypatch.syspath_prepend(str(ROOT))
    generator = _module(ROOT / "docs" / "validation_results.py", "validation_results_generator")
    for row in generator.simplified_rows():
        assert_page_shows(row["model"], row["quantity"], row["likelihub"])
    sys.modules.pop("validation_results_generator", None)


def test_the_references_are_those_of_shared_data(shared_data):
    reference = json.loads((shared_data / "reference" / "histfactory-pyhf.json").read_text())
    cases = {f"{c['analysis']} {c['patch']}": c for c in reference["cases"]}
    for row in RESULTS["histfactory_vs_pyhf"]:
        if row["quantity"] == "CLs(mu = 1), observed" and "convergence" not in row["model"]:
            assert row["reference"] == cases[row["model"]]["cls_obs_mu1"]


def test_the_page_renders_the_tables():
    hook = _module(ROOT / "docs" / "hooks" / "validation.py", "validation_hook")
    page = hook.on_page_markdown("before\n" + hook.MARKER + "\nafter", None, None, None)
    assert "| 1Lbb C1N2_Wh_hbb_900_250 | CLs(mu = 1), observed | 0.4573413 |" in page
