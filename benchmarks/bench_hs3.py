"""The ``hs3`` backend against pyhs3 0.4.2 on the same HS3 files: load (read the file, build the
model, compile what is compiled) and -log L evaluation.

Run by hand (not a test): ``python benchmarks/bench_hs3.py [--repeats 200] [--large]
[--large-timeout 1800]``.

Files: the HS3 files of ../shared/data/hs3 that both read (pyhs3's two simplemodel files, ROOT's
0.1a12 export, the Combine counting card without systematics, evaluated as its ``model_s``), and
with ``--large`` the sbottom region A workspace (ATLAS pallet, signal patch 1300_205_60) written
by likelihub's writer *without its staterror modifiers*: pyhs3 0.4.2 cannot evaluate a pyhf-style
(Barlow-Beeston lite) staterror through ``Workspace.model`` (its model builder asks every staterror
for BB-full data), and every ATLAS pallet has staterrors. The two read the same file; the
derived model is not a published likelihood, only a realistic size (2 channels, 18 samples, 58
parameters).

Each engine runs in a fresh subprocess (OPENBLAS/OMP threads 1): "import" is importing the
package, "load" reading the file and building the model (likelihub: ``get_backend("hs3")(file)``,
numba kernels from their on-disk cache; pyhs3: ``Workspace.load``, ``Workspace.model(analysis)``
and ``pytensor.function`` of ``Model.log_prob``), "first" the first evaluation, "warm" the median
of ``--repeats`` evaluations of log L at the parameter point's values. Both values are printed:
they agree where the two read a file alike; on ROOT's file they differ by design (pyhs3 reads a
shapesys's ``vals`` as absolute uncertainties and drops the luminosity constraint named by
``constraint_name``; likelihub follows ROOT: relative uncertainties, constraint kept), so a third
likelihub row reads it as pyhs3 does (``shapesys_vals="absolute"``), which then differs by the
Gaussian constraint's constant only.

pyhs3 (HOOK): pyhs3 0.4.2 is not in ../shared/tools/peers-venv.sh; it was installed into the
peers' venv by hand (``/root/.cache/likelihub-peers/bin/python -m pip install pyhs3==0.4.2``,
which brings pytensor, pydantic and numba). peers-venv.sh would need ``pyhs3==0.4.2`` on its
``pip install`` line. Without it the pyhs3 rows say so.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("LIKELIHUB_SHARED_DATA", ROOT.parent / "shared" / "data"))
PEERS = Path("/root/.cache/likelihub-peers/bin/python")
COMBINE = {"distributions": ["model_s"], "data": ["data_obs"]}
CASES = {  # name: (file under shared/data/hs3, likelihub keywords, pyhs3 target)
    "simplemodel-uncorrelated": ("simplemodel_uncorrelated-background_hs3.json", {}, "simPdf_obsData"),
    "simplemodel-correlated": ("simplemodel_correlated-background_hs3.json", {}, "simPdf_obsData"),
    "root-0.1a12": ("root_0.1a12_export_example_hs3.json", {}, "simPdf_obsData"),
    "root-0.1a12 (as pyhs3)": ("root_0.1a12_export_example_hs3.json", {"shapesys_vals": "absolute"}, None),
    "combine-part1": ("combine_long_exercise_part1_nosys.json", {"likelihood": COMBINE, "poi": "r"},
                      "model_s"),
}

LIKELIHUB_SCRIPT = r"""
import json, statistics, sys, time, warnings
warnings.simplefilter("ignore")
t0 = time.perf_counter()
import likelihub as lh
t1 = time.perf_counter()
path, options, repeats = sys.argv[1], json.loads(sys.argv[2]), int(sys.argv[3])
model = lh.get_backend("hs3")(path, **options)
pars = model.config.init
t2 = time.perf_counter()
value = model.logpdf(pars)
t3 = time.perf_counter()
times = []
for _ in range(repeats):
    s = time.perf_counter(); model.logpdf(pars); times.append(time.perf_counter() - s)
print(json.dumps({"import": t1 - t0, "load": t2 - t1, "first": t3 - t2, "warm": statistics.median(times),
                  "logpdf": value}))
