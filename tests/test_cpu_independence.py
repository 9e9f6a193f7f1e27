"""Tests must not depend on the CPU's vector unit: CI runs on machines with AVX-512.

numpy picks its SIMD code paths (exp, log, sums) and OpenBLAS its kernels by the CPU it finds, so
float results differ by a few ulps between machines. Here the tests that compare compiled arrays
and kernel paths run again with numpy's AVX2/FMA paths switched off (``NPY_DISABLE_CPU_FEATURES``)
and OpenBLAS on its Nehalem kernels (``OPENBLAS_CORETYPE``): another machine's rounding on this
one. A test that hashed float bytes (as test_compile_identity.py did) fails here.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPOSITORY = Path(__file__).resolve().parents[1]
MODULES = ["tests/histfactory/test_compile_identity.py", "tests/histfactory/test_interpolation.py"]


@pytest.mark.skipif(os.environ.get("NPY_DISABLE_CPU_FEATURES") is not None,
                    reason="already running with numpy CPU features disabled")
def test_compiled_arrays_match_with_other_simd_paths():
    env = dict(os.environ, NPY_DISABLE_CPU_FEATURES="X86_V3", OPENBLAS_CORETYPE="Nehalem")
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *MODULES],
                          cwd=REPOSITORY, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
