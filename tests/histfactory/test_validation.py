"""Bad input: schema violations and what a schema cannot see, each error naming where it lies.

Every case mutates the hand-written ``multi_channel.json`` (channel 0 "signal_region" with 2
bins and samples signal, ttbar, wjets; channel 1 "control_region" with 1 bin) in one place and
checks the error names that place: file, channel, sample, modifier, bin.
"""

from __future__ import annotations

import json
import tarfile
from pathlib import Path

import pytest

from likelihub.errors import InvalidModelError
from likelihub_histfactory.spec.checks import SCHEMA_NAMES, schema, validate
from likelihub_histfactory.spec.io import read_json
from likelihub_histfactory.spec.workspace import Workspace

DATA = Path(__file__).parent / "data"
MULTI = DATA / "multi_channel.json"


@pytest.fixture()
def spec() -> dict:
    return json.loads(MULTI.read_text())


def _error(spec, file="ws.json") -> InvalidModelError:
    with pytest.raises(InvalidModelError) as error:
        Workspace(spec, file=file)
    return error.value


def _model_error(spec, **options) -> InvalidModelError:
    with pytest.raises(InvalidModelError) as error:
        Workspace(spec, file="ws.json").model_spec(**options)
    return error.value


def test_schemas_are_package_data():
    for name in SCHEMA_NAMES:
        assert schema(name)["$schema"] == "https://json-schema.org/draft/2020-12/schema"


# -- schema ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("fast", [True, False])
def test_schema_violation_names_the_bin(spec, fast):
    spec["channels"][0]["samples"][1]["modifiers"][2]["data"]["hi_data"][1] = "44"
    with pytest.raises(InvalidModelError) as error:
        validate(spec, "workspace", file="ws.json", fast=fast)
    assert error.value.location == {"file": "ws.json", "channel": "signal_region", "sample": "ttbar",
                                    "modifier": "jet_energy_scale", "bin": 1}
    assert "'44' is not of type 'number'" in str(error.value)
    assert "/channels/0/samples/1/modifiers/2/data/hi_data/1" in str(error.value)


@pytest.mark.parametrize(("mutate", "message", "location"), [
    (lambda s: s["channels"][1]["samples"][0]["modifiers"][3].update(type="shapefactr"),
     "'shapefactr' is not one of", {"channel": "control_region", "sample": "ttbar",
                                    "modifier": "control_shape"}),
    (lambda s: s["channels"][0]["samples"][0]["modifiers"][2].update(data={"lo": 0.9}),
     "'hi' is a required property", {"channel": "signal_region", "sample": "signal",
                                     "modifier": "signal_theory"}),
    (lambda s: s["channels"][0]["samples"][0]["modifiers"][1].update(name="luminosity"),
     "'lumi' was expected", {"channel": "signal_region", "sample": "signal", "modifier": "luminosity"}),
    (lambda s: s["channels"][0]["samples"][2]["modifiers"][2].update(data=None),
     "None is not of type 'array'", {"channel": "signal_region", "sample": "wjets",
                                     "modifier": "staterror_signal_region"}),
    (lambda s: s["channels"][0]["samples"][0].update(colour="red"),
     "Additional properties are not allowed", {"channel": "signal_region", "sample": "signal"}),
    (lambda s: s.pop("version"), "'version' is a required property", {}),
    (lambda s: s["measurements"][0]["config"]["parameters"][0].update(bounds=[[0.9]]),
     "measurement 'nominal'", {}),
])
def test_schema_violations(spec, mutate, message, location):
    mutate(spec)
    error = _error(spec)
    assert message in str(error)
    assert error.location == {"file": "ws.json", **location}


def test_fast_and_slow_schema_paths_agree(spec):
    mutations = [
        lambda s: s["channels"][0]["samples"][0]["data"].__setitem__(0, True),
        lambda s: s["observations"][0].update(data=[]),
        lambda s: s["channels"][0]["samples"][1]["modifiers"][3]["data"].update(lo="x"),
        lambda s: s.update(version="1.0.1"),
        lambda s: s["measurements"][0]["config"].pop("poi"),
    ]
    for mutate in mutations:
        bad = json.loads(json.dumps(spec))
        mutate(bad)
        for fast in (True, False):
            with pytest.raises(InvalidModelError, match="workspace schema"):
                validate(bad, "workspace", fast=fast)
    validate(spec, "workspace", fast=True)
    validate(spec, "workspace", fast=False)


