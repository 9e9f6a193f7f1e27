"""``likelihub scan`` and :func:`likelihub_histfactory.scan.scan` on the hand-written two-bin patchset.

two_bin_signal_points.json has three signal points for two_bin_background.json. Each row of a scan must
equal what the single-model factory gives for that point (the same model, whose fits a scan makes
in lock-step with other points': to the fits' precision, here 1e-10), and be the same number
whatever the executor (serial, local processes, a Dask cluster) and the points it came with;
signal_300_10 is two_bin_signal_patch.json, whose CLs and limits pyhf 0.7.6 gave (test_cli.py).
"""

from __future__ import annotations

import csv
import json
import tarfile
import warnings
from pathlib import Path

import pytest
from click.testing import CliRunner

import likelihub
from likelihub.cli.scan import scan_command
from likelihub.errors import ExecutorError, ScanOutputError
from likelihub_histfactory.scan import scan
from likelihub_histfactory.spec import workspace as workspace_module
from likelihub_histfactory.spec.checks import UnusedParameterWarning

DATA = Path(__file__).parent / "data"
BACKGROUND = str(DATA / "two_bin_background.json")
PATCHSET = str(DATA / "two_bin_signal_points.json")
POINTS = {"signal_300_10": [300, 10], "signal_500_10": [500, 10], "signal_700_20": [700, 20.5]}
# pyhf 0.7.6 on two_bin_background.json + two_bin_signal_patch.json (= signal_300_10), test_cli.py.
PYHF_300_10_CLS_OBS = 0.05251497050134021
PYHF_300_10_LIMIT_OBS = 1.0115693725820667


def single_model(name: str):
    return likelihub.get_backend("histfactory")(BACKGROUND, patchset=PATCHSET, patch_name=name)


@pytest.fixture(scope="module")
def single_cls():
    """CLs at mu = 1 of each point, one model at a time (what every scan row must equal)."""
    return {name: single_model(name).cls(1.0) for name in POINTS}


def run_ok(*args) -> str:
    result = CliRunner().invoke(scan_command, [str(a) for a in args])
    assert result.exit_code == 0, result.output
    return result.output


def check_cls_rows(rows, single_cls):
    assert [r["name"] for r in rows] == list(POINTS)  # the patchset's order
    for row in rows:
        assert row["values"] == POINTS[row["name"]]
        assert "error" not in row
        expected = single_cls[row["name"]]
        assert row["cls_obs"] == pytest.approx(expected.cls_obs, abs=1e-10)
        assert row["cls_exp"] == pytest.approx(list(expected.cls_exp), abs=1e-10)


def test_cli_scan_json_rows_equal_single_models(tmp_path, single_cls):
    output = tmp_path / "results.json"
    message = run_ok(BACKGROUND, "--patchset", PATCHSET, "--executor", "serial", "--output", output)
    assert message.strip() == f"3 points (0 failed) written to {output}"
    rows = json.loads(output.read_text())
    check_cls_rows(rows, single_cls)
    assert rows[0]["cls_obs"] == pytest.approx(PYHF_300_10_CLS_OBS, abs=1e-5)


def test_cli_scan_csv_upper_limits(tmp_path):
    output = tmp_path / "limits.csv"
    run_ok(BACKGROUND, "--patchset", PATCHSET, "--what", "upper_limit", "--executor", "serial",
           "--output", output)
    rows = list(csv.DictReader(output.read_text().splitlines()))
    assert [r["name"] for r in rows] == list(POINTS)
    assert rows[2]["mass"] == "700" and rows[2]["width"] == "20.5"  # the patchset's labels
    for row in rows:
        limit = single_model(row["name"]).upper_limit()
        assert float(row["upper_limit_obs"]) == pytest.approx(limit.observed, rel=1e-8)
        assert [float(row[f"upper_limit_exp_{n}"]) for n in (-2, -1, 0, 1, 2)] == pytest.approx(
            list(limit.expected), rel=1e-8)
    assert float(rows[0]["upper_limit_obs"]) == pytest.approx(PYHF_300_10_LIMIT_OBS, rel=1e-4)


