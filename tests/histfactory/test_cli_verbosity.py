"""``likelihub -v/--verbose``, ``--quiet`` and warnings on one line (issue 17), on the tiny
workspaces of tests/histfactory/data (click's CliRunner; its result keeps stdout and stderr apart).

A measurement that configures a parameter the model lacks (``mu_BG`` in the 3L pallet of ATLAS
SUSY-2018-06) gives an ``UnusedParameterWarning``: the command line prints it as one line,
``Warning: <message> [UnusedParameterWarning]``, once, without Python's source line.
"""

from __future__ import annotations

import json
import logging
import warnings
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from likelihub.cli import cli
from likelihub.cli.verbosity import OneLineWarnings, cli_output, progress_choice

DATA = Path(__file__).parent / "data"
BACKGROUND = DATA / "two_bin_background.json"
PATCH = str(DATA / "two_bin_signal_patch.json")


def run(*args):
    return CliRunner().invoke(cli, [str(a) for a in args])


@pytest.fixture
def unused(tmp_path) -> str:
    """two_bin_background.json whose measurement also configures ``mu_BG``, no parameter of it."""
    spec = json.loads(BACKGROUND.read_text())
    spec["measurements"][0]["config"]["parameters"] = [{"name": "mu_BG", "inits": [1.0]}]
    path = tmp_path / "unused.json"
    path.write_text(json.dumps(spec))
    return str(path)


def test_a_warning_is_one_line_once_without_its_source_line(unused):
    result = run("cls", unused, "-p", PATCH)
    assert result.exit_code == 0, result.output
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("Warning: ") and lines[0].endswith("[UnusedParameterWarning]")
    assert "mu_BG" in lines[0] and ".py:" not in result.stderr
    assert json.loads(result.stdout)["CLs_obs"] > 0  # the result is untouched on stdout


def test_quiet_prints_the_result_only(unused):
    result = run("--quiet", "cls", unused, "-p", PATCH)
    assert result.exit_code == 0, result.output
    assert result.stderr == ""
    assert json.loads(result.stdout) == json.loads(run("cls", unused, "-p", PATCH).stdout)


def test_verbose_shows_the_files_read_and_the_limits_found(caplog):
    result = run("-v", "limit", str(BACKGROUND), "-p", PATCH)
    assert result.exit_code == 0, result.output
    assert f"info: reading {BACKGROUND} as one of the HistFactory workspaces" in result.stderr
    assert "info: observed upper limit: mu = " in result.stderr
    assert "debug" not in result.stderr
    # the standard logging module carries them (logger likelihub.<module>)
    assert any(r.name == "likelihub.registry.formats" and r.levelno == logging.INFO for r in caplog.records)
    verbose = run("-vv", "limit", str(BACKGROUND), "-p", PATCH)
    assert "debug (likelihub.infer.limits): CLs at mu = " in verbose.stderr
    assert json.loads(verbose.stdout) == json.loads(result.stdout)


def test_verbose_and_quiet_contradict_each_other():
    result = run("-v", "--quiet", "backends")
    assert result.exit_code == 2 and "contradict" in result.output


def test_the_command_line_leaves_logging_and_warnings_as_it_found_them(unused):
    logger = logging.getLogger("likelihub")
    level, handlers, show = logger.level, list(logger.handlers), warnings.showwarning
    filters = list(warnings.filters)
    run("-vv", "cls", unused, "-p", PATCH)
    assert (logger.level, logger.handlers, warnings.showwarning) == (level, handlers, show)
    assert warnings.filters == filters


def test_one_line_warnings_show_each_message_once(capsys):
    show = OneLineWarnings()
    for _ in range(3):
        show("a\n  b", UserWarning, "x.py", 1)
    show("a b", RuntimeWarning, "x.py", 2)
    assert capsys.readouterr().err == "Warning: a b [UserWarning]\nWarning: a b [RuntimeWarning]\n"
    OneLineWarnings(quiet=True)("c", UserWarning, "x.py", 1)
    assert capsys.readouterr().err == ""


def test_warnings_inside_cli_output_are_shown_not_raised(capsys):
    # pytest turns warnings into errors (pyproject's filterwarnings); the command line shows them
    with cli_output():
        warnings.warn("shown", UserWarning, stacklevel=1)
        warnings.warn("hidden", DeprecationWarning, stacklevel=1)  # as Python's default filters
    assert capsys.readouterr().err == "Warning: shown [UserWarning]\n"


def test_quiet_turns_the_progress_bars_off():
    group = click.Context(cli)
    assert progress_choice(group) is None  # a bar where standard error is a terminal
    group.meta["likelihub.quiet"] = True
    assert progress_choice(click.Context(cli, parent=group)) is False


def test_verbose_scan_names_its_executor_readably(tmp_path):
    # a patchset of 3 points (tests/histfactory/data), two local worker processes
    result = run("-v", "scan", str(BACKGROUND), "--patchset", str(DATA / "two_bin_signal_points.json"),
                 "--workers", "2", "--output", str(tmp_path / "rows.json"))
    assert result.exit_code == 0, result.output
    assert "info: scan of 3 points, executor 2 local processes" in result.stderr, result.stderr
    assert " object at 0x" not in result.stderr
