"""Produce the pyhf 0.7.6 reference values stored in this folder (``pyhf_points.json``).

Run by hand with the peers' python (never by the tests, which must not need pyhf):

    /root/.cache/likelihub-peers/bin/python tests/histfactory/data/make_pyhf_points.py \
        ../shared/data > tests/histfactory/data/pyhf_points.json

For each case: pyhf's parameter names (``Model.config.par_names``: ``name[i]`` for every
per-bin set, even of one bin), init, bounds,
fixed flags, auxiliary data, observed data, ``Model.logpdf`` at a few random parameter points
(seeded), ``Model.expected_data`` at the first point, and 2 NLL at pyhf's default free fit.
"""

import json
import sys
import tarfile
from pathlib import Path

import numpy as np
import pyhf

HERE = Path(__file__).resolve().parent
SHARED = Path(sys.argv[1] if len(sys.argv) > 1 else "../shared/data")
CODES = {"4/4p": ("code4", "code4p"), "1/0": ("code1", "code0"), "1/2": ("code1", "code2"),
         "4/2": ("code4", "code2"), "4/0": ("code4", "code0")}


def member(archive, name):
    with tarfile.open(SHARED / "histfactory" / archive) as tar:
        return json.load(tar.extractfile(name))


def patch_of(archive, source, name):
    if source.endswith("patchset.json"):
        patchset = member(archive, source)
        return next(p["patch"] for p in patchset["patches"] if p["metadata"]["name"] == name)
    return member(archive, source)


def case(label, spec, patches, codes, n_points=5, seed=1):
    ws = pyhf.Workspace(spec)
    settings = {"normsys": {"interpcode": codes[0]}, "histosys": {"interpcode": codes[1]}}
    model = ws.model(patches=patches, modifier_settings=settings)
    data = np.asarray(ws.data(model), float)
    init = np.asarray(model.config.suggested_init(), float)
    bounds = np.asarray(model.config.suggested_bounds(), float)
    rng = np.random.default_rng(seed)
    points = []
    for _ in range(n_points):
        p = init.copy()
        scale = np.where(init == 0.0, 1.0, 0.25 * np.abs(init))
        p = p + scale * rng.normal(size=p.size)
        if "code2" in codes:
            # pyhf's code 2 is discontinuous at |alpha| = 1 (it drops the +-(hi/lo - nom) offset of
            # RooFit's code 2); compare inside |alpha| < 1 only, where both agree.
            p = np.where(init == 0.0, np.clip(p, -0.95, 0.95), p)
        points.append(np.clip(p, bounds[:, 0] + 1e-3, bounds[:, 1]))
    fit_values, twice_nll = pyhf.infer.mle.fit(data, model, return_fitted_val=True)
    return {
        "label": label, "interpolation_codes": list(codes),
        "parameter_names": list(model.config.par_names), "poi": model.config.poi_name,
        "init": init.tolist(), "bounds": bounds.tolist(),
        "fixed": [bool(x) for x in model.config.suggested_fixed()],
        "auxdata": [float(x) for x in model.config.auxdata], "data": data.tolist(),
        "points": [p.tolist() for p in points],
        "logpdf": [float(model.logpdf(p, data)[0]) for p in points],
        "expected_data_point0": np.asarray(model.expected_data(points[0]), float).tolist(),
        "pyhf_twice_nll_free": float(twice_nll),
        "pyhf_muhat": float(fit_values[model.config.poi_index]),
    }


def main():
    out = {"produced_by": f"pyhf {pyhf.__version__} (numpy backend), make_pyhf_points.py", "cases": []}
    tiny = json.loads((HERE / "all_modifiers.json").read_text())
    for key, codes in CODES.items():
        out["cases"].append(case(f"all_modifiers {key}", tiny, [], codes))
    real = [
        ("1Lbb C1N2_Wh_hbb_900_250", "atlas-susy-2019-08-1Lbb.tar.gz", "BkgOnly.json", "patchset.json",
         "C1N2_Wh_hbb_900_250"),
        ("3L ERJR_350p0_0p0", "atlas-susy-2018-06-3L-eRJR.tar.gz", "BkgOnly.json", "patchset.json",
         "ERJR_350p0_0p0"),
        ("sbottomA sbottom_1300_205_60", "atlas-susy-2018-31-sbottom.tar.gz", "RegionA/BkgOnly.json",
         "RegionA/patch.sbottom_1300_205_60.json", None),
        ("sbottomB sbottom_1400_550_60", "atlas-susy-2018-31-sbottom.tar.gz", "RegionB/BkgOnly.json",
         "RegionB/patch.sbottom_1400_550_60.json", None),
        ("sbottomC sbottom_1600_850_60", "atlas-susy-2018-31-sbottom.tar.gz", "RegionC/BkgOnly.json",
         "RegionC/patch.sbottom_1600_850_60.json", None),
        ("staus DS_400_40_Staus", "atlas-susy-2018-04-staus.tar.gz", "Region-combined/BkgOnly.json",
         "Region-combined/patch.DS_400_40_Staus.json", None),
    ]
    for label, archive, workspace, source, name in real:
        spec = member(archive, workspace)
        out["cases"].append(case(label, spec, [patch_of(archive, source, name)], ("code4", "code4p"),
                                 n_points=3))
    print(json.dumps(out))


if __name__ == "__main__":
    main()