# -- what the schema cannot say -------------------------------------------------------------------
@pytest.mark.parametrize(("mutate", "message", "location"), [
    (lambda s: s["channels"][0]["samples"][2].update(data=[10.0, 6.0, 1.0]),
     "nominal yields has 3 bins, the channel has 2 (those of its first sample, 'signal')",
     {"channel": "signal_region", "sample": "wjets"}),
    (lambda s: s["channels"][0]["samples"][1]["modifiers"][2]["data"].update(lo_data=[37.0]),
     "histosys template lo_data has 1 bins", {"channel": "signal_region", "sample": "ttbar",
                                              "modifier": "jet_energy_scale"}),
    (lambda s: s["channels"][0]["samples"][2]["modifiers"][1].update(data=[1.0]),
     "shapesys uncertainties has 1 bins", {"channel": "signal_region", "sample": "wjets",
                                           "modifier": "wjets_shape"}),
    (lambda s: s["channels"][0]["samples"][2]["modifiers"][2].update(data=[0.8, 0.7, 0.1]),
     "staterror uncertainties has 3 bins", {"channel": "signal_region", "sample": "wjets",
                                            "modifier": "staterror_signal_region"}),
    (lambda s: s["observations"][1].update(data=[205.0, 1.0]),
     "observed data has 2 bins, the channel has 1", {"channel": "control_region"}),
    (lambda s: s["channels"][0]["samples"][1]["data"].__setitem__(1, float("nan")),
     "nominal yield is nan (not finite)", {"channel": "signal_region", "sample": "ttbar", "bin": 1}),
    (lambda s: s["channels"][0]["samples"][0]["data"].__setitem__(0, -0.5),
     "nominal yield is negative (-0.5)", {"channel": "signal_region", "sample": "signal", "bin": 0}),
    (lambda s: s["channels"][0]["samples"][1]["modifiers"][2]["data"]["hi_data"].__setitem__(
        0, float("inf")), "histosys template hi_data is inf", {
        "channel": "signal_region", "sample": "ttbar", "modifier": "jet_energy_scale", "bin": 0}),
    (lambda s: s["channels"][0]["samples"][2]["modifiers"][1]["data"].__setitem__(1, -1.2),
     "shapesys uncertainty is negative", {"channel": "signal_region", "sample": "wjets",
                                          "modifier": "wjets_shape", "bin": 1}),
    (lambda s: s["channels"][0]["samples"][0]["modifiers"][2]["data"].update(lo=-0.9),
     "normsys factor lo = -0.9", {"channel": "signal_region", "sample": "signal",
                                  "modifier": "signal_theory"}),
    (lambda s: s["observations"][0]["data"].__setitem__(1, -3.0),
     "observed count is negative", {"channel": "signal_region", "bin": 1}),
    (lambda s: s["observations"].pop(1), "the channel has no observations", {"channel": "control_region"}),
    (lambda s: s["channels"][1].update(name="signal_region"), "channel names used more than once",
     {"channel": "signal_region"}),
    (lambda s: s["channels"][0]["samples"][1].update(name="wjets"),
     "sample names used more than once", {"channel": "signal_region", "sample": "wjets"}),
    (lambda s: s["channels"][0]["samples"][0]["modifiers"].append(
        {"name": "mu", "type": "normfactor", "data": None}),
     "modifier normfactor appears more than once", {"channel": "signal_region", "sample": "signal",
                                                     "modifier": "mu"}),
    (lambda s: s["observations"].append({"name": "signal_region", "data": [1.0, 2.0]}),
     "observations given more than once", {"channel": "signal_region"}),
    (lambda s: s["measurements"][1].update(name="nominal"), "measurement names used more than once", {}),
    (lambda s: s["measurements"][0]["config"]["parameters"].append({"name": "mu", "fixed": True}),
     "configures parameters more than once: ['mu']", {}),
])
def test_semantic_errors(spec, mutate, message, location):
    mutate(spec)
    error = _error(spec)
    assert message in str(error)
    assert error.location == {"file": "ws.json", **location}


def test_nan_from_a_json_file(tmp_path, spec):
    # Python's json reads NaN; the check refuses it and names the file.
    spec["channels"][1]["samples"][0]["data"] = [float("nan")]
    path = tmp_path / "nan.json"
    path.write_text(json.dumps(spec))
    with pytest.raises(InvalidModelError, match="nominal yield is nan") as error:
        Workspace.load(path)
    assert error.value.location == {"file": str(path), "channel": "control_region", "sample": "ttbar",
                                    "bin": 0}


