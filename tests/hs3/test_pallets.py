"""pyhf JSON -> HS3 -> likelihub on the four ATLAS pallets (background-only workspace and one signal
patch each): the ``hs3`` backend's model of the written file against the ``histfactory`` backend's
model of the same pyhf JSON.

Origin of the expected numbers: the histfactory backend on the pyhf workspace, which
tests/histfactory/test_engine_vs_pyhf.py holds to pyhf 0.7.6 (1e-8 relative) on these pallets.
Both models run the same kernels, so -log L must agree to rounding (1e-10 relative) at the
initial point and at a random point, and CLs at mu = 1 (observed and expected band) to 1e-8
(both fits run to the same EDM bound from the same start).
"""

from __future__ import annotations

import json
import tarfile

import jsonpatch
import numpy as np
import pytest

import likelihub
from likelihub_hs3 import write_hs3

PALLETS = {
    "1Lbb": ("atlas-susy-2019-08-1Lbb.tar.gz", "BkgOnly.json", ("patchset.json", "C1N2_Wh_hbb_900_250")),
    "3L-eRJR": ("atlas-susy-2018-06-3L-eRJR.tar.gz", "BkgOnly.json", ("patchset.json", "ERJR_350p0_0p0")),
    "sbottom-A": ("atlas-susy-2018-31-sbottom.tar.gz", "RegionA/BkgOnly.json",
                  "RegionA/patch.sbottom_1300_205_60.json"),
    "staus": ("atlas-susy-2018-04-staus.tar.gz", "Region-combined/BkgOnly.json",
              "Region-combined/patch.DS_400_40_Staus.json"),
}


def patched_workspace(shared_data, label: str) -> dict:
    """The pallet's background-only workspace with its signal patch applied (a pyhf patchset's
    patch by name, or a patch file)."""
    archive, member, patch = PALLETS[label]
    with tarfile.open(shared_data / "histfactory" / archive) as pallet:
        def read(name):
            return json.load(pallet.extractfile(name))

        workspace = read(member)
        if isinstance(patch, tuple):
            patchset, name = patch
            operations = next(p["patch"] for p in read(patchset)["patches"] if p["metadata"]["name"] == name)
        else:
            operations = read(patch)
    return jsonpatch.apply_patch(workspace, operations.get("patch", operations)
                                 if isinstance(operations, dict) else operations)


def by_name(values, names, order):
    return np.array([values[list(names).index(n)] for n in order])


@pytest.mark.parametrize("label", [pytest.param(k, marks=[pytest.mark.slow] if k == "1Lbb" else [])
                                   for k in PALLETS])
def test_pallet_through_hs3(shared_data, label, tmp_path):
    workspace = patched_workspace(shared_data, label)
    # the 3L measurement configures mu_BG, which its model lacks (pyhf ignores it)
    direct = likelihub.get_backend("histfactory")(workspace, unused_parameters="ignore")
    path = tmp_path / f"{label}_hs3.json"
    write_hs3(workspace, path)
    via = likelihub.get_backend("hs3")(path)

    names, order = list(direct.config.parameter_names), list(via.config.parameter_names)
    assert sorted(names) == sorted(order)
    assert via.config.poi_name == direct.config.poi_name
    # the HS3 file's domain and parameter point carry the model's bounds, values and fixed flags
    np.testing.assert_array_equal(by_name(direct.config.bounds, names, order), via.config.bounds)
    np.testing.assert_array_equal(by_name(direct.config.init, names, order), via.config.init)
    np.testing.assert_array_equal(by_name(direct.config.fixed, names, order), via.config.fixed)
    np.testing.assert_array_equal(np.sort(direct.data), np.sort(via.data))

    rng = np.random.default_rng(20240611)
    start = np.array(direct.config.init, dtype=float)
    for point in (start, start + rng.normal(0.0, 0.1, start.size)):
        expected = direct.logpdf(point)
        assert via.logpdf(by_name(point, names, order)) == pytest.approx(expected, rel=1e-10)

    ours, reference = via.cls(1.0), direct.cls(1.0)
    assert ours.cls_obs == pytest.approx(reference.cls_obs, rel=1e-8)
    np.testing.assert_allclose(ours.cls_exp, reference.cls_exp, rtol=1e-8)
