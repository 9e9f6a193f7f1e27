"""Simplified likelihoods' JSON files from the shell (issue 17): ``likelihub cls|limit|fit|
significance|inspect FILE --signal ... [--model ...]``, the format recognised by the file's keys.

Origin of every number: the Python API on the same model, built with ``lh.get_backend(...)`` from
the file's arrays (that API is validated against SModelS and spey in test_references.py); the
command runs the same computation, so CLs, limits and significances agree to 1e-10 relative
(JSON round trip of floats is exact; the margin is for nothing but safety). Errors are one line
naming the file, the argument and the bin.
"""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

import likelihub as lh
from likelihub.cli.inspect import inspect_command
from likelihub.cli.main import cli
from likelihub.registry.catalogue import find_format, get_format

REL = 1e-10

# a small synthetic file: 3 bins with a covariance and third moments (the layout of ../shared/data)
SYNTHETIC = {"observed": [6, 8, 3], "background": [5.0, 6.0, 4.0],
             "covariance": [[1.0, 0.3, -0.2], [0.3, 4.0, 0.5], [-0.2, 0.5, 2.0]],
             "third_moment": [0.5, 2.0, -1.0], "region_names": ["SR1", "SR2", "SR3"], "analysis": "toy"}
SIGNAL = [2.0, 3.0, 1.5]


def run(*args, code: int = 0):
    result = CliRunner().invoke(cli, [str(a) for a in args])
    assert result.exit_code == code, result.output
    return result


def assert_one_line_error(result, *fragments):
    assert result.exit_code != 0 and "Traceback" not in result.output
    message = result.output.strip().splitlines()[-1]
    for fragment in fragments:
        assert fragment in message, message


@pytest.fixture
def synthetic(tmp_path):
    path = tmp_path / "toy_sl.json"
    path.write_text(json.dumps(SYNTHETIC))
    return path


def api_model(document: dict, signal, backend: str):
    arguments = {"background_yields": document["background"], "data": document["observed"]}
    if backend in ("simplified.correlated_background", "simplified.third_moment_expansion"):
        arguments["covariance_matrix"] = document["covariance"]
    if backend == "simplified.third_moment_expansion":
        arguments["third_moment"] = document["third_moment"]
    if backend == "simplified.uncorrelated_background":  # sigma from the covariance's diagonal
        arguments["absolute_uncertainties"] = [document["covariance"][i][i] ** 0.5
                                               for i in range(len(document["background"]))]
    return lh.get_backend(backend)(signal, **arguments)


def test_the_format_is_recognised_by_the_keys_before_the_workspaces_suffix(synthetic, shared_data):
    assert find_format(str(synthetic)).name == "simplified"
    assert find_format(str(shared_data / "simplified" / "CMS-SUS-20-004-eff.json")).name == "simplified"
    assert find_format(str(shared_data / "simplified" / "SLpaper-model-90.json")).name == "simplified"


@pytest.mark.parametrize("model, backend", [
    (None, "simplified.third_moment_expansion"),  # third moments present: spey's and SModelS' choice
    ("correlated", "simplified.correlated_background"),
    ("uncorrelated", "simplified.uncorrelated_background"),
    ("simplified.third_moment_expansion", "simplified.third_moment_expansion"),
])
def test_cls_equals_the_api_for_each_model(synthetic, model, backend):
    args = ["cls", synthetic, "--signal", ",".join(map(str, SIGNAL)), "--mu", 1.5]
    output = json.loads(run(*args, *(["--model", model] if model else [])).output)
    expected = api_model(SYNTHETIC, SIGNAL, backend).cls(1.5)
    assert output["CLs_obs"] == pytest.approx(expected.cls_obs, rel=REL)
    assert output["CLs_exp"] == pytest.approx(list(expected.cls_exp), rel=REL)


