"""combine.datacard on every shared datacard: hypotest and upper limit with the numba kernels
("after"), with the NumPy path ("before", ``CombineDatacard(..., kernels=False)``: log L only,
MIGRAD with finite differences) and, where the card converts exactly, with pyhf 0.7.6.

Run by hand (not a test): ``python benchmarks/bench_combine.py [--cards abcd part2] [--no-numpy]
[--no-pyhf] [--no-limit] [--pyhf-workspaces DIR] [--cold]``.

Each engine runs in fresh subprocesses (OPENBLAS/OMP threads 1), one for the hypotest (CLs at
r = 1 with the expected band, asymptotic q~) and one for the 95% CL upper limit (observed and
expected band). "first" is the first call of a fresh process (for the kernels: loading them from
numba's on-disk cache, or, with ``--cold``, which points NUMBA_CACHE_DIR at an empty folder for the
run, compiling them: in the first task of the first card only, later ones load what it cached);
"warm" the median of the next ``--repeats`` calls, each on a freshly built model (a single warm
call where the first took over 20 s). The output prints medians and the ratios
numpy / kernels and pyhf / kernels (warm).

pyhf column (HOOK): the pyhf workspace of a card comes from ``likelihub_combine.convert.to_pyhf``
(normsys interpolation code 1, histosys 4p, as that module requires) where that module is
installed, or from ``DIR/<card file stem>.json`` with ``--pyhf-workspaces DIR``; a card that does
not convert exactly (formula rateParams, say) has no pyhf column. pyhf runs in the peers' venv
(numpy backend, default optimiser): ``pyhf.infer.hypotest`` and
``pyhf.infer.intervals.upper_limits.upper_limit(rtol=1e-6)``, the latter with the POI's upper
bound at 200 (its bracketing of the limit tests r beyond the card's 20); a pyhf failure is printed
in the card's line.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from peers import PEERS, SHARED  # benchmarks/peers.py: on sys.path

CARDS = {  # short name: (path under datacards/, mass)
    "sus": ("cms_sus_20_004/2DTChiHH600_LSP150.txt", None),
    **{name.removeprefix("counting-"): (f"combine_benchmarks/{name}.txt", None) for name in (
        "counting-B5p5-Obs1-Syst30B", "counting-B5p5-Obs11-Syst30B", "counting-B5p5-Obs6-StatOnly",
        "counting-B5p5-Obs6-Syst1040B", "counting-B5p5-Obs6-Syst30B", "counting-B5p5-Obs6-Syst30C",
        "counting-B5p5-Obs6-Syst30S", "counting-B5p5-Obs6-Syst30U", "counting-B5p5-Obs6-Syst4010B",
        "counting-S1-Sideband10-alpha0p2-Obs2", "counting-Sideband11-alpha0p5-Obs6",
        "twoSignals-3bin-bigBSyst")},
    **{f"hww-{name}": (f"combine_docs/hww4ch_1fb_counting/hww4ch-1fb-{name}.txt", None) for name in (
        "B+1-mH160", "B-1-mH140", "B-mH140", "B-mH160", "S-mH140", "S-mH160")},
    "part2": ("combine_docs/longexercise_part2_shape/datacard_part2_shapes.txt", "800"),
    "part2-mcstats": ("combine_docs/longexercise_part2_shape/datacard_part2_shapes_autoMCStats.txt", "800"),
    "part3": ("combine_docs/longexercise_part3_combined/datacard_part3.txt", "200"),
    "part3-nocrs": ("combine_docs/longexercise_part3_nocrs/datacard_part3_nocrs.txt", "200"),
    "stat-routines": ("combine_docs/stat_routines_counting/datacard.txt", None),
    "hwws-shapes": ("combine_docs/summer11_hwws_130/comb_hww.txt", None),
    **{name: (f"combine_tutorials/{name}.txt", None) for name in (
        "datacard-1-counting-experiment", "datacard-4-abcd", "datacard_part1",
        "realistic-counting-experiment", "realistic-multi-channel", "simple-counting-experiment")},
}

LIKELIHUB_SCRIPT = r"""
import json, statistics, sys, time, warnings
warnings.simplefilter("ignore")
t0 = time.perf_counter()
import likelihub as lh
from likelihub.plugin import StatisticalModel
from likelihub_combine.backend import CombineDatacard
card, mass, engine, task, repeats = sys.argv[1:6]
mass = None if mass == "-" else mass

def build():
    model = lh.get_backend("combine.datacard")(card, mass=mass)
    if engine == "numpy":
        model = StatisticalModel(CombineDatacard(model.backend.card, model.backend.built, kernels=False))
    return model

def call(model):
    if task == "hypotest":
        return model.cls(1.0).cls_obs
    return model.upper_limit(cl=0.95).observed

model = build()
t1 = time.perf_counter()
result = call(model)
t2 = time.perf_counter()
runs = []
for _ in range(int(repeats) if t2 - t1 < 20 else 0):
    fresh = build()
    t = time.perf_counter(); call(fresh); runs.append(time.perf_counter() - t)
print(json.dumps({"build": t1 - t0, "first": t2 - t1, "warm": statistics.median(runs) if runs else t2 - t1,
                  "n_warm": len(runs), "result": result}))
