"""The CUDA kernel of Combine rows against the CPU kernel, on a GPU or under numba's CUDA simulator.

Runs only where numba.cuda is usable: on a machine with a GPU, or under the simulator, which
``test_cuda_devices.py::test_cuda_kernels_under_simulator`` starts in a subprocess with
``NUMBA_ENABLE_CUDASIM=1`` (it must be set before numba.cuda is imported, so not in this process).
The reference is the CPU kernel (``kernels.cpu.nll_grad_hessian_rows``, a ``device="cpu"`` card's
batch), itself held to the NumPy reference and to finite differences by ``test_kernels.py``.
Required agreement (the HistFactory plugin's, the issue's): 1e-10 relative on -log L; on the
gradient 1e-10 relative, or 1e-10 of the row's largest component for components that cancel to near
zero. Rows include the kinks and zero branches: r = 0, zero counts, bins clipped at the floor, the
formula's min/max/abs at their kinks. The simulator is slow: a handful of rows per case.
"""

import numpy as np
import pytest

from likelihub.plugin import cuda_available

if not cuda_available():
    pytest.skip("no CUDA device (run by test_cuda_devices.py under NUMBA_ENABLE_CUDASIM=1)",
                allow_module_level=True)

from likelihub_combine import devices  # noqa: E402
from likelihub_combine.backend import CombineDatacard, datacard  # noqa: E402
from likelihub_combine.devices import CudaRows  # noqa: E402
from likelihub_combine.kernels.cuda import row_bytes  # noqa: E402

from .synthetic_cards import write_everything_card, write_stackable_cards  # noqa: E402
from .test_kernels import random_points  # noqa: E402

PART3 = "combine_docs/longexercise_part3_combined"


def _assert_agree(gpu, cpu):
    (value_gpu, grad_gpu), (value_cpu, grad_cpu) = gpu, cpu
    np.testing.assert_allclose(value_gpu, value_cpu, rtol=1e-10, atol=0)
    scale = np.max(np.abs(grad_cpu), axis=1, keepdims=True)
    assert np.all(np.abs(grad_gpu - grad_cpu) <= 1e-10 * np.abs(grad_cpu) + 1e-10 * scale)


def _rows(backend: CombineDatacard, seed: int, count: int = 4) -> tuple[np.ndarray, np.ndarray]:
    """``count`` parameter sets (the first at r = 0, the last at the card's initial values) and
    data sets (toys; the second with zero counts in every bin)."""
    rng = np.random.default_rng(seed)
    pars = np.stack(random_points(backend, rng, count))
    pars[0, 0] = 0.0
    pars[-1] = backend.config.init
    data = backend.sample(pars[1], count, rng)
    data[1, :backend.n_main] = 0.0
    return pars, data


def _check_card(gpu_card: CombineDatacard, cpu_card: CombineDatacard, pars, data) -> None:
    assert gpu_card.device == "cuda" and cpu_card.device == "cpu"
    _assert_agree(gpu_card.value_and_grad_batch(pars, data), cpu_card.value_and_grad_batch(pars, data))
    # one data set for every parameter set (scans), one parameter set for every data set (toys)
    _assert_agree(gpu_card.value_and_grad_batch(pars, gpu_card.data),
                  cpu_card.value_and_grad_batch(pars, cpu_card.data))
    _assert_agree(gpu_card.value_and_grad_batch(pars[2], data),
                  cpu_card.value_and_grad_batch(pars[2], data))
    np.testing.assert_allclose(gpu_card.logpdf_batch(pars, data), cpu_card.logpdf_batch(pars, data),
                               rtol=1e-10, atol=0)


@pytest.mark.parametrize(("card", "mass"), [
    ("combine_tutorials/realistic-counting-experiment.txt", None),     # lnN, gmN
    ("combine_docs/longexercise_part2_shape/datacard_part2_shapes_autoMCStats.txt", "800"),
    ("cms_sus_20_004/2DTChiHH600_LSP150.txt", None),                   # formula rateParams, asymmetric lnN
])
def test_published_cards_gpu_equals_cpu(shared_data, card, mass):
    path = shared_data / "datacards" / card
    gpu_card, cpu_card = (datacard(path, mass=mass, device=device) for device in ("cuda", "cpu"))
    _check_card(gpu_card, cpu_card, *_rows(cpu_card, seed=11))


