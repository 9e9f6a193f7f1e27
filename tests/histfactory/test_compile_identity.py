"""The vectorised compiler gives exactly the arrays of the term-by-term one, and the same errors.

The reference is the compiler of commit 5104d1d (test_compile_reference.py, frozen). "Identical"
means the same fields, dtypes, shapes and bytes (``tobytes``): tolerance zero, since the kernels
and every number validated against pyhf were computed from those arrays. Cases: the hand-written
workspaces of tests/histfactory/data under every interpolation code, and the four published ATLAS
likelihoods (1Lbb at three signal points) with pyhf's default codes and with codes 1 / 2.
"""

from __future__ import annotations

import copy
import dataclasses
import json
from pathlib import Path

import numpy as np
import pytest

from likelihub.errors import InvalidModelError
from likelihub_histfactory.compile import compile_model
from likelihub_histfactory.patchset import PatchSet
from likelihub_histfactory.workspace import Workspace, load_model_spec

from .test_compile_reference import compile_model as reference_compile_model

DATA = Path(__file__).parent / "data"
CODES = [None, {"normsys": "1", "histosys": "0"}, {"normsys": "4", "histosys": "2"},
         {"normsys": "1", "histosys": "4p"}]
PUBLISHED = {
    "1Lbb": ("atlas-susy-2019-08-1Lbb.tar.gz", "BkgOnly.json", "patchset.json",
             ["C1N2_Wh_hbb_1000_0", "C1N2_Wh_hbb_300_150", "C1N2_Wh_hbb_900_250"]),
    "staus": ("atlas-susy-2018-04-staus.tar.gz", "Region-combined/BkgOnly.json",
              "Region-combined/patch.DS_400_40_Staus.json", None),
    "sbottomA": ("atlas-susy-2018-31-sbottom.tar.gz", "RegionA/BkgOnly.json",
                 "RegionA/patch.sbottom_1300_205_60.json", None),
    "3L": ("atlas-susy-2018-06-3L-eRJR.tar.gz", "BkgOnly.json", "patchset.json", ["ERJR_350p0_0p0"]),
}


def assert_identical(new, old) -> None:
    """Every field equal; arrays of the same dtype and shape, byte for byte."""
    assert [f.name for f in dataclasses.fields(new)] == [f.name for f in dataclasses.fields(old)]
    for field in dataclasses.fields(new):
        a, b = getattr(new, field.name), getattr(old, field.name)
        if isinstance(b, np.ndarray):
            assert (a.dtype, a.shape) == (b.dtype, b.shape), field.name
            assert a.tobytes() == b.tobytes(), f"{field.name} differs"
        else:
            assert a == b, field.name


def both(spec, observations, poi, codes=None, source=None):
    """(new, reference) compilations of the same input."""
    return (compile_model(spec, observations, poi, codes, source=source),
            reference_compile_model(copy.deepcopy(spec), observations, poi, codes, source=source))


def hand_written_models():
    for name in ("all_modifiers.json", "multi_channel.json"):
        yield name, load_model_spec(DATA / name)
    yield "two_bin + signal", load_model_spec(DATA / "two_bin_background.json",
                                              patches=[DATA / "two_bin_signal_patch.json"])


@pytest.mark.parametrize("codes", CODES, ids=str)
def test_hand_written_workspaces_compile_identically(codes):
    for _, (spec, observations, config, source) in hand_written_models():
        assert_identical(*both(spec, observations, config.get("poi"), codes, source))


@pytest.mark.parametrize("analysis", sorted(PUBLISHED))
def test_published_likelihoods_compile_identically(shared_data, analysis):
    archive, member, patches, names = PUBLISHED[analysis]
    archive = shared_data / "histfactory" / archive
    workspace = Workspace.load(archive, member=member)
    if names is None:
        points = [dict(patches=[patches])]
    else:
        patchset = PatchSet(archive, member=patches)
        points = [dict(patches=[patchset[name]]) for name in names]
    # the 3L measurement configures mu_BG, which no modifier has (validation.py warns of it)
    points = [dict(point, unused_parameters="ignore") for point in points]
    for i, point in enumerate(points):
        spec, observations, config, source = load_model_spec(workspace, **point)
        codes = [None, {"normsys": "1", "histosys": "2"}] if i == 0 else [None]
        for code in codes:
            assert_identical(*both(spec, observations, config.get("poi"), code, source))


def _with_modifier_data(modifier_type: str, data):
    """all_modifiers.json with the data of its first ``modifier_type`` modifier replaced."""
    spec = json.loads((DATA / "all_modifiers.json").read_text())
    for channel in spec["channels"]:
        for sample in channel["samples"]:
            for modifier in sample["modifiers"]:
                if modifier["type"] == modifier_type:
                    modifier["data"] = data
                    model = {"channels": spec["channels"],
                             "parameters": spec["measurements"][0]["config"]["parameters"]}
                    observations = {o["name"]: o["data"] for o in spec["observations"]}
                    return model, observations, spec["measurements"][0]["config"]["poi"]
    raise AssertionError(f"all_modifiers.json has no {modifier_type}")


@pytest.mark.parametrize("modifier_type, data", [
    ("normsys", {"hi": "1.1", "lo": 0.9}),
    ("normsys", {"hi": 1.1, "lo": -0.9}),
    ("normsys", {"hi": 1.1, "lo": float("nan")}),
    ("normsys", {"hi": 1.1}),
    ("normsys", [1.1, 0.9]),
    ("histosys", {"hi_data": [1.0], "lo_data": [1.0, 2.0]}),
    ("histosys", {"hi_data": [1.0, float("inf")], "lo_data": [1.0, 2.0]}),
    ("histosys", {"hi_data": [1.0, -2.0], "lo_data": [1.0, 2.0]}),
    ("histosys", {"hi_data": "1.0", "lo_data": [1.0, 2.0]}),
    ("histosys", {"lo_data": [1.0, 2.0]}),
], ids=str)
def test_bad_systematics_give_the_reference_error(modifier_type, data):
    spec, observations, poi = _with_modifier_data(modifier_type, data)
    with pytest.raises(InvalidModelError) as new:
        compile_model(spec, observations, poi, source="bad.json")
    with pytest.raises(InvalidModelError) as old:
        reference_compile_model(spec, observations, poi, source="bad.json")
    assert str(new.value) == str(old.value)
    assert "bad.json" in str(new.value) and modifier_type in str(new.value)


def test_integer_and_boolean_factors_compile_as_the_reference():
    # JSON integers are numbers: hi = 2 (int) must compile as 2.0, as before
    spec, observations, poi = _with_modifier_data("normsys", {"hi": 2, "lo": 1})
    assert_identical(*both(spec, observations, poi))
