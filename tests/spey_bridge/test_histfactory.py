"""``spey.get_backend("likelihub.histfactory")``: the call spey-pyhf's ``pyhf`` backend takes, on the
ATLAS 1Lbb and sbottom (region A) likelihoods, one patch each.

References: pyhf 0.7.6 (``reference/histfactory-pyhf.json``: CLs at mu = 1, upper limits found to
rtol 1e-6), and likelihub's own numbers on the same workspace and patch. Tolerances: |CLs - pyhf|
<= 1e-5 (the requirement of likelihub's validation against pyhf, issue 4); limits within 2e-4
relative (spey's TOMS 748 stops at rtol 1e-4: a bracket at most 2 rtol |x| wide); against likelihub
itself, the same likelihood and fitter, CLs to the fits' EDM bound (1e-10 in -log L for HistFactory
models: < 1e-6 in CLs).
"""

from __future__ import annotations

import numpy as np
import pytest

import likelihub as lh
from tests.conftest import shared_reference

from .conftest import pallet_member

CASES = {  # analysis -> (patch, where the patch is: a patchset's name, or a patch file)
    "1Lbb": "C1N2_Wh_hbb_900_250",
    "sbottomA": "sbottom_1300_205_60",
}
_MODELS = {}  # spey models by analysis: the 1Lbb workspace is read once (seconds)


def _reference(analysis: str) -> dict | None:
    reference = shared_reference("histfactory-pyhf.json")
    if reference is None:
        return None
    return next(c for c in reference["cases"] if c["analysis"] == analysis and c["patch"] == CASES[analysis])


def _inputs(shared_data, case: dict):
    """spey-pyhf's arguments: the background-only workspace and the signal patch's operations."""
    archive = shared_data / "histfactory" / case["archive"]
    background = pallet_member(archive, case["workspace"])
    source = case["patch_source"].split()[-1]
    patch = pallet_member(archive, source)
    if case["patch_source"].startswith("patchset"):
        patch = next(p for p in patch["patches"] if p["metadata"]["name"] == case["patch"])
    return background, patch["patch"] if isinstance(patch, dict) else patch


def _model(spey, shared_data, analysis: str):
    if analysis not in _MODELS:
        case = _reference(analysis)
        background, patch = _inputs(shared_data, case)
        _MODELS[analysis] = spey.get_backend("likelihub.histfactory")(
            background_only_model=background, signal_patch=patch, analysis=analysis)
    return _MODELS[analysis]


@pytest.mark.parametrize("analysis", list(CASES))
def test_cls_and_limit_are_pyhfs(spey, shared_data, analysis):
    case = _reference(analysis)
    model = _model(spey, shared_data, analysis)
    observed, band = model.exclusion_confidence_level(expected="all")   # 1 - CLs
    cls_obs, cls_exp = 1.0 - observed[0], [1.0 - x for x in band]
    assert cls_obs == pytest.approx(case["cls_obs_mu1"], abs=1e-5)
    np.testing.assert_allclose(cls_exp, case["cls_exp_mu1"], rtol=0, atol=1e-5)
    assert model.poi_upper_limit() == pytest.approx(case["upper_limit_obs"], rel=2e-4)
    if analysis == "sbottomA":  # the expected band's five limits: seconds more on 1Lbb, not run there
        limits = model.poi_upper_limit(expected=spey.ExpectationType.aposteriori, expected_pvalue="2sigma")
        np.testing.assert_allclose(limits, case["upper_limit_exp"], rtol=2e-4)


def test_sbottom_matches_likelihub_itself(spey, shared_data):
    # the same workspace and patch through likelihub's own API: observed and a-posteriori CLs, and
    # spey's a-priori band (data: the background-only prediction with nominal global observables)
    # against likelihub's blind band (Combine's --run blind: the same pre-fit Asimov data)
    case = _reference("sbottomA")
    background, patch = _inputs(shared_data, case)
    direct = lh.get_backend("histfactory")(background, [patch])
    model = _model(spey, shared_data, "sbottomA")
    observed, band = model.exclusion_confidence_level(expected="all")
    ours = direct.cls(1.0)
    assert 1.0 - observed[0] == pytest.approx(ours.cls_obs, abs=1e-6)
    np.testing.assert_allclose([1.0 - x for x in band], ours.cls_exp, rtol=0, atol=1e-6)
    apriori = model.exclusion_confidence_level(expected=spey.ExpectationType.apriori)
    blind = direct.cls(1.0, blind=True)
    np.testing.assert_allclose([1.0 - x for x in apriori], blind.cls_exp, rtol=0, atol=1e-6)
    # the best fit: spey's maximize_likelihood lets mu go negative, down to max(-min(b/s), -10) as
    # spey-pyhf does (the workspace's own bounds start at 0); spey-pyhf 0.2.2 (peers venv, by hand)
    # gives mu-hat -0.84741 at -log L 50.408585, its SLSQP stopping at tol 1e-6: mu-hat within
    # sqrt(2e-6) sigma_mu (sigma_mu ~ 1 here: 2e-3 allowed), and our minimum no higher
    config = model.backend.config(allow_negative_signal=True)
    poi = config.poi_index
    assert config.parameter_names[poi] == direct.config.poi_name
    assert config.suggested_bounds[poi][0] < 0 == direct.config.bounds[direct.config.poi_index][0]
    assert model.backend.config(allow_negative_signal=False).suggested_bounds[poi][0] == 0
    muhat, nll = model.maximize_likelihood()
    assert muhat == pytest.approx(-0.8474107193924879, abs=2e-3)
    assert nll <= 50.408584575999846 + 1e-6