"""

PYHF_SCRIPT = r"""
import json, statistics, sys, time
import pyhf
path, task, repeats = sys.argv[1:4]
spec = json.load(open(path))
settings = {"normsys": {"interpcode": "code1"}, "histosys": {"interpcode": "code4p"}}

def call():
    ws = pyhf.Workspace(spec)
    model = ws.model(modifier_settings=settings)
    data = ws.data(model)
    if task == "hypotest":
        return float(pyhf.infer.hypotest(1.0, data, model, test_stat="qtilde", return_expected_set=True)[0])
    bounds = model.config.suggested_bounds()
    bounds[model.config.poi_index] = (0.0, 200.0)  # its bracketing tests r beyond 20
    return float(pyhf.infer.intervals.upper_limits.upper_limit(data, model, rtol=1e-6, par_bounds=bounds)[0])

t = time.perf_counter(); result = call(); first = time.perf_counter() - t
runs = []
for _ in range(int(repeats) if first < 20 else 0):
    t = time.perf_counter(); call(); runs.append(time.perf_counter() - t)
print(json.dumps({"first": first, "warm": statistics.median(runs) if runs else first, "n_warm": len(runs),
                  "result": result}))
"""


def run(python: str, script: str, args: list[str], env_extra: dict | None = None) -> dict:
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", **(env_extra or {}))
    done = subprocess.run([python, "-c", script, *args], capture_output=True, text=True, env=env, check=False)
    if done.returncode != 0:
        raise RuntimeError(done.stderr[-2000:])
    return json.loads(done.stdout.strip().splitlines()[-1])


def pyhf_workspace(name: str, card: Path, mass: str | None, folder: Path | None, out: Path) -> Path | None:
    """The card's pyhf workspace as a JSON file (HOOK, see the module docstring), or None."""
    if folder is not None:
        path = folder / f"{card.stem}.json"
        return path if path.is_file() else None
    try:
        from likelihub_combine.convert import to_pyhf  # another helper's module (issue 13)
    except ImportError:
        return None
    try:
        workspace = to_pyhf(card, mass=mass)
    except Exception as error:  # not exactly convertible: no pyhf column for this card
        print(f"  ({name}: no pyhf workspace: {str(error).splitlines()[0][:100]})", flush=True)
        return None
    path = out / f"{card.stem}.json"
    path.write_text(json.dumps(workspace))
    return path


def describe(label: str, timing: dict) -> str:
    return (f"{label} {timing['result']:.5g}: first {timing['first'] * 1e3:8.1f} ms, "
            f"warm {timing['warm'] * 1e3:8.1f} ms"
            f" (n={timing['n_warm']})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cards", nargs="*", default=list(CARDS), help=f"of: {' '.join(CARDS)}")
    parser.add_argument("--no-numpy", action="store_true", help="skip the NumPy path (before)")
    parser.add_argument("--no-pyhf", action="store_true")
    parser.add_argument("--no-limit", action="store_true", help="hypotests only")
    parser.add_argument("--repeats", type=int, default=3, help="warm calls per task and engine")
    parser.add_argument("--pyhf-workspaces", type=Path, help="folder of <card stem>.json pyhf workspaces")
    parser.add_argument("--cold", action="store_true",
                        help="kernels compiled in the first call (an empty numba cache)")
    options = parser.parse_args()
    tasks = ["hypotest"] if options.no_limit else ["hypotest", "limit"]
    summary = {task: {"numpy": [], "pyhf": []} for task in tasks}
    with tempfile.TemporaryDirectory() as scratch:
        env = {"NUMBA_CACHE_DIR": scratch} if options.cold else {}
        for name in options.cards:
            relative, mass = CARDS[name]
            card = SHARED / "datacards" / relative
            workspace = None
            if not options.no_pyhf and PEERS.exists():
                workspace = pyhf_workspace(name, card, mass, options.pyhf_workspaces, Path(scratch))
            for task in tasks:
                args = [str(card), mass or "-", "kernels", task, str(options.repeats)]
                ours = run(sys.executable, LIKELIHUB_SCRIPT, args, env)
                line = f"{name:28s} {task:8s} | {describe('kernels', ours)}"
                if not options.no_numpy:
                    args[2] = "numpy"
                    before = run(sys.executable, LIKELIHUB_SCRIPT, args)
                    ratio = before["warm"] / ours["warm"]
                    summary[task]["numpy"].append(ratio)
                    line += f" | {describe('numpy', before)} x{ratio:.1f}"
                if workspace is not None:
                    try:
                        theirs = run(str(PEERS), PYHF_SCRIPT, [str(workspace), task, str(options.repeats)])
                    except RuntimeError as error:
                        line += f" | pyhf failed: {str(error).strip().splitlines()[-1][:80]}"
                    else:
                        ratio = theirs["warm"] / ours["warm"]
                        summary[task]["pyhf"].append(ratio)
                        line += f" | {describe('pyhf', theirs)} x{ratio:.1f}"
                print(line, flush=True)
    for task, ratios in summary.items():
        for peer, values in ratios.items():
            if values:
                print(f"median ratio {peer} / kernels, {task} (warm): {statistics.median(values):.1f} "
                      f"over {len(values)} cards (min {min(values):.1f}, max {max(values):.1f})")


if __name__ == "__main__":
    main()
