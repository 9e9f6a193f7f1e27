"""The examples: the template plugin installs and is found; the example scripts run."""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from packaging.version import Version

import likelihub as lh

REPOSITORY = Path(__file__).resolve().parents[1]
EXAMPLES = REPOSITORY / "examples"

# pyhf 0.7.6 on the same model (one bin, n = 12, s = 5 with a normfactor mu, b = 10 with a
# histosys 12/8, code 0), toms748_scan on [0, 100] with rtol 1e-8.
TEMPLATE_PYHF_LIMIT_OBSERVED = 2.0436240649078985
TEMPLATE_PYHF_LIMIT_EXPECTED = [0.85967467032223, 1.1827093882589432, 1.7048785407563316,
                                2.502579779880936, 3.579733299045034]


def _can_build_offline() -> bool:
    """The installed setuptools meets the template's build requirement (>= 77), so pip need fetch nothing."""
    import setuptools

    return Version(setuptools.__version__) >= Version("77")


def test_plugin_template_installs_and_is_found(tmp_path):
    source = tmp_path / "plugin-template"
    shutil.copytree(EXAMPLES / "plugin-template", source)
    target = tmp_path / "site"
    command = [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-input",
               "--disable-pip-version-check", "--target", str(target), str(source)]
    if _can_build_offline():
        command.insert(4, "--no-build-isolation")
    subprocess.run(command, check=True, capture_output=True, text=True)
    script = (
        "import numpy as np, likelihub as lh\n"
        "from likelihub.backend.checks import check_backend\n"
        "assert 'example.counting' in lh.available_backends(), sorted(lh.available_backends())\n"
        "info = lh.backend_metadata('example.counting')\n"
        "assert info.plugin == 'example' and info.version == '0.1.0', info\n"
        "model = lh.get_backend('example.counting')(signal_yield=5, background_yield=10,\n"
        "                                           background_uncertainty=2, observed=12)\n"
        "check_backend(model.backend)\n"
        "limit = model.upper_limit()\n"
        "print(repr(limit.observed), *map(repr, limit.expected))\n"
    )
    environment = dict(os.environ, PYTHONPATH=os.pathsep.join(
        [str(target), *filter(None, [os.environ.get("PYTHONPATH")])]))
    run = subprocess.run([sys.executable, "-c", script], env=environment, capture_output=True,
                         text=True, check=False)
    assert run.returncode == 0, run.stderr
    observed, *expected = map(float, run.stdout.split())
    # the same likelihood as pyhf's: limits to 1e-4 relative (both root finders at rtol <= 1e-6)
    assert observed == pytest.approx(TEMPLATE_PYHF_LIMIT_OBSERVED, rel=1e-4)
    assert expected == pytest.approx(TEMPLATE_PYHF_LIMIT_EXPECTED, rel=1e-4)


def _reference_case(shared_data, analysis: str, patch: str) -> dict:
    cases = json.loads((shared_data / "reference" / "histfactory-pyhf.json").read_text())["cases"]
    return next(c for c in cases if c["analysis"] == analysis and c["patch"] == patch)