def test_the_issues_command_works_on_the_published_file(shared_data, tmp_path):
    # `likelihub cls CMS-SUS-20-004-eff.json` said "'channels' is a required property"
    path = shared_data / "simplified" / "CMS-SUS-20-004-eff.json"
    document = json.loads(path.read_text())
    signal = [0.1 * (i % 5) for i in range(document["n_bins"])]
    signal_file = tmp_path / "signal.json"
    signal_file.write_text(json.dumps({"signal": signal}))
    output = json.loads(run("cls", path, "--signal", signal_file).output)
    expected = api_model(document, signal, "simplified.third_moment_expansion").cls(1.0)
    assert output["CLs_obs"] == pytest.approx(expected.cls_obs, rel=REL)
    assert output["CLs_exp"] == pytest.approx(list(expected.cls_exp), rel=REL)


def test_limit_fit_and_significance_with_the_files_own_signal(shared_data):
    path = shared_data / "simplified" / "CMS-NOTE-2017-001.json"  # holds "signal", no third moments
    document = json.loads(path.read_text())
    model = api_model(document, document["signal"], "simplified.correlated_background")
    limit = json.loads(run("limit", path).output)
    expected = model.upper_limit()
    assert limit["observed"] == pytest.approx(expected.observed, rel=REL)
    assert limit["expected"] == pytest.approx(list(expected.expected), rel=REL)
    fit = json.loads(run("fit", path).output)
    assert fit["twice_nll"] == pytest.approx(model.fit().twice_nll, rel=REL)
    significance = json.loads(run("significance", path).output)
    z = model.significance()
    assert significance["Z_obs"] == pytest.approx(z.z_obs, rel=REL)
    assert significance["Z_exp"] == pytest.approx(z.z_exp, rel=REL)
    assert significance["p0_obs"] == pytest.approx(z.p_obs, rel=REL)


@pytest.mark.parametrize("write", ["json_list", "csv_column", "csv_row", "text_header"])
def test_the_signal_file_layouts(synthetic, tmp_path, write):
    texts = {"json_list": ("s.json", json.dumps(SIGNAL)),
             "csv_column": ("s.csv", "\n".join(map(str, SIGNAL)) + "\n"),
             "csv_row": ("s.csv", ",".join(map(str, SIGNAL)) + "\n"),
             "text_header": ("s.txt", "# signal at mu = 1\nyield\n" + "\n".join(map(str, SIGNAL)))}
    name, text = texts[write]
    (tmp_path / name).write_text(text)
    output = json.loads(run("cls", synthetic, "--signal", tmp_path / name).output)
    expected = api_model(SYNTHETIC, SIGNAL, "simplified.third_moment_expansion").cls(1.0)
    assert output["CLs_obs"] == pytest.approx(expected.cls_obs, rel=REL)


def test_inspect_needs_no_signal(synthetic):
    output = json.loads(CliRunner().invoke(inspect_command, [str(synthetic), "--json"]).output)
    assert output["model"] == "simplified.third_moment_expansion" and output["bins"] == 3
    assert output["bin"] == ["SR1", "SR2", "SR3"] and "signal" not in output
    text = run("inspect", synthetic, "--model", "correlated").output
    assert "simplified.correlated_background" in text and "SR2" in text


@pytest.mark.parametrize("args, fragments", [
    (["--signal", "1,2"], ["argument 'signal'", "has 2 yields", "has 3 bins"]),
    (["--signal", "1,-2,3"], ["bin 'SR2'", "argument 'signal'", "-2 is negative", "bin 2 of 3"]),
    (["--signal", "nothing.json"], ["argument 'signal'", "neither comma-separated yields"]),
    ([], ["argument 'signal'", "holds no \"signal\"", "--signal"]),
    (["--signal", "1,2,3", "--model", "lognormal"], ["argument 'model'", "'lognormal'", "third_moment"]),
])
def test_bad_input_is_one_line_naming_where(synthetic, args, fragments):
    assert_one_line_error(run("cls", synthetic, *args, code=1), *fragments)


