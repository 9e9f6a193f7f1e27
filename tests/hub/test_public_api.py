"""The public API is frozen here; `import likelihub` stays light; check_backend catches defects;
the command line lists backends."""

import subprocess
import sys

import numpy as np
import pytest
from click.testing import CliRunner

import likelihub as lh
from likelihub.backend.checks import check_backend
from likelihub.cli import cli

from .counting import BatchCountingBackend, CountingBackend


def test_public_api_is_frozen():
    assert sorted(lh.__all__) == sorted([
        "__version__", "errors", "DataLayout", "ModelConfig", "StatisticalModel", "FitResult",
        "CLsResult", "CLsScanResult", "SignificanceResult", "UpperLimitResult", "IntervalResult",
        "ProfileScanResult", "hookimpl",
        "get_backend", "available_backends", "backend_metadata", "refresh_backends", "combine",
        "scan",
    ])
    for name in lh.__all__:
        assert hasattr(lh, name), name


def test_import_does_not_load_heavy_dependencies():
    code = ("import sys, likelihub; likelihub.available_backends(); "
            "print(sorted(m for m in ('numba', 'matplotlib', 'jsonschema', 'dask', 'autograd') "
            "if m in sys.modules))")
    output = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert output.stdout.strip() == "[]"


def test_check_backend_accepts_a_correct_backend():
    check_backend(BatchCountingBackend(10, 5, 8, delta=0.1), pars=[0.7, 0.2])


def test_check_backend_catches_a_wrong_gradient():
    class WrongGradient(CountingBackend):
        def value_and_grad(self, pars, data):
            value, grad = super().value_and_grad(pars, data)
            return value, grad * 1.01

    with pytest.raises(AssertionError, match="gradient of 'mu'"):
        check_backend(WrongGradient(10, 5, 8))


def test_check_backend_catches_a_wrong_sample_shape():
    class WrongSample(CountingBackend):
        def sample(self, pars, size, rng):
            return np.zeros((size, 5))

    with pytest.raises(AssertionError, match="sample shape"):
        check_backend(WrongSample(10, 5, 8))


def test_cli_lists_backends_and_plugins():
    runner = CliRunner()
    result = runner.invoke(cli, ["backends"])
    assert result.exit_code == 0, result.output
    for name in lh.available_backends():
        assert name in result.output
    assert runner.invoke(cli, ["backends", "--json"]).exit_code == 0
    assert runner.invoke(cli, ["plugins"]).exit_code == 0
    assert lh.__version__ in runner.invoke(cli, ["--version"]).output