"""

PYHS3_SCRIPT = r"""
import json, statistics, sys, time, warnings
warnings.simplefilter("ignore")
t0 = time.perf_counter()
import numpy as np
import pyhs3, pytensor
from pytensor.graph.traversal import explicit_graph_inputs
t1 = time.perf_counter()
path, target, repeats = sys.argv[1], sys.argv[2], int(sys.argv[3])
ws = pyhs3.Workspace.load(path)
if target == "model_s":  # no likelihood in the file: the distribution at its one observation
    model = ws.model(0, progress=False)
    names = model.pars(target)
    point = {p.name: p.value for p in model.parameterset}
    values = {n: np.asarray(point[n]) for n in names}
    evaluate = lambda: model.logpdf(target, **values)
    evaluate()   # pyhs3 compiles on the first call
else:
    model = ws.model(ws.analyses[target], progress=False, parameter_set="default_values")
    log_prob = model.log_prob
    inputs = list(explicit_graph_inputs(log_prob))
    function = pytensor.function(inputs, log_prob)
    point = model.free_params
    arguments = [np.asarray(point[i.name]) for i in inputs]
    evaluate = lambda: function(*arguments)
t2 = time.perf_counter()
value = float(np.asarray(evaluate()).reshape(-1)[0])
t3 = time.perf_counter()
times = []
for _ in range(repeats):
    s = time.perf_counter(); evaluate(); times.append(time.perf_counter() - s)
print(json.dumps({"import": t1 - t0, "load": t2 - t1, "first": t3 - t2, "warm": statistics.median(times),
                  "logpdf": value}))
"""


def run(python, script: str, args: list[str], timeout: float) -> dict:
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    try:
        done = subprocess.run([str(python), "-c", script, *map(str, args)], capture_output=True, text=True,
                              env=env, timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"error": f"timed out after {timeout:.0f} s"}
    if done.returncode != 0:
        return {"error": (done.stderr.strip().splitlines() or ["failed"])[-1][:100]}
    return json.loads(done.stdout.strip().splitlines()[-1])


def large_case(folder: Path) -> Path:
    """sbottom region A, patched, without staterror modifiers, written as HS3 (module docstring)."""
    import tarfile

    import jsonpatch

    from likelihub_hs3 import write_hs3

    with tarfile.open(SHARED / "histfactory" / "atlas-susy-2018-31-sbottom.tar.gz") as pallet:
        workspace = json.load(pallet.extractfile("RegionA/BkgOnly.json"))
        patch = json.load(pallet.extractfile("RegionA/patch.sbottom_1300_205_60.json"))
    workspace = jsonpatch.apply_patch(workspace, patch)
    for channel in workspace["channels"]:
        for sample in channel["samples"]:
            sample["modifiers"] = [m for m in sample["modifiers"] if m["type"] != "staterror"]
    path = folder / "sbottomA_nostaterror_hs3.json"
    write_hs3(workspace, path)
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=200)
    parser.add_argument("--large", action="store_true", help="add the sbottom-A case (pyhs3: minutes)")
    parser.add_argument("--large-timeout", type=float, default=1800.0)
    options = parser.parse_args()
    cases = {name: (SHARED / "hs3" / file, kw, target, 600.0) for name, (file, kw, target) in CASES.items()}
    with tempfile.TemporaryDirectory() as folder:
        if options.large:
            cases["sbottom-A without staterror"] = (large_case(Path(folder)), {}, "meas",
                                                    options.large_timeout)
        print(f"{'case':28} {'engine':9} {'import s':>9} {'load s':>9} {'first ms':>9} {'warm us':>9} "
              f"{'log L':>20}")
        for name, (path, keywords, target, timeout) in cases.items():
            ours = run(sys.executable, LIKELIHUB_SCRIPT, [path, json.dumps(keywords), options.repeats], timeout)
            rows = [("likelihub", ours)]
            if target is not None:
                theirs = (run(PEERS, PYHS3_SCRIPT, [path, target, options.repeats], timeout) if PEERS.exists()
                          else {"error": f"no peers venv at {PEERS}"})
                rows.append(("pyhs3", theirs))
            for engine, row in rows:
                if "error" in row:
                    print(f"{name:28} {engine:9} {row['error']}")
                    continue
                print(f"{name:28} {engine:9} {row['import']:9.2f} {row['load']:9.3f} {row['first'] * 1e3:9.3f} "
                      f"{row['warm'] * 1e6:9.1f} {row['logpdf']:20.12f}")
            if len(rows) == 2 and "error" not in rows[0][1] and "error" not in rows[1][1]:
                a, b = rows[0][1], rows[1][1]
                print(f"{'':28} {'ratio':9} {'':9} {b['load'] / a['load']:9.1f} {b['first'] / a['first']:9.1f} "
                      f"{b['warm'] / a['warm']:9.1f}   (pyhs3 / likelihub)")


if __name__ == "__main__":
    main()
