"""The published plugin API (``likelihub.plugin``) is frozen, and the plugins use nothing else.

A bundled plugin imports from the core only ``likelihub``, ``likelihub.errors`` and
``likelihub.plugin``, exactly as a third-party plugin would; where it uses ``likelihub`` itself
(``import likelihub as lh``), only names of ``likelihub.__all__``. The plugin template too.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import likelihub
import likelihub.plugin

ROOT = Path(__file__).resolve().parents[2]
PLUGIN_SOURCES = sorted(
    [path for path in (ROOT / "plugins").glob("*/likelihub_*/**/*.py")]
    + list((ROOT / "examples" / "plugin-template").glob("**/*.py")))
ALLOWED_MODULES = {"likelihub", "likelihub.errors", "likelihub.plugin"}

#: The published names. Changing this list is changing the plugin API: a deliberate act (a new
#: major version when a name goes), never the side effect of a refactoring.
PUBLISHED = [
    "hookimpl",
    "ModelConfig", "DataLayout", "Backend", "SupportsGradient", "SupportsHessian",
    "SupportsBatchDerivatives", "SupportsStacking", "Stack", "SupportsSampling", "SupportsDescribe",
    "SupportsConstraintTerms", "ConstraintTerm", "ConstraintSet", "SupportsEvaluateMany", "SupportsWarmUp",
    "SupportsWarmUpModel", "SupportsYields", "YieldLayout", "capabilities", "Capabilities", "optional_method",
    "check_backend", "StatisticalModel",
    "BackendStack", "StackMember",
    "draw_toys",
    "DEVICES", "BYTES_PER_LAUNCH", "cuda_available", "select_device", "launch_rows", "rows_in_chunks",
    "THREADS_PER_BLOCK",
    "cuda_module",
    "arguments", "poi_bounds_for",
    "FINITE", "FiniteFloat", "CONFIDENCE_LEVEL", "OutputFile", "EXECUTOR", "reporting_errors",
    "one_line", "write_output", "emit_json", "text_table",
    "file_head", "open_model",
    "plot",
    "PointSource", "PointFamily", "ScanPoint", "settings_of", "ModelEvaluator", "ScanResult",
]


def test_the_published_names_are_frozen():
    assert sorted(likelihub.plugin.__all__) == sorted(PUBLISHED)
    assert len(set(likelihub.plugin.__all__)) == len(likelihub.plugin.__all__)


@pytest.mark.parametrize("name", PUBLISHED)
def test_every_published_name_exists(name):
    assert getattr(likelihub.plugin, name) is not None


def _core_uses(tree: ast.AST) -> list[tuple[int, str]]:
    """(line, what) for every use of the core outside the published modules."""
    found, aliases = [], set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == "likelihub":
                    if alias.name not in ALLOWED_MODULES:
                        found.append((node.lineno, f"import {alias.name}"))
                    if alias.name == "likelihub":
                        aliases.add(alias.asname or "likelihub")
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module \
                and node.module.split(".")[0] == "likelihub":
            if node.module not in ALLOWED_MODULES:
                found.append((node.lineno, f"from {node.module} import ..."))
            elif node.module == "likelihub":
                for alias in node.names:
                    if alias.name not in likelihub.__all__:
                        found.append((node.lineno, f"from likelihub import {alias.name}"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) \
                and node.value.id in aliases and node.attr not in likelihub.__all__:
            found.append((node.lineno, f"{node.value.id}.{node.attr}"))
    return found


@pytest.mark.parametrize("path", PLUGIN_SOURCES, ids=lambda p: str(p.relative_to(ROOT)))
def test_plugins_use_only_the_published_api(path):
    uses = _core_uses(ast.parse(path.read_text(), filename=str(path)))
    assert not uses, f"{path.relative_to(ROOT)} reaches past the plugin API: {uses}"


def test_the_check_finds_what_it_must():
    source = ("import likelihub as lh\nfrom likelihub.fits.engine import fit\n"
              "from likelihub import StatisticalModel\nlh.fits.engine.fit\n"
              "from likelihub.plugin import hookimpl\nimport likelihub.errors\n")
    assert [what for _, what in _core_uses(ast.parse(source))] == [
        "from likelihub.fits.engine import ...", "lh.fits"]
