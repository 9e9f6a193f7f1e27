"""``likelihub digest|combine|prune|rename|sort``: the same output as pyhf 0.7.6's commands.

Origin of every expected output: ``data/pyhf_workspace_cli.json``, pyhf 0.7.6's own commands
(``pyhf digest|combine|prune|rename|sort``) run on the same inputs with the same arguments by
``data/make_pyhf_workspace_cli.py`` (peers' environment). Equality is exact: the printed text
(or its sha256 where pyhf's output is large, with pyhf's digest of the workspace it printed).
Where pyhf fails, likelihub fails with the same exit status and one line naming the thing.
The published workspaces are read from ../shared/data (``shared_data`` fixture).
"""

from __future__ import annotations

import hashlib
import json
import tarfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from likelihub_histfactory.cli_workspace import (
    combine_command,
    digest_command,
    prune_command,
    rename_command,
    sort_command,
)
from likelihub_histfactory.spec.patches import digest

DATA = Path(__file__).parent / "data"
REFERENCE = json.loads((DATA / "pyhf_workspace_cli.json").read_text())["cases"]
COMMANDS = {"digest": digest_command, "combine": combine_command, "prune": prune_command,
            "rename": rename_command, "sort": sort_command}

#: What each failure's one line must name (the unknown or clashing thing), beside pyhf's message.
NAMED = {
    "error_prune_channel": ["channel", "'nowhere'"],
    "error_rename_sample": ["sample", "'nosuch'"],
    "error_rename_lumi": ["luminosity"],
    "error_prune_measurement": ["measurement", "'nosuch'"],
    "error_prune_absent_type": ["modifier type", "'staterror'"],
    "error_prune_bad_type": ["--modifier-type", "'gaussian'"],
    "error_combine_none": ["channels", "'control_region'"],
    "error_combine_outer": ["channels", "'control_region'"],
    "error_combine_outer_poi": ["'ttbar_only'", "POI"],
    "error_combine_merge_none": ["--merge-channels", "--join none"],
    "error_combine_bad_join": ["--join", "'inner'"],
    "error_digest_algorithm": ["--algorithm nosuch"],
    "real_error_combine_sbottom": ["channels", "'CRtt_cuts'", "'VRtt_cuts'"],
}

#: Where likelihub deliberately differs: pyhf prints a workspace with two channels (or two samples
#: of a channel) of one name, which likelihub's checks refuse; its one line names the clash.
CLASHES = {
    "clash_rename_channel": ["channel names used more than once", "'signal_region'"],
    "clash_rename_sample": ["sample names used more than once", "'ttbar'"],
}

SYNTHETIC = sorted(name for name in REFERENCE if not name.startswith(("real_", "clash_")))
PUBLISHED = sorted(name for name in REFERENCE if name.startswith("real_"))


def _inputs(case: dict, folder: Path, shared: Path | None) -> list[str]:
    paths = []
    for name in case["inputs"]:
        if name.startswith("data/"):
            paths.append(str(DATA / name.removeprefix("data/")))
            continue
        archive, member = name.removeprefix("shared/").split(":")
        target = folder / archive.replace("/", "_") / member
        if not target.is_file():
            with tarfile.open(shared / archive) as pallet:
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(pallet.extractfile(member).read())
        paths.append(str(target))
    return paths


def _check(name: str, folder: Path, shared: Path | None = None) -> None:
    case = REFERENCE[name]
    command = COMMANDS[case["command"]]
    result = CliRunner().invoke(command, [*_inputs(case, folder, shared), *case["arguments"]])
    assert result.exit_code == case["exit_code"], (result.output, case)
    if case["exit_code"] != 0:
        assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 or case["exit_code"] == 2, lines  # usage errors: usage, hint, error
        message = lines[-1]
        assert message.startswith("Error: "), message
        for word in NAMED[name]:
            assert word in message, (word, message)
        return
    if "stdout" in case:
        assert result.stdout == case["stdout"]
    else:
        assert hashlib.sha256(result.stdout.encode("utf8")).hexdigest() == case["stdout_sha256"]
        assert digest(json.loads(result.stdout)) == case["pyhf_digest"]


@pytest.mark.parametrize("name", SYNTHETIC)
def test_as_pyhf_on_synthetic_workspaces(name, tmp_path):
    _check(name, tmp_path)


def test_as_pyhf_on_published_workspaces(shared_data, tmp_path):
    for name in PUBLISHED:  # one test: the extracted members are shared between the cases
        _check(name, tmp_path, shared_data)


