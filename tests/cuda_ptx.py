"""Compiling CUDA kernels to PTX for a real GPU, without one: shared by the plugins' PTX tests.

``numba.cuda.compile_ptx`` needs only libNVVM and libdevice (and, with numba-cuda, NVRTC), no driver
and no GPU: the CUDA toolkit (``CUDA_HOME``), or the registry's wheels ``nvidia-cuda-nvcc-cu12`` and
``nvidia-cuda-nvrtc-cu12`` (in the ``test`` extra with ``numba-cuda``, so CI has them). The
architecture is sm_90 (:data:`TARGET_CC`, the H100/H200 the kernels were measured on), or the
highest the installed NVVM supports below it, printed by the compiling script. Each test compiles in
a subprocess: without ``NUMBA_ENABLE_CUDASIM`` (the simulator cannot compile) and with the NVVM
found here.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

from likelihub.plugin import cuda_module

REPOSITORY = Path(__file__).parents[1]

#: The compute capability the kernels are compiled for: sm_90 (Hopper: H100, H200).
TARGET_CC = (9, 0)

#: Prologue of a compiling script: numba.cuda through the core (its numpy shim), NVVM or exit
#: "NO-NVVM", the architecture ``cc`` (TARGET_CC or the highest supported below it), and, without a
#: GPU, a stand-in current device of that compute capability (numba asks the current device's
#: compute capability when it compiles device functions).
PROLOGUE = f"""
import sys, types
from likelihub.plugin import cuda_module
cuda = cuda_module()
from numba.cuda.cudadrv import nvvm
if not nvvm.is_available():
    print("NO-NVVM"); sys.exit(0)
try:  # numba's built-in CUDA target asks NVVM; numba-cuda asks NVRTC (a wheel of its own)
    from numba.cuda.cudadrv.nvvm import get_supported_ccs
except ImportError:
    from numba.cuda.cudadrv.nvrtc import get_supported_ccs
try:
    supported = get_supported_ccs()
except Exception as error:  # numba-cuda without NVRTC: every NVVM of CUDA >= 11.8 compiles sm_90
    supported = [{TARGET_CC!r}]
    print("supported architectures unknown:", repr(error)[:200])
cc = max(c for c in supported if c <= {TARGET_CC!r})
print("CC", cc, "NVVM", nvvm.NVVM().get_version(), "numba.cuda", getattr(cuda, "implementation", "?"))
if not cuda.is_available():
    import numba.cuda.dispatcher
    numba.cuda.dispatcher.get_current_device = lambda: types.SimpleNamespace(compute_capability=cc)
sys.path.insert(0, {str(REPOSITORY)!r})
"""


def nvvm_home() -> str | None:
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


def compile_to_ptx(script: str) -> str:
    """Run :data:`PROLOGUE` then ``script`` in a subprocess; skip where no libNVVM is found, fail
    unless it exits 0 printing ``PTX-OK``. Returns its output."""
    cuda_module()  # numba.cuda behind the core's numpy shim, as everywhere
    from numba.cuda.cudadrv import nvvm

    home = nvvm_home()
    if home is None and not nvvm.is_available():
        pytest.skip("libnvvm not found (set CUDA_HOME, or pip install nvidia-cuda-nvcc-cu12)")
    env = {**os.environ, **({"CUDA_HOME": home} if home else {})}
    env.pop("NUMBA_ENABLE_CUDASIM", None)
    if home and os.path.isdir(os.path.join(home, "nvvm", "lib64")):
        # numba-cuda finds the wheel's NVVM itself; numba's built-in target looks in CUDA_HOME only for
        # a versioned libnvvm.so.N (the wheel's is libnvvm.so), then dlopens "libnvvm.so": the
        # wheel's first on the loader's path, so that NVVM is used, not a toolkit the machine may have
        env["LD_LIBRARY_PATH"] = os.pathsep.join(
            filter(None, [os.path.join(home, "nvvm", "lib64"), env.get("LD_LIBRARY_PATH")]))
    result = subprocess.run([sys.executable, "-c", PROLOGUE + script], cwd=REPOSITORY, env=env,
                            capture_output=True, text=True, timeout=600, check=False)
    output = result.stdout + result.stderr
    if "NO-NVVM" in output:
        pytest.skip("libnvvm not found (set CUDA_HOME, or pip install nvidia-cuda-nvcc-cu12)")
    assert result.returncode == 0 and "PTX-OK" in output, output[-6000:]
    return output


#: Epilogue of a compiling script's kernel: prints the compiler that made ``ptx`` (its header's
#: "Cuda compilation tools, release X" line).
COMPILER_LINE = """
print("compiler:", next((line.strip("/ ") for line in ptx.splitlines() if "compilation tools" in line), "?"))
"""
