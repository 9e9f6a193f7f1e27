"""The impact ranking of ATLAS sbottom RegionC (66 parameters, 260 fits) by likelihub and cabinetry.

    python benchmarks/bench_ranking.py [--repeat 5] [--peer-repeat 1] [--no-peer]

Both on the same model in the same run (tests/hub/diagnostics/sbottom.py: RegionC ``BkgOnly.json``
with the patch ``sbottom_1400_1050_60``), the nominal fit given to each ranking and not timed:
likelihub's ``diagnostics.ranking(model, fit)`` (after one warm-up ranking: imports, numba caches),
the median of ``--repeat`` runs; cabinetry 0.6.0's ``cabinetry.fit.ranking(model, data,
fit_results=fit)`` at its default MINUIT tolerance, in the peers' venv (../shared/tools/
peers-venv.sh), the median of ``--peer-repeat`` runs (about 4 minutes each on 2 cores). Prints
both medians and their ratio.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

from peers import PEERS, ROOT, SHARED, median_time  # benchmarks/peers.py: on sys.path

sys.path.insert(0, str(ROOT / "tests" / "hub" / "diagnostics"))

from sbottom import workspace  # noqa: E402

import likelihub as lh  # noqa: E402
from likelihub import diagnostics  # noqa: E402

#: Times cabinetry's ranking of the workspace in ``sys.argv[1]``, ``sys.argv[2]`` times.
CABINETRY = r"""
import json, statistics, sys, time
import cabinetry, pyhf
spec = json.load(open(sys.argv[1]))
ws = pyhf.Workspace(spec)
model, data = cabinetry.model_utils.model_and_data(ws)
fit = cabinetry.fit.fit(model, data)
times = []
for _ in range(int(sys.argv[2])):
    start = time.perf_counter()
    ranking = cabinetry.fit.ranking(model, data, fit_results=fit)
    times.append(time.perf_counter() - start)
print(json.dumps({"median": statistics.median(times), "parameters": len(ranking.labels)}))
"""


def run_cabinetry(spec: dict, repeat: int) -> dict | None:
    if not PEERS.exists():
        print(f"cabinetry: peers venv {PEERS} not found (../shared/tools/peers-venv.sh makes it)")
        return None
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as handle:
        json.dump(spec, handle)
    output = subprocess.run([str(PEERS), "-c", CABINETRY, handle.name, str(repeat)], capture_output=True,
                            text=True, check=True)
    Path(handle.name).unlink()
    return json.loads(output.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--peer-repeat", type=int, default=1)
    parser.add_argument("--no-peer", action="store_true", help="time likelihub only")
    parser.add_argument("--shared", type=Path, default=SHARED)
    args = parser.parse_args()
    spec = workspace(args.shared)
    model = lh.get_backend("histfactory")(spec)
    fit = model.fit()
    seconds, result = median_time(lambda: diagnostics.ranking(model, fit), args.repeat, warm_up=True)
    print(f"likelihub: ranking of {len(result.parameters)} parameters, median {seconds:.3f} s "
          f"of {args.repeat}")
    if args.no_peer:
        return
    theirs = run_cabinetry(spec, args.peer_repeat)
    if theirs is not None:
        print(f"cabinetry 0.6.0: ranking of {theirs['parameters']} parameters, median "
              f"{theirs['median']:.1f} s of {args.peer_repeat}")
        print(f"ratio cabinetry / likelihub: {theirs['median'] / seconds:.0f}x")


if __name__ == "__main__":
    main()
