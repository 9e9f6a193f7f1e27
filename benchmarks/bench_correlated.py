"""Correlated combination overhead: ATLAS 1Lbb (C1N2_Wh_hbb_900_250) split by channel into its
signal and its control regions, built as two histfactory models and combined with
``correlate="names"``, against the original model.

Run by hand (not a test): ``python benchmarks/bench_correlated.py [--repeats 20]``.

Times (medians over ``--repeats`` calls, in one process, after one warm-up call each): -log L with
its gradient at the initial parameters, the Hessian, a best fit, and CLs at mu = 1 with the
expected band (asymptotic q~). The ratio recombined / original is the combiner's overhead
(gathering each component's parameters and data, two kernel calls instead of one, scattering the
gradient and Hessian, the duplicated constraint terms' closed forms). The numbers themselves agree
to 1e-12 (tests/combiner/test_correlated_real.py).
"""

from __future__ import annotations

import argparse
import copy
import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

from peers import SHARED, median_time  # benchmarks/peers.py: on sys.path

import likelihub as lh  # noqa: E402
from likelihub_histfactory.spec.io import read_json  # noqa: E402
from likelihub_histfactory.spec.patchset import PatchSet  # noqa: E402


def models():
    archive = SHARED / "histfactory" / "atlas-susy-2019-08-1Lbb.tar.gz"
    spec, _ = read_json(archive, member="BkgOnly.json")
    spec = PatchSet(archive, member="patchset.json")["C1N2_Wh_hbb_900_250"].apply(spec)
    parts = []
    for keep in (lambda n: n.startswith("SR"), lambda n: not n.startswith("SR")):
        part = copy.deepcopy(spec)
        part["channels"] = [c for c in part["channels"] if keep(c["name"])]
        part["observations"] = [o for o in part["observations"] if keep(o["name"])]
        parts.append(lh.get_backend("histfactory")(part, unused_parameters="ignore"))
    return lh.get_backend("histfactory")(spec), lh.combine(*parts, names=["sr", "cr"], correlate="names")



def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=20)
    args = parser.parse_args()
    original, recombined = models()
    tasks = {
        "value_and_grad": lambda m: m.backend.value_and_grad(m.config.init, m.data),
        "hessian": lambda m: m.backend.hessian(m.config.init, m.data),
        "fit": lambda m: m.fit(),
        "cls(1) + band": lambda m: m.cls(1.0),
    }
    print(f"1Lbb: {original.config.n_parameters} parameters; recombined from 2 workspaces, "
          f"{len(recombined.backend.merged)} merged parameters")
    print(f"{'task':<16} {'original':>12} {'recombined':>12} {'ratio':>7}")
    for name, task in tasks.items():
        repeats = args.repeats if name not in ("fit", "cls(1) + band") else max(3, args.repeats // 4)
        first, _ = median_time(lambda task=task: task(original), repeats, warm_up=True)
        second, _ = median_time(lambda task=task: task(recombined), repeats, warm_up=True)
        unit, scale = ("ms", 1e3) if first > 1e-3 else ("us", 1e6)
        print(f"{name:<16} {first * scale:>9.3g} {unit} {second * scale:>9.3g} {unit} {second / first:>7.2f}")


if __name__ == "__main__":
    main()
