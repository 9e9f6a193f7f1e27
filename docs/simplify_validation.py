"""Validate ``likelihub simplify``: ``python docs/simplify_validation.py [--jobs 2] [--peer]``.

For every patch of ATLAS-SUSY-2018-31 (sbottom) region A and of ATLAS-SUSY-2019-08 (1Lbb), in
``../shared/data/histfactory``: CLs at mu = 1 (observed, expected median) and the 95% CL upper
limit on mu (observed, expected median) of the full HistFactory model and of its simplified
likelihood (``simplify`` with its defaults: signal regions kept, background-only fit of the control
regions, 20000 toys, seed 0), read by ``simplified.correlated_background`` and
``simplified.third_moment_expansion``. Results go to ``docs/simplify-validation.json`` as each
patch finishes (a rerun resumes), and the page ``docs/simplify-validation.md`` is written from it.

With ``--peer`` (instead), spey-pyhf 0.2.2's ``pyhf.simplify`` (the peers' venv) simplifies a few
patches and its inputs are compared with likelihub's (``docs/simplify_peer.py`` runs there),
into ``docs/simplify-peer.json``; ``--page-only`` rewrites the page. All patches
take about an hour on two busy cores; ``--limit N`` runs the first N of each analysis.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tarfile
import time
import warnings
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("LIKELIHUB_SHARED_DATA", ROOT.parent / "shared" / "data")) / "histfactory"
OUTPUT = ROOT / "docs" / "simplify-validation.json"
PEER_OUTPUT = ROOT / "docs" / "simplify-peer.json"
SYSTEMATICS_OUTPUT = ROOT / "docs" / "simplify-signal-systematics.json"
PAGE = ROOT / "docs" / "simplify-validation.md"
PEERS = Path("/root/.cache/likelihub-peers/bin/python")
SBOTTOM = "atlas-susy-2018-31-sbottom.tar.gz"
ONE_L_BB = "atlas-susy-2019-08-1Lbb.tar.gz"
KINDS = ("correlated_background", "third_moment_expansion")
#: Patches the peer comparison simplifies (spey-pyhf takes minutes for each).
PEER_PATCHES = [("sbottom", "sbottom_1300_205_60"), ("sbottom", "sbottom_600_280_150"),
                ("1Lbb", "C1N2_Wh_hbb_900_250"), ("1Lbb", "C1N2_Wh_hbb_300_150")]
#: Patches of the signal-systematics diagnostic (most of the signal in the signal regions, and not).
SYSTEMATICS_PATCHES = [("sbottom", "sbottom_1000_995_60"), ("sbottom", "sbottom_1300_1295_60"),
                       ("sbottom", "sbottom_1000_830_700"), ("1Lbb", "C1N2_Wh_hbb_900_250"),
                       ("1Lbb", "C1N2_Wh_hbb_300_150")]


def cases() -> list[tuple[str, str, dict]]:
    """(analysis, patch, the full model's options) for every patch of both analyses."""
    with tarfile.open(SHARED / SBOTTOM) as tar:
        members = sorted(m.name for m in tar.getmembers()
                         if m.name.startswith("RegionA/patch.") and m.name.endswith(".json"))
    out = [("sbottom", m.split("patch.", 1)[1][:-5], {"archive": SBOTTOM, "member": "RegionA/BkgOnly.json",
                                                       "patches": [m]}) for m in members]
    with tarfile.open(SHARED / ONE_L_BB) as tar:
        names = [p["metadata"]["name"] for p in json.load(tar.extractfile("patchset.json"))["patches"]]
    out += [("1Lbb", name, {"archive": ONE_L_BB, "member": "BkgOnly.json", "patchset": "patchset.json",
                            "patch_name": name}) for name in names]
    return out


def _inference(model) -> dict:
    """CLs at mu = 1 and the upper limits; a failure (a limit beyond reach) is recorded, not raised."""
    from likelihub.errors import LikelihubError

    out = {}
    try:
        cls = model.cls(1.0)
        out.update(cls_obs=float(cls.cls_obs), cls_exp=float(cls.cls_exp[2]))
        limit = model.upper_limit()
        out.update(ul_obs=float(limit.observed), ul_exp=float(limit.expected[2]))
    except LikelihubError as error:
        out["error"] = f"{type(error).__name__}: {error}"[:300]
    return out


_READ: dict = {}


def _read(options: dict) -> tuple:
    """The pallet's workspace and patchset, read once per process (as a scan does)."""
    from likelihub_histfactory.spec.patchset import PatchSet
    from likelihub_histfactory.spec.workspace import Workspace

    archive = str(SHARED / options.pop("archive"))
    if archive not in _READ:
        patchset = options.get("patchset")
        _READ[archive] = (Workspace.load(archive, member=options["member"]),
                          None if patchset is None else PatchSet(archive, member=patchset))
    workspace, patchset = _READ[archive]
    options.pop("member")
    if patchset is not None:
        options["patchset"] = patchset
    else:
        options["patches"] = [archive_patch(archive, m) for m in options["patches"]]
    return workspace, options


def archive_patch(archive: str, member: str):
    from likelihub_histfactory.spec.patches import read_patch

    return read_patch(archive, member)


def run_case(case: tuple[str, str, dict]) -> dict:
    """The full and simplified models' CLs and limits of one patch, with timings."""
    import likelihub as lh
    from likelihub_histfactory.simplify import simplify

    warnings.simplefilter("ignore")
    analysis, patch, options = case
    workspace, options = _read(dict(options))
    row = {"analysis": analysis, "patch": patch, "seconds": {}}
    start = time.perf_counter()
    row["full"] = _inference(lh.get_backend("histfactory")(workspace, **options))
    row["seconds"]["full"] = time.perf_counter() - start
    start = time.perf_counter()
    sl = simplify(workspace, **options)
    row["seconds"]["simplify"] = time.perf_counter() - start
    row["rejected_fraction"] = sl.metadata["rejected_fraction"]
    row["signal_fraction_kept"] = sl.metadata["signal_fraction_kept"]
    start = time.perf_counter()
    for kind in KINDS:
        try:
            row[kind] = _inference(sl.model(kind))
        except lh.errors.LikelihubError as error:  # the model cannot be built (third moments too large)
            row[kind] = {"error": f"{type(error).__name__}: {error}"[:300]}
    row["seconds"]["simplified"] = time.perf_counter() - start
    return row


def run_all(jobs: int, limit: int | None) -> dict:
    done = json.loads(OUTPUT.read_text()) if OUTPUT.is_file() else {"rows": []}
    have = {(r["analysis"], r["patch"]) for r in done["rows"]}
    todo = [c for c in cases() if (c[0], c[1]) not in have]
    if limit is not None:
        todo = [c for c in todo if sum(1 for d in todo[:todo.index(c)] if d[0] == c[0]) < limit]
    print(f"{len(have)} patches done, {len(todo)} to run", file=sys.stderr)
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        for row in pool.map(run_case, todo):
            done["rows"].append(row)
            OUTPUT.write_text(json.dumps(done, indent=1) + "\n")
            print(f"{row['analysis']} {row['patch']}: {row['seconds']}", file=sys.stderr)
    return done


def run_peer() -> None:
    """spey-pyhf's simplification of PEER_PATCHES beside likelihub's of the same convention."""
    warnings.simplefilter("ignore")
    by_name = {(a, p): o for a, p, o in cases()}
    rows = []
    for analysis, patch in PEER_PATCHES:
        options = dict(by_name[(analysis, patch)])
        archive = str(SHARED / options.pop("archive"))
        mine, alike, seconds = _likelihub_conversions(analysis, patch)
        controls = [c for c in alike.metadata["kept_channels"] if c not in mine.metadata["kept_channels"]]
        member = options["patches"][0] if "patches" in options else options["patchset"]
        out = Path("/tmp") / f"likelihub-spey-{patch}.npz"
        command = [str(PEERS), "-O", str(ROOT / "docs" / "simplify_peer.py"), archive, options["member"],
                   member, options.get("patch_name") or "", json.dumps(controls), "1000", str(out)]
        result = subprocess.run(command, capture_output=True, text=True, check=True)
        spey = json.loads(next(line for line in result.stdout.splitlines()
                               if line.startswith("RESULT "))[len("RESULT "):])
        rows.append(_peer_row(analysis, patch, mine, alike, spey, seconds))
        print(f"peer {analysis} {patch}", file=sys.stderr)
    PEER_OUTPUT.write_text(json.dumps(rows, indent=1) + "\n")


def _bare_patch(archive: str, options: dict) -> list:
    """The patch's operations, the signal samples keeping only their normfactors and staterror."""
    with tarfile.open(archive) as tar:
        if "patchset" in options:
            patches = json.load(tar.extractfile(options["patchset"]))["patches"]
            operations = next(p for p in patches if p["metadata"]["name"] == options["patch_name"])["patch"]
        else:
            document = json.load(tar.extractfile(options["patches"][0]))
            operations = document["patch"] if isinstance(document, dict) else document
    for op in operations:
        if op["op"] == "add" and isinstance(op.get("value"), dict) and "modifiers" in op["value"]:
            op["value"]["modifiers"] = [m for m in op["value"]["modifiers"]
                                        if m["type"] in ("normfactor", "staterror")]
    return operations


def run_systematics() -> None:
    """How much of the difference is the signal's systematics, which a simplified likelihood drops:
    the full model's observed limit with and without them, beside the simplified ones."""
    import likelihub as lh
    from likelihub_histfactory.simplify import simplify

    warnings.simplefilter("ignore")
    by_name = {(a, p): o for a, p, o in cases()}
    rows = []
    for analysis, patch in SYSTEMATICS_PATCHES:
        options = dict(by_name[(analysis, patch)])
        archive = str(SHARED / options.pop("archive"))
        row = {"analysis": analysis, "patch": patch}
        full = lh.get_backend("histfactory")(archive, **options)
        row["full"] = full.upper_limit(expected="observed").observed
        bare = lh.get_backend("histfactory")(archive, member=options["member"],
                                             patches=[_bare_patch(archive, options)])
        row["full_without_signal_systematics"] = bare.upper_limit(expected="observed").observed
        sl = simplify(archive, **options)
        row["signal_fraction_kept"] = sl.metadata["signal_fraction_kept"]
        for kind in KINDS:
            row[kind] = sl.model(kind).upper_limit(expected="observed").observed
        rows.append(row)
        print(row, file=sys.stderr)
    SYSTEMATICS_OUTPUT.write_text(json.dumps(rows, indent=1) + "\n")


def _likelihub_side(mine, alike, seconds: float) -> dict:
    """likelihub's numbers of a peer row: the moments in spey-pyhf's convention, and both CLs."""
    row = {"bins": alike.region_names, "likelihub_all_background": alike.background.tolist(),
           "likelihub_all_sigma": np.sqrt(np.diag(alike.covariance)).tolist(),
           "likelihub_all_m3": alike.third_moment.tolist(), "likelihub_all_seconds": seconds}
    for name, sl in (("likelihub_all", alike), ("likelihub", mine)):
        model = sl.model("correlated_background")
        row[name] = {"cls_obs": float(model.cls(1.0).cls_obs),
                     "ul_obs": float(model.upper_limit(expected="observed").observed)}
    return row


def _peer_row(analysis, patch, mine, alike, spey, seconds) -> dict:
    import likelihub as lh

    order = [f"{c}[{i}]" for c in spey["channels"] for i in range(spey["bin_counts"][c])]
    index = [order.index(name) for name in alike.region_names]
    b = np.asarray(spey["background"])[index]
    cov = np.asarray(spey["covariance"])[np.ix_(index, index)]
    m3 = np.asarray(spey["third_moment"])[index]
    # spey-pyhf's toys are Poisson counts: Var(n) = Var(b) + E[b], k3(n) = k3(b) + 3 Var(b) + E[b]
    var_b = np.diag(cov) - b
    row = {"analysis": analysis, "patch": patch, "spey_background": b.tolist(),
           "spey_sigma_without_poisson": np.sqrt(np.maximum(var_b, 0)).tolist(),
           "spey_m3_without_poisson": (m3 - 3 * var_b - b).tolist(), "spey_seconds": spey["seconds"],
           "spey_cls_obs": spey["spey_cls_obs"], "spey_ul_obs": spey["spey_upper_limit_obs"],
           **_likelihub_side(mine, alike, seconds)}
    spey_model = lh.get_backend("simplified.correlated_background")(
        signal_yields=np.asarray(spey["signal"])[index], background_yields=b,
        data=np.asarray(spey["data"])[index], covariance_matrix=cov)
    row["likelihub_on_spey_inputs"] = {"cls_obs": float(spey_model.cls(1.0).cls_obs),
                                       "ul_obs": float(spey_model.upper_limit(expected="observed").observed)}
    return row


def refresh_peer() -> None:
    """likelihub's side of docs/simplify-peer.json again (after a change of simplify), spey-pyhf's kept."""
    rows = json.loads(PEER_OUTPUT.read_text())
    for row in rows:
        mine, alike, seconds = _likelihub_conversions(row["analysis"], row["patch"])
        assert _likelihub_side(mine, alike, seconds)["bins"] == row["bins"]
        row.update(_likelihub_side(mine, alike, seconds))
    PEER_OUTPUT.write_text(json.dumps(rows, indent=1) + "\n")


def _likelihub_conversions(analysis: str, patch: str) -> tuple:
    """likelihub's simplification of a patch with its defaults, and in spey-pyhf's convention (every
    channel kept, every channel fitted) with the seconds it took."""
    import likelihub as lh
    from likelihub_histfactory.simplify import simplify

    options = dict({(a, p): o for a, p, o in cases()}[(analysis, patch)])
    archive = str(SHARED / options.pop("archive"))
    channels = list(lh.get_backend("histfactory")(archive, **options).backend.compiled.channel_names)
    mine = simplify(archive, **options)
    start = time.perf_counter()
    alike = simplify(archive, **options, channels=channels, fit="all")
    return mine, alike, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=1)
    parser.add_argument("--limit", type=int, default=None)
    parser.add_argument("--peer", action="store_true")
    parser.add_argument("--peer-refresh", action="store_true")
    parser.add_argument("--signal-systematics", action="store_true")
    parser.add_argument("--page-only", action="store_true")
    args = parser.parse_args()
    if args.peer:
        run_peer()
    if args.peer_refresh:
        refresh_peer()
    if args.signal_systematics:
        run_systematics()
    skip = args.page_only or args.peer or args.peer_refresh or args.signal_systematics
    done = json.loads(OUTPUT.read_text()) if skip else run_all(args.jobs, args.limit)
    if PEER_OUTPUT.is_file():
        done["peer"] = json.loads(PEER_OUTPUT.read_text())
    if SYSTEMATICS_OUTPUT.is_file():
        done["systematics"] = json.loads(SYSTEMATICS_OUTPUT.read_text())
    from simplify_page import write_page

    PAGE.write_text(write_page(done))


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).parent))
    main()
