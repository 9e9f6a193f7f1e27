"""Issue 6: CLs at mu = 1 for all 125 1Lbb signal points with likelihub vs ONE point with pyhf 0.7.6.

Run by hand (not a test): ``python benchmarks/bench_scan.py [--pyhf-seconds S] [--max-workers N]
[--check 3]``. pyhf runs in the peers' venv (a subprocess, numpy backend, default optimiser): the
time of ``pyhf.infer.hypotest(1.0, ..., return_expected_set=True)`` for C1N2_Wh_hbb_900_250, model
building excluded (``--pyhf-seconds`` skips it and uses the given time). likelihub times
``likelihub.scan`` of the whole patchset (local processes by default; reading the pallet and
starting the workers included), then rebuilds ``--check`` points one by one with the registered
factory and checks that their rows equal the single-model CLs to the fits' precision (the scan
fits the points of a chunk in lock-step: relative 1e-5 at most). It prints both times, the ratio,
and the per-point cost of model building vs the hypotest, one model at a time and 32 models in
lock-step (medians, one process).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time

from peers import (  # benchmarks/peers.py: this script's folder is on sys.path
    PEERS,
    PYHF_PALLET_MODEL,
    SHARED,
)

ARCHIVE = SHARED / "histfactory" / "atlas-susy-2019-08-1Lbb.tar.gz"
POINT = "C1N2_Wh_hbb_900_250"

PYHF_SCRIPT = PYHF_PALLET_MODEL + r"""
t = time.perf_counter()
obs, exp = pyhf.infer.hypotest(1.0, data, model, test_stat="qtilde", return_expected_set=True)
print(json.dumps({"hypotest": time.perf_counter() - t, "cls_obs": float(obs)}))
"""


def pyhf_hypotest_seconds() -> tuple[float, float]:
    """(seconds, CLs_obs) of pyhf's hypotest of the one point, in the peers' venv."""
    out = subprocess.run([str(PEERS), "-c", PYHF_SCRIPT, str(ARCHIVE), POINT], check=True,
                         capture_output=True, text=True).stdout
    result = json.loads(out.strip().splitlines()[-1])
    return result["hypotest"], result["cls_obs"]


def per_point_costs(n: int = 5) -> dict[str, float]:
    """Median seconds per point of building the model and of its hypotest (this process)."""
    from likelihub_histfactory.compile import SampleCache
    from likelihub_histfactory.factory import build_model
    from likelihub_histfactory.spec.patchset import PatchSet
    from likelihub_histfactory.spec.workspace import Workspace

    workspace = Workspace.load(ARCHIVE, member="BkgOnly.json")
    patches = list(PatchSet(ARCHIVE, member="patchset.json"))[:n + 1]
    cache = SampleCache()  # as each scan worker: background samples compiled once
    build_model(workspace, patches=[patches[0]], sample_cache=cache).cls(1.0)  # numba cache load
    build, hypotest = [], []
    for patch in patches[1:]:
        start = time.perf_counter()
        model = build_model(workspace, patches=[patch], sample_cache=cache)
        build.append(time.perf_counter() - start)
        start = time.perf_counter()
        model.cls(1.0)
        hypotest.append(time.perf_counter() - start)
    return {"build": statistics.median(build), "hypotest": statistics.median(hypotest)}


def lockstep_cost(n: int = 32, repeat: int = 3) -> tuple[float, float]:
    """Median seconds per point of the hypotests of ``n`` points, one model at a time and with
    their fits in lock-step (alternating)."""
    from likelihub.infer.lockstep import cls_together
    from likelihub_histfactory.compile import SampleCache
    from likelihub_histfactory.factory import build_model
    from likelihub_histfactory.spec.patchset import PatchSet
    from likelihub_histfactory.spec.workspace import Workspace

    workspace = Workspace.load(ARCHIVE, member="BkgOnly.json")
    patches = list(PatchSet(ARCHIVE, member="patchset.json"))[:n]
    cache = SampleCache()
    cls_together([build_model(workspace, patches=[p], sample_cache=cache) for p in patches[:2]])
    alone, together = [], []
    for _ in range(repeat):
        models = [build_model(workspace, patches=[p], sample_cache=cache) for p in patches]
        start = time.perf_counter()
        for model in models:
            model.cls(1.0)
        alone.append((time.perf_counter() - start) / n)
        models = [build_model(workspace, patches=[p], sample_cache=cache) for p in patches]
        start = time.perf_counter()
        cls_together(models)
        together.append((time.perf_counter() - start) / n)
    return statistics.median(alone), statistics.median(together)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pyhf-seconds", type=float, default=None)
    parser.add_argument("--max-workers", type=int, default=None)
    parser.add_argument("--check", type=int, default=3, help="points rebuilt one by one and compared")
    args = parser.parse_args(argv)
    import likelihub

    if args.pyhf_seconds is None:
        pyhf_seconds, pyhf_cls = pyhf_hypotest_seconds()
        print(f"pyhf 0.7.6 hypotest, one point ({POINT}): {pyhf_seconds:.2f} s (CLs_obs {pyhf_cls:.6g})")
    else:
        pyhf_seconds = args.pyhf_seconds
        print(f"pyhf 0.7.6 hypotest, one point: {pyhf_seconds:.2f} s (given)")

    start = time.perf_counter()
    table = likelihub.scan(str(ARCHIVE), "patchset.json", member="BkgOnly.json",
                           max_workers=args.max_workers, progress=False)
    scan_seconds = time.perf_counter() - start
    failed = [row["name"] for row in table.rows if row.get("error")]
    print(f"likelihub scan, {len(table.rows)} points: {scan_seconds:.2f} s "
          f"({scan_seconds / len(table.rows) * 1e3:.0f} ms per point; {len(failed)} failed)")
    print(f"ratio scan(all) / pyhf(one): {scan_seconds / pyhf_seconds:.2f}")

    backend = likelihub.get_backend("histfactory")
    step = max(1, len(table.rows) // max(args.check, 1))
    worst = 0.0
    for row in table.rows[::step][:args.check]:
        single = backend(str(ARCHIVE), member="BkgOnly.json", patchset="patchset.json",
                         patch_name=row["name"]).cls(1.0)
        values = [single.cls_obs, *single.cls_exp]
        scanned = [row["cls_obs"], *row["cls_exp"]]
        worst = max(worst, max(abs(a / b - 1) for a, b in zip(scanned, values, strict=True)))
        print(f"  {row['name']}: scan CLs_obs {row['cls_obs']:.10g}, single {single.cls_obs:.10g}")
    print(f"largest relative |scan - single| over CLs_obs and the expected band: {worst:.3g}")
    costs = per_point_costs()
    print(f"per point, one process (medians of 5): build {costs['build'] * 1e3:.0f} ms, "
          f"hypotest {costs['hypotest'] * 1e3:.0f} ms")
    alone, together = lockstep_cost()
    print(f"hypotests of 32 points, per point: {alone * 1e3:.0f} ms one model at a time, "
          f"{together * 1e3:.0f} ms in lock-step (ratio {together / alone:.2f})")
    return 0 if not failed and worst <= 1e-5 else 1


if __name__ == "__main__":
    sys.exit(main())
