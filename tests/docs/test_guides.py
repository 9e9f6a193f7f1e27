"""The README's quickstart, the quickstart page and the guides "coming from pyhf / spey / Combine" run
as pasted.

Each document's ```python blocks run in order, in one namespace, in a scratch folder holding links
to the files they name (from ../shared/data; skipped where it is absent). Blocks of the other tool
(first line ``# pyhf ...`` or ``# spey ...``) are skipped: they show the peer's side. Then the
numbers the guides quote are checked against their origins:

- pyhf 0.7.6: ``reference/histfactory-pyhf.json`` of the shared data;
- spey 0.2.7: ``tests/docs/spey_reference.json`` (``tests/docs/make_spey_reference.py``);
- Combine: ``datacards/combine_benchmarks/reference_limits.json`` and the ``references.json`` of
  ``datacards/combine_docs`` (Combine's validation file and documentation).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

REPOSITORY = Path(__file__).resolve().parents[2]
PEER_BLOCK = re.compile(r"#\s*(pyhf|spey)\b")
BLOCK = re.compile(r"^```python\n(.*?)^```", re.MULTILINE | re.DOTALL)


def python_blocks(text: str) -> list[str]:
    """The likelihub ```python blocks of a markdown text (the peers' blocks left out)."""
    return [code for code in BLOCK.findall(text) if not PEER_BLOCK.match(code.splitlines()[0])]


def section(text: str, heading: str) -> str:
    """The part of ``text`` from ``heading`` to the next heading of the same level."""
    start = text.index(heading)
    level = heading.split(" ")[0]
    end = text.find(f"\n{level} ", start + len(heading))
    return text[start:] if end < 0 else text[start:end]


def run_blocks(blocks: list[str], where: Path, label: str, monkeypatch) -> dict:
    """Run ``blocks`` in order in one namespace, in the folder ``where``; the namespace."""
    pytest.importorskip("matplotlib").use("Agg")
    monkeypatch.chdir(where)
    namespace: dict = {"__name__": f"guide_{label}"}
    for number, code in enumerate(blocks):
        exec(compile(code, f"{label}[block {number}]", "exec"), namespace)  # noqa: S102
    return namespace


def link(where: Path, *targets: Path) -> Path:
    for target in targets:
        (where / target.name).symlink_to(target)
    return where


def test_the_guides_have_both_sides():
    for name, peer in (("coming-from-pyhf.md", "# pyhf"), ("coming-from-spey.md", "# spey"),
                       ("coming-from-combine.md", "```sh\ncombine -M")):
        text = (REPOSITORY / "docs" / name).read_text()
        assert peer in text and len(python_blocks(text)) >= 3, name


def test_readme_quickstart_runs_as_pasted(shared_data, tmp_path, monkeypatch, capsys):
    readme = (REPOSITORY / "README.md").read_text()
    blocks = python_blocks(section(readme, "## Quickstart"))
    assert len(blocks) == 1 and "import numpy as np" in blocks[0]
    where = link(tmp_path, shared_data / "histfactory" / "atlas-susy-2019-08-1Lbb.tar.gz")
    namespace = run_blocks(blocks, where, "README-quickstart", monkeypatch)
    assert (tmp_path / "brazil.png").read_bytes()[:4] == b"\x89PNG" and (tmp_path / "contours.png").is_file()
    reference = json.loads((shared_data / "reference" / "histfactory-pyhf.json").read_text())
    case = next(c for c in reference["cases"] if c["patch"] == "C1N2_Wh_hbb_900_250")
    # pyhf 0.7.6 (shared reference file); the validation tests hold CLs to 1e-4 and limits to 1e-3
    assert namespace["atlas"].cls(1.0).cls_obs == pytest.approx(case["cls_obs_mu1"], abs=1e-4)
    assert "95% CL upper limit" in capsys.readouterr().out


def test_the_documentation_home_page_runs(shared_data, tmp_path, monkeypatch):
    blocks = python_blocks((REPOSITORY / "docs" / "index.md").read_text())
    where = link(tmp_path, shared_data / "histfactory" / "atlas-susy-2018-31-sbottom.tar.gz")
    namespace = run_blocks(blocks, where, "docs-index", monkeypatch)
    assert namespace["combined"].config.poi_name == "mu"


def test_coming_from_pyhf_runs(shared_data, tmp_path, monkeypatch):
    blocks = python_blocks((REPOSITORY / "docs" / "coming-from-pyhf.md").read_text())
    where = link(tmp_path, shared_data / "histfactory" / "atlas-susy-2019-08-1Lbb.tar.gz")
    namespace = run_blocks(blocks, where, "coming-from-pyhf", monkeypatch)
    reference = json.loads((shared_data / "reference" / "histfactory-pyhf.json").read_text())
    case = next(c for c in reference["cases"] if c["patch"] == "C1N2_Wh_hbb_900_250")
    # pyhf 0.7.6 (shared reference file): the numbers the guide's table quotes
    assert namespace["result"].cls_obs == pytest.approx(case["cls_obs_mu1"], abs=1e-4)
    assert namespace["result"].cls_exp == pytest.approx(case["cls_exp_mu1"], abs=1e-4)
    assert namespace["limit"].observed == pytest.approx(case["upper_limit_obs"], rel=1e-3)
    assert namespace["limit"].expected == pytest.approx(case["upper_limit_exp"], rel=1e-3)
    assert namespace["same"].cls(1.0).cls_obs == pytest.approx(namespace["result"].cls_obs, abs=1e-9)


