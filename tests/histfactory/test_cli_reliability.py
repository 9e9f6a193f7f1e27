"""The command line under bad options, bad files, interruptions and missing extras (issue 11).

Every failure is one line naming what is wrong (exit status 1, or 2 for a bad option) and no
traceback; options are checked before any work; a killed ``likelihub scan`` leaves no worker and
keeps its rows, and ``--resume`` finishes it. Numbers: two_bin_background.json with
two_bin_signal_patch.json (= signal_300_10 of two_bin_signal_points.json), whose CLs pyhf 0.7.6
gave (test_cli.py, 1e-5 absolute).
"""

from __future__ import annotations

import copy
import json
import re
import signal
import socket
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from likelihub.cli.main import _add_plugin_commands, cli
from likelihub.cli.models import cls_command, fit_command, limit_command
from likelihub.cli.scan import scan_command
from likelihub.running.scan_formats import count_rows
from likelihub.running.scan_output import ScanOutput
from likelihub_histfactory import cli_format as histfactory_cli
from likelihub_histfactory.spec.patches import digest

from ..hub.processes import alive, children, wait_for

DATA = Path(__file__).parent / "data"
BACKGROUND = str(DATA / "two_bin_background.json")
PATCH = str(DATA / "two_bin_signal_patch.json")
PATCHSET = str(DATA / "two_bin_signal_points.json")
# pyhf 0.7.6 on two_bin_background.json + two_bin_signal_patch.json (test_cli.py).
PYHF_TWO_BIN_CLS_OBS = 0.05251497050134021

_add_plugin_commands(cli)  # the `likelihub` group as the script builds it


def run(command, *args, **kwargs):
    return CliRunner().invoke(command, [str(a) for a in args], **kwargs)


def assert_one_line_error(result, status: int, *phrases: str) -> None:
    """Exit ``status``, one ``Error:`` line holding ``phrases``, no traceback, no "Aborted!"."""
    assert result.exit_code == status, result.output
    errors = [line for line in result.output.splitlines() if line.startswith("Error")]
    assert len(errors) == 1, result.output
    for phrase in phrases:
        assert phrase in errors[0], errors[0]
    assert "Traceback" not in result.output and "Aborted!" not in result.output


@pytest.fixture
def no_work(monkeypatch):
    """Make any model building or scanning fail loudly: options must be refused before it."""
    import likelihub
    import likelihub_histfactory.scan

    def work(*args, **kwargs):
        raise AssertionError("the work started")

    monkeypatch.setattr(likelihub, "get_backend", work)
    monkeypatch.setattr(likelihub_histfactory.scan, "scan", work)


def many_points(directory: Path, count: int) -> str:
    """A patchset of ``count`` points for two_bin_background.json (signal_300_10's patch, scaled)."""
    patchset = json.loads(Path(PATCHSET).read_text())
    template = patchset["patches"][0]
    patchset["patches"] = []
    for i in range(count):
        patch = copy.deepcopy(template)
        patch["metadata"] = {"name": f"signal_{i}", "values": [i, 10]}
        patch["patch"][0]["value"]["data"] = [12.0 * (1 + i / count), 11.0]
        patchset["patches"].append(patch)
    path = directory / "many_points.json"
    path.write_text(json.dumps(patchset))
    return str(path)


