"""Combinations described in a small JSON file, from the shell (issue 17): ``likelihub limit
combination.json``, the components read by their formats with their options, paths relative to
the combination's folder, the correlations as ``lh.combine`` takes them.

Origin of every number: ``lh.combine`` of the same component models built through the Python API
(``likelihub.plugin.open_model``, or the backend factories); the command runs the same
computation: 1e-10 relative. Errors are one line naming the combination file and the component.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

import likelihub as lh
import likelihub_histfactory
from likelihub.cli.main import cli
from likelihub.plugin import open_model
from likelihub.registry.catalogue import find_format

REL = 1e-10
WORKSPACE = Path(likelihub_histfactory.__file__).parent / "data" / "example_workspace.json"
SIMPLIFIED = {"observed": [6, 8, 3], "background": [5.0, 6.0, 4.0],
              "covariance": [[1.0, 0.3, -0.2], [0.3, 4.0, 0.5], [-0.2, 0.5, 2.0]],
              "region_names": ["SR1", "SR2", "SR3"]}
SIGNAL = [2.0, 3.0, 1.5]


def run(*args, code: int = 0):
    result = CliRunner().invoke(cli, [str(a) for a in args])
    assert result.exit_code == code, result.output
    return result


@pytest.fixture
def folder(tmp_path):
    (tmp_path / "inputs").mkdir()
    (tmp_path / "inputs" / "cms.json").write_text(json.dumps(SIMPLIFIED))
    (tmp_path / "inputs" / "cms_signal.json").write_text(json.dumps(SIGNAL))
    shutil.copy(WORKSPACE, tmp_path / "inputs" / "atlas.json")
    return tmp_path


def combination(folder: Path, **extra) -> Path:
    path = folder / "combination.json"
    path.write_text(json.dumps({"components": [
        {"name": "cms", "file": "inputs/cms.json",
         "options": {"signal": "inputs/cms_signal.json", "model": "uncorrelated"}},
        {"name": "atlas", "file": "inputs/atlas.json", "format": "histfactory",
         "options": {"measurement": "demo"}}], **extra}))
    return path


def components(folder: Path):
    cms = open_model(str(folder / "inputs" / "cms.json"), signal=str(folder / "inputs" / "cms_signal.json"),
                     model="uncorrelated")
    atlas = lh.get_backend("histfactory")(str(folder / "inputs" / "atlas.json"), measurement="demo")
    return cms, atlas


def test_a_combination_file_is_recognised_by_its_components(folder):
    assert find_format(str(combination(folder))).name == "combiner"


def test_limit_and_cls_equal_the_apis_combination(folder):
    path = combination(folder)
    combined = lh.combine(*components(folder), names=["cms", "atlas"])
    limit = json.loads(run("limit", path).output)
    expected = combined.upper_limit()
    assert limit["observed"] == pytest.approx(expected.observed, rel=REL)
    assert limit["expected"] == pytest.approx(list(expected.expected), rel=REL)
    cls = json.loads(run("cls", path, "--mu", 0.5).output)
    assert cls["CLs_obs"] == pytest.approx(combined.cls(0.5).cls_obs, rel=REL)


def test_correlations_and_flag_spelled_options(folder):
    # two workspaces (other data) share their nuisance parameters by name ("names"), the second
    # component's options spelled as flags
    workspace = json.loads(WORKSPACE.read_text())
    for observation in workspace["observations"]:
        observation["data"] = [value + 3 for value in observation["data"]]
    (folder / "inputs" / "other.json").write_text(json.dumps(workspace))
    path = folder / "shared.json"
    path.write_text(json.dumps({"components": [
        {"name": "a", "file": "inputs/atlas.json"},
        {"name": "b", "file": "inputs/other.json", "options": {"--measurement": "demo"}}],
        "correlate": "names"}))
    a = lh.get_backend("histfactory")(str(folder / "inputs" / "atlas.json"))
    b = lh.get_backend("histfactory")(str(folder / "inputs" / "other.json"), measurement="demo")
    combined = lh.combine(a, b, names=["a", "b"], correlate="names")
    output = json.loads(run("cls", path).output)
    assert output["CLs_obs"] == pytest.approx(combined.cls(1.0).cls_obs, rel=REL)
    fit = json.loads(run("fit", path).output)
    assert fit["twice_nll"] == pytest.approx(combined.fit().twice_nll, rel=REL)


def test_a_partial_correlation(folder):
    # "correlation": [[a, b, rho]] is combine's {(a, b): rho}; the components share nothing else
    workspace = json.loads(WORKSPACE.read_text())
    for observation in workspace["observations"]:
        observation["data"] = [value + 3 for value in observation["data"]]
    (folder / "inputs" / "other.json").write_text(json.dumps(workspace))
    path = folder / "rho.json"
    path.write_text(json.dumps({"components": [{"name": "a", "file": "inputs/atlas.json"},
                                               {"name": "b", "file": "inputs/other.json"}],
                                "correlation": [["a/lumi", "b/lumi", 0.5]]}))
    a = lh.get_backend("histfactory")(str(folder / "inputs" / "atlas.json"))
    b = lh.get_backend("histfactory")(str(folder / "inputs" / "other.json"))
    combined = lh.combine(a, b, names=["a", "b"], correlation={("a/lumi", "b/lumi"): 0.5})
    output = json.loads(run("cls", path, "--mu", 0.8).output)
    assert output["CLs_obs"] == pytest.approx(combined.cls(0.8).cls_obs, rel=REL)


@pytest.mark.parametrize("component, fragments", [
    ({"name": "cms", "file": "inputs/nothing.json"}, ["components[0] ('cms')", "no such file"]),
    ({"name": "cms", "file": "inputs/cms.json", "options": {"signal": "1,2"}},
     ["components[0] ('cms')", "has 2 yields"]),
    ({"name": "cms", "file": "inputs/cms.json", "options": {"member": "x"}},
     ["components[0] ('cms')", "'member': not an option of simplified likelihoods"]),
    ({"name": "cms", "file": "inputs/cms.json", "colour": "red"},
     ["components[0]", "unknown key(s) 'colour'"]),
])
def test_bad_components_are_one_line_naming_the_file_and_component(folder, component, fragments):
    path = folder / "bad.json"
    path.write_text(json.dumps({"components": [component]}))
    result = run("limit", path, code=1)
    message = result.output.strip().splitlines()[-1]
    assert "Traceback" not in result.output and str(path) in message
    for fragment in fragments:
        assert fragment in message, message
