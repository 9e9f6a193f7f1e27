"""Toy-based CLs: pyhf 0.7.6's ToyCalculator vs likelihub's toys, on the same HistFactory model;
likelihub's toy rate on the published ATLAS likelihoods.

    python benchmarks/bench_toys.py [--pyhf-toys 300] [--toys 5000] [--workspace PATH]
                                    [--models 1Lbb staus sbottomA] [--model-toys 200] [--no-pyhf]

The model is the example workspace shipped with likelihub (2 channels, 5 bins, 14 parameters)
unless ``--workspace`` names another pyhf JSON workspace. pyhf runs in the peers' venv (a
subprocess, numpy backend, default optimiser): ``hypotest(1.0, ..., calctype="toybased")`` with
``--pyhf-toys`` toys per hypothesis. likelihub runs ``model.cls(1.0, calculator="toys")`` with
``--toys`` toys per hypothesis, in this process. Both count toys per second (each toy: draw, free
fit, fit at mu = 1); the ratio of the rates is printed with both CLs values, likelihub's with its
stated toy uncertainty. (pyhf 0.7.6's toy expected band calls ``np.percentile(interpolation=)``,
which numpy 2 removed; the peer script translates the keyword.)

``--models`` times ``cls(1.0, calculator="toys", ntoys=--model-toys)`` on published likelihoods of
``../shared/data`` (or $LIKELIHUB_SHARED_DATA): ATLAS 1Lbb C1N2_Wh_hbb_900_250, staus (combined
regions) DS_400_40 and sbottom region A 1300_205_60, after a warm-up of 5 toys, and prints toys
per second (2 * ntoys toys: both hypotheses), the failed toys and CLs.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import time

import numpy as np
from peers import PEERS, SHARED  # benchmarks/peers.py: on sys.path

MODELS = {
    "1Lbb": ("atlas-susy-2019-08-1Lbb.tar.gz", "BkgOnly.json",
             {"patchset": "patchset.json", "patch_name": "C1N2_Wh_hbb_900_250"}),
    "staus": ("atlas-susy-2018-04-staus.tar.gz", "Region-combined/BkgOnly.json",
              {"patches": ["Region-combined/patch.DS_400_40_Staus.json"]}),
    "sbottomA": ("atlas-susy-2018-31-sbottom.tar.gz", "RegionA/BkgOnly.json",
                 {"patches": ["RegionA/patch.sbottom_1300_205_60.json"]}),
}

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


def published_models(names: list[str], ntoys: int) -> None:
    """Toys per second of likelihub on the published likelihoods ``names`` (keys of MODELS)."""
    import inspect
    import warnings

    import likelihub as lh

    # progress= is new (issue 11); a checkout without it (before/after timings) runs without it.
    quiet = {"progress": False} if "progress" in inspect.signature(lh.StatisticalModel.cls).parameters else {}
    for name in names:
        archive, member, options = MODELS[name]
        model = lh.get_backend("histfactory")(SHARED / "histfactory" / archive, member=member, **options)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # failed toys: counted below
            model.cls(1.0, calculator="toys", ntoys=5, rng=np.random.default_rng(0), **quiet)
            start = time.perf_counter()
            result = model.cls(1.0, calculator="toys", ntoys=ntoys, rng=np.random.default_rng(1), **quiet)
        seconds = time.perf_counter() - start
        print(f"{name:9} {2 * ntoys} toys in {seconds:.1f} s ({2 * ntoys / seconds:.1f} toys/s), "
              f"{result.n_failed_fits} failed; CLs {result.cls_obs:.4f} +/- {result.uncertainty_obs:.4f}, "
              f"{model.config.n_parameters} parameters")


def main() -> None:
    from likelihub_histfactory.example import EXAMPLE_WORKSPACE

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pyhf-toys", type=int, default=300)
    parser.add_argument("--toys", type=int, default=5000)
    parser.add_argument("--workspace", default=str(EXAMPLE_WORKSPACE))
    parser.add_argument("--models", nargs="*", default=[], choices=list(MODELS),
                        help="also time toys on these published likelihoods")
    parser.add_argument("--model-toys", type=int, default=200, help="toys per hypothesis there")
    parser.add_argument("--no-pyhf", action="store_true", help="skip the example model and pyhf")
    args = parser.parse_args()
    if args.models:
        published_models(args.models, args.model_toys)
    if args.no_pyhf:
        return

    import likelihub as lh

    model = lh.get_backend("histfactory")(workspace=args.workspace)
    model.cls(1.0, calculator="toys", ntoys=20, rng=np.random.default_rng(0), progress=False)  # warm up
    start = time.perf_counter()
    ours = model.cls(1.0, calculator="toys", ntoys=args.toys, rng=np.random.default_rng(1), progress=False)
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