def test_cli_scan_prints_a_table_and_takes_mu(single_cls):
    output = run_ok(BACKGROUND, "--patchset", PATCHSET, "--executor", "serial", "--mu", 0.5)
    lines = output.splitlines()
    assert lines[0] == "Scan of 3 points (cls at mu = 0.5)"
    half = single_model("signal_500_10").cls(0.5).cls_obs
    assert lines[2].split() == ["signal_500_10", f"{half:.5g}"]


def test_cli_scan_with_local_processes(tmp_path, single_cls):
    output = tmp_path / "results.json"
    run_ok(BACKGROUND, "--patchset", PATCHSET, "--executor", "processes", "--workers", 2,
           "--output", output)
    check_cls_rows(json.loads(output.read_text()), single_cls)


def test_cli_scan_bad_arguments(tmp_path):
    result = CliRunner().invoke(scan_command, [BACKGROUND, "--patchset", PATCHSET, "--output",
                                               str(tmp_path / "out.txt")])
    assert result.exit_code == 2 and "suffix must be .json or .csv" in result.output
    result = CliRunner().invoke(scan_command, [BACKGROUND, "--patchset", BACKGROUND])
    assert result.exit_code == 1 and "patchset schema" in result.output
    assert "Traceback" not in result.output


def test_cli_scan_exits_1_when_a_point_fails(tmp_path):
    patchset = json.loads(Path(PATCHSET).read_text())
    patchset["patches"][1]["patch"][0]["path"] = "/channels/3/samples/0"  # no such channel
    path = tmp_path / "patchset.json"
    path.write_text(json.dumps(patchset))
    result = CliRunner().invoke(scan_command, [BACKGROUND, "--patchset", str(path), "--executor", "serial"])
    assert result.exit_code == 1
    assert "signal_500_10" in result.output and "InvalidModelError" in result.output
    assert "1 failed" in result.output


def test_scan_validates_the_background_once(monkeypatch):
    calls = []
    original = workspace_module.check_workspace
    monkeypatch.setattr(workspace_module, "check_workspace",
                        lambda *a, **k: calls.append(1) or original(*a, **k))
    result = scan(BACKGROUND, PATCHSET, executor="serial", progress=False)
    assert len(result.rows) == 3 and calls == [1]


def test_scan_warns_once_of_an_unused_parameter_setting(tmp_path):
    spec = json.loads(Path(BACKGROUND).read_text())
    patchset = json.loads(Path(PATCHSET).read_text())
    spec["measurements"][0]["config"]["parameters"] = [{"name": "mu_BG", "fixed": True}]
    from likelihub_histfactory.spec.patches import digest

    patchset["metadata"]["digests"] = {"sha256": digest(spec)}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = scan(spec, patchset, executor="serial", progress=False)
    assert [w.category for w in caught] == [UnusedParameterWarning]
    assert all("error" not in row for row in result.rows)


def test_scan_on_a_dask_cluster(single_cls):
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster, distributed.Client(cluster) as client:
        rows = scan(BACKGROUND, PATCHSET, executor=client, progress=False).rows
        check_cls_rows(rows, single_cls)
        # the command line, given the scheduler's address
        output = run_ok(BACKGROUND, "--patchset", PATCHSET, "--executor", cluster.scheduler_address)
    assert output.splitlines()[1].split() == ["signal_300_10", f"{single_cls['signal_300_10'].cls_obs:.5g}"]


def test_cli_scan_of_a_pallet(tmp_path, single_cls):
    pallet = tmp_path / "tiny.tar.gz"
    with tarfile.open(pallet, "w:gz") as archive:
        archive.add(BACKGROUND, arcname="tiny/BkgOnly.json")
        archive.add(PATCHSET, arcname="tiny/patchset.json")
    output = tmp_path / "results.json"
    # --patchset names a member of the workspace's pallet (as HEPData publishes them)
    run_ok(pallet, "--member", "BkgOnly.json", "--patchset", "patchset.json", "--executor", "serial",
           "--output", output)
    check_cls_rows(json.loads(output.read_text()), single_cls)