def test_bad_files_are_one_line_naming_the_file_and_key(tmp_path):
    path = tmp_path / "bad.json"
    path.write_text(json.dumps({**SYNTHETIC, "observed": [6, 8.5, 3]}))
    assert_one_line_error(run("cls", path, "--signal", "1,2,3", code=1), str(path), "'observed'",
                          "whole numbers")
    path.write_text(json.dumps({**SYNTHETIC, "third_moment": None, "covariance": None}))
    assert_one_line_error(run("cls", path, "--signal", "1,2,3", code=1), str(path), "--model poisson")
    path.write_text(json.dumps({**SYNTHETIC, "covariance": None}))  # third moments need a covariance
    assert_one_line_error(run("cls", path, "--signal", "1,2,3", code=1), "third_moment_expansion",
                          "needs covariance, which")
    assert_one_line_error(run("cls", path, "--signal", "1,2,3", "--model", "correlated", code=1),
                          "(chosen by --model) needs covariance")
    path.write_text(json.dumps({"observed": [1], "background": [1.0], "background_m1": [1.0]}))
    assert_one_line_error(run("cls", path, "--signal", "1", code=1), "background twice")


def test_backend_names_the_format(synthetic):
    # --backend is --format; a backend's name no format builds by default says what to do
    output = json.loads(run("cls", synthetic, "--backend", "simplified", "--signal", "2,3,1.5").output)
    assert output["CLs_obs"] == pytest.approx(
        api_model(SYNTHETIC, SIGNAL, "simplified.third_moment_expansion").cls(1.0).cls_obs, rel=REL)
    result = run("cls", synthetic, "--backend", "simplified.poisson", code=2)
    assert_one_line_error(result, "is a backend", "its options (e.g. --model) choose")


def test_scan_of_a_signal_grid_with_the_likelihoods_file(synthetic, tmp_path):
    # likelihub scan GRID --likelihood FILE: each point's limit is the API's on the same model
    grid = tmp_path / "grid.csv"
    grid.write_text("name,mass,SR1,SR2,SR3\nm100,100,2,3,1.5\nm200,200,1,1.5,0.7\n")
    output = tmp_path / "limits.json"
    run("scan", grid, "--likelihood", synthetic, "--label-columns", "mass", "--what", "upper_limit",
        "--executor", "serial", "--output", output)
    rows = json.loads(output.read_text())
    signals = {"m100": [2.0, 3.0, 1.5], "m200": [1.0, 1.5, 0.7]}
    assert sorted(row["name"] for row in rows) == sorted(signals)
    for row in rows:  # third moments in the file: the third-moment expansion, as `likelihub cls`
        expected = api_model(SYNTHETIC, signals[row["name"]], "simplified.third_moment_expansion")
        limit = expected.upper_limit()
        assert row["upper_limit_obs"] == pytest.approx(limit.observed, rel=REL)
        assert row["upper_limit_exp"] == pytest.approx(list(limit.expected), rel=REL)


def test_several_signal_components_and_poi(synthetic, tmp_path):
    # {poi: yields} in a signal file: one POI each; --poi tests another (the API's with_poi)
    components = {"mu_a": [2.0, 0.5, 1.5], "mu_b": [0.4, 3.0, 1.0]}
    (tmp_path / "components.json").write_text(json.dumps(components))
    model = api_model(SYNTHETIC, components, "simplified.third_moment_expansion")
    signal = tmp_path / "components.json"
    output = json.loads(run("cls", synthetic, "--signal", signal, "--poi", "mu_b").output)
    assert output["CLs_obs"] == pytest.approx(model.with_poi("mu_b").cls(1.0).cls_obs, rel=REL)
    output = json.loads(run("significance", synthetic, "--signal", signal).output)
    assert output["poi"] == "mu_a"
    assert output["Z_obs"] == pytest.approx(model.significance().z_obs, rel=REL)


def test_the_format_summarises_a_file_for_fetch(synthetic, tmp_path):
    # what `likelihub fetch` prints for the file: its bins (the file's 3), the inputs it holds, the
    # model `likelihub cls` chooses for it (a covariance and third moments: the third-moment expansion)
    summary = find_format(str(synthetic)).summariser()(str(synthetic))
    assert summary.startswith("simplified likelihood: 3 bins, observed and background, covariance")
    assert summary.endswith("model simplified.third_moment_expansion")
    other = tmp_path / "other.json"
    other.write_text(json.dumps({"observed": [1]}))  # no background: not a simplified likelihood
    assert get_format("simplified").summariser()(str(other)) is None