def test_coming_from_spey_runs(tmp_path, monkeypatch):
    blocks = python_blocks((REPOSITORY / "docs" / "coming-from-spey.md").read_text())
    namespace = run_blocks(blocks, tmp_path, "coming-from-spey", monkeypatch)  # the shipped example only
    spey = json.loads((Path(__file__).parent / "spey_reference.json").read_text())
    result, apriori, limit, model = (namespace[k] for k in ("result", "apriori", "limit", "model"))
    # spey 0.2.7 on the same inputs (spey_reference.json); CLs to 1e-5, limits and fits to 1e-3
    assert 1 - result.cls_obs == pytest.approx(spey["exclusion_confidence_level"][0], abs=1e-5)
    assert [1 - c for c in result.cls_exp] == pytest.approx(spey["exclusion_confidence_level_aposteriori"],
                                                             abs=1e-5)
    assert [1 - c for c in apriori.cls_exp] == pytest.approx(spey["exclusion_confidence_level_apriori"],
                                                              abs=1e-5)
    assert limit.observed == pytest.approx(spey["poi_upper_limit"], rel=1e-3)
    assert limit.expected[2] == pytest.approx(spey["poi_upper_limit_aposteriori"], rel=1e-3)
    assert model.chi2(1.0) == pytest.approx(spey["chi2_mu1"], rel=1e-4)
    assert model.chi2(1.0, mu_ref=0.0) == pytest.approx(spey["chi2_mu1_over_mu0"], rel=1e-4)
    assert namespace["fit"]["mu"] == pytest.approx(spey["mu_hat"], abs=1e-3)
    assert model.sigma_mu(1.0, method="hessian") == pytest.approx(spey["sigma_mu_1"], rel=1e-3)
    significance = model.significance(asimov_global_observables="nominal")
    assert significance.z_obs == pytest.approx(spey["significance"]["z_obs"], rel=1e-3)
    assert significance.z_exp == pytest.approx(spey["significance"]["z_exp"], rel=1e-3)


def test_coming_from_combine_runs(shared_data, tmp_path, monkeypatch):
    cards = shared_data / "datacards"
    blocks = python_blocks((REPOSITORY / "docs" / "coming-from-combine.md").read_text())
    where = link(tmp_path, cards / "combine_benchmarks", cards / "combine_docs")
    namespace = run_blocks(blocks, where, "coming-from-combine", monkeypatch)
    benchmark = json.loads((cards / "combine_benchmarks" / "reference_limits.json").read_text())
    combine = benchmark["results"]["counting-B5p5-Obs6-Syst30B.txt"]["Counting_Asymptotic"]
    # Combine's validation file: a 2011-13 Combine, expected limits quantised at 1e-3 (shared README: ~1%)
    limit = namespace["limit"]
    assert limit.observed == pytest.approx(combine["Obs"], rel=0.01)
    assert limit.expected == pytest.approx([combine[k] for k in ("E025", "E159", "E500", "E839", "E975")],
                                           rel=0.01)
    # Combine's long exercise, FitDiagnostics (HESSE): r = -2.722 +- 2.59, printed to 3-4 digits
    shape = json.loads((cards / "combine_docs" / "longexercise_part2_shape" / "references.json").read_text())
    r, error = shape["results"][0]["fit_s (RooFitResult, HESSE)"]["r"]
    fit_s = namespace["fit_s"]
    assert fit_s["r"] == pytest.approx(r, abs=0.01)
    assert fit_s.uncertainties[fit_s.parameter_names.index("r")] == pytest.approx(error, rel=0.01)
    # Combine's statistical-routines tutorial, MultiDimFit --algo singles: 0.26 -1.004 +1.265 (printed
    # to 3 digits: the errors to 0.005)
    singles = json.loads((cards / "combine_docs" / "stat_routines_counting" / "references.json").read_text())
    minus, plus = singles["results"][1]["interval68"]
    interval = namespace["interval"]
    errors = (interval.low - interval.best_fit, interval.high - interval.best_fit)
    assert errors == pytest.approx((minus, plus), abs=0.005)


def test_the_quickstart_page_runs(shared_data, tmp_path, monkeypatch):
    blocks = python_blocks((REPOSITORY / "docs" / "quickstart.md").read_text())
    where = link(tmp_path, shared_data / "histfactory" / "atlas-susy-2019-08-1Lbb.tar.gz")
    namespace = run_blocks(blocks, where, "docs-quickstart", monkeypatch)
    assert (tmp_path / "brazil.png").read_bytes()[:4] == b"\x89PNG"
    reference = json.loads((shared_data / "reference" / "histfactory-pyhf.json").read_text())
    case = next(c for c in reference["cases"] if c["patch"] == "C1N2_Wh_hbb_900_250")
    # pyhf 0.7.6 (shared reference file); the validation tests hold CLs to 1e-4
    assert namespace["result"].cls_obs == pytest.approx(case["cls_obs_mu1"], abs=1e-4)
    assert namespace["combined"].config.poi_name == "mu"
