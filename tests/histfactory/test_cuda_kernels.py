"""The CUDA kernels against the CPU kernels, on a GPU or under numba's CUDA simulator.

Runs only where numba.cuda is usable: on a machine with a GPU, or under the simulator, which
``test_cuda_devices.py::test_cuda_kernels_under_simulator`` starts in a subprocess with
``NUMBA_ENABLE_CUDASIM=1`` (it must be set before numba.cuda is imported, so not in this process).
The reference is the CPU batch kernel (``kernels.nll_and_grad_batch``), itself held to the NumPy
reference and to pyhf 0.7.6 by ``test_engine_vs_pyhf.py``. Required agreement (the issue's): 1e-10
relative on -log L; on the gradient 1e-10 relative, or 1e-10 of the row's largest component for
components that cancel to near zero. The simulator is slow: a handful of rows per case.
"""

import json
from pathlib import Path

import numpy as np
import pytest

from likelihub_histfactory.devices import BatchEvaluator, cuda_available

if not cuda_available():
    pytest.skip("no CUDA device (run by test_cuda_devices.py under NUMBA_ENABLE_CUDASIM=1)",
                allow_module_level=True)

from likelihub_histfactory import devices  # noqa: E402
from likelihub_histfactory.factory import build_backend  # noqa: E402

DATA = Path(__file__).parent / "data"
TINY = json.loads((DATA / "all_modifiers.json").read_text())
CODES = [{"normsys": "4", "histosys": "4p"}, {"normsys": "1", "histosys": "0"},
         {"normsys": "4", "histosys": "2"}]


def _assert_agree(gpu, cpu):
    (value_gpu, grad_gpu), (value_cpu, grad_cpu) = gpu, cpu
    np.testing.assert_allclose(value_gpu, value_cpu, rtol=1e-10, atol=0)
    scale = np.max(np.abs(grad_cpu), axis=1, keepdims=True)
    assert np.all(np.abs(grad_gpu - grad_cpu) <= 1e-10 * np.abs(grad_cpu) + 1e-10 * scale)


def _tiny_rows(backend, rng):
    """Parameter sets across every interpolation branch, with factors at zero, and toy data."""
    c = backend.compiled
    names = list(c.parameter_names)
    pars = c.init + rng.uniform(-2.5, 2.5, (6, c.n_parameters)) * (c.init == 0)
    pars += rng.uniform(-0.4, 0.4, (6, c.n_parameters)) * (c.init != 0)
    pars[0, names.index("mu")] = 0.0                   # one factor at zero on the signal
    pars[1, names.index("mu")] = 0.0                   # two factors at zero in SR bin 0
    pars[1, names.index("staterror_SR[0]")] = 0.0      # (and the only zero of ttbar there)
    data = backend.sample(c.init, 6, rng)
    data[2, :c.n_main] = 0.0                           # zero counts: the n = 0 branch
    data[3, c.n_main:][c.aux_is_poisson] = 0.0         # Poisson auxiliary data at zero
    return pars, data


@pytest.mark.parametrize("codes", CODES, ids=lambda c: f"normsys{c['normsys']}-histosys{c['histosys']}")
def test_tiny_workspace_gpu_equals_cpu(codes):
    backend = build_backend(TINY, interpolation_codes=codes)
    pars, data = _tiny_rows(backend, np.random.default_rng(6))
    gpu = BatchEvaluator(backend.compiled, "cuda")
    cpu = BatchEvaluator(backend.compiled, "cpu")
    assert gpu.device == "cuda"
    _assert_agree(gpu.value_and_grad_batch(pars, data), cpu.value_and_grad_batch(pars, data))
    # one data set for every parameter set (scans), one parameter set for every data set (toys)
    _assert_agree(gpu.value_and_grad_batch(pars, backend.data), cpu.value_and_grad_batch(pars, backend.data))
    _assert_agree(gpu.value_and_grad_batch(pars[4], data), cpu.value_and_grad_batch(pars[4], data))


