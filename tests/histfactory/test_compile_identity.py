"""The vectorised compiler gives the arrays of the term-by-term one, and the same errors.

The reference is the term-by-term compiler of commit 5104d1d
(``git show 5104d1d:plugins/histfactory/likelihub_histfactory/compile.py``). Its output on every
case below is stored in data/compile_fingerprints.json (written by make_compile_fingerprints.py):

- integer, boolean and other exact fields (indices, kinds, flags, names, codes): the sha256 of the
  array's bytes (of the field's JSON), compared exactly: they do not depend on the CPU;
- float arrays: dtype, shape and a *sketch*. Each row (a term's coefficients, a parameter's
  bounds, one yield) is divided by its largest magnitude ``s``; the ratios (per column) and
  ``log s`` are projected onto :data:`N_PROJECTIONS` fixed pseudo-random weight vectors
  (:func:`weights`). A projection must agree within :data:`TOLERANCE` times sum_i |w_i|: every
  element within 1e-12 of its row's largest magnitude. Floats are not compared bit for bit:
  logarithms and LAPACK's solves (the code-4 polynomials, whose analytically zero coefficients come
  out as rounding noise of 1e-20 to 1e-16) round differently with the CPU's vector unit (AVX-512 or
  not) and the numpy build. One element of 1Lbb's 17,725 terms changed by 1e-6 of its row's scale
  already fails.

Its error messages for bad systematics are compared word for word. Cases: the hand-written
workspaces of tests/histfactory/data under four interpolation-code pairs, and the four published
ATLAS likelihoods (1Lbb at three signal points) with pyhf's default codes and with codes 1 / 2.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from functools import cache
from pathlib import Path

import numpy as np
import pytest

from likelihub.errors import InvalidModelError
from likelihub_histfactory.compile import SampleCache, compile_model
from likelihub_histfactory.spec.model_spec import load_model_spec
from likelihub_histfactory.spec.patchset import PatchSet
from likelihub_histfactory.spec.workspace import Workspace

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


#: Projections per column of a float array, and the tolerance of each, per unit weight: a few
#: ulps of rounding (1e-16 relative per element) stay far inside it on any CPU.
N_PROJECTIONS = 4
TOLERANCE = 1e-12


@cache
def weights(n: int) -> np.ndarray:
    """(N_PROJECTIONS, n) weights uniform in [-1, 1] (PCG64, seed 5104: the same on every platform)."""
    return np.random.default_rng(5104).uniform(-1.0, 1.0, (N_PROJECTIONS, n))


def sketch(array: np.ndarray) -> dict:
    """Projections of the rows' ratios to their largest magnitude s (per column), and of log s."""
    rows = array.reshape(array.shape[0] if array.ndim else 1, -1)
    scale = np.abs(rows).max(axis=1, initial=0.0)
    positive = scale > 0
    ratios = rows / np.where(positive, scale, 1.0)[:, None]
    w = weights(rows.shape[0])
    return {"ratios": (w @ ratios).tolist(),
            "log_scales": (w @ np.log(np.where(positive, scale, 1.0))).tolist()}


def exact_hash(value) -> str:
    if isinstance(value, np.ndarray):
        return f"{value.dtype.str}|{list(value.shape)}|{hashlib.sha256(value.tobytes()).hexdigest()}"
    return hashlib.sha256(json.dumps(value, sort_keys=True).encode()).hexdigest()


def fingerprint(compiled) -> dict:
    """Per field: a sketch of a float array (with dtype and shape), else an exact hash."""
    out = {}
    for field in dataclasses.fields(compiled):
        value = getattr(compiled, field.name)
        if isinstance(value, np.ndarray) and value.dtype.kind == "f":
            out[field.name] = {"dtype": value.dtype.str, "shape": list(value.shape), **sketch(value)}
        else:
            out[field.name] = exact_hash(value)
    return out


def differences(actual: dict, expected: dict) -> list[str]:
    """The fields of ``actual`` that differ from ``expected``, with how."""
    differing = []
    for name, reference in expected.items():
        value = actual[name]
        if not isinstance(reference, dict):
            if value != reference:
                differing.append(f"{name} (exact)")
            continue
        if (value["dtype"], value["shape"]) != (reference["dtype"], reference["shape"]):
            differing.append(f"{name}: {value['dtype']} {value['shape']}, expected {reference['dtype']} "
                             f"{reference['shape']}")
            continue
        n_rows = reference["shape"][0] if reference["shape"] else 1
        allowed = TOLERANCE * np.abs(weights(n_rows)).sum(axis=1)
        for key in ("ratios", "log_scales"):
            error = np.abs(np.subtract(value[key], reference[key]))
            error = error.reshape(N_PROJECTIONS, -1) / allowed[:, None]
            if np.any(error > 1.0):
                differing.append(f"{name}: a projection of its {key} differs by {error.max():.3g} "
                                 "times its tolerance")
    return differing


def assert_as_reference(compiled, case: str) -> None:
    expected = REFERENCE["models"][case]
    actual = fingerprint(compiled)
    assert sorted(actual) == sorted(expected)
    differing = differences(actual, expected)
    assert not differing, f"{case}: fields differ from the reference compiler's: {differing}"


def hand_written_models():
    for name in ("all_modifiers.json", "multi_channel.json"):
        yield name, load_model_spec(DATA / name)
    yield "two_bin + signal", load_model_spec(DATA / "two_bin_background.json",
                                              patches=[DATA / "two_bin_signal_patch.json"])


def hand_written_cases(codes):
    """(case, compiled model) of each hand-written workspace under interpolation ``codes``."""
    for name, (spec, observations, config, source) in hand_written_models():
        yield (f"{name} {json.dumps(codes)}",
               compile_model(spec, observations, config.get("poi"), codes, source=source))


def published_cases(shared_data: Path, analysis: str):
    """(case, compiled model) of a published likelihood's points (codes 1 / 2 on the first too)."""
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
            yield (f"{analysis} {name} {json.dumps(codes)}",
                   compile_model(spec, observations, config.get("poi"), codes, source=source))


def integer_factors_case():
    """JSON integers are numbers: normsys hi = 2 (int) must compile as 2.0."""
    spec, observations, poi = _with_modifier_data("normsys", {"hi": 2, "lo": 1})
    return "all_modifiers.json normsys hi=2 lo=1 (integers)", compile_model(spec, observations, poi)


@pytest.mark.parametrize("codes", CODES, ids=str)
def test_hand_written_workspaces_compile_identically(codes):
    for case, compiled in hand_written_cases(codes):
        assert_as_reference(compiled, case)


@pytest.mark.parametrize("analysis", sorted(PUBLISHED))
def test_published_likelihoods_compile_identically(shared_data, analysis):
    for case, compiled in published_cases(shared_data, analysis):
        assert_as_reference(compiled, case)


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
    case, compiled = integer_factors_case()
    assert_as_reference(compiled, case)


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
