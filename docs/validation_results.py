"""Compute likelihub's numbers for the validation page: ``python docs/validation_results.py``.

Runs likelihub on every reference case of ``../shared/data`` (pyhf 0.7.6 on the ATLAS likelihoods,
SModelS and spey on the simplified likelihoods) and writes ``docs/validation-results.json``: for
each case the reference value, its origin, likelihub's value and the tolerance the tests assert.
The mkdocs hook ``docs/hooks/validation.py`` renders it as the tables of ``validation.md``, and
``tests/test_validation_page.py`` checks that every value in it agrees with its reference, so the
page cannot show a disagreement or a stale number unnoticed. About two minutes.
"""

from __future__ import annotations

import json
import os
import sys
import warnings
from pathlib import Path

import numpy as np

import likelihub as lh

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("LIKELIHUB_SHARED_DATA", ROOT.parent / "shared" / "data"))
OUTPUT = ROOT / "docs" / "validation-results.json"
sys.path.insert(0, str(ROOT))
# Where pyhf's default fit stops early, the tests compare with the same pyhf model fitted to
# convergence (MIGRAD strategy 2); so does the page, saying so.
from tests.histfactory.test_validation_pyhf import CONVERGED_PYHF  # noqa: E402


def _histfactory_model(case: dict):
    archive = str(SHARED / "histfactory" / case["archive"])
    options = {"member": case["workspace"], "unused_parameters": "ignore"}
    source = case["patch_source"]
    if source.startswith("patchset "):
        options.update(patchset=source.split(" ", 1)[1], patch_name=case["patch"])
    else:
        options["patches"] = [source]
    return lh.get_backend("histfactory")(archive, **options)


def histfactory_rows() -> list[dict]:
    reference = json.loads((SHARED / "reference" / "histfactory-pyhf.json").read_text())
    rows = []
    for case in reference["cases"]:
        if case.get("unreliable"):
            continue  # pyhf's fit fails there (see the hard case below)
        model = _histfactory_model(case)
        cls = model.cls(1.0)
        label = f"{case['analysis']} {case['patch']}"
        key = (case["analysis"], case["patch"])
        obs, exp = CONVERGED_PYHF.get(key, (case["cls_obs_mu1"], case["cls_exp_mu1"]))
        if key in CONVERGED_PYHF:
            label += " (pyhf fitted to convergence: its default fit stops early)"
        rows.append({"model": label, "quantity": "CLs(mu = 1), observed", "reference": obs,
                     "likelihub": cls.cls_obs, "tolerance": 1e-5, "kind": "abs"})
        rows.append({"model": label, "quantity": "CLs(mu = 1), expected -2..+2 sigma",
                     "reference": exp, "likelihub": cls.cls_exp, "tolerance": 1e-5, "kind": "abs"})
        if "upper_limit_obs" in case:
            limit = model.upper_limit()
            rows.append({"model": label, "quantity": "95% CL UL, observed",
                         "reference": case["upper_limit_obs"], "likelihub": limit.observed,
                         "tolerance": 1e-4, "kind": "rel"})
            rows.append({"model": label, "quantity": "95% CL UL, expected -2..+2 sigma",
                         "reference": case["upper_limit_exp"], "likelihub": limit.expected,
                         "tolerance": 1e-4, "kind": "rel"})
    for hard in reference["hard_cases"]:
        name = hard["patch"].split(" ")[0]
        case = {"archive": hard["archive"], "workspace": hard["workspace"], "patch": name,
                "patch_source": "patchset patchset.json"}
        fit = _histfactory_model(case).fit(uncertainties=False)
        rows.append({"model": f"{hard['analysis']} {name} (pyhf's SLSQP stops at "
                              f"{hard['pyhf_slsqp_twice_nll_free']:.2f})",
                     "quantity": "-2 log L at the best fit (at most the best known)",
                     "reference": hard["best_known_twice_nll_free"], "likelihub": fit.twice_nll,
                     "tolerance": 1e-6, "kind": "at most"})
    return rows


def simplified_rows() -> list[dict]:
    folder = SHARED / "simplified"
    rows = []
    note = json.loads((folder / "CMS-NOTE-2017-001.json").read_text())
    model = lh.get_backend("simplified.correlated_background")(
        signal_yields=note["signal"], background_yields=note["background"], data=note["observed"],
        covariance_matrix=note["covariance"])
    limit = model.upper_limit(expected="observed", asimov_global_observables="nominal").observed
    rows.append({"model": "CMS-NOTE-2017-001 (8 bins, correlated background)",
                 "quantity": "95% CL UL (SModelS: 131.586 for signal/100)", "reference": 1.31586,
                 "likelihub": limit, "tolerance": 1e-4, "kind": "rel"})
    trivial = json.loads((folder / "SModelS-unittest-trivial.json").read_text())
    model = lh.get_backend("simplified.correlated_background")(
        signal_yields=trivial["signal"], background_yields=trivial["background"], data=trivial["observed"],
        covariance_matrix=trivial["covariance"])
    limit = model.upper_limit(expected="observed", asimov_global_observables="nominal").observed
    rows.append({"model": "SModelS trivial 2-bin model", "quantity": "95% CL UL",
                 "reference": trivial["reference_results"]["UL_mu_obs"], "likelihub": limit,
                 "tolerance": 1e-4, "kind": "rel"})
    ninety = json.loads((folder / "SModelS-unittest-model-90.json").read_text())
    for n, reference, tolerance in ((3, 2163.14, 1e-3), (10, 365.61, 1e-2), (40, 61.034, 1e-2)):
        model = lh.get_backend("simplified.third_moment_expansion")(
            signal_yields=np.asarray(ninety["signal"][:n]) * 0.01, background_yields=ninety["background"][:n],
            data=ninety["observed"][:n], covariance_matrix=np.asarray(ninety["covariance"])[:n, :n],
            third_moment=ninety["third_moment"][:n])
        limit = model.upper_limit(expected="observed", asimov_global_observables="nominal").observed
        rows.append({"model": f"SModelS 90-bin model, first {n} bins, third moments",
                     "quantity": "95% CL UL (signal/100)", "reference": reference, "likelihub": limit,
                     "tolerance": tolerance, "kind": "rel"})
    model = lh.get_backend("simplified.uncorrelated_background")(
        signal_yields=[12, 15], background_yields=[50, 48], data=[36, 33], absolute_uncertainties=[12, 16])
    limit = model.upper_limit(expected="observed", asimov_global_observables="nominal").observed
    rows.append({"model": "spey 0.2.7 uncorrelated-background example", "quantity": "95% CL UL",
                 "reference": 0.8563345655114185, "likelihub": limit, "tolerance": 1e-4, "kind": "rel"})
    return rows


def main() -> None:
    warnings.simplefilter("ignore")
    results = {"histfactory_vs_pyhf": histfactory_rows(), "simplified_vs_smodels_spey": simplified_rows(),
               "likelihub_version": lh.__version__}
    OUTPUT.write_text(json.dumps(results, indent=1) + "\n")
    print(f"wrote {OUTPUT}")


if __name__ == "__main__":
    main()