def test_launches_give_the_same_rows(monkeypatch):
    backend = build_backend(TINY)
    pars, data = _tiny_rows(backend, np.random.default_rng(7))
    whole = BatchEvaluator(backend.compiled, "cuda").value_and_grad_batch(pars, data)
    # 6 rows in launches of 4 and 2, limited by rows_per_launch or by the device memory allowed
    # (row_bytes as in BatchEvaluator._cuda: 19 parameters, 20 data, 5 bins); each row is computed
    # by one thread in the same order whatever the launch: identical numbers
    limited = BatchEvaluator(backend.compiled, "cuda", rows_per_launch=4).value_and_grad_batch(pars, data)
    monkeypatch.setattr(devices, "BYTES_PER_LAUNCH", 4 * 8 * (2 * 19 + 20 + 5 + 1))
    small_memory = BatchEvaluator(backend.compiled, "cuda").value_and_grad_batch(pars, data)
    for chunked in (limited, small_memory):
        np.testing.assert_array_equal(chunked[0], whole[0])
        np.testing.assert_array_equal(chunked[1], whole[1])


def test_model_without_constraints():
    # one sample with a normfactor only: no auxiliary data (empty arrays on the device)
    spec = {"version": "1.0.0",
            "channels": [{"name": "SR", "samples": [{"name": "signal", "data": [1.0, 2.0], "modifiers": [
                {"name": "mu", "type": "normfactor", "data": None}]}]}],
            "observations": [{"name": "SR", "data": [1.0, 3.0]}],
            "measurements": [{"name": "m", "config": {"poi": "mu", "parameters": []}}]}
    backend = build_backend(spec)
    assert backend.compiled.n_aux == 0
    pars = np.array([[0.5], [1.0], [1.5]])
    gpu = BatchEvaluator(backend.compiled, "cuda").value_and_grad_batch(pars, backend.data)
    _assert_agree(gpu, BatchEvaluator(backend.compiled, "cpu").value_and_grad_batch(pars, backend.data))


def test_published_3l_erjr_gpu_equals_cpu(shared_data):
    # ATLAS-SUSY-2018-06 3L eRJR with a signal patch: 4 bins, 69 parameters, a shapesys tau of
    # 1.9e11 (the Poisson constraint's Stirling branch; -log L ~ 7e6, so a real cancellation test)
    backend = build_backend(shared_data / "histfactory" / "atlas-susy-2018-06-3L-eRJR.tar.gz",
                            member="BkgOnly.json", patchset="patchset.json",
                            patch_name="ERJR_350p0_0p0", unused_parameters="ignore")
    c = backend.compiled
    rng = np.random.default_rng(8)
    pars = np.clip(c.init + rng.normal(0.0, 0.3, (4, c.n_parameters)), c.bounds[:, 0] + 1e-3, c.bounds[:, 1])
    data = np.vstack([backend.data, backend.sample(c.init, 3, rng)])
    gpu = BatchEvaluator(c, "cuda")
    cpu = BatchEvaluator(c, "cpu")
    _assert_agree(gpu.value_and_grad_batch(pars, data), cpu.value_and_grad_batch(pars, data))


def test_zero_rates_gpu_equals_cpu():
    # the cases of test_zero_rates.py (empty bins, points of zero probability): the same +inf and
    # NaN gradients as the CPU kernel, the same numbers elsewhere; no exception under the simulator
    from tests.histfactory.test_zero_rates import zero_rate_batches

    for compiled, pars, data, impossible in zero_rate_batches():
        gpu = BatchEvaluator(compiled, "cuda").value_and_grad_batch(pars, data)
        cpu = BatchEvaluator(compiled, "cpu").value_and_grad_batch(pars, data)
        assert np.all(gpu[0][impossible] == -np.inf) and np.all(np.isnan(gpu[1][impossible]))
        assert np.all(cpu[0][impossible] == -np.inf) and np.all(np.isnan(cpu[1][impossible]))
        _assert_agree((gpu[0][~impossible], gpu[1][~impossible]), (cpu[0][~impossible], cpu[1][~impossible]))
