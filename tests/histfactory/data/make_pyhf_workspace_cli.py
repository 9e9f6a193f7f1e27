"""Reference outputs of pyhf 0.7.6's workspace commands (digest, combine, prune, rename, sort).

Run with the peers' Python (pyhf 0.7.6), from the repository root:

    /root/.cache/likelihub-peers/bin/python tests/histfactory/data/make_pyhf_workspace_cli.py

It runs ``pyhf <command> ...`` (pyhf's own click commands, in-process) on each case of
:data:`CASES` and writes ``tests/histfactory/data/pyhf_workspace_cli.json``: for each case the
command, its inputs and arguments, pyhf's exit code, and pyhf's standard output (where it is
small) or its sha256 and pyhf's own digest (``pyhf.utils.digest``) of the workspace it printed
(outputs of the published workspaces, which are large), or pyhf's exception for a failure. An
input ``data/NAME`` is a file of this folder; ``shared/ARCHIVE:MEMBER`` a member of a pallet of
../shared/data (extracted to a temporary folder; never copied into the repository).
"""

from __future__ import annotations

import hashlib
import json
import sys
import tarfile
import tempfile
from pathlib import Path

import pyhf
from click.testing import CliRunner
from pyhf.cli import cli

HERE = Path(__file__).resolve().parent
SHARED = HERE.parents[2].parent / "shared" / "data"
OUTPUT = HERE / "pyhf_workspace_cli.json"
#: Outputs longer than this are stored as their sha256 and pyhf's digest of the workspace.
MAX_STORED = 12_000

MULTI = "data/multi_channel.json"
ALL = "data/all_modifiers.json"
PARTNER = "data/combine_partner.json"
TWO_BIN = "data/two_bin_background.json"
LBB = "shared/histfactory/atlas-susy-2019-08-1Lbb.tar.gz:BkgOnly.json"
L3 = "shared/histfactory/atlas-susy-2018-06-3L-eRJR.tar.gz:BkgOnly.json"
SBOTTOM = "shared/histfactory/atlas-susy-2018-31-sbottom.tar.gz:Region{}/BkgOnly.json"
STAUS = "shared/histfactory/atlas-susy-2018-04-staus.tar.gz:Region-{}/BkgOnly.json"

