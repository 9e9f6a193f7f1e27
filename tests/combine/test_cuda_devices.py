"""``datacard(..., device=)``: where a card's batches run; the CUDA kernel under numba's simulator and
compiled for a real GPU.

The CUDA kernel's numbers are checked by ``test_cuda_kernels.py``, in a subprocess under
``NUMBA_ENABLE_CUDASIM=1`` (which must be set before numba.cuda is first imported). Without a GPU,
``device="auto"`` runs batches on the CPU and ``device="cuda"`` is refused clearly.
"""

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
from tests.cuda_ptx import COMPILER_LINE, compile_to_ptx

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


#: Compiles the kernel for a card with everything (tests/combine/synthetic_cards.py) to PTX for sm_90
#: (after tests/cuda_ptx.py's prologue: ``cuda``, ``cc`` and, without a GPU, a stand-in device).
PTX_SCRIPT = textwrap.dedent("""
    import tempfile
    from pathlib import Path
    import numpy as np
    from tests.combine.synthetic_cards import write_everything_card
    from likelihub_combine.backend import datacard
    from likelihub_combine.kernels import buffers, cpu
    from likelihub_combine.kernels.cuda import kernel_types, nll_and_grad_rows
    card = datacard(write_everything_card(Path(tempfile.mkdtemp())), device="cpu")
    sizes = buffers.ints_of(card.kernel_model.ints, buffers.I_SIZES)
    types_ = kernel_types(cpu.scratch_shapes(sizes, np.int64(1)))
    ptx, _ = cuda.compile_ptx(nll_and_grad_rows.py_func, types_, cc=cc)
    assert ".entry" in ptx and "nll_and_grad_rows" in ptx and f".target sm_{cc[0]}{cc[1]}" in ptx
    print("compiled nll_and_grad_rows", len(ptx), "characters of PTX for", cc)
""") + COMPILER_LINE + """
print("PTX-OK")
"""


@pytest.mark.skipif(os.environ.get("NUMBA_ENABLE_CUDASIM") == "1", reason="compiles for a real GPU")
def test_the_kernel_compiles_to_ptx():
    """numba.cuda.compile_ptx of the kernel (about 15 s): the code runs on a GPU, not only under the
    simulator. Needs libnvvm (a CUDA toolkit, or the pip wheel nvidia-cuda-nvcc-cu12, in the test
    extra); skipped without (tests/cuda_ptx.py)."""
    output = compile_to_ptx(PTX_SCRIPT)
    assert "compiled nll_and_grad_rows" in output, output[-3000:]