@pytest.mark.parametrize(("mutate", "message"), [
    (lambda s: s["measurements"][0]["config"].update(poi="mu_SIG"),
     "the parameter of interest 'mu_SIG' is not a parameter of the model"),
    (lambda s: s["measurements"][0]["config"].update(poi="wjets_shape"),
     "'wjets_shape' is a shapesys with 2 components"),
    (lambda s: s["measurements"][0]["config"]["parameters"][1].update(bounds=[[0.0, 10.0], [0, 1]]),
     "parameter 'mu' has 1 component(s) but bounds has 2 values"),
    (lambda s: s["measurements"][0]["config"]["parameters"][1].update(bounds=[[10.0, 0.0]]),
     "bounds [10.0, 0.0] (lower above upper)"),
    (lambda s: s["channels"][1]["samples"][0]["modifiers"].append(
        {"name": "mu", "type": "normsys", "data": {"lo": 0.9, "hi": 1.1}}),
     "parameter 'mu' is used by modifiers of incompatible types ['normfactor', 'normsys']"),
    (lambda s: s["channels"][1]["samples"][0]["modifiers"].append(
        {"name": "wjets_shape", "type": "shapesys", "data": [1.0]}),
     "a shapesys parameter belongs to one sample"),
    (lambda s: s["channels"][1]["samples"][0]["modifiers"].append(
        {"name": "staterror_signal_region", "type": "staterror", "data": [1.0]}),
     "sample 'ttbar' carries 'staterror_signal_region' in ['control_region', 'signal_region'], "
     "sample 'wjets' in ['signal_region']"),
])
def test_model_errors(spec, mutate, message):
    mutate(spec)
    assert message in str(_model_error(spec))


def test_unknown_parameter_settings(spec):
    from likelihub_histfactory.spec.checks import UnusedParameterWarning

    spec["measurements"][0]["config"]["parameters"].append({"name": "mu_typo", "fixed": True})
    with pytest.warns(UnusedParameterWarning, match="ws.json: measurement 'nominal' configures "
                                                    "parameters the model does not have: \\['mu_typo'\\]"):
        Workspace(spec, file="ws.json").model_spec()
    assert "mu_typo" in str(_model_error(spec, unused_parameters="error"))


def test_patch_that_does_not_apply(spec, tmp_path):
    patch = tmp_path / "patch.json"
    patch.write_text(json.dumps([{"op": "add", "path": "/channels/5/samples/0", "value": {}}]))
    error = _model_error(spec, patches=[patch])
    assert f"file '{patch}'" in str(error)
    assert "patch operation 0 (add '/channels/5/samples/0') does not apply" in str(error)
    invalid = [{"op": "add", "path": "/channels/0/samples/-",
                "value": {"name": "signal2", "data": [1.0], "modifiers": []}}]
    error = _model_error(spec, patches=[invalid])
    assert "nominal yields has 1 bins, the channel has 2" in str(error)
    assert error.location["sample"] == "signal2" and "patched with" in error.location["file"]


# -- reading --------------------------------------------------------------------------------------
def test_reading_errors_name_the_file(tmp_path):
    archive = tmp_path / "pallet.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(MULTI, arcname="RegionA/BkgOnly.json")
        tar.add(MULTI, arcname="RegionB/BkgOnly.json")
        tar.add(DATA / "two_bin_signal_patch.json", arcname="RegionA/patch.signal.json")
    spec, origin = read_json(archive, member="patch.signal.json")  # a unique file name suffices
    assert origin == f"{archive}:RegionA/patch.signal.json" and spec[0]["op"] == "add"
    with pytest.raises(InvalidModelError, match="ambiguous"):
        read_json(archive, member="BkgOnly.json")
    with pytest.raises(InvalidModelError, match="no member 'RegionC/BkgOnly.json' \\(JSON members: "
                                                "RegionA/BkgOnly.json; RegionA/patch.signal.json; "
                                                "RegionB/BkgOnly.json\\)"):
        read_json(archive, member="RegionC/BkgOnly.json")
    with pytest.raises(InvalidModelError, match="name the member to read"):
        read_json(archive)
    with pytest.raises(InvalidModelError, match="is given but the file is not a tar archive"):
        read_json(MULTI, member="x.json")
    with pytest.raises(InvalidModelError, match="no such file") as error:
        read_json(tmp_path / "absent.json")
    assert error.value.location == {"file": str(tmp_path / "absent.json")}
    not_archive = tmp_path / "fake.tar.gz"
    not_archive.write_text("plain text")
    with pytest.raises(InvalidModelError, match="cannot be read as a tar archive"):
        read_json(not_archive, member="x.json")
    with pytest.raises(InvalidModelError, match="expected a dict"):
        read_json(42)