def test_long_exercise_combination_with_rate_params_gpu_equals_cpu(shared_data):
    folder = shared_data / "datacards" / PART3
    cards = {"signal_region": folder / "datacard_part3.txt",
             "ttbar_cr": folder / "datacard_part3_ttbar_cr.txt", "DY_cr": folder / "datacard_part3_DY_cr.txt"}
    gpu_card, cpu_card = (datacard(cards, mass=200, extra_lines=folder / "rateParams.txt", device=device)
                          for device in ("cuda", "cpu"))
    _check_card(gpu_card, cpu_card, *_rows(cpu_card, seed=12))


def test_every_term_and_the_clipped_bins_gpu_equals_cpu(tmp_path):
    # lnN (asymmetric too), lnU, gmN, shape and shapeN, autoMCStats Poisson, Gaussian and
    # Barlow-Beeston-lite terms, a formula of every function (at init: min(1, 1), abs(0)), an
    # asymmetric param; ch3's bkg1 bin 1 is clipped at the shape floor for jes < 0, and a very
    # negative lite parameter clips ch1's bin 0 at 1e-9
    path = write_everything_card(tmp_path)
    gpu_card, cpu_card = datacard(path, device="cuda"), datacard(path, device="cpu")
    pars, data = _rows(cpu_card, seed=13, count=5)
    names = cpu_card.parameter_names
    pars[2, names.index("jes")] = -1.5
    lite = [name for name in names if name.startswith("prop_binch1_bin0")]
    assert len(lite) == 1
    pars[3, names.index(lite[0])] = -50.0
    assert cpu_card.expected_main(pars[3])[0] == 1e-9  # clipped (cpu.py's _BIN_FLOOR)
    _check_card(gpu_card, cpu_card, pars, data)


def test_a_stack_of_cards_row_by_member(tmp_path):
    # The kernel's member path (a stack's rows, each with its member's buffers), as the CPU kernel's
    first, second = (datacard(path, device="cpu") for path in write_stackable_cards(tmp_path))
    stack = CombineDatacard.stack([first, second])
    rng = np.random.default_rng(14)
    members = np.array([0, 1, 1, 0])
    pars = np.stack([stack.to_stack_order(m, random_points(stack.members[m], rng, 1)[0])
                     for m in members])
    pars[1, stack.config.poi_index] = 0.0
    data = np.stack([stack.members[m].sample(stack.to_member_order(m, pars[k]), 1, rng)[0]
                     for k, m in enumerate(members)])
    gpu = CudaRows(stack._ints, stack._floats, stack._int_offset, stack._float_offset, first.data.size)
    _assert_agree(gpu.nll_and_grad(pars, data, members), stack._run(pars, data, members, 1)[:2])


def test_launches_give_the_same_rows(shared_data, monkeypatch):
    card = datacard(shared_data / "datacards" / "combine_tutorials" / "realistic-counting-experiment.txt",
                    device="cpu")
    pars, data = _rows(card, seed=15, count=5)
    arguments = (card.kernel_model.ints, card.kernel_model.floats, *card._kernel_arrays[:2], card.data.size)
    whole = CudaRows(*arguments).nll_and_grad(pars, data)
    # 5 rows in launches of 2, 2 and 1, limited by rows_per_launch or by the device memory allowed;
    # each row is computed by one thread in the same order whatever the launch: identical numbers
    limited = CudaRows(*arguments, rows_per_launch=2).nll_and_grad(pars, data)
    small = CudaRows(*arguments)
    monkeypatch.setattr(devices, "BYTES_PER_LAUNCH", 2 * row_bytes(small.model, card.data.size))
    small_memory = small.nll_and_grad(pars, data)
    for chunked in (limited, small_memory):
        np.testing.assert_array_equal(chunked[0], whole[0])
        np.testing.assert_array_equal(chunked[1], whole[1])
