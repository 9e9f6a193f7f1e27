"""Device selection and the batch evaluator; the CUDA kernels under numba's CUDA simulator.

The CPU path of :class:`BatchEvaluator` must give exactly the backend's own batch (the same
kernel) and, row by row, the backend's ``value_and_grad`` (the single-row kernel, held to pyhf and
the NumPy reference by ``test_engine_vs_pyhf.py``). The CUDA kernels are checked in a subprocess
under ``NUMBA_ENABLE_CUDASIM=1``, which must be set before numba.cuda is first imported.
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


@pytest.fixture(scope="module")
def tiny():
    return build_backend(TINY)


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
    # the backend's batch runs the same numba kernel on the same arrays: identical numbers
    expected_values, expected_grads = tiny.value_and_grad_batch(pars, data)
    np.testing.assert_array_equal(values, expected_values)
    np.testing.assert_array_equal(grads, expected_grads)
    # row by row, the single-row kernel: the batch kernel calls it, so identical again
    for row in range(5):
        value, grad = tiny.value_and_grad(pars[row], data[row])
        assert values[row] == value
        np.testing.assert_array_equal(grads[row], grad)
    np.testing.assert_array_equal(evaluator.logpdf_batch(pars, data), values)


def test_broadcast_rows(tiny):
    c = tiny.compiled
    pars = c.init + np.linspace(-0.3, 0.3, 4)[:, None]
    evaluator = BatchEvaluator(c, device="cpu")
    values, grads = evaluator.value_and_grad_batch(pars, tiny.data)
    assert values.shape == (4,) and grads.shape == (4, c.n_parameters)
    np.testing.assert_array_equal(values, tiny.value_and_grad_batch(pars, np.tile(tiny.data, (4, 1)))[0])
    single = evaluator.value_and_grad_batch(c.init, tiny.data)
    assert single[0].shape == (1,) and single[0][0] == tiny.logpdf(c.init, tiny.data)


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
    """Runs test_cuda_kernels.py with NUMBA_ENABLE_CUDASIM=1 (about 10 s); every test must pass."""
    env = {**os.environ, "NUMBA_ENABLE_CUDASIM": "1"}
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-rs",
         str(HERE / "test_cuda_kernels.py")],
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
