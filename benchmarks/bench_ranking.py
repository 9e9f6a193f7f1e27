"""The impact ranking of ATLAS sbottom RegionC (66 parameters, 260 fits) by likelihub and cabinetry.

    python benchmarks/bench_ranking.py [--repeat 5] [--shared ../shared/data]

likelihub: ``diagnostics.ranking(model, fit)`` with the nominal fit given (cabinetry's timing also
excludes it), after one warm-up ranking (imports, numba caches); the median of ``--repeat`` runs.
cabinetry 0.6.0: the seconds recorded in tests/hub/diagnostics/cabinetry_sbottom.json by
make_cabinetry_reference.py (``cabinetry.fit.ranking`` with the nominal fit given, MINUIT at its
default tolerance, the median of three runs; and one run at tolerance 1e-4), measured on the
machine that wrote that file: rerun the generator on the same machine before comparing.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "hub" / "diagnostics"))

from sbottom import workspace  # noqa: E402

import likelihub as lh  # noqa: E402
from likelihub import diagnostics  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--shared", default=str(ROOT.parent / "shared" / "data"))
    args = parser.parse_args()
    model = lh.get_backend("histfactory")(workspace(Path(args.shared)))
    fit = model.fit()
    diagnostics.ranking(model, fit)  # warm-up
    seconds = []
    for _ in range(args.repeat):
        start = time.perf_counter()
        result = diagnostics.ranking(model, fit)
        seconds.append(time.perf_counter() - start)
    reference = json.loads((ROOT / "tests" / "hub" / "diagnostics" / "cabinetry_sbottom.json").read_text())
    print(json.dumps({"likelihub_ranking_median_seconds": statistics.median(seconds),
                      "likelihub_runs": seconds, "parameters": len(result.parameters),
                      "cabinetry_seconds": reference["timing_seconds"]}, indent=1))


if __name__ == "__main__":
    main()
