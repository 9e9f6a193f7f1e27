"""spey-pyhf 0.2.2's simplification of one patch: run in the peers' venv by
``docs/simplify_validation.py --peer`` as ``python -O simplify_peer.py ARCHIVE MEMBER PATCH NAME
CONTROLS N OUT`` (PATCH: a patch member of the pallet, or the patchset member with NAME).

Three adaptations, each needed for spey-pyhf 0.2.2 to run on these models, none changing the
background model it simplifies: ``-O`` skips its check that pyhf runs on jax (not installed
there), and its Hessian of the control fit comes from central finite differences of pyhf's
logpdf instead of jax's autodiff; a patch's ``remove`` operations are applied to the
background-only workspace first (spey-pyhf builds its sampling model without them and fails); the
signal samples carry spey-pyhf's default modifiers (lumi, the POI) -- it draws the control
model's parameters and samples the full model with them, which fails where the signal has
modifiers of its own. Prints one line, ``RESULT`` and JSON: spey's moments, data, signal,
channels, its CLs and upper limit, and the conversion's seconds.
"""
import json
import sys
import tarfile
import time

import numpy as np
import spey
from spey_pyhf.interface import PyhfInterface


def fd_hessian(self, expected=spey.ExpectationType.observed, data=None):
    """The Hessian of log L by central differences (steps 1e-4 max(1, |x|))."""
    logpdf = self.get_logpdf_func(expected, data)

    def hessian(pars):
        x = np.asarray(pars, dtype=float)
        h = 1e-4 * np.maximum(1.0, np.abs(x))

        def f(*moves):
            y = x.copy()
            for i, step in moves:
                y[i] += step
            return float(logpdf(y))

        f0 = f()
        out = np.empty((x.size, x.size))
        for i in range(x.size):
            out[i, i] = (f((i, h[i])) - 2 * f0 + f((i, -h[i]))) / h[i] ** 2
            for j in range(i):
                out[i, j] = out[j, i] = (f((i, h[i]), (j, h[j])) - f((i, h[i]), (j, -h[j]))
                                         - f((i, -h[i]), (j, h[j])) + f((i, -h[i]), (j, -h[j]))
                                         ) / (4 * h[i] * h[j])
        return out

    return hessian


PyhfInterface.get_hessian_logpdf_func = fd_hessian
archive, member, patch_member, patch_name, controls, n_samples, out = sys.argv[1:8]
with tarfile.open(archive) as tar:
    bkg = json.load(tar.extractfile(member))
    patch = json.load(tar.extractfile(patch_member))
if patch_name:
    patch = next(p for p in patch["patches"] if p["metadata"]["name"] == patch_name)
patch = patch["patch"] if isinstance(patch, dict) else patch
# spey-pyhf 0.2.2 builds its sampling model without a patch's "remove" operations (an IndexError
# follows): remove those channels from the background-only workspace instead, the same full model
removed = sorted((int(op["path"].split("/")[2]) for op in patch if op["op"] == "remove"), reverse=True)
for index in removed:
    name = bkg["channels"].pop(index)["name"]
    bkg["observations"] = [o for o in bkg["observations"] if o["name"] != name]


def renumber(op):
    parts = op["path"].split("/")
    parts[2] = str(int(parts[2]) - sum(1 for r in removed if r < int(parts[2])))
    return dict(op, path="/".join(parts))


patch = [renumber(op) for op in patch if op["op"] != "remove"]
# spey-pyhf 0.2.2 draws the control model's parameters but samples the full model with them (an
# IndexError where the signal has modifiers of its own): give the signal spey's default modifiers
# (lumi, the POI), the model spey builds its parameter map from; the background is unchanged
poi = bkg["measurements"][0]["config"]["poi"]
lumi = any(p["name"] == "lumi" for p in bkg["measurements"][0]["config"]["parameters"])
for op in patch:
    if op["op"] == "add" and isinstance(op.get("value"), dict) and "modifiers" in op["value"]:
        op["value"]["modifiers"] = ([{"data": None, "name": "lumi", "type": "lumi"}] if lumi else []) + [
            {"data": None, "name": poi, "type": "normfactor"}]
np.random.seed(0)  # noqa: NPY002 -- spey-pyhf draws through scipy.stats with numpy's global generator
full = spey.get_backend("pyhf")(background_only_model=bkg, signal_patch=patch)
t = time.time()
sl = spey.get_backend("pyhf.simplify")(statistical_model=full, convert_to="default.third_moment_expansion",
        number_of_samples=int(n_samples), control_region_indices=json.loads(controls), save_model=out)
seconds = time.time() - t
saved = np.load(out)
cls_obs = 1.0 - sl.exclusion_confidence_level(poi_test=1.0)[0]
limit = sl.poi_upper_limit()
print("RESULT " + json.dumps({"background": saved["background_yields"].tolist(),
                  "covariance": saved["covariance_matrix"].tolist(),
                  "third_moment": saved["third_moments"].tolist(), "data": saved["data"].tolist(),
                  "channels": saved["channel_order"].tolist(),
                  "bin_counts": {c["name"]: len(c["samples"][0]["data"]) for c in bkg["channels"]},
                  "signal": np.asarray(sl.backend.signal_yields, dtype=float).tolist(),
                  "spey_cls_obs": cls_obs, "spey_upper_limit_obs": limit, "seconds": seconds}), flush=True)
