"""Bad input to the public ``histfactory`` factory: clear likelihub errors that say where the fault is.

Every case goes through ``likelihub.get_backend("histfactory")(...)`` as a user calls it, and checks
the error's class and its ``location`` (file, channel, sample, modifier, bin): never a deep numpy
or jsonschema traceback, never a silent repair.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

import likelihub
from likelihub.errors import InvalidArgumentError, InvalidModelError

DATA = Path(__file__).parent / "data"


def workspace() -> dict:
    """Two channels (SR: 2 bins, CR: 1 bin), a signal with a normfactor, a histosys and a staterror."""
    return {
        "channels": [
            {"name": "SR", "samples": [
                {"name": "signal", "data": [5.0, 2.0],
                 "modifiers": [{"name": "mu", "type": "normfactor", "data": None}]},
                {"name": "background", "data": [50.0, 30.0], "modifiers": [
                    {"name": "jes", "type": "histosys",
                     "data": {"lo_data": [45.0, 28.0], "hi_data": [55.0, 33.0]}},
                    {"name": "staterror_SR", "type": "staterror", "data": [2.0, 1.5]}]}]},
            {"name": "CR", "samples": [
                {"name": "background", "data": [200.0], "modifiers": [
                    {"name": "jes", "type": "histosys", "data": {"lo_data": [190.0], "hi_data": [210.0]}}]}]},
        ],
        "observations": [{"name": "SR", "data": [52.0, 31.0]}, {"name": "CR", "data": [205.0]}],
        "measurements": [{"name": "meas", "config": {"poi": "mu", "parameters": []}}],
        "version": "1.0.0",
    }


def build(spec, **options):
    return likelihub.get_backend("histfactory")(spec, **options)


def write(tmp_path: Path, spec, name: str = "ws.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(spec))
    return path


def error_of(spec, **options) -> InvalidModelError:
    with pytest.raises(InvalidModelError) as caught:
        build(spec, **options)
    return caught.value


def test_the_valid_workspace_builds():
    # The cases below each break this valid model in one place.
    model = build(workspace())
    assert model.config.parameter_names[model.config.poi_index] == "mu"


def test_schema_violation_names_file_channel_sample_and_pointer(tmp_path):
    spec = workspace()
    del spec["channels"][0]["samples"][1]["modifiers"]
    error = error_of(write(tmp_path, spec))
    assert error.location == {"file": str(tmp_path / "ws.json"), "channel": "SR", "sample": "background"}
    assert "'modifiers' is a required property" in str(error)
    assert "/channels/0/samples/1" in str(error)


def test_unknown_modifier_type_is_a_schema_violation(tmp_path):
    spec = workspace()
    spec["channels"][1]["samples"][0]["modifiers"][0]["type"] = "histosyst"
    error = error_of(write(tmp_path, spec))
    assert error.location["channel"] == "CR" and error.location["sample"] == "background"
    assert error.location["modifier"] == "jes"


def test_wrong_version_is_a_schema_violation():
    spec = dict(workspace(), version="2.0.0")
    with pytest.raises(InvalidModelError, match="version"):
        build(spec)


def test_inconsistent_bin_counts():
    spec = workspace()
    spec["channels"][0]["samples"][1]["data"] = [50.0, 30.0, 10.0]
    error = error_of(spec)
    assert error.location == {"channel": "SR", "sample": "background"}
    assert "nominal yields has 3 bins, the channel has 2" in error.reason


@pytest.mark.parametrize("value, reason", [(float("nan"), "not finite"), (float("inf"), "not finite"),
                                           (-1.0, "negative")])
def test_nan_infinite_or_negative_nominal_yield(value, reason):
    spec = workspace()
    spec["channels"][0]["samples"][1]["data"][1] = value
    error = error_of(spec)
    assert error.location == {"channel": "SR", "sample": "background", "bin": 1}
    assert reason in error.reason


def test_nan_in_a_json_file_is_caught(tmp_path):
    # Python's json module reads the non-standard token NaN: the check must still refuse it.
    spec = workspace()
    spec["channels"][1]["samples"][0]["data"] = [float("nan")]
    path = write(tmp_path, spec)
    assert "NaN" in path.read_text()
    error = error_of(path)
    assert error.location == {"file": str(path), "channel": "CR", "sample": "background", "bin": 0}


def test_histosys_template_of_wrong_length():
    spec = workspace()
    spec["channels"][0]["samples"][1]["modifiers"][0]["data"]["hi_data"] = [55.0]
    error = error_of(spec)
    assert error.location == {"channel": "SR", "sample": "background", "modifier": "jes"}
    assert "histosys template hi_data has 1 bins, the channel has 2" in error.reason


def test_negative_staterror_and_observed_count():
    spec = workspace()
    spec["channels"][0]["samples"][1]["modifiers"][1]["data"] = [2.0, -1.5]
    error = error_of(spec)
    assert error.location == {"channel": "SR", "sample": "background", "modifier": "staterror_SR", "bin": 1}
    spec = workspace()
    spec["observations"][1]["data"] = [-3.0]
    error = error_of(spec)
    assert error.location == {"channel": "CR", "bin": 0} and "negative" in error.reason


def test_channel_without_observations():
    spec = workspace()
    del spec["observations"][1]
    assert error_of(spec).location == {"channel": "CR"}


def test_unknown_poi_in_measurement_and_as_argument():
    spec = workspace()
    spec["measurements"][0]["config"]["poi"] = "mu_sig"
    error = error_of(spec)
    assert "'mu_sig' is not a parameter of the model" in error.reason
    error = error_of(workspace(), poi="mu_typo")
    assert error.location == {"argument": "poi"} and "mu_typo" in error.reason


def test_binned_parameter_as_poi():
    spec = workspace()
    spec["measurements"][0]["config"]["poi"] = "staterror_SR"
    assert "must be a single parameter" in error_of(spec).reason


def test_unknown_measurement():
    error = error_of(workspace(), measurement="other")
    assert error.location == {"argument": "measurement"} and "'meas'" in error.reason


def test_patch_that_does_not_apply(tmp_path):
    patch = [{"op": "add", "path": "/channels/0/samples/-", "value": {"name": "x", "data": [1.0, 1.0],
                                                                      "modifiers": []}},
             {"op": "remove", "path": "/channels/5"}]
    path = write(tmp_path, patch, "patch.json")
    error = error_of(workspace(), patches=[path])
    # The operation's index, op and path, and the patch's file.
    assert error.location == {"file": str(path)}
    assert "patch operation 1 (remove '/channels/5') does not apply" in error.reason


def test_patch_that_is_not_a_json_patch():
    with pytest.raises(InvalidModelError, match="jsonpatch schema"):
        build(workspace(), patches=[[{"op": "frobnicate", "path": "/channels"}]])


@pytest.mark.parametrize("sample, where, reason", [
    ({"name": "sig2", "data": [1.0, -2.0], "modifiers": []}, {"bin": 1}, "negative"),
    ({"name": "sig2", "data": [1.0], "modifiers": []}, {}, "has 1 bins, the channel has 2"),
    ({"name": "sig2", "data": [1.0, 2.0]}, {}, "'modifiers' is a required property"),
])
def test_patched_model_is_checked_where_the_patch_changed_it(sample, where, reason):
    # The patched sample is checked (only the samples a patch changes are checked again).
    patch = [{"op": "add", "path": "/channels/0/samples/-", "value": sample}]
    error = error_of(workspace(), patches=[patch])
    assert error.location == {"file": "workspace patched with patch", "channel": "SR", "sample": "sig2",
                              **where}
    assert reason in str(error)


def test_patch_removing_every_channel():
    error = error_of(workspace(), patches=[[{"op": "replace", "path": "/channels", "value": []}]])
    assert "should be non-empty" in str(error) or "too short" in str(error)


def test_unknown_patch_name_in_patchset():
    error = error_of(DATA / "two_bin_background.json", patchset=DATA / "two_bin_signal_points.json",
                     patch_name="signal_300_11")
    assert error.location == {"file": str(DATA / "two_bin_signal_points.json"), "argument": "patch_name"}
    assert "close matches: ['signal_300_10'" in error.reason


def test_patch_name_and_patchset_come_together():
    with pytest.raises(InvalidModelError, match="without the name of its patch") as caught:
        build(DATA / "two_bin_background.json", patchset=DATA / "two_bin_signal_points.json")
    assert caught.value.location == {"argument": "patch_name"}
    with pytest.raises(InvalidModelError, match="without a patchset"):
        build(DATA / "two_bin_background.json", patch_name="signal_300_10")


def test_patchset_for_another_workspace():
    background = json.loads((DATA / "two_bin_background.json").read_text())
    background["observations"][0]["data"] = [51.0, 49.0]
    error = error_of(background, patchset=DATA / "two_bin_signal_points.json", patch_name="signal_300_10")
    assert "not the one this patchset was made for" in error.reason


def test_unreadable_inputs(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text('{"channels": [}')
    assert "not valid JSON" in error_of(bad).reason
    assert error_of(tmp_path / "missing.json").reason == "no such file"
    error = error_of(DATA / "two_bin_background.json", member="BkgOnly.json")
    assert "not a tar archive" in error.reason


def test_unknown_option_is_named_with_the_valid_ones():
    # issue 17: an InvalidArgumentError naming the keyword and the closest valid one (was a TypeError)
    with pytest.raises(InvalidArgumentError, match="argument 'interpolation_code': backend 'histfactory' "
                                                   "takes no keyword 'interpolation_code'; did you mean "
                                                   "'interpolation_codes'"):
        build(workspace(), interpolation_code={"normsys": "1"})


def test_the_callers_dictionary_is_not_modified():
    spec = workspace()
    original = copy.deepcopy(spec)
    build(spec, patches=[[{"op": "add", "path": "/channels/0/samples/-",
                           "value": {"name": "x", "data": [1.0, 1.0], "modifiers": []}}]])
    assert spec == original
