"""Benchmark: likelihub-simplified against spey 0.2.7 on the same inputs, and toys.

    python benchmarks/bench_simplified.py [--repeat 3] [--peer-python /root/.cache/likelihub-peers/bin/python]

1. A 50-bin correlated-background model (CMS-NOTE-2017-001 likelihood) with a realistic correlation
   matrix: the first 50 bins of CMS-EXO-20-004 in ../shared/data/simplified (its published covariance,
   observed counts and backgrounds), signal = sqrt(b + Sigma_ii). Timed: CLs at mu = 1 with the
   expected band, and the upper limit with the expected band; model construction is outside the timer
   on both sides. Both use Asimov global observables at nominal (spey's convention). spey runs in its
   own virtual environment, in a subprocess, and reports its own timings; outputs are printed side by side.
2. Toys: 10,000 toys of a 10-bin model (first 10 bins of the same analysis): the time to draw them and
   to fit each one twice (free and at fixed mu) in lock-step with the backend's batch derivatives
   (likelihub.fits.batch.fit_batch), on one core.

Medians of ``--repeat`` runs; ratios are spey / likelihub.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
from peers import median_time  # benchmarks/peers.py: on sys.path

REPOSITORY = Path(__file__).resolve().parents[1]
DATA = Path(os.environ.get("LIKELIHUB_SHARED_DATA", REPOSITORY.parent / "shared" / "data")) / "simplified"
PEER_PYTHON = "/root/.cache/likelihub-peers/bin/python"


def inputs(n_bins: int) -> dict:
    """The first ``n_bins`` of CMS-EXO-20-004 with a plausible signal."""
    model = json.loads((DATA / "CMS-EXO-20-004-eff.json").read_text())
    background = np.array(model["background"][:n_bins])
    covariance = np.array(model["covariance"])[:n_bins, :n_bins]
    return dict(signal_yields=np.sqrt(background + np.diag(covariance)).tolist(),
                background_yields=background.tolist(), data=model["observed"][:n_bins],
                covariance_matrix=covariance.tolist())



def run_likelihub(arguments: dict, repeat: int) -> dict:
    import likelihub as lh

    factory = lh.get_backend("simplified.correlated_background")

    def cls():
        model = factory(**arguments)
        start = time.perf_counter()
        result = model.cls(1.0, asimov_global_observables="nominal")
        return time.perf_counter() - start, result

    def limit():
        model = factory(**arguments)
        start = time.perf_counter()
        result = model.upper_limit(asimov_global_observables="nominal")
        return time.perf_counter() - start, result

    cls_runs = [cls() for _ in range(repeat)]
    limit_runs = [limit() for _ in range(repeat)]
    return {"cls_time": statistics.median(t for t, _ in cls_runs),
            "cls_obs": cls_runs[-1][1].cls_obs, "cls_exp": cls_runs[-1][1].cls_exp,
            "ul_time": statistics.median(t for t, _ in limit_runs),
            "ul_obs": limit_runs[-1][1].observed, "ul_exp": limit_runs[-1][1].expected}


SPEY_SCRIPT = textwrap.dedent("""
    import json, statistics, sys, time
    import numpy as np
    import spey
    arguments, repeat = json.loads(sys.argv[1]), int(sys.argv[2])
    factory = spey.get_backend("default.correlated_background")
    def build():
        return factory(signal_yields=np.array(arguments["signal_yields"]),
                       background_yields=np.array(arguments["background_yields"]),
                       data=np.array(arguments["data"]),
                       covariance_matrix=np.array(arguments["covariance_matrix"]))
    out = {"cls_time": [], "ul_time": []}
    for _ in range(repeat):
        model = build()
        start = time.perf_counter()
        obs = model.exclusion_confidence_level(poi_test=1.0, expected=spey.ExpectationType.observed)
        band = model.exclusion_confidence_level(poi_test=1.0, expected=spey.ExpectationType.aposteriori)
        out["cls_time"].append(time.perf_counter() - start)
    out["cls_obs"] = 1 - obs[0]
    out["cls_exp"] = sorted(1 - np.array(band))
    for _ in range(repeat):
        model = build()
        start = time.perf_counter()
        ul_obs = model.poi_upper_limit(expected=spey.ExpectationType.observed)
        ul_exp = model.poi_upper_limit(expected=spey.ExpectationType.aposteriori, expected_pvalue="2sigma")
        out["ul_time"].append(time.perf_counter() - start)
    out["ul_obs"] = ul_obs
    out["ul_exp"] = list(ul_exp)
    out["cls_time"] = statistics.median(out["cls_time"])
    out["ul_time"] = statistics.median(out["ul_time"])
    print("RESULT" + json.dumps(out, default=float))