@pytest.mark.shared_data
def test_scan_rows_equal_single_models_on_the_3l_pallet(shared_data):
    # Two points of the published 3L eRJR patchset (same digests: made for the same workspace).
    pallet = shared_data / "histfactory" / "atlas-susy-2018-06-3L-eRJR.tar.gz"
    from likelihub_histfactory.spec.io import read_json

    patchset, _ = read_json(pallet, member="patchset.json")
    patchset["patches"] = patchset["patches"][:2]
    with pytest.warns(UnusedParameterWarning, match="mu_BG"):  # once, for the whole scan
        rows = scan(pallet, patchset, member="BkgOnly.json", executor="serial", progress=False).rows
    for row in rows:
        model = likelihub.get_backend("histfactory")(pallet, member="BkgOnly.json", patchset="patchset.json",
                                                     patch_name=row["name"], unused_parameters="ignore")
        expected = model.cls(1.0)
        assert row["cls_obs"] == pytest.approx(expected.cls_obs, abs=1e-10)
        assert row["cls_exp"] == pytest.approx(list(expected.cls_exp), abs=1e-10)


def test_rows_do_not_depend_on_the_executor_or_the_other_points():
    serial = scan(BACKGROUND, PATCHSET, executor="serial", progress=False).rows
    processes = scan(BACKGROUND, PATCHSET, max_workers=2, progress=False).rows
    assert processes == serial  # exactly
    from likelihub_histfactory.scan import PointEvaluator
    from likelihub_histfactory.spec.patchset import load_patchset
    from likelihub_histfactory.spec.workspace import Workspace

    background = Workspace.load(BACKGROUND)
    points = [likelihub.running.scanning.ScanPoint(p.name, tuple(p.values), list(p.operations))
              for p in load_patchset(PATCHSET, origin=background.file)]
    evaluate = PointEvaluator(background)
    alone = [evaluate(point) for point in points]
    together = evaluate.evaluate_many(points[::-1])[::-1]
    assert together == alone == [{k: r[k] for k in ("cls_obs", "cls_exp")} for r in serial]


@pytest.mark.shared_data
def test_scan_of_patch_files_in_a_pallet(shared_data, tmp_path):
    # ATLAS sbottom publishes one patch file per point; a pattern picks them from the pallet.
    pallet = shared_data / "histfactory" / "atlas-susy-2018-31-sbottom.tar.gz"
    cases = json.loads((shared_data / "reference" / "histfactory-pyhf.json").read_text())["cases"]
    pyhf = next(c for c in cases if c["analysis"] == "sbottomA" and c["patch"] == "sbottom_1300_205_60")
    output = tmp_path / "rows.json"
    run_ok(pallet, "--member", "RegionA/BkgOnly.json", "--patchset", "RegionA/patch.sbottom_1300_2*.json",
           "--executor", "serial", "--output", output)
    rows = json.loads(output.read_text())
    assert [r["name"] for r in rows] == ["sbottom_1300_200_70", "sbottom_1300_205_60",
                                         "sbottom_1300_230_100", "sbottom_1300_250_60"]
    # pyhf 0.7.6 on the same patch (histfactory-pyhf.json), tolerance of test_validation_pyhf.py
    assert rows[1]["cls_obs"] == pytest.approx(pyhf["cls_obs_mu1"], abs=1e-5)
    for row in rows:
        model = likelihub.get_backend("histfactory")(pallet, member="RegionA/BkgOnly.json",
                                                     patches=[f"RegionA/patch.{row['name']}.json"])
        alone = model.cls(1.0)
        assert row["values"] == [int(v) for v in row["name"].split("_")[1:]]  # from its name
        # lock-step fits vs one model's: equal to the fits' precision (edm <= 1e-10)
        assert row["cls_obs"] == pytest.approx(alone.cls_obs, rel=1e-6)
        assert row["cls_exp"] == pytest.approx(list(alone.cls_exp), rel=1e-6)


