"""Every distribution of the repository ships its data files, and setuptools builds it without
warning "Package '...' is absent from the `packages` configuration" (issue 17: the warning about
``likelihub_histfactory.schemas``).

setuptools warns (``_IncludePackageDataAbuse`` in its ``build_py``) for a data file that lies in a
folder which is not itself one of the distribution's packages; it ships a data file only where its
package's ``package-data`` globs match it. Both are checked here on the configuration setuptools
reads from each ``pyproject.toml``, without building a wheel (a build needs setuptools >= 77 from
the registry: ``pip wheel --no-deps plugins/histfactory`` shows the same, see docs/install.md).
"""

from __future__ import annotations

import fnmatch
from pathlib import Path

import pytest

REPOSITORY = Path(__file__).resolve().parents[1]
PROJECTS = [REPOSITORY, *sorted(p.parent for p in (REPOSITORY / "plugins").glob("*/pyproject.toml"))]
SKIPPED_DIRECTORIES = {"__pycache__"}


def configuration(project: Path) -> tuple[list[str], dict[str, list[str]], dict[str, str]]:
    """(packages, package_data, package_dir) of ``project``'s ``[tool.setuptools]``, the packages
    found as setuptools finds them (``packages.find``: namespace packages too, as setuptools does
    for a pyproject.toml by default)."""
    tomllib = pytest.importorskip("tomllib")
    from setuptools.discovery import PackageFinder, PEP420PackageFinder

    table = tomllib.loads((project / "pyproject.toml").read_text())["tool"]["setuptools"]
    package_dir = dict(table.get("package-dir", {}))
    packages = table.get("packages")
    if isinstance(packages, dict) or packages is None:
        find = (packages or {}).get("find", {})
        finder = PEP420PackageFinder if find.get("namespaces", True) else PackageFinder
        where = find.get("where", ["."])
        packages = []
        for folder in where:
            packages += finder.find(str(project / folder), include=tuple(find.get("include", ["*"])),
                                    exclude=tuple(find.get("exclude", ())))
            if folder != ".":
                package_dir.setdefault("", folder)
    return list(packages), dict(table.get("package-data", {})), package_dir


def package_folder(project: Path, package: str, package_dir: dict[str, str]) -> Path:
    root = project / package_dir.get("", "")
    return root.joinpath(*package.split("."))


def data_files(folder: Path) -> list[Path]:
    return [path for path in folder.rglob("*") if path.is_file() and path.suffix not in (".py", ".pyc")
            and not SKIPPED_DIRECTORIES & set(path.relative_to(folder).parts)]


@pytest.mark.parametrize("project", PROJECTS, ids=lambda p: p.name)
def test_data_files_lie_in_packages_and_are_shipped(project):
    packages, package_data, package_dir = configuration(project)
    assert packages, f"{project.name}: no packages configured"
    folders = {package: package_folder(project, package, package_dir) for package in packages}
    tops = [package for package in packages if "." not in package]
    for top in tops:
        for path in data_files(folders[top]):
            owner = next((p for p, folder in folders.items() if folder == path.parent), None)
            assert owner is not None, (
                f"{path.relative_to(project)} lies in a folder that is no package of {project.name}: "
                "setuptools warns that the package is absent from the `packages` configuration")
            globs = package_data.get(owner, []) + package_data.get("", []) + package_data.get("*", [])
            assert any(fnmatch.fnmatch(path.name, glob) for glob in globs), (
                f"{path.relative_to(project)} is matched by no package-data glob of {owner!r}: not shipped")


def test_the_histfactory_schemas_and_the_examples_are_package_data():
    packages, package_data, _ = configuration(REPOSITORY / "plugins" / "histfactory")
    assert "likelihub_histfactory.spec" in packages
    assert {"likelihub_histfactory.spec.schemas", "likelihub_histfactory.data"} <= set(packages)
    assert package_data["likelihub_histfactory.spec.schemas"] == ["*.json"]
    packages, package_data, _ = configuration(REPOSITORY / "plugins" / "simplified")
    assert "likelihub_simplified.data" in packages and package_data["likelihub_simplified.data"] == ["*.json"]
