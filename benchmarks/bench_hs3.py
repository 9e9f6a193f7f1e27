"""The ``hs3`` backend against pyhs3 0.4.2 on the same HS3 files: load (read the file, build the
model, compile what is compiled) and -log L evaluation.

Run by hand (not a test): ``python benchmarks/bench_hs3.py [--repeats 200] [--large]
[--large-timeout 900] [--cases NAME ...]``.

Files: the HS3 files of ../shared/data/hs3 that both read (pyhs3's two simplemodel files, ROOT's
0.1a12 export, the Combine counting card without systematics, evaluated as its ``model_s``), and
with ``--large`` two ATLAS pallets written as HS3 by likelihub's writer: the 3L eRJR workspace
(signal ERJR_350p0_0p0: 4 one-bin channels, 24 samples, 489 normsys and histosys modifiers, no
staterror) and the sbottom region A workspace (signal 1300_205_60) *without its staterror
modifiers*: pyhs3 0.4.2 cannot evaluate a pyhf-style (Barlow-Beeston lite) staterror through
``Workspace.model`` (its model builder asks every staterror for BB-full data). The derived sbottom
model is not a published likelihood, only a realistic size (2 channels, 18 samples, 58
parameters). Each engine's process is limited to 8 GiB of address space.

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

from peers import PEERS, SHARED  # benchmarks/peers.py: on sys.path

COMBINE = {"distributions": ["model_s"], "data": ["data_obs"]}
#: Address-space limit of each engine's process (pyhs3's compile of a large model grows past 14 GB).
MEMORY_LIMIT = 8 * 2**30
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
analysis = ws.analyses[target] if target != "model_s" else None
parameter_set = None if analysis is not None and analysis.init else "default_values"
if target == "model_s":  # no likelihood in the file: the distribution at its one observation
    model = ws.model(0, progress=False)
    names = model.pars(target)
    point = {p.name: p.value for p in model.parameterset}
    values = {n: np.asarray(point[n]) for n in names}
    evaluate = lambda: model.logpdf(target, **values)
    evaluate()   # pyhs3 compiles on the first call
else:
    model = ws.model(analysis, progress=False, parameter_set=parameter_set)
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


def _limit_memory() -> None:
    import resource

    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))


def run(python, script: str, args: list[str], timeout: float) -> dict:
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    try:
        done = subprocess.run([str(python), "-c", script, *map(str, args)], capture_output=True, text=True,
                              env=env, timeout=timeout, preexec_fn=_limit_memory)
    except subprocess.TimeoutExpired:
        return {"error": f"timed out after {timeout:.0f} s"}
    if done.returncode != 0:
        return {"error": (done.stderr.strip().splitlines() or ["failed"])[-1][:100]}
    return json.loads(done.stdout.strip().splitlines()[-1])


def _pallet(archive: str, member: str, patch: str | tuple[str, str]) -> dict:
    import tarfile

    import jsonpatch

    with tarfile.open(SHARED / "histfactory" / archive) as pallet:
        workspace = json.load(pallet.extractfile(member))
        if isinstance(patch, tuple):
            patchset = json.load(pallet.extractfile(patch[0]))
            operations = next(p["patch"] for p in patchset["patches"] if p["metadata"]["name"] == patch[1])
        else:
            operations = json.load(pallet.extractfile(patch))
    return jsonpatch.apply_patch(workspace, operations)


def large_cases(folder: Path) -> dict[str, Path]:
    """The 3L eRJR pallet (ERJR_350p0_0p0; it has no staterror) and sbottom region A without its
    staterrors (module docstring), written as HS3 by likelihub."""
    from likelihub_hs3 import write_hs3

    three_l = _pallet("atlas-susy-2018-06-3L-eRJR.tar.gz", "BkgOnly.json",
                      ("patchset.json", "ERJR_350p0_0p0"))
    sbottom = _pallet("atlas-susy-2018-31-sbottom.tar.gz", "RegionA/BkgOnly.json",
                      "RegionA/patch.sbottom_1300_205_60.json")
    for channel in sbottom["channels"]:
        for sample in channel["samples"]:
            sample["modifiers"] = [m for m in sample["modifiers"] if m["type"] != "staterror"]
    paths = {"3L-eRJR": folder / "3L_eRJR_hs3.json",
             "sbottom-A without staterror": folder / "sbottomA_hs3.json"}
    write_hs3(three_l, paths["3L-eRJR"])
    write_hs3(sbottom, paths["sbottom-A without staterror"])
    return paths


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=200)
    parser.add_argument("--large", action="store_true", help="add two ATLAS-sized cases (pyhs3: minutes)")
    parser.add_argument("--large-timeout", type=float, default=900.0)
    parser.add_argument("--cases", nargs="*", default=None, help="only these cases (names as printed)")
    options = parser.parse_args()
    cases = {name: (SHARED / "hs3" / file, kw, target, 600.0) for name, (file, kw, target) in CASES.items()}
    with tempfile.TemporaryDirectory() as folder:
        if options.large:
            for name, path in large_cases(Path(folder)).items():
                analysis = json.loads(path.read_text())["analyses"][0]["name"]
                cases[name] = (path, {"parameter_point": f"{analysis}_init"}, analysis, options.large_timeout)
        print(f"{'case':28} {'engine':9} {'import s':>9} {'load s':>9} {'first ms':>9} {'warm us':>9} "
              f"{'log L':>20}")
        for name, (path, keywords, target, timeout) in cases.items():
            if options.cases and name not in options.cases:
                continue
            ours = run(sys.executable, LIKELIHUB_SCRIPT, [path, json.dumps(keywords), options.repeats],
                       timeout)
            rows = [("likelihub", ours)]
            if target is not None:
                theirs = (run(PEERS, PYHS3_SCRIPT, [path, target, options.repeats], timeout) if PEERS.exists()
                          else {"error": f"no peers venv at {PEERS}"})
                rows.append(("pyhs3", theirs))
            for engine, row in rows:
                if "error" in row:
                    print(f"{name:28} {engine:9} {row['error']}")
                    continue
                print(f"{name:28} {engine:9} {row['import']:9.2f} {row['load']:9.3f} "
                      f"{row['first'] * 1e3:9.3f} {row['warm'] * 1e6:9.1f} {row['logpdf']:20.12f}")
            if len(rows) == 2 and "error" not in rows[0][1] and "error" not in rows[1][1]:
                a, b = rows[0][1], rows[1][1]
                print(f"{'':28} {'ratio':9} {'':9} {b['load'] / a['load']:9.1f} "
                      f"{b['first'] / a['first']:9.1f} {b['warm'] / a['warm']:9.1f}   (pyhs3 / likelihub)")


if __name__ == "__main__":
    main()
