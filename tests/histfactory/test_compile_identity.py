"""The vectorised compiler gives exactly the arrays of the term-by-term one, and the same errors.

The reference is the term-by-term compiler of commit 5104d1d
(``git show 5104d1d:plugins/histfactory/likelihub_histfactory/compile.py``): its output on every
case below is stored in data/compile_fingerprints.json as, per field of the compiled model, the
dtype, shape and sha256 of the array's bytes (of the JSON of other fields), and its error messages
for bad systematics word for word. "Identical" means tolerance zero, since the kernels and every
number validated against pyhf were computed from those arrays. Cases: the hand-written workspaces
of tests/histfactory/data under four interpolation-code pairs, and the four published ATLAS
likelihoods (1Lbb at three signal points) with pyhf's default codes and with codes 1 / 2.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from pathlib import Path

import numpy as np
import pytest

from likelihub.errors import InvalidModelError
from likelihub_histfactory.compile import compile_model
from likelihub_histfactory.patchset import PatchSet
from likelihub_histfactory.sample_terms import SampleCache
from likelihub_histfactory.workspace import Workspace, load_model_spec

DATA = Path(__file__).parent / "data"
REFERENCE = json.loads((DATA / "compile_fingerprints.json").read_text())
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
BAD_SYSTEMATICS = [
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
]


def fingerprint(compiled) -> dict:
    """Per field: dtype|shape|sha256 of an array's bytes, or the sha256 of another field's JSON."""
    out = {}
    for field in dataclasses.fields(compiled):
        value = getattr(compiled, field.name)
        if isinstance(value, np.ndarray):
            out[field.name] = (f"{value.dtype.str}|{list(value.shape)}|"
                               f"{hashlib.sha256(value.tobytes()).hexdigest()}")
        else:
            out[field.name] = hashlib.sha256(json.dumps(value, sort_keys=True).encode()).hexdigest()
    return out


def assert_as_reference(compiled, case: str) -> None:
    expected = REFERENCE["models"][case]
    actual = fingerprint(compiled)
    assert sorted(actual) == sorted(expected)
    differing = [name for name in expected if actual[name] != expected[name]]
    assert not differing, f"{case}: fields {differing} differ from the reference compiler's"


def hand_written_models():
    for name in ("all_modifiers.json", "multi_channel.json"):
        yield name, load_model_spec(DATA / name)
    yield "two_bin + signal", load_model_spec(DATA / "two_bin_background.json",
                                              patches=[DATA / "two_bin_signal_patch.json"])


@pytest.mark.parametrize("codes", CODES, ids=str)
def test_hand_written_workspaces_compile_identically(codes):
    for name, (spec, observations, config, source) in hand_written_models():
        compiled = compile_model(spec, observations, config.get("poi"), codes, source=source)
        assert_as_reference(compiled, f"{name} {json.dumps(codes)}")


@pytest.mark.parametrize("analysis", sorted(PUBLISHED))
def test_published_likelihoods_compile_identically(shared_data, analysis):
    archive, member, patches, names = PUBLISHED[analysis]
    archive = shared_data / "histfactory" / archive
    workspace = Workspace.load(archive, member=member)
    if names is None:
        points = [("", dict(patches=[patches]))]
    else:
        patchset = PatchSet(archive, member=patches)
        points = [(name, dict(patches=[patchset[name]])) for name in names]
    for i, (name, point) in enumerate(points):
        # the 3L measurement configures mu_BG, which no modifier has (validation.py warns of it)
        spec, observations, config, source = load_model_spec(workspace, unused_parameters="ignore",
                                                              **point)
        for codes in ([None, {"normsys": "1", "histosys": "2"}] if i == 0 else [None]):
            compiled = compile_model(spec, observations, config.get("poi"), codes, source=source)
            assert_as_reference(compiled, f"{analysis} {name} {json.dumps(codes)}")


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


@pytest.mark.parametrize("modifier_type, data", BAD_SYSTEMATICS, ids=str)
def test_bad_systematics_give_the_reference_error(modifier_type, data):
    spec, observations, poi = _with_modifier_data(modifier_type, data)
    with pytest.raises(InvalidModelError) as new:
        compile_model(spec, observations, poi, source="bad.json")
    assert str(new.value) == REFERENCE["errors"][f"{modifier_type} {data}"]
    assert "bad.json" in str(new.value) and modifier_type in str(new.value)


def test_integer_factors_compile_as_the_reference():
    # JSON integers are numbers: hi = 2 (int) must compile as 2.0, as before
    spec, observations, poi = _with_modifier_data("normsys", {"hi": 2, "lo": 1})
    assert_as_reference(compile_model(spec, observations, poi),
                        "all_modifiers.json normsys hi=2 lo=1 (integers)")


def test_models_compiled_with_a_sample_cache_are_identical(shared_data):
    # A scan compiles each background sample once (SampleCache) and each point's signal samples
    # anew: every model must still be the reference compiler's, field by field, whatever the order
    # of the points, and the cache must forget each point's signal samples.
    archive, member, patches, names = PUBLISHED["1Lbb"]
    archive = shared_data / "histfactory" / archive
    workspace = Workspace.load(archive, member=member)
    patchset = PatchSet(archive, member=patches)
    cache = SampleCache()
    sizes = []
    for name in [*names, names[0], *reversed(names)]:
        spec, observations, config, source = load_model_spec(workspace, patches=[patchset[name]])
        compiled = compile_model(spec, observations, config.get("poi"), None, source=source, cache=cache)
        assert_as_reference(compiled, f"1Lbb {name} null")
        sizes.append(len(cache))
    # Each model has the same number of samples (one signal sample per channel): cache stays bounded.
    assert len(set(sizes)) == 1


def test_a_sample_cache_recompiles_samples_for_other_codes(shared_data):
    archive, member, patches, names = PUBLISHED["1Lbb"]
    archive = shared_data / "histfactory" / archive
    workspace = Workspace.load(archive, member=member)
    spec, observations, config, source = load_model_spec(workspace, patches=[PatchSet(
        archive, member=patches)[names[0]]])
    cache = SampleCache()
    for codes in (None, {"normsys": "1", "histosys": "2"}, None):
        compiled = compile_model(spec, observations, config.get("poi"), codes, source=source, cache=cache)
        assert_as_reference(compiled, f"1Lbb {names[0]} {json.dumps(codes)}")
