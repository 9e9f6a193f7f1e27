"""The compiled model and its kernels against pyhf 0.7.6 and against the NumPy reference.

``data/pyhf_points.json`` holds pyhf's parameter names, init, bounds, fixed flags, data and
``Model.logpdf`` at seeded random points (``data/make_pyhf_points.py``, peers venv). Required:
names/order identical, logpdf within 1e-8 relative; the numba kernel equal to the NumPy
reference to 1e-10 relative (value and gradient).
"""

import json
from pathlib import Path

import numpy as np
import pytest

from likelihub.backend.checks import check_backend
from likelihub_histfactory.factory import build_backend
from likelihub_histfactory.kernels import reference

DATA = Path(__file__).parent / "data"
POINTS = json.loads((DATA / "pyhf_points.json").read_text())["cases"]
TINY = json.loads((DATA / "all_modifiers.json").read_text())
CODES = {"code4": "4", "code1": "1", "code4p": "4p", "code0": "0", "code2": "2"}
REAL = {
    "1Lbb C1N2_Wh_hbb_900_250": ("atlas-susy-2019-08-1Lbb.tar.gz", "BkgOnly.json",
                                 {"patchset": "patchset.json", "patch_name": "C1N2_Wh_hbb_900_250"}),
    "3L ERJR_350p0_0p0": ("atlas-susy-2018-06-3L-eRJR.tar.gz", "BkgOnly.json",
                          {"patchset": "patchset.json", "patch_name": "ERJR_350p0_0p0",
                           # its measurement configures mu_BG, which the model lacks (pyhf ignores it)
                           "unused_parameters": "ignore"}),
    "sbottomA sbottom_1300_205_60": ("atlas-susy-2018-31-sbottom.tar.gz", "RegionA/BkgOnly.json",
                                     {"patches": ["RegionA/patch.sbottom_1300_205_60.json"]}),
    "sbottomB sbottom_1400_550_60": ("atlas-susy-2018-31-sbottom.tar.gz", "RegionB/BkgOnly.json",
                                     {"patches": ["RegionB/patch.sbottom_1400_550_60.json"]}),
    "sbottomC sbottom_1600_850_60": ("atlas-susy-2018-31-sbottom.tar.gz", "RegionC/BkgOnly.json",
                                     {"patches": ["RegionC/patch.sbottom_1600_850_60.json"]}),
    "staus DS_400_40_Staus": ("atlas-susy-2018-04-staus.tar.gz", "Region-combined/BkgOnly.json",
                              {"patches": ["Region-combined/patch.DS_400_40_Staus.json"]}),
}
_BUILT = {}


def backend_of(case, shared_data=None):
    label = case["label"]
    if label not in _BUILT:
        if label.startswith("all_modifiers"):
            codes = dict(zip(("normsys", "histosys"), (CODES[c] for c in case["interpolation_codes"]),
                             strict=True))
            _BUILT[label] = build_backend(TINY, interpolation_codes=codes)
        else:
            archive, member, options = REAL[label]
            _BUILT[label] = build_backend(shared_data / "histfactory" / archive, member=member, **options)
    return _BUILT[label]


TINY_CASES = [c for c in POINTS if c["label"].startswith("all_modifiers")]
# The 1Lbb workspace takes seconds to read (a 16 MB patchset): slow marker.
REAL_CASES = [pytest.param(c, id=c["label"],
                           marks=[pytest.mark.slow] if c["label"].startswith("1Lbb") else [])
              for c in POINTS if not c["label"].startswith("all_modifiers")]


def _check_against_pyhf(backend, case):
    assert list(backend.config.parameter_names) == case["parameter_names"]
    assert backend.config.poi_name == case["poi"]
    np.testing.assert_array_equal(backend.config.init, case["init"])
    np.testing.assert_array_equal(backend.config.bounds, case["bounds"])
    assert list(backend.config.fixed) == case["fixed"]
    np.testing.assert_allclose(backend.data, case["data"], rtol=1e-15)
    # pyhf's Model.logpdf at the same points: 1e-8 relative (the 3L model's -log L is ~7e6 from a
    # shapesys tau of 1.9e11, so rounding there is ~1e-9 relative)
    for point, expected in zip(case["points"], case["logpdf"], strict=True):
        assert backend.logpdf(np.array(point), backend.data) == pytest.approx(expected, rel=1e-8)
    # pyhf's Model.expected_data at the first point (main and auxiliary)
    np.testing.assert_allclose(backend.expected_data(np.array(case["points"][0])),
                               case["expected_data_point0"], rtol=1e-12, atol=1e-12)


