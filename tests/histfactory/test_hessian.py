"""The analytic Hessian of -log L (``hessian_kernels``) against the NumPy reference and the gradient.

Required: the numba kernel equal to the plain NumPy reference (``reference.nll_grad_hessian``,
term pair by term pair, products by ``np.prod``) to 1e-10 relative, element by element; both equal
to central differences of the analytic gradient within the differences' own error (argued below);
``hessian_batch`` equal to single calls to 1e-13 relative (the batch kernel inlines the single
one; a compiler may order the same sums differently in the two: a few units in the last place).
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
TINY_CASES = [c for c in POINTS if c["label"].startswith("all_modifiers")]


def _tiny(case):
    codes = dict(zip(("normsys", "histosys"), (CODES[c] for c in case["interpolation_codes"]), strict=True))
    return build_backend(TINY, interpolation_codes=codes)


def _assert_close(actual, expected, rtol):
    # element by element, relative to the element, with a floor at rtol times the largest element
    # (or times 1: at Asimov data the gradient is zero up to rounding of O(1) terms)
    np.testing.assert_allclose(actual, expected, rtol=rtol, atol=rtol * max(1.0, np.max(np.abs(expected))))


def _gradient_differences(backend, point, data, h):
    columns = []
    for i in range(point.size):
        step = np.zeros(point.size)
        step[i] = h * max(1.0, abs(point[i]))
        columns.append((backend.value_and_grad(point + step, data)[1]
                        - backend.value_and_grad(point - step, data)[1]) / (2 * step[i]))
    return np.array(columns)


def _points(backend, case):
    points = [np.array(p) for p in case["points"]]
    # the POI at 0 (every signal factor zero): products that leave out factors must stay exact
    at_zero = points[0].copy()
    at_zero[backend.config.poi_index] = 0.0
    return points + [at_zero]


@pytest.mark.parametrize("case", TINY_CASES, ids=[c["label"] for c in TINY_CASES])
def test_kernel_matches_reference_on_every_modifier_and_code(case):
    backend = _tiny(case)
    for point in _points(backend, case):
        for data in (backend.data, backend.expected_data(point)):
            value, grad, hessian = backend.value_grad_and_hessian(point, data)
            ref_value, ref_grad, ref_hessian = reference.nll_grad_hessian(backend.compiled, point, data)
            assert -value == pytest.approx(ref_value, rel=1e-12)
            _assert_close(-grad, ref_grad, 1e-12)
            _assert_close(-hessian, ref_hessian, 1e-10)
            # exact by construction, whatever the CPU: the kernel writes one number to (q, r) and (r, q)
            np.testing.assert_array_equal(hessian, hessian.T)


@pytest.mark.parametrize("case", TINY_CASES, ids=[c["label"] for c in TINY_CASES])
def test_hessian_is_the_derivative_of_the_gradient(case):
    # Central differences with relative step h = 1e-6: truncation error ~h^2 |g'''| and rounding
    # ~1e-16 |g| / h, together below 1e-6 of the Hessian's largest element on these models.
    backend = _tiny(case)
    for point in _points(backend, case):
        hessian = backend.hessian(point, backend.data)
        _assert_close(hessian, _gradient_differences(backend, point, backend.data, 1e-6), 1e-6)


def test_contract_checks_pass_with_the_analytic_hessian():
    case = TINY_CASES[0]
    backend = _tiny(case)
    check_backend(backend, pars=np.array(case["points"][3]))


def test_batch_matches_single_hessians():
    case = TINY_CASES[1]
    backend = _tiny(case)
    points = np.array(case["points"])
    data = np.array([backend.expected_data(p) for p in points])
    batch = backend.hessian_batch(points, data)
    assert batch.shape == (len(points), points.shape[1], points.shape[1])
    for i, point in enumerate(points):
        _assert_close(batch[i], backend.hessian(point, data[i]), 1e-13)
    # one data set broadcast against several parameter sets
    _assert_close(backend.hessian_batch(points, backend.data)[2], backend.hessian(points[2], backend.data),
                  1e-13)


def test_batch_of_wrong_shape_is_refused():
    from likelihub.errors import InvalidDataError

    backend = _tiny(TINY_CASES[0])
    with pytest.raises(InvalidDataError, match="batch"):
        backend.hessian_batch(np.zeros((3, 2)), backend.data)


def test_published_3l_model_with_a_huge_poisson_constraint(shared_data):
    # ATLAS 3L eRJR: a shapesys tau of 1.9e11 makes one diagonal element ~1e11 (a / theta^2);
    # the kernel must equal the reference element by element (1e-10 relative) all the same.
    case = next(c for c in POINTS if c["label"].startswith("3L"))
    backend = build_backend(shared_data / "histfactory" / "atlas-susy-2018-06-3L-eRJR.tar.gz",
                            member="BkgOnly.json", patchset="patchset.json", patch_name="ERJR_350p0_0p0",
                            unused_parameters="ignore")  # the measurement configures mu_BG, absent
    for point in _points(backend, case)[::2]:
        _, _, hessian = backend.value_grad_and_hessian(point, backend.data)
        _, _, ref_hessian = reference.nll_grad_hessian(backend.compiled, point, backend.data)
        nonzero = ref_hessian != 0
        # structural zeros (no term couples the two parameters) are exact zeros in both, whatever the CPU
        np.testing.assert_array_equal(hessian != 0, nonzero)
        np.testing.assert_allclose(-hessian[nonzero], ref_hessian[nonzero], rtol=1e-10)
