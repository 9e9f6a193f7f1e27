"""The API reference (docs/api/*.md, rendered by mkdocstrings): every ``::: name`` names an object
that imports, and every page is in mkdocs.yml's nav. Cheap: no mkdocs needed (the strict build is
tests/test_examples.py::test_documentation_builds_strictly, where mkdocstrings is installed)."""

from __future__ import annotations

import importlib
import re
from pathlib import Path

import pytest

REPOSITORY = Path(__file__).resolve().parents[2]
API = REPOSITORY / "docs" / "api"
DIRECTIVE = re.compile(r"^:::\s+(\S+)\s*$", re.MULTILINE)


def directives() -> list[tuple[str, str]]:
    """(page, dotted name) of every ``::: name`` line of docs/api."""
    return [(page.name, name) for page in sorted(API.glob("*.md"))
            for name in DIRECTIVE.findall(page.read_text())]


def resolve(dotted: str):
    """The object ``dotted`` names: the longest importable module prefix, then attributes."""
    parts = dotted.split(".")
    for split in range(len(parts), 0, -1):
        try:
            target = importlib.import_module(".".join(parts[:split]))
        except ImportError:
            continue
        for attribute in parts[split:]:
            target = getattr(target, attribute)
        return target
    raise ImportError(f"no module in {dotted!r}")


def test_the_api_reference_has_pages_and_directives():
    names = [name for _, name in directives()]
    assert len(names) >= 30
    for expected in ("likelihub.StatisticalModel", "likelihub.get_backend", "likelihub.plot",
                     "likelihub.plugin", "likelihub.UpperLimitResult",
                     "likelihub_simplified.factories.third_moment_expansion_model"):
        assert expected in names


@pytest.mark.parametrize(("page", "name"), directives())
def test_every_directive_resolves_to_a_documented_object(page, name):
    target = resolve(name)
    assert (getattr(target, "__doc__", None) or "").strip(), f"{page}: {name} has no docstring"


def test_every_api_page_is_in_the_nav():
    nav = (REPOSITORY / "mkdocs.yml").read_text()
    for page in API.glob("*.md"):
        assert f"api/{page.name}" in nav, page.name


def test_every_registered_bundled_factory_is_in_the_reference():
    import likelihub as lh

    documented = {name for _, name in directives()}
    for backend, info in lh.available_backends().items():
        if info.plugin in {"histfactory", "simplified", "combiner", "combine", "hs3", "onnx"}:
            assert info.factory.replace(":", ".") in documented, backend