@pytest.mark.parametrize("name", sorted(CLASHES))
def test_name_clashes_are_refused(name, tmp_path):
    case = REFERENCE[name]
    printed = json.loads(case["stdout"])  # pyhf's: two items of one name
    names = [c["name"] for c in printed["channels"]] if "channel" in name else [
        s["name"] for s in printed["channels"][0]["samples"]]
    assert len(names) > len(set(names))
    arguments = [*_inputs(case, tmp_path, None), *case["arguments"]]
    result = CliRunner().invoke(COMMANDS[case["command"]], arguments)
    assert result.exit_code == 1 and len(result.stderr.strip().splitlines()) == 1
    for word in CLASHES[name]:
        assert word in result.stderr, (word, result.stderr)


def test_every_failure_is_named():
    failures = {name for name, case in REFERENCE.items() if case["exit_code"] != 0}
    assert failures == set(NAMED)


def test_output_file_standard_input_and_pallet_member(shared_data, tmp_path):
    case = REFERENCE["sort_multi"]
    out = tmp_path / "sorted.json"
    result = CliRunner().invoke(sort_command, [str(DATA / "multi_channel.json"), "--output-file", str(out)])
    assert result.exit_code == 0 and result.stdout == ""
    assert json.loads(out.read_text()) == json.loads(case["stdout"])
    text = (DATA / "multi_channel.json").read_text()
    result = CliRunner().invoke(sort_command, [], input=text)  # WORKSPACE defaults to - (as pyhf)
    assert result.exit_code == 0 and result.stdout == case["stdout"]
    # A pallet's member read in place (beyond pyhf): the same digest as pyhf's on the member.
    pallet = shared_data / "histfactory" / "atlas-susy-2018-06-3L-eRJR.tar.gz"
    result = CliRunner().invoke(digest_command, [str(pallet), "--member", "BkgOnly.json", "--json"])
    assert result.exit_code == 0 and result.stdout == REFERENCE["real_digest_3L"]["stdout"]


def test_missing_file_and_bad_json_are_one_line(tmp_path):
    result = CliRunner().invoke(prune_command, [str(tmp_path / "absent.json"), "-c", "SR"])
    assert result.exit_code == 1 and "absent.json" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    bad = tmp_path / "bad.json"
    bad.write_text('{"channels": [')
    result = CliRunner().invoke(digest_command, [str(bad)])
    assert result.exit_code == 1 and "bad.json" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    result = CliRunner().invoke(combine_command, [], input="{}")  # both from standard input
    assert result.exit_code == 2 and "standard input" in result.stderr


def test_a_directory_is_named_as_one(tmp_path):
    for command, args in ((digest_command, [str(tmp_path)]),
                          (combine_command, [str(tmp_path), str(DATA / "multi_channel.json")])):
        result = CliRunner().invoke(command, args)
        assert result.exit_code == 1 and result.stderr.startswith("Error: ")
        assert "is a directory" in result.stderr and "no such file" not in result.stderr
        assert len(result.stderr.strip().splitlines()) == 1


def test_combine_reads_pallet_members(tmp_path):
    # two pallets of one member each; combining a workspace with itself (--join outer: identical
    # items) gives the workspace back, as combining the two JSON files does (same digest)
    source = DATA / "multi_channel.json"
    pallets = []
    for name in ("one", "two"):
        pallets.append(tmp_path / f"{name}.tar.gz")
        with tarfile.open(pallets[-1], "w:gz") as archive:
            archive.add(source, arcname=f"{name}/BkgOnly.json")
    expected = CliRunner().invoke(combine_command, [str(source), str(source), "--join", "outer"])
    assert expected.exit_code == 0, expected.output
    for args in ([str(pallets[0]), str(source), "--member", "BkgOnly.json"],
                 [str(source), str(pallets[1]), "--member", "BkgOnly.json"],
                 [*map(str, pallets), "--member", "BkgOnly.json"],
                 [*map(str, pallets), "--member", "one/BkgOnly.json", "--member", "two/BkgOnly.json"]):
        result = CliRunner().invoke(combine_command, [*args, "--join", "outer"])
        assert result.exit_code == 0 and result.stdout == expected.stdout, (args, result.output)
    result = CliRunner().invoke(combine_command, [str(source), str(source), "--member", "BkgOnly.json"])
    assert result.exit_code == 2 and "neither workspace is a pallet" in result.stderr
    result = CliRunner().invoke(combine_command, [*map(str, pallets), *["--member", "BkgOnly.json"] * 3])
    assert result.exit_code == 2 and "--member is given 3 times" in result.stderr