# -- 1. interrupted scans -------------------------------------------------------------------------
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads the workers from /proc")
def test_a_killed_scan_leaves_no_worker_keeps_its_rows_and_resumes(tmp_path):
    patchset = many_points(tmp_path, 3000)
    output = tmp_path / "rows.csv"
    scan = subprocess.Popen(
        [sys.executable, "-c", "from likelihub.cli import main; main()", "scan", BACKGROUND,
         "--patchset", patchset, "--output", str(output), "--workers", "2", "--no-progress"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        wait_for(lambda: count_rows(output) > 0, "the first rows")
        workers = children(scan.pid)
        assert len(workers) == 2
        scan.send_signal(signal.SIGTERM)
        _, stderr = scan.communicate(timeout=60)
    finally:
        if scan.poll() is None:  # a failed test must not leave the scan (or its pipes) behind
            scan.kill()
            scan.communicate()
    assert scan.returncode == 128 + signal.SIGTERM
    kept = count_rows(output)
    assert stderr.strip() == (f"interrupted: {kept} points are kept in {output}; add --resume to "
                              "the same command to compute the others")
    assert 0 < kept < 3000
    wait_for(lambda: not any(alive(w) for w in workers), "the workers to end", limit=10.0)
    kept_lines = set(output.read_text().splitlines()[1:])
    # Without --resume, the kept rows are not overwritten.
    result = run(scan_command, BACKGROUND, "--patchset", patchset, "--output", output)
    assert_one_line_error(result, 1, "interrupted scan", "--resume")
    result = run(scan_command, BACKGROUND, "--patchset", patchset, "--output", output, "--resume",
                 "--workers", 2, "--no-progress")
    assert result.exit_code == 0, result.output
    assert result.output.strip() == (f"3000 points (0 failed) written to {output} ({kept} of them "
                                     "were there already)")
    lines = output.read_text().splitlines()
    assert [line.split(",")[0] for line in lines[1:]] == [f"signal_{i}" for i in range(3000)]
    assert kept_lines <= set(lines[1:])  # the kept rows, unchanged (not computed again)
    assert not Path(f"{output}.lock").exists()


def test_two_scans_of_one_output_do_not_interleave(tmp_path):
    output = tmp_path / "rows.csv"
    with ScanOutput(output, settings={"what": "cls", "mu": 1.0}):  # a scan writing it now
        result = run(scan_command, BACKGROUND, "--patchset", PATCHSET, "--output", output,
                     "--executor", "serial")
    assert_one_line_error(result, 1, "another scan (process", f"is writing {output}")


# -- 2. output paths are checked before the work --------------------------------------------------
@pytest.mark.parametrize("arguments", [
    [scan_command, BACKGROUND, "--patchset", PATCHSET, "--output", "{missing}/rows.csv"],
    [cls_command, BACKGROUND, "-p", PATCH, "--output-file", "{missing}/cls.json"],
    [limit_command, BACKGROUND, "-p", PATCH, "--output-file", "{missing}/limit.json"],
    [fit_command, BACKGROUND, "-p", PATCH, "--output-file", "{missing}/fit.json"],
    [limit_command, BACKGROUND, "-p", PATCH, "--plot", "{missing}/brazil.png"],
])
def test_output_paths_are_checked_before_the_work(tmp_path, no_work, arguments):
    missing = tmp_path / "missing"
    command, *args = arguments
    result = run(command, *[str(a).format(missing=missing) for a in args])
    assert_one_line_error(result, 2, "cannot write", f"the directory {missing} does not exist")


# -- 3. bad options, files and executors: one line --------------------------------------------------
@pytest.mark.parametrize(("arguments", "phrase"), [
    ([limit_command, BACKGROUND, "--cl", "1.5"], "1.5 is not in the range 0.0<x<1.0"),
    ([limit_command, BACKGROUND, "--cl", "nan"], "'nan' is not a finite number"),
    ([scan_command, BACKGROUND, "--patchset", PATCHSET, "--cl", "0"], "'--cl'"),
    ([cls_command, BACKGROUND, "--mu", "nan"], "'nan' is not a finite number"),
    ([cls_command, BACKGROUND, "--mu", "inf"], "'inf' is not a finite number"),
    ([scan_command, BACKGROUND, "--patchset", PATCHSET, "--mu", "-inf"], "not a finite number"),
    ([scan_command, BACKGROUND, "--patchset", PATCHSET, "--executor", "bogus"],
     "'bogus' is not 'processes', 'serial' or the address of a Dask scheduler"),
    ([scan_command, BACKGROUND, "--patchset", PATCHSET, "--workers", "0"], "'--workers'"),
    ([scan_command, BACKGROUND, "--patchset", PATCHSET, "--resume"], "needs --output"),
    ([scan_command, BACKGROUND, "--patchset", PATCHSET, "--connect-timeout", "0"],
     "'--connect-timeout'"),
])
def test_bad_options_are_refused_before_the_work(no_work, arguments, phrase):
    command, *args = arguments
    assert_one_line_error(run(command, *args), 2, phrase)


def test_mu_outside_the_poi_bounds_is_refused_before_any_fit(monkeypatch):
    import likelihub.model

    def fit(*args, **kwargs):
        raise AssertionError("a fit started")

    monkeypatch.setattr(likelihub.model.StatisticalModel, "cls", fit)
    # two_bin_background.json's POI mu: a normfactor, bounds [0, 10] (pyhf's default)
    result = run(cls_command, BACKGROUND, "-p", PATCH, "--mu", "-1")
    assert_one_line_error(result, 2, "-1 lies outside the bounds [0, 10] of the parameter of interest 'mu'")
    result = run(scan_command, BACKGROUND, "--patchset", PATCHSET, "--mu", "11", "--executor", "serial")
    assert_one_line_error(result, 1, "mu = 11 lies outside the bounds [0, 10]")


def test_an_unreachable_scheduler_is_one_line():
    pytest.importorskip("distributed")
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    result = run(scan_command, BACKGROUND, "--patchset", PATCHSET, "--executor", f"tcp://127.0.0.1:{port}",
                 "--connect-timeout", "1")
    assert_one_line_error(result, 1, f"cannot reach the Dask scheduler at tcp://127.0.0.1:{port} within 1 s")


@pytest.fixture(scope="module")
def pallet(tmp_path_factory) -> Path:
    """A pallet of the two-bin workspace, its patchset and patch, after a member of 200 kB of
    random text (so that damage to the middle of the archive comes before the members read)."""
    import random

    directory = tmp_path_factory.mktemp("pallet")
    padding = directory / "padding.txt"
    padding.write_text("".join(random.Random(1).choices("0123456789abcdef", k=200_000)))
    path = directory / "tiny.tar.gz"
    with tarfile.open(path, "w:gz") as archive:
        archive.add(padding, arcname="tiny/README.txt")
        archive.add(BACKGROUND, arcname="tiny/BkgOnly.json")
        archive.add(PATCHSET, arcname="tiny/patchset.json")
        archive.add(PATCH, arcname="tiny/patch.json")
    return path


@pytest.mark.parametrize("damage", ["truncated", "corrupted"])
def test_a_damaged_pallet_is_one_line_naming_it(tmp_path, pallet, damage):
    data = pallet.read_bytes()
    middle = len(data) // 2
    if damage == "truncated":  # a download cut short
        data = data[:middle]
    else:  # 64 bytes flipped
        data = data[:middle] + bytes(b ^ 0xFF for b in data[middle:middle + 64]) + data[middle + 64:]
    damaged = tmp_path / "damaged.tar.gz"
    damaged.write_bytes(data)
    for command in (cls_command, fit_command):
        result = run(command, damaged, "--member", "BkgOnly.json", "--patchset", "patchset.json",
                     "--patch-name", "signal_300_10")
        assert_one_line_error(result, 1, str(damaged))
    result = run(scan_command, damaged, "--member", "BkgOnly.json", "--patchset", "patchset.json",
                 "--executor", "serial")
    assert_one_line_error(result, 1, str(damaged))


def test_an_unexpected_error_is_one_line_unless_the_traceback_is_asked_for(monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("something nobody foresaw\non two lines")

    monkeypatch.setattr(histfactory_cli, "_build", broken)
    result = run(cli, "fit", BACKGROUND)
    assert_one_line_error(result, 1, "unexpected RuntimeError: something nobody foresaw on two lines",
                          "likelihub --traceback", "LIKELIHUB_TRACEBACK=1")
    assert isinstance(run(cli, "--traceback", "fit", BACKGROUND).exception, RuntimeError)
    assert isinstance(run(cli, "fit", BACKGROUND, env={"LIKELIHUB_TRACEBACK": "1"}).exception,
                      RuntimeError)


def test_the_script_entry_point_guards_too(monkeypatch, capsys):
    from likelihub.cli import main

    def broken(*args, **kwargs):
        raise KeyError("deep inside")

    monkeypatch.setattr(histfactory_cli, "_build", broken)
    with pytest.raises(SystemExit) as stopped:
        main(["fit", BACKGROUND])
    assert stopped.value.code == 1
    assert capsys.readouterr().err.strip().splitlines() == [
        "Error: unexpected KeyError: 'deep inside' (rerun with likelihub --traceback ..., or "
        "LIKELIHUB_TRACEBACK=1, to see where)"]


# -- 4. a pallet's member and a file of the same name ---------------------------------------------
def stale(path: str, destination: Path) -> None:
    """A copy of a patchset or patch whose signal is twice as large (a stale local file)."""
    document = json.loads(Path(path).read_text())
    for patch in document["patches"] if isinstance(document, dict) else [{"patch": document}]:
        signal_sample = patch["patch"][0]["value"]
        signal_sample["data"] = [2 * v for v in signal_sample["data"]]
    destination.write_text(json.dumps(document))


def test_the_pallet_member_wins_over_a_file_of_its_name_and_says_so(tmp_path, pallet, monkeypatch):
    monkeypatch.chdir(tmp_path)
    stale(PATCHSET, tmp_path / "patchset.json")
    stale(PATCH, tmp_path / "patch.json")
    # a warning, one line through the command group (hidden by --quiet)
    note = re.compile(r"Warning: --(patchset|patch) (patchset|patch)\.json: read the member "
                      r"'tiny/(patchset|patch)\.json' of .*tiny\.tar\.gz, not the file .*\[UserWarning\]$")
    for source in (["--patchset", "patchset.json", "--patch-name", "signal_300_10"], ["-p", "patch.json"]):
        result = run(cli, "cls", pallet, "--member", "BkgOnly.json", *source)
        assert result.exit_code == 0, result.output
        assert note.match(result.stderr), result.stderr
        # the member's signal: pyhf 0.7.6's CLs of two_bin_signal_patch.json
        assert json.loads(result.stdout)["CLs_obs"] == pytest.approx(PYHF_TWO_BIN_CLS_OBS, abs=1e-5)
        # ./NAME is the file: twice the signal, a stronger exclusion, and no note
        explicit = [f"./{a}" if a.endswith(".json") else a for a in source]
        result = run(cli, "cls", pallet, "--member", "BkgOnly.json", *explicit)
        assert result.exit_code == 0 and result.stderr == ""
        assert run(cli, "-q", "cls", pallet, "--member", "BkgOnly.json", *source).stderr == ""
        assert json.loads(result.stdout)["CLs_obs"] < PYHF_TWO_BIN_CLS_OBS / 2
    result = run(cli, "scan", pallet, "--member", "BkgOnly.json", "--patchset", "patchset.json",
                 "--executor", "serial", "--output", tmp_path / "rows.json")
    assert result.exit_code == 0 and note.match(result.stderr)
    rows = json.loads((tmp_path / "rows.json").read_text())
    assert rows[0]["cls_obs"] == pytest.approx(PYHF_TWO_BIN_CLS_OBS, abs=1e-5)
    assert digest(json.loads(Path(BACKGROUND).read_text()))  # (the stale copies share its digest)


# -- 6. --plot without matplotlib -------------------------------------------------------------------
def test_plot_without_matplotlib_prints_the_result_then_how_to_install_it(tmp_path, monkeypatch):
    for name in [n for n in sys.modules if n == "matplotlib" or n.startswith("matplotlib.")] + \
            ["matplotlib", "matplotlib.figure"]:
        monkeypatch.setitem(sys.modules, name, None)  # `import matplotlib` fails, as uninstalled
    result = run(limit_command, BACKGROUND, "-p", PATCH, "--plot", tmp_path / "brazil.png")
    assert result.exit_code == 1
    assert json.loads(result.stdout)["poi"] == "mu"  # the limit was printed
    assert result.stderr.strip().splitlines() == [
        f"Error: the result is printed above, but the plot {tmp_path / 'brazil.png'} was not drawn: "
        "matplotlib is not installed: pip install 'likelihub[plot]'"]
    assert not (tmp_path / "brazil.png").exists()
    result = run(cls_command, BACKGROUND, "-p", PATCH, "--plot", tmp_path / "cls.png",
                 "--output-file", tmp_path / "cls.json")
    assert result.exit_code == 1 and f"written to {tmp_path / 'cls.json'}" in result.stderr
    assert json.loads((tmp_path / "cls.json").read_text())["CLs_obs"] == pytest.approx(
        PYHF_TWO_BIN_CLS_OBS, abs=1e-5)
