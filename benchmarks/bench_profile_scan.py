"""Issue 14: a 50 x 50 two-dimensional profile-likelihood scan of ATLAS 1Lbb (126 parameters),
likelihub's scan vs a loop of likelihub's own fits vs pyhf 0.7.6.

Run by hand (not a test): ``python benchmarks/bench_profile_scan.py [--points 50] [--repeat 3]
[--pyhf-points 6] [--no-pyhf] [--profile]``. The model is BkgOnly.json with the signal patch
C1N2_Wh_hbb_300_150 of ../shared/data/histfactory/atlas-susy-2019-08-1Lbb.tar.gz (or
$LIKELIHUB_SHARED_DATA); the scanned parameters are the POI mu_SIG in [0, 2] and the W+jets
normalisation mu_W in [0.6, 1.9] (best fit 0.53 +- 0.64 and 1.25 +- 0.26), all other 122 free
parameters profiled.

- likelihub: ``model.profile_scan({"mu_SIG": (0, 2, n), "mu_W": (0.6, 1.9, n)})`` (free fit
  included; the conditional fits warm-started from neighbours, in lock-step batches), after a
  5 x 5 warm-up (numba's kernels loaded from their cache); median of ``--repeat`` runs.
- loop: ``model.fit(fixed={"mu_SIG": x, "mu_W": y}, uncertainties=False)`` at every grid point,
  each from the model's initial values (independent fits: Newton with the exact Hessian, MIGRAD
  where it fails), once; its 2 Delta NLL is compared with the scan's point by point.
- pyhf 0.7.6 (the peers' venv, a subprocess, numpy backend, its default scipy optimiser):
  ``pyhf.infer.mle.fit(data, model, init_pars=..., fixed_params=...)`` with both parameters fixed
  at ``--pyhf-points`` grid points spread over the grid (seconds each: the full grid would take
  hours), its median time per fit times n^2 as its scan time (extrapolated, and said so); its
  2 Delta NLL at those points is compared with likelihub's.

Prints the times, the ratios, the largest differences of 2 Delta NLL, and with ``--profile``
where the scan's time goes (cProfile of one run, the top functions by own time).
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import pstats
import statistics
import subprocess
import sys
import time

import numpy as np
from peers import (  # benchmarks/peers.py: this script's folder is on sys.path
    PEERS,
    PYHF_PALLET_MODEL,
    SHARED,
)

ARCHIVE = SHARED / "histfactory" / "atlas-susy-2019-08-1Lbb.tar.gz"
POINT = "C1N2_Wh_hbb_300_150"
RANGES = {"mu_SIG": (0.0, 2.0), "mu_W": (0.6, 1.9)}

PYHF_SCRIPT = PYHF_PALLET_MODEL + r"""
points = json.loads(sys.argv[3])
start = time.perf_counter()
_, free = pyhf.infer.mle.fit(data, model, return_fitted_val=True)
free_seconds = time.perf_counter() - start
fixed = list(model.config.suggested_fixed())
i, j = (model.config.par_slice(n).start for n in ("mu_SIG", "mu_W"))
fixed[i] = fixed[j] = True
seconds, twice_nll = [], []
for x, y in points:
    init = list(model.config.suggested_init()); init[i], init[j] = x, y
    start = time.perf_counter()
    _, value = pyhf.infer.mle.fit(data, model, init_pars=init, fixed_params=fixed, return_fitted_val=True)
    seconds.append(time.perf_counter() - start); twice_nll.append(float(value))
print(json.dumps({"free": float(free), "free_seconds": free_seconds, "seconds": seconds,
                  "twice_nll": twice_nll, "version": pyhf.__version__}))