""")


def run_spey(arguments: dict, repeat: int, python: str) -> dict | None:
    if not Path(python).exists():
        print(f"spey's python {python} not found: peer comparison skipped")
        return None
    completed = subprocess.run([python, "-c", SPEY_SCRIPT, json.dumps(arguments), str(repeat)],
                               capture_output=True, text=True, env={**os.environ, "OMP_NUM_THREADS": "1"})
    for line in completed.stdout.splitlines():
        if line.startswith("RESULT"):
            return json.loads(line[len("RESULT"):])
    print("spey failed:", completed.stderr[-2000:])
    return None


def run_toys(n_toys: int, repeat: int) -> dict:
    import likelihub as lh
    from likelihub.fits.batch import fit_batch

    model = lh.get_backend("simplified.correlated_background")(**inputs(10))
    backend = model.backend
    start_pars = model.fixed_poi_fit(0.0).values
    bounds = np.array(model.config.bounds)
    bounds[0, 0] = 0.0

    def draw_and_fit():
        toys = backend.sample(start_pars, n_toys, np.random.default_rng(1))
        free = fit_batch(backend, toys, init=start_pars, bounds=bounds)
        fixed = fit_batch(backend, toys, fixed_values={0: 1.0}, init=start_pars, bounds=bounds)
        return float(np.mean(free.converged & fixed.converged))

    sample_time, _ = median_time(lambda: backend.sample(start_pars, n_toys, np.random.default_rng(1)), repeat)
    fit_time, converged = median_time(draw_and_fit, repeat)
    return {"sample_time": sample_time, "fit_time": fit_time, "converged_fraction": converged}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--bins", type=int, default=50)
    parser.add_argument("--toys", type=int, default=10_000)
    parser.add_argument("--peer-python", default=PEER_PYTHON)
    args = parser.parse_args()
    arguments = inputs(args.bins)
    ours = run_likelihub(arguments, args.repeat)
    spey = run_spey(arguments, args.repeat, args.peer_python)
    print(f"== {args.bins}-bin correlated background (CMS-EXO-20-004 covariance), medians of {args.repeat}")
    for what in ("cls", "ul"):
        line = f"{what.upper():>3}+band  likelihub {ours[what + '_time']:8.3f} s"
        if spey:
            ratio = spey[what + '_time'] / ours[what + '_time']
            line += f"   spey {spey[what + '_time']:8.3f} s   ratio spey/likelihub {ratio:6.1f}"
        print(line)
        print(f"     likelihub obs {ours[what + '_obs']:.6g} "
              f"exp {np.round(ours[what + '_exp'], 6).tolist()}")
        if spey:
            print(f"     spey      obs {spey[what + '_obs']:.6g} "
                  f"exp {np.round(spey[what + '_exp'], 6).tolist()}")
    toys = run_toys(args.toys, args.repeat)
    print(f"== {args.toys} toys of a 10-bin model: draw {toys['sample_time']:.3f} s; "
          f"draw + 2 lock-step fits each {toys['fit_time']:.3f} s "
          f"(converged {toys['converged_fraction']:.4f})")


if __name__ == "__main__":
    sys.exit(main())
