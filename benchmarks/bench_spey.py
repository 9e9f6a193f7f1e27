"""spey + spey-pyhf against spey + likelihub (likelihub-spey): the same spey calls, two backends.

Run by hand (not a test)::

    python benchmarks/bench_spey.py [--cases 1Lbb sbottomA CMS-NOTE] [--repeats 5]
                                    [--peer-repeats 3] [--peer-limit-repeats 1] [--no-peers]
    python benchmarks/bench_spey.py --references     # the spey numbers tests/spey_bridge asserts

Each side runs the script below in its own process: spey 0.2.7 with spey-pyhf 0.2.2 (backend
``pyhf``, pyhf 0.7.6, numpy backend, spey's default scipy optimiser) in the peers' venv, and spey
0.2.7 with likelihub-spey (backend ``likelihub.histfactory``) here; the same background-only
workspace and signal patch (operations), passed as spey's callers (SModelS, MadAnalysis 5) pass
them. Timed, each on a freshly built model (the build timed apart): the hypotest
``exclusion_confidence_level()`` at mu = 1 (q~_mu, asymptotic) and the limit ``poi_upper_limit()``
(observed, 95% CL). likelihub's first call (numba compilation or its on-disk cache) is made once
before the timing and reported apart. The CMS-NOTE case compares spey's ``default.correlated_background``
(minuit: spey's default scipy fit fails on it) with ``likelihub.correlated_background``.
Medians of the repeats; the ratio is spey+peer / spey+likelihub. One BLAS thread on both sides.

``--references`` prints spey 0.2.7's own default backends' numbers (peers' venv, minuit) on the
simplified inputs of ``tests/spey_bridge/test_simplified.py``: the origin of its peer numbers.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys

from peers import PEERS, SHARED  # benchmarks/peers.py: on sys.path

#: case -> (archive, background-only member, patch member, patch name in a patchset or None)
HISTFACTORY = {
    "1Lbb": ("atlas-susy-2019-08-1Lbb.tar.gz", "BkgOnly.json", "patchset.json", "C1N2_Wh_hbb_900_250"),
    "sbottomA": ("atlas-susy-2018-31-sbottom.tar.gz", "RegionA/BkgOnly.json",
                 "RegionA/patch.sbottom_1300_205_60.json", None),
}
SIMPLIFIED = {"CMS-NOTE": "CMS-NOTE-2017-001"}

# argv: backend, kind ("histfactory" | "simplified"), source..., repeats, limit repeats
SCRIPT = r"""
import json, os, statistics, sys, tarfile, time
os.environ["SPEY_CHECKUPDATE"] = "OFF"
import numpy as np
import spey
backend, kind = sys.argv[1:3]
repeats, limit_repeats = int(sys.argv[-2]), int(sys.argv[-1])
if kind == "histfactory":
    archive, workspace, source, name = sys.argv[3:7]
    with tarfile.open(archive) as tar:
        def member(suffix):
            return json.load(tar.extractfile(next(m for m in tar.getmembers() if m.name.endswith(suffix))))
        bkg, patch = member(workspace), member(source)
    if name != "-":
        patch = next(p for p in patch["patches"] if p["metadata"]["name"] == name)
    patch = patch["patch"] if isinstance(patch, dict) else patch
    arguments = dict(background_only_model=bkg, signal_patch=patch)
else:
    model = json.load(open(sys.argv[3]))
    arguments = dict(signal_yields=model["signal"], background_yields=model["background"],
                     data=model["observed"], covariance_matrix=model["covariance"])
def build():
    return spey.get_backend(backend)(**arguments, analysis="bench")
out = {}
if backend.startswith("likelihub"):
    t = time.perf_counter(); build().exclusion_confidence_level(); out["first_call"] = time.perf_counter() - t
builds, cls, limits = [], [], []
for i in range(max(repeats, limit_repeats)):
    t = time.perf_counter(); model = build(); builds.append(time.perf_counter() - t)
    if i < repeats:
        t = time.perf_counter(); value = model.exclusion_confidence_level()
        cls.append(time.perf_counter() - t)
        out["cls_obs"] = 1.0 - float(value[0])
    if i < limit_repeats:
        model = build()
        t = time.perf_counter(); out["limit_obs"] = float(model.poi_upper_limit())
        limits.append(time.perf_counter() - t)
out.update(build=statistics.median(builds), hypotest=statistics.median(cls) if cls else None,
           limit=statistics.median(limits) if limits else None, n_hypotest=len(cls), n_limit=len(limits))
print(json.dumps(out))
"""

# spey's default backends on the simplified inputs of tests/spey_bridge (argv: shared data folder)
REFERENCE_SCRIPT = r"""
import json, os, sys
os.environ["SPEY_CHECKUPDATE"] = "OFF"; os.environ["SPEY_OPTIMISER"] = "minuit"
import numpy as np, spey
folder = sys.argv[1]
def inputs(name, n=None):
    model = json.load(open(f"{folder}/simplified/{name}.json"))
    n = n or len(model["observed"])
    out = dict(signal_yields=model["signal"][:n], background_yields=model["background"][:n],
               data=model["observed"][:n], covariance_matrix=np.asarray(model["covariance"])[:n, :n])
    if model.get("third_moment") is not None:
        out["third_moment"] = model["third_moment"][:n]
    return out