#: (case, command, inputs, arguments)
CASES = [
    # the synthetic workspaces of this folder
    ("digest_default", "digest", [MULTI], []),
    ("digest_json", "digest", [MULTI], ["-a", "sha256", "-a", "md5", "-a", "sha1", "--json"]),
    ("digest_plaintext", "digest", [ALL], ["--algorithm", "sha512", "-a", "md5", "-p"]),
    ("sort_multi", "sort", [MULTI], []),
    ("sort_all", "sort", [ALL], []),
    ("prune_channel", "prune", [MULTI], ["-c", "control_region"]),
    ("prune_many", "prune", [MULTI], ["-s", "wjets", "-m", "jet_energy_scale", "-t", "staterror",
                                      "--measurement", "ttbar_only"]),
    ("prune_types", "prune", [ALL], ["-t", "shapesys", "--modifier-type", "normsys", "--modifier", "lumi"]),
    ("rename_all", "rename", [MULTI], ["-c", "signal_region", "SR", "--channel", "control_region", "CR",
                                       "-s", "ttbar", "top", "-m", "mu", "signal_strength", "-m", "mu_ttbar",
                                       "k_ttbar", "--measurement", "nominal", "main"]),
    ("combine_none", "combine", [MULTI, ALL], []),
    ("combine_outer_self", "combine", [MULTI, MULTI], ["--join", "outer"]),
    ("combine_left", "combine", [MULTI, PARTNER], ["-j", "left outer"]),
    ("combine_right", "combine", [PARTNER, MULTI], ["-j", "right outer"]),
    ("combine_left_merge", "combine", [MULTI, PARTNER], ["-j", "left outer", "--merge-channels"]),
    ("combine_right_merge", "combine", [MULTI, PARTNER], ["-j", "right outer", "--merge-channels"]),
    # failures: pyhf raises; likelihub prints one line naming the thing
    ("error_prune_channel", "prune", [MULTI], ["-c", "nowhere"]),
    ("error_rename_sample", "rename", [MULTI], ["-s", "nosuch", "other"]),
    ("error_rename_lumi", "rename", [MULTI], ["-m", "lumi", "luminosity"]),  # pyhf's schema: lumi
    ("error_prune_measurement", "prune", [MULTI], ["--measurement", "nosuch"]),
    ("error_prune_absent_type", "prune", [TWO_BIN], ["-t", "staterror"]),
    ("error_prune_bad_type", "prune", [MULTI], ["-t", "gaussian"]),
    ("error_combine_none", "combine", [MULTI, PARTNER], []),
    ("error_combine_outer", "combine", [MULTI, PARTNER], ["-j", "outer"]),
    ("error_combine_outer_poi", "combine", [MULTI, PARTNER], ["-j", "outer", "--merge-channels"]),
    ("error_combine_merge_none", "combine", [MULTI, PARTNER], ["--merge-channels"]),
    ("error_combine_bad_join", "combine", [MULTI, PARTNER], ["-j", "inner"]),
    ("error_digest_algorithm", "digest", [MULTI], ["-a", "nosuch"]),
    # name clashes: pyhf prints a workspace with two channels (samples) of one name; likelihub refuses
    ("clash_rename_channel", "rename", [MULTI], ["-c", "control_region", "signal_region"]),
    ("clash_rename_sample", "rename", [MULTI], ["-s", "wjets", "ttbar"]),
    # the published workspaces of ../shared/data
    ("real_digest_1Lbb", "digest", [LBB], ["-a", "sha256", "-a", "md5"]),
    ("real_digest_3L", "digest", [L3], ["--json"]),
    ("real_sort_1Lbb", "sort", [LBB], []),
    ("real_prune_1Lbb", "prune", [LBB], ["-c", "WREM_cuts", "-t", "staterror", "-m", "EG_Eff",
                                         "-s", "vh"]),
    ("real_rename_1Lbb", "rename", [LBB], ["-c", "SRHMEM_mct2", "SRHM", "-s", "ttbar", "top",
                                           "-m", "mu_Top", "mu_top", "--measurement", "BasicMeasurement",
                                           "Meas"]),
    ("real_prune_sbottom", "prune", [SBOTTOM.format("C")], ["-c", "VRzAlt_cuts", "-c", "VRz_cuts"]),
    ("real_combine_staus_outer", "combine", [STAUS.format("lowMass"), STAUS.format("highMass")],
     ["-j", "outer"]),
    ("real_combine_staus_merge", "combine", [STAUS.format("lowMass"), STAUS.format("highMass")],
     ["-j", "outer", "--merge-channels"]),
    ("real_combine_sbottom_3L", "combine", [SBOTTOM.format("A"), L3], ["-j", "left outer"]),
    ("real_error_combine_sbottom", "combine", [SBOTTOM.format("B"), SBOTTOM.format("C")], []),
]


def _input(name: str, folder: Path) -> str:
    if name.startswith("data/"):
        return str(HERE / name.removeprefix("data/"))
    archive, member = name.removeprefix("shared/").split(":")
    target = folder / archive.replace("/", "_") / member
    if not target.is_file():
        with tarfile.open(SHARED / archive) as pallet:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(pallet.extractfile(member).read())
    return str(target)


def _run(command: str, inputs: list, arguments: list, folder: Path) -> dict:
    result = CliRunner().invoke(cli, [command, *[_input(i, folder) for i in inputs], *arguments])
    entry = {"command": command, "inputs": inputs, "arguments": arguments, "exit_code": result.exit_code}
    if result.exit_code != 0:
        error = result.exception
        if isinstance(error, SystemExit):  # click's usage errors: exit 2, message on stderr
            entry["error"] = result.output.strip().splitlines()[-1]
        else:
            entry["error"] = f"{type(error).__name__}: {error}"
        return entry
    stdout = result.stdout
    if len(stdout) <= MAX_STORED:
        entry["stdout"] = stdout
    else:
        entry["stdout_sha256"] = hashlib.sha256(stdout.encode("utf8")).hexdigest()
        entry["pyhf_digest"] = pyhf.utils.digest(json.loads(stdout))
        entry["stdout_bytes"] = len(stdout.encode("utf8"))
    return entry


def main() -> None:
    if pyhf.__version__ != "0.7.6":
        sys.exit(f"pyhf 0.7.6 expected, found {pyhf.__version__}")
    cases = {}
    with tempfile.TemporaryDirectory() as folder:
        for name, command, inputs, arguments in CASES:
            cases[name] = _run(command, inputs, arguments, Path(folder))
            print(name, cases[name]["exit_code"], cases[name].get("error", ""))
    document = {"origin": "pyhf 0.7.6 command line (pyhf.cli.cli, click's CliRunner), made by "
                          "tests/histfactory/data/make_pyhf_workspace_cli.py",
                "cases": cases}
    OUTPUT.write_text(json.dumps(document, indent=1, sort_keys=True) + "\n")


if __name__ == "__main__":
    main()