"""


def build():
    from likelihub_histfactory.factory import build_model
    from likelihub_histfactory.spec.patchset import PatchSet
    from likelihub_histfactory.spec.workspace import Workspace

    workspace = Workspace.load(ARCHIVE, member="BkgOnly.json")
    patch = next(p for p in PatchSet(ARCHIVE, member="patchset.json") if p.name == POINT)
    return build_model(workspace, patches=[patch])


def grid(n: int) -> dict:
    return {name: (low, high, n) for name, (low, high) in RANGES.items()}


def time_scan(model, n: int, repeat: int):
    model.profile_scan(grid(5))  # warm-up: numba's kernels from their cache
    seconds, scan = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        scan = model.profile_scan(grid(n))
        seconds.append(time.perf_counter() - start)
    return seconds, scan


def time_loop(model, scan):
    start = time.perf_counter()
    best = model.fit(uncertainties=False)
    t = np.full(scan.shape, np.nan)
    for i, x in enumerate(scan.grid[0]):
        for j, y in enumerate(scan.grid[1]):
            fit = model.fit(fixed={"mu_SIG": x, "mu_W": y}, uncertainties=False, raise_on_failure=False)
            t[i, j] = 2 * (fit.nll - best.nll)
    return time.perf_counter() - start, t


def run_pyhf(scan, k: int) -> dict:
    n1, n2 = scan.shape
    picks = [(int(round(a)), int(round(b))) for a, b in zip(np.linspace(0, n1 - 1, k),
                                                              np.linspace(n2 - 1, 0, k), strict=True)]
    points = [[float(scan.grid[0][i]), float(scan.grid[1][j])] for i, j in picks]
    out = subprocess.run([str(PEERS), "-c", PYHF_SCRIPT, str(ARCHIVE), POINT, json.dumps(points)],
                         check=True, capture_output=True, text=True).stdout
    result = json.loads(out.strip().splitlines()[-1])
    result["picks"] = picks
    return result


def profile_once(model, n: int, top: int = 12) -> str:
    profiler = cProfile.Profile()
    profiler.enable()
    model.profile_scan(grid(n))
    profiler.disable()
    text = io.StringIO()
    pstats.Stats(profiler, stream=text).sort_stats("tottime").print_stats(top)
    return text.getvalue()


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=50, help="grid points per parameter")
    parser.add_argument("--repeat", type=int, default=3, help="runs of likelihub's scan (median)")
    parser.add_argument("--pyhf-points", type=int, default=6, help="grid points fitted by pyhf")
    parser.add_argument("--no-pyhf", action="store_true")
    parser.add_argument("--no-loop", action="store_true")
    parser.add_argument("--profile", action="store_true", help="where one scan's time goes (cProfile)")
    args = parser.parse_args(argv)

    start = time.perf_counter()
    model = build()
    print(f"model: 1Lbb {POINT}, {model.config.n_parameters} parameters "
          f"(built in {time.perf_counter() - start:.1f} s); grid {args.points} x {args.points} of "
          + ", ".join(f"{k} in [{a:g}, {b:g}]" for k, (a, b) in RANGES.items()))
    seconds, scan = time_scan(model, args.points, args.repeat)
    median = statistics.median(seconds)
    names, counts = np.unique(scan.methods.astype(str), return_counts=True)
    methods = {str(m): int(n) for m, n in zip(names, counts, strict=True)}
    print(f"likelihub profile_scan: median {median:.2f} s of {len(seconds)} runs "
          f"({', '.join(f'{s:.2f}' for s in seconds)}); {scan.shape[0] * scan.shape[1]} points, "
          f"{int((~scan.converged).sum())} not converged; fits by {methods}; best fit "
          f"{scan.best_values} (refit from grid: {scan.best_fit_from})")
    ok = bool(scan.all_converged)
    if not args.no_loop:
        loop_seconds, loop_t = time_loop(model, scan)
        difference = np.nanmax(np.abs(loop_t - scan.twice_delta_nll))
        print(f"loop of likelihub fits (independent, from the initial values): {loop_seconds:.2f} s "
              f"({loop_seconds / loop_t.size * 1e3:.1f} ms per fit); ratio loop / scan: "
              f"{loop_seconds / median:.2f}")
        print(f"largest |2 Delta NLL scan - loop| over the grid: {difference:.2e} (the scan minimum "
              f"{np.nanmin(scan.twice_delta_nll):.2e}, never below the best fit)")
        ok = ok and difference <= 1e-6
    if not args.no_pyhf:
        pyhf = run_pyhf(scan, args.pyhf_points)
        per_fit = statistics.median(pyhf["seconds"])
        extrapolated = per_fit * scan.twice_delta_nll.size + pyhf["free_seconds"]
        ours = np.array([scan.twice_delta_nll[p] for p in pyhf["picks"]])
        theirs = np.array(pyhf["twice_nll"]) - pyhf["free"]
        print(f"pyhf {pyhf['version']} fixed-parameter fits at {len(ours)} grid points: median "
              f"{per_fit:.2f} s per fit (free fit {pyhf['free_seconds']:.2f} s); a {scan.shape[0]} x "
              f"{scan.shape[1]} loop extrapolated: {extrapolated:.0f} s; ratio pyhf / likelihub scan: "
              f"{extrapolated / median:.0f}")
        print(f"pyhf 2 Delta NLL - likelihub's at those points: {np.round(theirs - ours, 6).tolist()} "
              f"(free fits: pyhf -2 log L {pyhf['free']:.6f}, likelihub {scan.best_fit.twice_nll:.6f})")
    if args.profile:
        print(profile_once(model, args.points))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
