"""Every CUDA kernel of the HistFactory plugin compiles to PTX for a real GPU (sm_90), without one.

The simulator tests (``test_cuda_kernels.py``) check the kernels' numbers but never compile them:
this compiles each kernel that :mod:`likelihub_histfactory.kernels.cuda` and
:mod:`~likelihub_histfactory.kernels.cuda_hessian` launch, with the argument
types a launch gives it (:func:`~likelihub_histfactory.kernels.cuda.kernel_types`), through libNVVM
(``tests/cuda_ptx.py``: CUDA_HOME or the ``nvidia-cuda-nvcc-cu12`` wheel; skipped without either).
One subprocess, about 10 s.
"""

import os

import pytest

from tests.cuda_ptx import COMPILER_LINE, compile_to_ptx

#: The model: every modifier type of HistFactory (the kernel's code does not depend on the model,
#: its argument types do: these are the ones of every model).
SCRIPT = """
import json
from pathlib import Path
from numba.cuda.dispatcher import CUDADispatcher
from likelihub_histfactory.factory import build_backend
from likelihub_histfactory.kernels import cuda as kernels, cuda_hessian
backend = build_backend(json.loads(Path("tests/histfactory/data/all_modifiers.json").read_text()),
                        device="cpu")
modules = {"nll_and_grad_rows": kernels, "hessian_rows": cuda_hessian}
launched = {name for module in (kernels, cuda_hessian) for name, value in vars(module).items()
            if isinstance(value, CUDADispatcher) and not value.targetoptions.get("device")}
# every kernel of the modules, with the types a launch gives it; a new kernel must be added here
types_of = {"nll_and_grad_rows": kernels.kernel_types(backend.compiled),
            "hessian_rows": cuda_hessian.kernel_types(backend.compiled)}
assert launched == set(types_of), f"kernels {sorted(launched)}, compiled here {sorted(types_of)}"
for name, argument_types in types_of.items():
    ptx, _ = cuda.compile_ptx(getattr(modules[name], name).py_func, argument_types, cc=cc)
    assert ".entry" in ptx and name in ptx and f".target sm_{cc[0]}{cc[1]}" in ptx, ptx[:2000]
    print("compiled", name, len(ptx), "characters of PTX for", cc)
""" + COMPILER_LINE + """
print("PTX-OK")
"""


@pytest.mark.skipif(os.environ.get("NUMBA_ENABLE_CUDASIM") == "1", reason="compiles for a real GPU")
def test_every_kernel_compiles_to_ptx():
    output = compile_to_ptx(SCRIPT)
    assert "compiled nll_and_grad_rows" in output and "compiled hessian_rows" in output, output[-3000:]
    print(output)
