"""numba.cuda on today's stack: the core's numpy shim (:func:`likelihub.devices.ensure_numpy_row_stack`)
and the one way likelihub and its plugins import numba.cuda (:func:`likelihub.plugin.cuda_module`).

numba-cuda 0.30.x registers ``np.row_stack``, which numpy 2.5 removed (found on a GPU machine with
numpy 2.5, ``shared/tools/gpu/cuda_probe.py``); this machine's numpy may still have it, so a stand-in
module, and a subprocess with ``row_stack`` deleted from numpy, play numpy 2.5 here.
"""

import ast
import os
import subprocess
import sys
import types
from pathlib import Path

import numpy as np
import pytest

from likelihub.devices import ensure_numpy_row_stack
from likelihub.errors import CapabilityError
from likelihub.plugin import cuda_available, select_device

REPOSITORY = Path(__file__).parents[2]


def test_the_shim_adds_row_stack_as_vstack_where_numpy_lacks_it():
    numpy_2_5 = types.SimpleNamespace(vstack=np.vstack)  # numpy 2.5: vstack, no row_stack
    assert ensure_numpy_row_stack(numpy_2_5) is True
    assert numpy_2_5.row_stack is np.vstack
    # numpy's documented equivalence (numpy 2.0-2.4: "row_stack is an alias for vstack")
    np.testing.assert_array_equal(numpy_2_5.row_stack(([1, 2], [3, 4])), [[1, 2], [3, 4]])
    assert ensure_numpy_row_stack(numpy_2_5) is False  # a second call changes nothing


def test_the_shim_leaves_a_numpy_with_row_stack_alone():
    def own_row_stack(arrays):
        return arrays

    numpy_2_4 = types.SimpleNamespace(vstack=np.vstack, row_stack=own_row_stack)
    assert ensure_numpy_row_stack(numpy_2_4) is False
    assert numpy_2_4.row_stack is own_row_stack


def test_importing_likelihub_does_not_touch_numpy_or_numba():
    code = ("import sys, numpy; had = hasattr(numpy, 'row_stack'); import likelihub, likelihub.plugin; "
            "assert hasattr(numpy, 'row_stack') == had; "
            "assert not [m for m in sys.modules if m == 'numba' or m.startswith('numba.')], 'numba imported'")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                            check=False)
    assert result.returncode == 0, result.stderr[-3000:]


def _numba_cuda_imports(path: Path) -> list[int]:
    """Lines of ``path`` that import numba.cuda or a submodule of it, in any form."""
    lines = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            names = [f"{node.module}.{alias.name}" for alias in node.names]
        else:
            continue
        if any(name == "numba.cuda" or name.startswith("numba.cuda.") for name in names):
            lines.append(node.lineno)
    return lines


def test_only_the_core_devices_module_imports_numba_cuda():
    """Every other module takes numba.cuda from likelihub.plugin.cuda_module(), behind the shim."""
    allowed = REPOSITORY / "hub" / "likelihub" / "devices.py"
    offenders = {str(path.relative_to(REPOSITORY)): lines
                 for root in ("hub", "plugins") for path in sorted((REPOSITORY / root).rglob("*.py"))
                 if path != allowed and not {"build", ".venv"} & set(path.parts)  # build outputs
                 and (lines := _numba_cuda_imports(path))}
    assert not offenders, (f"numba.cuda imported directly at {offenders}: use "
                           "`cuda = likelihub.plugin.cuda_module()` (it applies the numpy 2.5 shim first)")
    assert _numba_cuda_imports(allowed)  # the one place


#: Plays numpy 2.5 (``row_stack`` deleted, after scipy and numba's CPU target are loaded: they read
#: numpy's names at import), then runs ``argv[1]``; prints whether numpy had ``row_stack`` at the
#: first import of numba.cuda, and whether it is numpy.vstack at the end.
PROBE = """
import importlib, importlib.abc, sys
import likelihub, numba, numpy
if hasattr(numpy, "row_stack"):  # numpy < 2.5
    del numpy.row_stack
seen = []
class FirstImportOfNumbaCuda(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name == "numba.cuda" and not seen:
            seen.append(hasattr(numpy, "row_stack"))
        return None
sys.meta_path.insert(0, FirstImportOfNumbaCuda())
exec(sys.argv[1])
print("ROW_STACK_AT_NUMBA_CUDA", seen, "ALIASED", getattr(numpy, "row_stack", None) is numpy.vstack)
"""


@pytest.mark.parametrize(("path", "statement", "shimmed"), [
    ("the core's device choice", "likelihub.plugin.select_device('auto')", True),
    ("the HistFactory kernels", "import likelihub_histfactory.kernels.cuda", True),
    ("the Combine kernels", "import likelihub_combine.kernels.cuda", True),
    # control: the probe sees an import that bypasses the core
    ("numba.cuda directly", "import numba.cuda", False),
])
def test_numba_cuda_is_first_imported_behind_the_shim(path, statement, shimmed):
    env = {key: value for key, value in os.environ.items() if key != "NUMBA_ENABLE_CUDASIM"}
    result = subprocess.run([sys.executable, "-c", "import likelihub.plugin\n" + PROBE, statement],
                            cwd=REPOSITORY, env=env, capture_output=True, text=True, timeout=300, check=False)
    assert result.returncode == 0, f"{path}: {result.stderr[-3000:]}"
    assert f"ROW_STACK_AT_NUMBA_CUDA [{shimmed}] ALIASED {shimmed}" in result.stdout, (path, result.stdout)


@pytest.mark.skipif(cuda_available(), reason="a CUDA device is available here")
def test_cuda_without_a_gpu_is_still_a_one_line_capability_error():
    with pytest.raises(CapabilityError, match="numba.cuda finds no usable GPU") as error:
        select_device("cuda")
    assert "\n" not in str(error.value)