def test_a_pattern_that_matches_no_patch_file_is_an_error(tmp_path):
    with pytest.raises(likelihub.errors.InvalidModelError, match="no patch file matches"):
        scan(BACKGROUND, str(tmp_path / "patch.*.json"), executor="serial")
    (tmp_path / "patch.bad.json").write_text('{"not": "a patch"}')
    with pytest.raises(likelihub.errors.InvalidModelError, match="must hold a JSON patch"):
        scan(BACKGROUND, str(tmp_path / "patch.*.json"), executor="serial")


def test_scan_writes_its_output_and_resumes_it_without_recomputing(tmp_path, single_cls, monkeypatch):
    from likelihub.running.scan import ModelEvaluator as PointEvaluator  # the core's, every source's

    output = tmp_path / "rows.csv"
    evaluated = []
    original = PointEvaluator.evaluate_many

    def recording(self, points):
        evaluated.extend(p.name for p in points)
        return original(self, points)

    monkeypatch.setattr(PointEvaluator, "evaluate_many", recording)
    patchset = json.loads(Path(PATCHSET).read_text())
    first_two = {**patchset, "patches": patchset["patches"][:2]}
    likelihub.scan(BACKGROUND, first_two, executor="serial", progress=False, output=str(output))
    assert evaluated == ["signal_300_10", "signal_500_10"]
    # The whole patchset, resumed from the output of its first two points: only the third is new.
    result = likelihub.scan(BACKGROUND, PATCHSET, executor="serial", progress=False,
                            output=str(output), resume=True)
    assert evaluated == ["signal_300_10", "signal_500_10", "signal_700_20"]
    check_cls_rows(result.rows, single_cls)
    table = list(csv.DictReader(output.read_text().splitlines()))
    assert [r["name"] for r in table] == list(POINTS)
    assert float(table[0]["cls_obs"]) == pytest.approx(PYHF_300_10_CLS_OBS, abs=1e-5)
    # Another mu is another scan: its rows are not mixed with these.
    with pytest.raises(ScanOutputError, match="columns|mu"):
        likelihub.scan(BACKGROUND, PATCHSET, what="upper_limit", executor="serial", output=str(output),
                       resume=True)


def test_scan_arguments_are_checked_before_any_work(tmp_path, monkeypatch):
    def load(*args, **kwargs):
        raise AssertionError("the workspace was read")

    monkeypatch.setattr(workspace_module.Workspace, "load", load)
    InvalidModelError = likelihub.errors.InvalidModelError
    with pytest.raises(InvalidModelError, match="argument 'mu'"):
        scan(BACKGROUND, PATCHSET, mu=float("nan"))
    with pytest.raises(InvalidModelError, match="argument 'cl'"):
        scan(BACKGROUND, PATCHSET, what="upper_limit", cl=1.5)
    with pytest.raises(InvalidModelError, match="argument 'what'"):
        scan(BACKGROUND, PATCHSET, what="limits")
    with pytest.raises(InvalidModelError, match="argument 'resume'"):
        scan(BACKGROUND, PATCHSET, resume=True)
    with pytest.raises(ExecutorError, match="'bogus'"):
        scan(BACKGROUND, PATCHSET, executor="bogus")
    with pytest.raises(ScanOutputError, match="does not exist"):
        scan(BACKGROUND, PATCHSET, output=str(tmp_path / "missing" / "rows.csv"))


def test_scan_refuses_mu_outside_the_poi_bounds():
    # two_bin_background.json: POI mu, a normfactor with pyhf's default bounds [0, 10]
    with pytest.raises(likelihub.errors.InvalidModelError,
                       match=r"mu = -1 lies outside the bounds \[0, 10\] of the parameter of interest 'mu'"):
        scan(BACKGROUND, PATCHSET, mu=-1.0, executor="serial")
