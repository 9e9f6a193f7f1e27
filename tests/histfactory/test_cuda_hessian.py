"""The CUDA Hessian kernel (``kernels.cuda_hessian``) against the CPU Hessian kernel.

Origin of every number: the CPU batch kernel ``kernels.hessian.nll_grad_hessian_batch`` (the
backend's ``hessian_batch`` with ``device="cpu"``), itself held to finite differences, to the NumPy
reference and to pyhf by ``test_hessian.py`` and ``test_engine_vs_pyhf.py``. Both kernels compile
the same Python functions (``kernels.hessian_rows``) and do the same operations in the same order,
so they agree to rounding: required 1e-12 relative, or 1e-12 of the row's largest element for
elements that cancel to near zero. Chunked launches give identical numbers (each row is one thread).
Toys fitted in lock-step with the GPU's gradients and Hessians reach the CPU fits' minima.

The GPU tests run where numba.cuda is usable: on a machine with a GPU, or under numba's CUDA
simulator, which :func:`test_cuda_hessian_under_simulator` starts in a subprocess with
``NUMBA_ENABLE_CUDASIM=1`` (set before numba.cuda is first imported, so not in this process); the
simulator is slow, so a handful of rows per case. ``test_cuda_ptx.py`` compiles the kernel for a
real GPU (PTX) where libnvvm is found.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from likelihub_histfactory.devices import BatchEvaluator, cuda_available
from likelihub_histfactory.factory import build_backend

HERE = Path(__file__).parent
REPOSITORY = HERE.parents[1]
TINY = json.loads((HERE / "data" / "all_modifiers.json").read_text())
CODES = [{"normsys": "4", "histosys": "4p"}, {"normsys": "1", "histosys": "0"},
         {"normsys": "4", "histosys": "2"}]
#: The CUDA Hessian against the CPU one (see the module docstring).
RTOL = 1e-12

needs_cuda = pytest.mark.skipif(not cuda_available(), reason="no CUDA device (run under the simulator "
                                "by test_cuda_hessian_under_simulator)")


def _assert_agree(gpu, cpu):
    assert gpu.shape == cpu.shape
    scale = np.max(np.abs(cpu), axis=(1, 2), keepdims=True)
    assert np.all(np.abs(gpu - cpu) <= RTOL * np.abs(cpu) + RTOL * scale)


def _tiny_rows(backend, rng, n=6):
    """Parameter sets across every interpolation branch, with factors at zero (the term-pair path),
    zero counts and Poisson auxiliary data at zero (as test_cuda_kernels.py)."""
    c = backend.compiled
    names = list(c.parameter_names)
    pars = c.init + rng.uniform(-2.5, 2.5, (n, c.n_parameters)) * (c.init == 0)
    pars += rng.uniform(-0.4, 0.4, (n, c.n_parameters)) * (c.init != 0)
    pars[0, names.index("mu")] = 0.0                   # one factor at zero on the signal
    pars[1, names.index("mu")] = 0.0                   # two factors at zero in SR bin 0
    pars[1, names.index("staterror_SR[0]")] = 0.0
    pars[5, names.index("mu")] = 5e-3                  # a small factor: the term-pair path
    data = backend.sample(c.init, n, rng)
    data[2, :c.n_main] = 0.0                           # zero counts: the n = 0 branch
    data[3, c.n_main:][c.aux_is_poisson] = 0.0         # Poisson auxiliary data at zero
    return pars, data


def test_cpu_evaluator_hessian_is_the_backend_kernel():
    # device="cpu": the backend's own CPU batch kernel on the same arrays, identical numbers; shared
    # rows broadcast as the backend broadcasts them
    backend = build_backend(TINY, device="cpu")
    pars, data = _tiny_rows(backend, np.random.default_rng(5))
    evaluator = BatchEvaluator(backend.compiled, device="cpu")
    np.testing.assert_array_equal(evaluator.hessian_batch(pars, data), backend.hessian_batch(pars, data))
    np.testing.assert_array_equal(evaluator.hessian_batch(pars[2], data),
                                  backend.hessian_batch(np.tile(pars[2], (6, 1)), data))
    # row by row, the single-row kernel
    assert np.array_equal(evaluator.hessian_batch(pars[4], data[4])[0], backend.hessian(pars[4], data[4]))


@needs_cuda
@pytest.mark.parametrize("codes", CODES, ids=lambda c: f"normsys{c['normsys']}-histosys{c['histosys']}")
def test_tiny_workspace_hessian_gpu_equals_cpu(codes):
    # every modifier type (normfactor, lumi, normsys, histosys, staterror, shapesys, shapefactor)
    backend = build_backend(TINY, interpolation_codes=codes, device="cpu")
    pars, data = _tiny_rows(backend, np.random.default_rng(6))
    gpu = BatchEvaluator(backend.compiled, "cuda")
    cpu = BatchEvaluator(backend.compiled, "cpu")
    assert gpu.device == "cuda"
    expected = cpu.hessian_batch(pars, data)
    assert np.all(np.isfinite(expected))
    _assert_agree(gpu.hessian_batch(pars, data), expected)
    # one data set for every parameter set (scans), one parameter set for every data set (toys)
    _assert_agree(gpu.hessian_batch(pars, backend.data), cpu.hessian_batch(pars, backend.data))
    _assert_agree(gpu.hessian_batch(pars[4], data), cpu.hessian_batch(pars[4], data))


@needs_cuda
def test_the_backend_runs_hessian_batch_on_the_gpu(monkeypatch):
    from likelihub_histfactory.kernels import cuda_hessian

    calls = []
    launch = cuda_hessian.hessian_batch
    monkeypatch.setattr(cuda_hessian, "hessian_batch", lambda *a, **k: calls.append(1) or launch(*a, **k))
    on_gpu = build_backend(TINY, device="cuda")
    on_cpu = build_backend(TINY, device="cpu")
    pars, data = _tiny_rows(on_cpu, np.random.default_rng(9), n=6)
    _assert_agree(on_gpu.hessian_batch(pars, data), on_cpu.hessian_batch(pars, data))
    assert calls == [1]


@needs_cuda
def test_launches_give_the_same_rows():
    backend = build_backend(TINY, device="cpu")
    pars, data = _tiny_rows(backend, np.random.default_rng(7))
    whole = BatchEvaluator(backend.compiled, "cuda").hessian_batch(pars, data)
    # 6 rows in launches of 4 and 2: each row is one thread, in the same order whatever the launch
    chunked = BatchEvaluator(backend.compiled, "cuda", rows_per_launch=4).hessian_batch(pars, data)
    np.testing.assert_array_equal(chunked, whole)


@needs_cuda
def test_zero_rates_hessian_gpu_equals_cpu():
    # the cases of test_zero_rates.py (empty bins, points of zero probability): NaN in every element
    # where the CPU has NaN, the CPU's numbers elsewhere; no exception under the simulator
    from tests.histfactory.test_zero_rates import zero_rate_batches

    for compiled, pars, data, impossible in zero_rate_batches():
        gpu = BatchEvaluator(compiled, "cuda").hessian_batch(pars, data)
        cpu = BatchEvaluator(compiled, "cpu").hessian_batch(pars, data)
        assert np.all(np.isnan(cpu[impossible])) and np.all(np.isnan(gpu[impossible]))
        assert np.all(np.isfinite(cpu[~impossible]))
        _assert_agree(gpu[~impossible], cpu[~impossible])


@needs_cuda
@pytest.mark.parametrize("analysis", ["3L-eRJR", "1Lbb"])
def test_published_hessian_gpu_equals_cpu(shared_data, analysis):
    # ATLAS-SUSY-2018-06 3L eRJR (69 parameters, a shapesys tau of 1.9e11) and ATLAS-SUSY-2019-08
    # 1Lbb (126 parameters, 131 entries of up to 151 terms) with a signal patch; few rows (simulator)
    archive, patch, rows = {"3L-eRJR": ("atlas-susy-2018-06-3L-eRJR.tar.gz", "ERJR_350p0_0p0", 3),
                            "1Lbb": ("atlas-susy-2019-08-1Lbb.tar.gz", "C1N2_Wh_hbb_900_250", 1)}[analysis]
    backend = build_backend(shared_data / "histfactory" / archive, member="BkgOnly.json",
                            patchset="patchset.json", patch_name=patch, unused_parameters="ignore",
                            device="cpu")
    c = backend.compiled
    rng = np.random.default_rng(8)
    pars = np.clip(c.init + rng.normal(0.0, 0.3, (rows, c.n_parameters)), c.bounds[:, 0] + 1e-3,
                   c.bounds[:, 1])
    data = np.vstack([backend.data, backend.sample(c.init, rows - 1, rng)])
    expected = BatchEvaluator(c, "cpu").hessian_batch(pars, data)
    assert np.all(np.isfinite(expected))
    _assert_agree(BatchEvaluator(c, "cuda").hessian_batch(pars, data), expected)


@needs_cuda
def test_lockstep_toy_fits_on_the_gpu_equal_the_cpu_fits():
    # toys fitted in lock-step (likelihub.fits.batch.lockstep_newton) with the gradient and Hessian
    # of every Newton step from the CUDA kernels: the CPU lock-step fits' minima (origin), to 1e-8
    # on the parameters (the tolerance for rows of a scan) and 1e-10 relative on -log L
    from likelihub.fits.batch import lockstep_newton

    on_gpu = build_backend(TINY, device="cuda")
    on_cpu = build_backend(TINY, device="cpu")
    data = on_cpu.sample(on_cpu.compiled.init, 4, np.random.default_rng(11))
    gpu, cpu = lockstep_newton(on_gpu, data), lockstep_newton(on_cpu, data)
    assert np.all(cpu.converged) and np.array_equal(gpu.converged, cpu.converged)
    np.testing.assert_allclose(gpu.values, cpu.values, rtol=0, atol=1e-8)
    np.testing.assert_allclose(gpu.nll, cpu.nll, rtol=1e-10, atol=0)


def test_cuda_hessian_under_simulator():
    """Runs this file's GPU tests with NUMBA_ENABLE_CUDASIM=1 (a few seconds); every test must pass."""
    env = {**os.environ, "NUMBA_ENABLE_CUDASIM": "1"}
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-rs",
         "-k", "not under_simulator and not compiles_to_ptx", str(Path(__file__))],
        cwd=REPOSITORY, env=env, capture_output=True, text=True, timeout=600, check=False)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-6000:]
    assert " passed" in output and "no CUDA device" not in output, output[-3000:]
