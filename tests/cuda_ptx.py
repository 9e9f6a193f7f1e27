"""Compiling CUDA kernels to PTX for a real GPU, without one: shared by the plugins' PTX tests.

``numba.cuda.compile_ptx`` needs only libNVVM and libdevice, no driver and no GPU: the CUDA toolkit
(``CUDA_HOME``), or the registry's wheel ``nvidia-cuda-nvcc-cu12`` (in the ``test`` extra, so CI has
it). The architecture is sm_90 (:data:`TARGET_CC`, the H100/H200 the kernels were measured on), or
the highest the installed NVVM supports below it, printed by the compiling script. Each test compiles
in a subprocess: without ``NUMBA_ENABLE_CUDASIM`` (the simulator cannot compile) and with the NVVM
found here.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

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
cc = max(c for c in nvvm.get_supported_ccs() if c <= {TARGET_CC!r})
print("CC", cc, "NVVM", nvvm.NVVM().get_version())
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
    from numba.cuda.cudadrv import nvvm

    home = nvvm_home()
    if home is None and not nvvm.is_available():
        pytest.skip("libnvvm not found (set CUDA_HOME, or pip install nvidia-cuda-nvcc-cu12)")
    env = {**os.environ, **({"CUDA_HOME": home} if home else {})}
    env.pop("NUMBA_ENABLE_CUDASIM", None)
    if home and os.path.isdir(os.path.join(home, "nvvm", "lib64")):
        # numba's built-in target looks in CUDA_HOME only for a versioned libnvvm.so.N (the wheel's is
        # libnvvm.so) and then dlopens "libnvvm.so": put the wheel's first on the loader's path, so
        # the NVVM used is this one, not whatever toolkit the machine may have
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