def test_recast_atlas_cms(shared_data, tmp_path):
    pytest.importorskip("likelihub_histfactory")
    pytest.importorskip("likelihub_simplified")
    figure, numbers = tmp_path / "brazil.png", tmp_path / "recast.json"
    run = subprocess.run([sys.executable, str(EXAMPLES / "recast_atlas_cms.py"), str(shared_data),
                          "--output", str(figure), "--json", str(numbers)],
                         capture_output=True, text=True, check=False, cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    assert figure.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    results = json.loads(numbers.read_text())
    atlas, cms, combined = (results[k] for k in ("ATLAS sbottom (full)", "CMS-SUS-20-004 (simplified)",
                                                 "combined"))
    # ATLAS alone: pyhf 0.7.6 on the same patch (shared/data/reference/histfactory-pyhf.json);
    # CLs to 1e-4 relative (both fits to ~1e-6 in -log L), limits to 1e-4 (TOMS 748, rtol 1e-6)
    reference = _reference_case(shared_data, "sbottomA", "sbottom_1300_205_60")
    assert atlas["cls_obs_mu1"] == pytest.approx(reference["cls_obs_mu1"], rel=1e-4)
    assert atlas["cls_exp_mu1"] == pytest.approx(reference["cls_exp_mu1"], rel=1e-4)
    assert atlas["upper_limit_obs"] == pytest.approx(reference["upper_limit_obs"], rel=1e-4)
    assert atlas["upper_limit_exp"] == pytest.approx(reference["upper_limit_exp"], rel=1e-4)
    # two experiments with no excess: the combination excludes more than either (CLs smaller)
    assert combined["cls_obs_mu1"] < min(atlas["cls_obs_mu1"], cms["cls_obs_mu1"])
    assert combined["upper_limit_obs"] < min(atlas["upper_limit_obs"], cms["upper_limit_obs"])
    assert "combined:" in run.stdout


def test_cms_datacard_example(shared_data, tmp_path):
    # The CMS-SUS-20-004 card's numbers are the API's on the same card (the same computation,
    # 1e-6: the roots' tolerance); the product with the ATLAS pallet excludes more than the card
    # alone (its CLs curve is the lower, the ATLAS signal adding sensitivity).
    pytest.importorskip("likelihub_histfactory")
    pytest.importorskip("likelihub_combine")
    figure, numbers = tmp_path / "card.png", tmp_path / "card.json"
    run = subprocess.run([sys.executable, str(EXAMPLES / "cms_datacard.py"), str(shared_data),
                          "--output", str(figure), "--json", str(numbers)],
                         capture_output=True, text=True, check=False, cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    assert figure.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    results = json.loads(numbers.read_text())
    card = lh.get_backend("combine.datacard")(shared_data / "datacards" / "cms_sus_20_004" /
                                              "2DTChiHH600_LSP150.txt")
    limit = card.upper_limit(band="percentiles")
    assert results["cms_card"]["upper_limit_obs"] == pytest.approx(limit.observed, rel=1e-6)
    assert results["cms_card"]["upper_limit_exp"] == pytest.approx(limit.expected, rel=1e-6)
    assert results["combined"]["upper_limit_obs"] < results["cms_card"]["upper_limit_obs"]
    assert "Expected 97.5%: r <" in run.stdout


def _load_example(name: str):
    spec = importlib.util.spec_from_file_location(f"example_{name}", EXAMPLES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_histfactory_pallet_example(shared_data, capsys):
    pytest.importorskip("likelihub_histfactory")
    result = _load_example("histfactory_pallet").main([str(shared_data), "--patch", "C1N2_Wh_hbb_900_250"])
    # pyhf 0.7.6 on the same patch (shared/data/reference/histfactory-pyhf.json), CLs to 1e-4 relative
    reference = _reference_case(shared_data, "1Lbb", "C1N2_Wh_hbb_900_250")
    assert result["cls_obs_mu1"] == pytest.approx(reference["cls_obs_mu1"], rel=1e-4)
    assert result["cls_exp_mu1"] == pytest.approx(reference["cls_exp_mu1"], rel=1e-4)
    assert "CLs at mu = 1" in capsys.readouterr().out


def test_simplified_covariance_example(shared_data):
    pytest.importorskip("likelihub_simplified")
    result = _load_example("simplified_covariance").main([str(shared_data)])
    # SModelS unit test (testSL.py testModel8): UL 131.586 on mu for signal/100, with nominal Asimov
    # global observables as SModelS; SModelS's own test tolerance is 1e-2 relative, we hold 1e-3
    assert result["nominal"]["observed"] == pytest.approx(131.58637474312224 / 100, rel=1e-3)


def test_exclusion_contour_example(shared_data, tmp_path):
    pytest.importorskip("likelihub_histfactory")
    figure = tmp_path / "exclusion.png"
    result = _load_example("exclusion_contour").main([str(shared_data), "--every", "6",
                                                      "--output", str(figure)])
    # every 6th of the 125 patches of the 1Lbb patchset: 21 points, each with a row in the CSV
    assert result["points"] == 21
    assert figure.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    rows = figure.with_suffix(".csv").read_text().splitlines()
    assert len(rows) == 1 + 21 and rows[0].startswith("name,m1,m2,cls_obs")
    # ATLAS excludes a part of this grid (arXiv:1909.09226: m1 up to ~740 GeV at low m2), not all of it
    assert 0 < result["excluded"] < 21


def test_documentation_builds_strictly(tmp_path):
    pytest.importorskip("mkdocs")
    pytest.importorskip("mkdocstrings_handlers.python")  # the API reference (docs/api)
    run = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--quiet",
                          "--site-dir", str(tmp_path / "site")],
                         cwd=REPOSITORY, capture_output=True, text=True, check=False)
    assert run.returncode == 0, run.stderr
    assert (tmp_path / "site" / "backends" / "combiner" / "index.html").is_file()
    api_page = tmp_path / "site" / "api" / "backends" / "index.html"
    assert "third_moment_expansion_model" in api_page.read_text()
