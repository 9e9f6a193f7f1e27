"""pyhf 0.7.6 vs likelihub-histfactory on the four ATLAS likelihoods: hypotest and upper limit.

Run by hand (not a test): ``python benchmarks/bench_histfactory.py [--no-pyhf | --pyhf-reference]
[--analyses 3L sbottomA]``. ``--pyhf-reference`` takes pyhf's timings from
``reference/histfactory-pyhf.json`` (measured on this machine when the reference was made) instead of
rerunning pyhf (minutes for the staus and 1Lbb limits); the output says which.
pyhf runs in the peers' venv (a subprocess, numpy backend, default optimiser), likelihub here; the
same patch for both. Each side times a hypotest at mu = 1 with the expected band and a 95% CL upper
limit (observed and expected band, TOMS 748, rtol 1e-6), one process run each, and prints the
ratios. The first call of likelihub (numba compilation, or loading the on-disk cache) is timed
separately in a fresh subprocess.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys

from peers import PEERS, SHARED  # benchmarks/peers.py: on sys.path

CASES = {
    "1Lbb": ("atlas-susy-2019-08-1Lbb.tar.gz", "BkgOnly.json", "patchset.json", "C1N2_Wh_hbb_900_250"),
    "staus": ("atlas-susy-2018-04-staus.tar.gz", "Region-combined/BkgOnly.json",
              "Region-combined/patch.DS_400_40_Staus.json", None),
    "sbottomA": ("atlas-susy-2018-31-sbottom.tar.gz", "RegionA/BkgOnly.json",
                 "RegionA/patch.sbottom_1300_205_60.json", None),
    "3L": ("atlas-susy-2018-06-3L-eRJR.tar.gz", "BkgOnly.json", "patchset.json", "ERJR_350p0_0p0"),
}

PYHF_SCRIPT = r"""
import json, sys, tarfile, time
import numpy as np, pyhf
archive, workspace, source, name, do_limit = sys.argv[1:6]
with tarfile.open(archive) as tar:
    spec = json.load(tar.extractfile(workspace))
    patch = json.load(tar.extractfile(source))
if name != "-":
    patch = next(p["patch"] for p in patch["patches"] if p["metadata"]["name"] == name)
ws = pyhf.Workspace(spec); model = ws.model(patches=[patch]); data = ws.data(model)
t = time.perf_counter()
obs, exp = pyhf.infer.hypotest(1.0, data, model, test_stat="qtilde", return_expected_set=True)
out = {"hypotest": time.perf_counter() - t, "cls_obs": float(obs)}
if do_limit == "1":
    t = time.perf_counter()
    ul_obs, ul_exp = pyhf.infer.intervals.upper_limits.upper_limit(data, model, rtol=1e-6)
    out["limit"] = time.perf_counter() - t
    out["ul_obs"] = float(ul_obs)
print(json.dumps(out))
"""

LIKELIHUB_SCRIPT = r"""
import json, sys, time
t0 = time.perf_counter()
from likelihub_histfactory.factory import build_model
archive, workspace, source, name, do_limit = sys.argv[1:6]
options = {"member": workspace}
options.update({"patchset": source, "patch_name": name} if name != "-" else {"patches": [source]})
model = build_model(archive, **options)
t1 = time.perf_counter()
model.logpdf(model.config.init)   # first kernel call: numba compilation or cache load
t2 = time.perf_counter()
runs = []
for _ in range(3):
    fresh = build_model(archive, **options)
    t = time.perf_counter(); result = fresh.cls(1.0); runs.append(time.perf_counter() - t)
out = {"build": t1 - t0, "first_call": t2 - t1, "hypotest": sorted(runs)[1], "cls_obs": result.cls_obs}
if do_limit == "1":
    t = time.perf_counter(); limit = model.upper_limit(cl=0.95); out["limit"] = time.perf_counter() - t
    out["ul_obs"] = limit.observed
print(json.dumps(out))
"""


def run(python: str, script: str, args: list[str]) -> dict:
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1")
    done = subprocess.run([python, "-c", script, *args], capture_output=True, text=True, env=env, check=False)
    if done.returncode != 0:
        raise RuntimeError(done.stderr[-2000:])
    return json.loads(done.stdout.strip().splitlines()[-1])


def _pyhf_reference(analysis: str, patch: str) -> dict | None:
    """pyhf 0.7.6's timings recorded in the reference file for this analysis and patch."""
    reference = json.loads((SHARED / "reference" / "histfactory-pyhf.json").read_text())
    case = next((c for c in reference["cases"] if c["analysis"] == analysis and c["patch"] == patch), None)
    if case is None or "pyhf_hypotest_seconds_here" not in case:
        return None
    out = {"hypotest": case["pyhf_hypotest_seconds_here"]}
    if "pyhf_upper_limit_seconds_here" in case:
        out["limit"] = case["pyhf_upper_limit_seconds_here"]
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--analyses", nargs="*", default=list(CASES))
    parser.add_argument("--no-pyhf", action="store_true", help="time likelihub only")
    parser.add_argument("--pyhf-reference", action="store_true",
                        help="pyhf's timings from reference/histfactory-pyhf.json instead of a rerun")
    parser.add_argument("--no-limit", action="store_true", help="skip the upper limits (pyhf: minutes)")
    options = parser.parse_args()
    for analysis in options.analyses:
        archive, workspace, source, name = CASES[analysis]
        args = [str(SHARED / "histfactory" / archive), workspace, source, name or "-",
                "0" if options.no_limit else "1"]
        ours = run(sys.executable, LIKELIHUB_SCRIPT, args)
        line = (f"{analysis:9s} likelihub: build {ours['build']:.2f} s, "
                f"first call {ours['first_call']:.2f} s, "
                f"hypotest {ours['hypotest'] * 1e3:.0f} ms (median of 3)")
        if "limit" in ours:
            line += f", limit {ours['limit']:.2f} s"
        theirs = None
        if options.pyhf_reference:
            theirs = _pyhf_reference(analysis, name or source.split("patch.")[-1].removesuffix(".json"))
        elif not options.no_pyhf and PEERS.exists():
            theirs = run(str(PEERS), PYHF_SCRIPT, args)
        if theirs:
            line += (f" | pyhf{' (reference file)' if options.pyhf_reference else ''}: "
                     f"hypotest {theirs['hypotest']:.2f} s"
                     f" (x{theirs['hypotest'] / ours['hypotest']:.0f})")
            if "limit" in theirs and "limit" in ours:
                line += f", limit {theirs['limit']:.1f} s (x{theirs['limit'] / ours['limit']:.0f})"
        print(line, flush=True)


if __name__ == "__main__":
    main()