def _check_kernel_against_reference(backend, case):
    for point in case["points"]:
        point = np.array(point)
        value, grad = backend.value_and_grad(point, backend.data)
        ref_value, ref_grad = reference.nll_and_grad(backend.compiled, point, backend.data)
        assert -value == pytest.approx(ref_value, rel=1e-10)
        np.testing.assert_allclose(-grad, ref_grad, rtol=1e-10, atol=1e-10 * np.max(np.abs(ref_grad)))
    np.testing.assert_allclose(backend.expected_main(np.array(case["points"][0])),
                               reference.expected_main(backend.compiled, np.array(case["points"][0])),
                               rtol=1e-12)


@pytest.mark.parametrize("case", TINY_CASES, ids=[c["label"] for c in TINY_CASES])
def test_tiny_workspace_matches_pyhf(case):
    _check_against_pyhf(backend_of(case), case)


@pytest.mark.parametrize("case", TINY_CASES, ids=[c["label"] for c in TINY_CASES])
def test_tiny_workspace_kernel_matches_reference(case):
    backend = backend_of(case)
    _check_kernel_against_reference(backend, case)
    check_backend(backend, pars=np.array(case["points"][1]))


@pytest.mark.parametrize("case", REAL_CASES)
def test_published_likelihood_matches_pyhf(case, shared_data):
    _check_against_pyhf(backend_of(case, shared_data), case)


@pytest.mark.parametrize("case", REAL_CASES)
def test_published_likelihood_kernel_matches_reference(case, shared_data):
    backend = backend_of(case, shared_data)
    _check_kernel_against_reference(backend, case)


def test_contract_on_a_published_likelihood(shared_data):
    case = next(c for c in POINTS if c["label"].startswith("sbottomB"))
    backend = backend_of(case, shared_data)
    check_backend(backend, pars=np.array(case["points"][0]), rtol=1e-5)


def test_batch_matches_single_evaluations():
    case = TINY_CASES[0]
    backend = backend_of(case)
    pars = np.array(case["points"])
    toys = backend.sample(pars[0], len(pars), np.random.default_rng(7))
    values, grads = backend.value_and_grad_batch(pars, toys)
    for i in range(len(pars)):
        value, grad = backend.value_and_grad(pars[i], toys[i])
        assert values[i] == pytest.approx(value, rel=1e-14)
        np.testing.assert_allclose(grads[i], grad, rtol=1e-14)
    # one data set broadcast over many parameter sets
    np.testing.assert_allclose(backend.logpdf_batch(pars, backend.data),
                               [backend.logpdf(p, backend.data) for p in pars], rtol=1e-14)


def test_sample_fluctuates_main_and_auxiliary_data():
    backend = backend_of(TINY_CASES[0])
    pars = backend.config.init
    toys = backend.sample(pars, 4000, np.random.default_rng(3))
    expected = backend.expected_data(pars)
    n_main = backend.config.n_main
    # Poisson main counts are integers with the expected mean (5 sigma of the mean's spread)
    assert np.all(toys[:, :n_main] == np.round(toys[:, :n_main]))
    spread = np.sqrt(expected[:n_main] / 4000)
    assert np.all(np.abs(toys[:, :n_main].mean(axis=0) - expected[:n_main]) < 5 * spread)
    # Gaussian auxiliary data (normsys/histosys) are not integers and vary around 0
    jes = list(backend.compiled.aux_parameter).index(backend.config.index("jes"))
    assert toys[:, n_main + jes].std() == pytest.approx(1.0, rel=0.05)  # 4000 draws: ~1.1% spread


def test_hessian_is_the_derivative_of_the_gradient():
    case = TINY_CASES[0]
    backend = backend_of(case)
    point = np.array(case["points"][2])
    hessian = backend.hessian(point, backend.data)
    h = 1e-4
    for i in (0, 4, 9):
        step = np.zeros(point.size)
        step[i] = h
        column = (backend.value_and_grad(point + step, backend.data)[1]
                  - backend.value_and_grad(point - step, backend.data)[1]) / (2 * h)
        np.testing.assert_allclose(hessian[:, i], column, rtol=1e-4, atol=1e-6 * np.max(np.abs(column)))
