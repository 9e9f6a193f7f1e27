"""``datacard(..., device=)``: where a card's batches run; the CUDA kernel under numba's simulator and
compiled for a real GPU.

The CUDA kernel's numbers are checked by ``test_cuda_kernels.py``, in a subprocess under
``NUMBA_ENABLE_CUDASIM=1`` (which must be set before numba.cuda is first imported). Without a GPU,
``device="auto"`` runs batches on the CPU and ``device="cuda"`` is refused clearly.
"""

import importlib.util
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from likelihub_combine.backend import datacard

import likelihub as lh
from likelihub.errors import CapabilityError, InvalidArgumentError, InvalidModelError
from likelihub.plugin import cuda_available

HERE = Path(__file__).parent
REPOSITORY = HERE.parents[1]
CARD = ("datacards", "combine_tutorials", "realistic-counting-experiment.txt")


def test_a_bad_device_is_named_before_any_file_is_read(tmp_path):
    for device in ("gpu", None, 1):
        with pytest.raises(InvalidModelError,
                           match="^argument 'device': must be one of 'auto', 'cpu', 'cuda'"):
            datacard(tmp_path / "no-such-card.txt", device=device)
    assert issubclass(InvalidArgumentError, InvalidModelError)


@pytest.mark.skipif(cuda_available(), reason="a CUDA device is available here")
def test_cuda_without_a_gpu_is_a_capability_error(shared_data):
    with pytest.raises(CapabilityError,
                       match="device='cuda' was requested but numba.cuda finds no usable GPU"):
        datacard(shared_data.joinpath(*CARD), device="cuda")


def test_the_factory_passes_the_device_to_the_backend(shared_data):
    path = shared_data.joinpath(*CARD)
    for device in ("auto", "cpu"):
        model = lh.get_backend("combine.datacard")(path, device=device)
        assert model.backend.device == ("cuda" if cuda_available() and device == "auto" else "cpu")
    if not cuda_available():
        with pytest.raises(CapabilityError):
            lh.get_backend("combine.datacard")(path, device="cuda")


def test_cuda_kernels_under_simulator():
    """Runs test_cuda_kernels.py and this file's other tests with NUMBA_ENABLE_CUDASIM=1 (about
    15 s); every test must pass."""
    env = {**os.environ, "NUMBA_ENABLE_CUDASIM": "1"}
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-rs", "-k",
         "not under_simulator and not ptx", str(HERE / "test_cuda_kernels.py"),
         str(HERE / "test_cuda_devices.py")],
        cwd=REPOSITORY, env=env, capture_output=True, text=True, timeout=600, check=False)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-6000:]
    assert " passed" in output and "no CUDA device" not in output, output[-3000:]


def _nvvm_home() -> str | None:
    """CUDA_HOME for numba: the environment's, or the folder of a pip-installed NVIDIA compiler
    (``pip install nvidia-cuda-nvcc-cu12``: libnvvm and libdevice, no driver needed)."""
    if os.environ.get("CUDA_HOME") or os.environ.get("CUDA_PATH"):
        return os.environ.get("CUDA_HOME") or os.environ.get("CUDA_PATH")
    try:
        spec = importlib.util.find_spec("nvidia.cuda_nvcc")
    except ModuleNotFoundError:
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    return list(spec.submodule_search_locations)[0]


#: Compiles the kernel for a card with everything (tests/combine/synthetic_cards.py) to PTX. Without
#: a GPU there is no current device, whose compute capability numba asks when it compiles a device
#: function: a stand-in answers (8, 0), the architecture the PTX is compiled for.
PTX_SCRIPT = textwrap.dedent("""
    import sys, tempfile, types
    from pathlib import Path
    import numpy as np
    from numba import cuda
    from numba.cuda.cudadrv import nvvm
    if not nvvm.is_available():
        print("NO-NVVM"); sys.exit(0)
    if not cuda.is_available():
        import numba.cuda.dispatcher
        numba.cuda.dispatcher.get_current_device = lambda: types.SimpleNamespace(compute_capability=(8, 0))
    sys.path.insert(0, sys.argv[1])
    from tests.combine.synthetic_cards import write_everything_card
    from likelihub_combine.backend import datacard
    from likelihub_combine.kernels import buffers, cpu
    from likelihub_combine.kernels.cuda import kernel_types, nll_and_grad_rows
    card = datacard(write_everything_card(Path(tempfile.mkdtemp())), device="cpu")
    sizes = buffers.ints_of(card.kernel_model.ints, buffers.I_SIZES)
    types_ = kernel_types(cpu.scratch_shapes(sizes, np.int64(1)))
    ptx, _ = cuda.compile_ptx(nll_and_grad_rows.py_func, types_, cc=(8, 0))
    assert ".entry" in ptx and "nll_and_grad_rows" in ptx
    print("PTX-OK", len(ptx))
""")


@pytest.mark.skipif(os.environ.get("NUMBA_ENABLE_CUDASIM") == "1", reason="compiles for a real GPU")
def test_the_kernel_compiles_to_ptx():
    """numba.cuda.compile_ptx of the kernel (about 15 s): the code runs on a GPU, not only under the
    simulator. Needs libnvvm (a CUDA toolkit, or the pip wheel nvidia-cuda-nvcc-cu12); skipped without."""
    from numba.cuda.cudadrv import nvvm

    home = _nvvm_home()
    if home is None and not nvvm.is_available():
        pytest.skip("libnvvm not found (set CUDA_HOME, or pip install nvidia-cuda-nvcc-cu12)")
    env = {**os.environ, **({"CUDA_HOME": home} if home else {})}
    env.pop("NUMBA_ENABLE_CUDASIM", None)
    result = subprocess.run([sys.executable, "-c", PTX_SCRIPT, str(REPOSITORY)], cwd=REPOSITORY,
                            env=env, capture_output=True, text=True, timeout=600, check=False)
    output = result.stdout + result.stderr
    if "NO-NVVM" in output:
        pytest.skip("libnvvm not found (set CUDA_HOME, or pip install nvidia-cuda-nvcc-cu12)")
    assert result.returncode == 0 and "PTX-OK" in output, output[-6000:]
