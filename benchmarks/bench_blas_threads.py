"""BLAS threads and the speed of small dense algebra: the README's combined ATLAS x CMS limit.

    python benchmarks/bench_blas_threads.py [--repeat 3] [--pythonpath OTHER_CHECKOUT_PATHS]

``lh.combine(atlas, cms).upper_limit()`` (examples/recast_atlas_cms.py: ATLAS sbottom region A,
full likelihood, with the CMS-SUS-20-004 simplified likelihood; 148 parameters) is timed in a fresh
process twice: as a user runs it (OPENBLAS_NUM_THREADS, OMP_NUM_THREADS and MKL_NUM_THREADS
unset) and with OPENBLAS_NUM_THREADS=1. On a busy many-core node OpenBLAS's threads fought over the
small Cholesky factorisations of the fits (44 s instead of 1.3 s); likelihub now runs its fits with
one BLAS thread itself (likelihub.fits.blas), so both times should agree. Each side: a warm-up limit
(numba caches, imports), then the median of ``--repeat`` limits. ``--pythonpath`` runs another
checkout of likelihub (its hub and plugin folders, os.pathsep-separated) for before/after numbers.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

SCRIPT = r"""
import json, statistics, sys, time
from pathlib import Path
sys.path.insert(0, sys.argv[2])
import recast_atlas_cms as recast
import likelihub as lh
data = Path(sys.argv[1])
combined = lh.combine(recast.atlas_model(data), recast.cms_model(data), names=["atlas", "cms"])
combined.upper_limit()
times = []
for _ in range(int(sys.argv[3])):
    start = time.perf_counter()
    limit = combined.upper_limit()
    times.append(time.perf_counter() - start)
print(json.dumps({"median": statistics.median(times), "times": times, "observed": limit.observed,
                  "likelihub": lh.__file__}))
"""


def run(data: Path, repeat: int, pythonpath: str | None, single_thread: bool) -> dict:
    env = {k: v for k, v in os.environ.items()
           if k not in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")}
    if single_thread:
        env["OPENBLAS_NUM_THREADS"] = "1"
    if pythonpath:
        env["PYTHONPATH"] = pythonpath
    out = subprocess.run([sys.executable, "-c", SCRIPT, str(data), str(ROOT / "examples"), str(repeat)],
                         env=env, capture_output=True, text=True, check=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path(os.environ.get(
        "LIKELIHUB_SHARED_DATA", ROOT.parent / "shared" / "data")))
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--pythonpath", default=None, help="run another checkout (before/after)")
    args = parser.parse_args()
    print(f"{os.cpu_count()} cores; load average {os.getloadavg()[0]:.2f}")
    default = run(args.data, args.repeat, args.pythonpath, single_thread=False)
    single = run(args.data, args.repeat, args.pythonpath, single_thread=True)
    print(f"likelihub from {Path(default['likelihub']).parent}")
    print(f"combined ATLAS x CMS upper limit {default['observed']:.6g}: "
          f"{default['median']:.2f} s with BLAS threads unset, "
          f"{single['median']:.2f} s with OPENBLAS_NUM_THREADS=1 "
          f"(ratio {default['median'] / single['median']:.2f}; medians of {args.repeat})")


if __name__ == "__main__":
    main()
