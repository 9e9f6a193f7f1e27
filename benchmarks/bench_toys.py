"""Toy-based CLs: pyhf 0.7.6's ToyCalculator vs likelihub's toys, on the same HistFactory model.

    python benchmarks/bench_toys.py [--pyhf-toys 300] [--toys 5000] [--workspace PATH]

The model is the example workspace shipped with likelihub (2 channels, 5 bins, 14 parameters)
unless ``--workspace`` names another pyhf JSON workspace. pyhf runs in the peers' venv (a
subprocess, numpy backend, default optimiser): ``hypotest(1.0, ..., calctype="toybased")`` with
``--pyhf-toys`` toys per hypothesis. likelihub runs ``model.cls(1.0, calculator="toys")`` with
``--toys`` toys per hypothesis, in this process. Both count toys per second (each toy: draw, free
fit, fit at mu = 1); the ratio of the rates is printed with both CLs values, likelihub's with its
stated toy uncertainty. (pyhf 0.7.6's toy expected band calls ``np.percentile(interpolation=)``,
which numpy 2 removed; the peer script translates the keyword.)
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import time
from pathlib import Path

import numpy as np

PEERS = Path("/root/.cache/likelihub-peers/bin/python")

PYHF_SCRIPT = r"""
import json, sys, time
import numpy as np, pyhf
# pyhf 0.7.6 calls np.percentile(..., interpolation=...), a keyword numpy 2 removed: translate it.
_percentile = np.percentile
np.percentile = lambda *a, interpolation=None, **k: _percentile(*a, method=interpolation or "linear", **k)
spec = json.load(open(sys.argv[1])); ntoys = int(sys.argv[2])
ws = pyhf.Workspace(spec); model = ws.model(); data = ws.data(model)
np.random.seed(1)
t = time.perf_counter()
obs, exp = pyhf.infer.hypotest(1.0, data, model, test_stat="qtilde", calctype="toybased",
                               ntoys=ntoys, return_expected_set=True, track_progress=False)
print(json.dumps({"seconds": time.perf_counter() - t, "cls_obs": float(obs),
                  "cls_exp": [float(x) for x in exp]}))
"""


def main() -> None:
    from likelihub.cli.demo import EXAMPLE_WORKSPACE

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pyhf-toys", type=int, default=300)
    parser.add_argument("--toys", type=int, default=5000)
    parser.add_argument("--workspace", default=str(EXAMPLE_WORKSPACE))
    args = parser.parse_args()

    import likelihub as lh

    model = lh.get_backend("histfactory")(workspace=args.workspace)
    model.cls(1.0, calculator="toys", ntoys=20, rng=np.random.default_rng(0))  # compile, warm up
    start = time.perf_counter()
    ours = model.cls(1.0, calculator="toys", ntoys=args.toys, rng=np.random.default_rng(1))
    ours_seconds = time.perf_counter() - start
    ours_rate = 2 * args.toys / ours_seconds
    print(f"likelihub: {2 * args.toys} toys in {ours_seconds:.2f} s ({ours_rate:.0f} toys/s); "
          f"CLs {ours.cls_obs:.4f} +/- {ours.uncertainty_obs:.4f}, expected "
          f"{[round(x, 4) for x in ours.cls_exp]}")
    if not PEERS.exists():
        print(f"pyhf: peers venv {PEERS} not found (../shared/tools/peers-venv.sh makes it)")
        return
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1")
    output = subprocess.run([str(PEERS), "-c", PYHF_SCRIPT, args.workspace, str(args.pyhf_toys)],
                            capture_output=True, text=True, env=env, check=True)
    theirs = json.loads(output.stdout.strip().splitlines()[-1])
    theirs_rate = 2 * args.pyhf_toys / theirs["seconds"]
    print(f"pyhf 0.7.6: {2 * args.pyhf_toys} toys in {theirs['seconds']:.2f} s "
          f"({theirs_rate:.0f} toys/s); CLs {theirs['cls_obs']:.4f}, expected "
          f"{[round(x, 4) for x in theirs['cls_exp']]}")
    print(f"ratio of toy rates likelihub / pyhf: {ours_rate / theirs_rate:.1f}")


if __name__ == "__main__":
    main()