cases = {"CMS-NOTE-2017-001 correlated_background": ("correlated_background", inputs("CMS-NOTE-2017-001")),
         "SModelS-unittest-model-90[:10] correlated_background": (
             "correlated_background", {k: v for k, v in inputs("SModelS-unittest-model-90", 10).items()
                                       if k != "third_moment"}),
         "SModelS-unittest-model-90[:10] third_moment_expansion": (
             "third_moment_expansion", inputs("SModelS-unittest-model-90", 10))}
out = {}
for label, (name, arguments) in cases.items():
    model = spey.get_backend("default." + name)(**arguments)
    observed, expected = model.exclusion_confidence_level(expected="all")
    out[label] = {"cls_obs": 1.0 - float(observed[0]), "cls_exp": [1.0 - float(x) for x in expected],
                  "limit_obs": float(model.poi_upper_limit()),
                  "limit_apriori": float(model.poi_upper_limit(expected=spey.ExpectationType.apriori)),
                  "sigma_mu": float(model.sigma_mu(1.0))}
print(json.dumps(out))
"""


def run(python: str, script: str, args: list[str]) -> dict:
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")
    done = subprocess.run([python, "-c", script, *args], capture_output=True, text=True, env=env, check=False)
    if done.returncode != 0:
        raise RuntimeError(done.stderr[-3000:])
    return json.loads(next(line for line in reversed(done.stdout.splitlines()) if line.startswith("{")))


def _arguments(case: str) -> tuple[str, list[str]]:
    if case in HISTFACTORY:
        archive, workspace, source, name = HISTFACTORY[case]
        return "histfactory", [str(SHARED / "histfactory" / archive), workspace, source, name or "-"]
    return "simplified", [str(SHARED / "simplified" / f"{SIMPLIFIED[case]}.json")]


def _seconds(value: float | None) -> str:
    return "-" if value is None else (f"{value * 1e3:.0f} ms" if value < 1 else f"{value:.2f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", nargs="*", default=[*HISTFACTORY, *SIMPLIFIED])
    parser.add_argument("--repeats", type=int, default=5, help="spey + likelihub runs of each call")
    parser.add_argument("--peer-repeats", type=int, default=3, help="spey + peer hypotests")
    parser.add_argument("--peer-limit-repeats", type=int, default=1,
                        help="spey + peer limits (spey-pyhf's 1Lbb limit takes many minutes)")
    parser.add_argument("--no-peers", action="store_true", help="time spey + likelihub only")
    parser.add_argument("--references", action="store_true",
                        help="print spey's default backends' numbers on the tests' simplified inputs")
    options = parser.parse_args()
    if options.references:
        print(json.dumps(run(str(PEERS), REFERENCE_SCRIPT, [str(SHARED)]), indent=1))
        return
    print(f"{'case':9s} {'call':9s} {'spey+peer':>22s} {'spey+likelihub':>22s} {'ratio':>7s}  "
          "values (peer | likelihub)")
    for case in options.cases:
        kind, args = _arguments(case)
        ours_name = "likelihub.histfactory" if kind == "histfactory" else "likelihub.correlated_background"
        peer_name = "pyhf" if kind == "histfactory" else "default.correlated_background"
        repeats = [str(options.repeats)] * 2
        ours = run(sys.executable, SCRIPT, [ours_name, kind, *args, *repeats])
        theirs = None
        if not options.no_peers and PEERS.exists():
            peer_script = SCRIPT if kind == "histfactory" else SCRIPT.replace(
                'os.environ["SPEY_CHECKUPDATE"] = "OFF"',
                'os.environ["SPEY_CHECKUPDATE"] = "OFF"; os.environ["SPEY_OPTIMISER"] = "minuit"')
            theirs = run(str(PEERS), peer_script, [peer_name, kind, *args, str(options.peer_repeats),
                                                   str(options.peer_limit_repeats)])
        print(f"{case:9s} {'build':9s} {_seconds(theirs and theirs['build']):>22s} "
              f"{_seconds(ours['build']):>22s}   (likelihub's first call {_seconds(ours['first_call'])})")
        for call, value in (("hypotest", "cls_obs"), ("limit", "limit_obs")):
            mine = f"{_seconds(ours[call])} (n={ours[f'n_{call}']})"
            peer, ratio, values = "-", "", f"{ours.get(value, float('nan')):.6g}"
            if theirs and theirs[call]:
                peer = f"{_seconds(theirs[call])} (n={theirs[f'n_{call}']})"
                ratio = f"x{theirs[call] / ours[call]:.0f}"
                values = f"{theirs[value]:.6g} | {values}"
            print(f"{'':9s} {call:9s} {peer:>22s} {mine:>22s} {ratio:>7s}  "
                  f"{'CLs' if call == 'hypotest' else 'UL'} {values}", flush=True)


if __name__ == "__main__":
    main()
