"""The core knows no likelihood (issue 12): nothing under hub/ imports a plugin, or names a plugin's
backend to build a model; plugins reach the core through the registry (backends, point sources,
examples, commands)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

HUB = Path(__file__).resolve().parents[2] / "hub" / "likelihub"
SOURCES = sorted(HUB.rglob("*.py"))
#: The backends the core names: lh.combine's two (uncorrelated, and sharing parameters: issue 14),
#: found through the registry (as issue 12 asks).
ALLOWED_BACKENDS = {"combiner.uncorrelated", "combiner.correlated"}


def is_plugin_module(name: str | None) -> bool:
    return bool(name) and name.split(".")[0].startswith("likelihub_")


def problems(code: str, label: str) -> list[str]:
    """Imports of plugin modules, and backends named to get_backend, in ``code``."""
    found = []
    for node in ast.walk(ast.parse(code, filename=label)):
        where = f"{label}:{getattr(node, 'lineno', '?')}"
        if isinstance(node, ast.Import):
            found += [f"{where}: import {a.name}" for a in node.names if is_plugin_module(a.name)]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and is_plugin_module(node.module):
            found.append(f"{where}: from {node.module} import ...")
        elif isinstance(node, ast.Call):
            called = node.func
            function = called.attr if isinstance(called, ast.Attribute) else getattr(called, "id", "")
            literal = [a.value for a in node.args[:1]
                       if isinstance(a, ast.Constant) and isinstance(a.value, str)]
            if function in ("import_module", "__import__") and literal and is_plugin_module(literal[0]):
                found.append(f"{where}: {function}({literal[0]!r})")
            if function == "get_backend" and literal and literal[0] not in ALLOWED_BACKENDS:
                found.append(f"{where}: get_backend({literal[0]!r})")
    return found


def test_the_walk_sees_the_core():
    assert len(SOURCES) > 30 and HUB / "running" / "scan.py" in SOURCES


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(HUB)))
def test_no_core_module_imports_a_plugin_or_names_its_backend(path):
    assert problems(path.read_text(encoding="utf-8"), str(path.relative_to(HUB.parent))) == []


def test_the_check_catches_what_it_should():
    code = ("import likelihub_histfactory.scan\nfrom likelihub_simplified import grid\n"
            "import importlib\nimportlib.import_module('likelihub_combiner')\n"
            "get_backend('histfactory')\nlh.get_backend(\"simplified.poisson\")\n"
            "get_backend('combiner.uncorrelated')\nfrom likelihub.plugin import PointSource\n")
    assert problems(code, "probe.py") == [
        "probe.py:1: import likelihub_histfactory.scan", "probe.py:2: from likelihub_simplified import ...",
        "probe.py:4: import_module('likelihub_combiner')", "probe.py:5: get_backend('histfactory')",
        "probe.py:6: get_backend('simplified.poisson')"]
