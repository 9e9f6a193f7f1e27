"""Device selection and the batch evaluator; the CUDA kernels under numba's CUDA simulator.

The CPU path of :class:`BatchEvaluator` must give the backend's own batch and, row by row, the
backend's ``value_and_grad`` (the single-row kernel, held to pyhf and the NumPy reference by
``test_engine_vs_pyhf.py``). Tolerances, not bit identity: the batch kernel inlines the single-row
kernel, and a compiler may order the same sums differently in the two (a few units in the last
place over ~20 terms: 1e-13 relative); where this file itself runs with ``NUMBA_ENABLE_CUDASIM=1``
(or on a GPU), ``device="auto"`` batches run the CUDA kernel, whose agreement with the CPU kernel
is 1e-10 relative (``test_cuda_kernels.py``). The CUDA kernels are checked in a subprocess under
``NUMBA_ENABLE_CUDASIM=1``, which must be set before numba.cuda is first imported.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from likelihub.errors import CapabilityError, InvalidDataError, InvalidModelError
from likelihub_histfactory.devices import BatchEvaluator, cuda_available, select_device
from likelihub_histfactory.factory import build_backend

HERE = Path(__file__).parent
REPOSITORY = HERE.parents[1]
TINY = json.loads((HERE / "data" / "all_modifiers.json").read_text())


#: Same kernel, possibly compiled into two functions (see the module docstring).
SAME_KERNEL_RTOL = 1e-13
#: The CUDA kernel against the CPU kernel (test_cuda_kernels.py).
CUDA_RTOL = 1e-10


@pytest.fixture(scope="module")
def tiny():
    return build_backend(TINY)


def _assert_close(actual, expected, rtol):
    # relative to each element, with a floor at rtol times the largest (gradients cancel to ~0)
    actual, expected = np.asarray(actual), np.asarray(expected)
    np.testing.assert_allclose(actual, expected, rtol=rtol, atol=rtol * np.max(np.abs(expected)))


def _batch_rtol(backend):
    return CUDA_RTOL if backend.device == "cuda" else SAME_KERNEL_RTOL


def test_select_device():
    assert select_device("cpu") == "cpu"
    assert select_device("auto") == ("cuda" if cuda_available() else "cpu")
    with pytest.raises(InvalidModelError, match="'auto', 'cpu', 'cuda'.*'gpu'"):
        select_device("gpu")


@pytest.mark.skipif(cuda_available(), reason="a CUDA device is available here")
def test_cuda_without_a_gpu_is_an_error():
    with pytest.raises(CapabilityError, match="no usable GPU"):
        select_device("cuda")
    with pytest.raises(CapabilityError, match="no usable GPU"):
        BatchEvaluator(build_backend(TINY).compiled, device="cuda")


def test_cpu_evaluator_is_the_backend_kernel(tiny):
    c = tiny.compiled
    rng = np.random.default_rng(3)
    pars = c.init + rng.uniform(-0.5, 0.5, (5, c.n_parameters))
    data = tiny.sample(c.init, 5, rng)
    evaluator = BatchEvaluator(c, device="cpu")
    assert evaluator.device == "cpu"
    values, grads = evaluator.value_and_grad_batch(pars, data)
    # the backend's batch: the same numba kernel on the same arrays (the CUDA kernel where the
    # backend's device is "cuda")
    expected_values, expected_grads = tiny.value_and_grad_batch(pars, data)
    _assert_close(values, expected_values, _batch_rtol(tiny))
    _assert_close(grads, expected_grads, _batch_rtol(tiny))
    # row by row, the single-row kernel, which the batch kernel calls
    for row in range(5):
        value, grad = tiny.value_and_grad(pars[row], data[row])
        assert values[row] == pytest.approx(value, rel=SAME_KERNEL_RTOL)
        _assert_close(grads[row], grad, SAME_KERNEL_RTOL)
    _assert_close(evaluator.logpdf_batch(pars, data), values, SAME_KERNEL_RTOL)


def test_broadcast_rows(tiny):
    c = tiny.compiled
    pars = c.init + np.linspace(-0.3, 0.3, 4)[:, None]
    evaluator = BatchEvaluator(c, device="cpu")
    values, grads = evaluator.value_and_grad_batch(pars, tiny.data)
    assert values.shape == (4,) and grads.shape == (4, c.n_parameters)
    _assert_close(values, tiny.value_and_grad_batch(pars, np.tile(tiny.data, (4, 1)))[0], _batch_rtol(tiny))
    single = evaluator.value_and_grad_batch(c.init, tiny.data)
    assert single[0].shape == (1,)
    assert single[0][0] == pytest.approx(tiny.logpdf(c.init, tiny.data), rel=SAME_KERNEL_RTOL)


def test_bad_shapes_are_named(tiny):
    evaluator = BatchEvaluator(tiny.compiled, device="cpu")
    with pytest.raises(InvalidDataError, match=r"parameters have shape \(3, 4\)"):
        evaluator.value_and_grad_batch(np.zeros((3, 4)), tiny.data)
    with pytest.raises(InvalidDataError, match=r"data have shape \(7,\)"):
        evaluator.value_and_grad_batch(tiny.compiled.init, np.zeros(7))
    with pytest.raises(InvalidDataError, match="data has 2 rows, the other argument 3"):
        evaluator.value_and_grad_batch(np.tile(tiny.compiled.init, (3, 1)), np.tile(tiny.data, (2, 1)))
    with pytest.raises(InvalidModelError, match="rows_per_launch must be a positive number, got 0"):
        BatchEvaluator(tiny.compiled, device="cpu", rows_per_launch=0)


def test_cuda_kernels_under_simulator():
    """Runs test_cuda_kernels.py, and this file's other tests (the backend's batches then run the
    simulated CUDA kernel), with NUMBA_ENABLE_CUDASIM=1 (about 15 s); every test must pass."""
    env = {**os.environ, "NUMBA_ENABLE_CUDASIM": "1"}
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-rs", "-k", "not under_simulator",
         str(HERE / "test_cuda_kernels.py"), str(HERE / "test_cuda_devices.py")],
        cwd=REPOSITORY, env=env, capture_output=True, text=True, timeout=600, check=False)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-6000:]
    assert " passed" in output and "no CUDA device" not in output, output[-3000:]


def test_the_factory_passes_the_device_to_the_backend():
    # No GPU here (CI has none): "auto" and "cpu" run batches on the CPU; "cuda" is refused clearly.
    import likelihub as lh

    workspace = str(Path(__file__).parent / "data" / "all_modifiers.json")
    for device in ("auto", "cpu"):
        model = lh.get_backend("histfactory")(workspace=workspace, device=device)
        assert model.backend.device == ("cuda" if cuda_available() and device == "auto" else "cpu")
    if not cuda_available():
        with pytest.raises(CapabilityError):
            lh.get_backend("histfactory")(workspace=workspace, device="cuda")
