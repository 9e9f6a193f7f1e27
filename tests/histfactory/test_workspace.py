"""Workspace: contents, prune/rename/sorted/combine as pyhf 0.7.6, patches, the model specification.

Digests compared below are ``pyhf.utils.digest`` (sha256 of the sorted-key JSON) of the
workspaces pyhf 0.7.6 returns for the same operation on the same input (computed once with the
peer environment, /root/.cache/likelihub-peers/bin/python, and written here as constants): equal
digests mean identical workspaces, item order included.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from likelihub.errors import InvalidModelError
from likelihub_histfactory.spec.checks import model_parameters
from likelihub_histfactory.spec.model_spec import load_model_spec
from likelihub_histfactory.spec.patches import digest
from likelihub_histfactory.spec.workspace import Workspace, load_workspace

DATA = Path(__file__).parent / "data"
MULTI = DATA / "multi_channel.json"
BACKGROUND = DATA / "two_bin_background.json"
SIGNAL_PATCH = DATA / "two_bin_signal_patch.json"


@pytest.fixture(scope="module")
def multi() -> Workspace:
    return Workspace.load(MULTI)


def test_contents(multi):
    # By construction of multi_channel.json; pyhf lists names sorted, as here.
    assert multi.channels == ["control_region", "signal_region"]
    assert multi.channel_nbins == {"control_region": 1, "signal_region": 2}
    assert multi.samples == ["signal", "ttbar", "wjets"]
    assert ("jet_energy_scale", "histosys") in multi.modifiers
    assert ("jet_energy_scale", "normsys") in multi.modifiers
    assert len(multi.modifiers) == 9  # 8 names, jet_energy_scale with two types
    # pyhf 0.7.6 Model.config.par_order of this workspace has these 8 names, npars 10.
    assert multi.parameters == sorted(["jet_energy_scale", "lumi", "mu_ttbar", "mu", "signal_theory",
                                       "control_shape", "wjets_shape", "staterror_signal_region"])
    summary = {p["name"]: p for p in multi.parameter_summary()}
    assert sum(p["components"] for p in summary.values()) == 10
    assert summary["wjets_shape"]["constraint"] == "poisson"
    assert summary["jet_energy_scale"]["modifiers"] == ["histosys", "normsys"]
    assert multi.data("signal_region") == [58.0, 30.0]
    assert multi.measurement_names == ["nominal", "ttbar_only"]
    assert multi.measurement()["name"] == "nominal"  # the first, as pyhf
    assert multi.measurement("ttbar_only")["config"]["poi"] == "mu_ttbar"


def test_unknown_names_are_errors(multi):
    with pytest.raises(InvalidModelError, match="no observations") as error:
        multi.data("validation_region")
    assert error.value.location["channel"] == "validation_region"
    with pytest.raises(InvalidModelError, match="no measurement 'other'"):
        multi.measurement("other")
    with pytest.raises(InvalidModelError, match="no sample 'zjets'"):
        multi.prune(samples=["zjets"])
    with pytest.raises(InvalidModelError, match="no modifier type 'lumis'"):
        multi.prune(modifier_types=["lumis"])
    with pytest.raises(InvalidModelError, match="no channel 'SR'"):
        multi.rename(channels={"SR": "x"})


def test_workspace_is_not_modified_and_copies(multi):
    spec = json.loads(MULTI.read_text())
    ws = Workspace(spec)
    spec["channels"][0]["name"] = "changed"
    assert ws.channels == ["control_region", "signal_region"]
    assert ws.to_dict() == json.loads(MULTI.read_text())
    assert load_workspace(MULTI) == ws.to_dict()


def test_prune_as_pyhf(multi):
    pruned = multi.prune(channels=["control_region"], samples=["wjets"], modifiers=["signal_theory"],
                         modifier_types=["staterror"], measurements=["ttbar_only"])
    # pyhf 0.7.6 Workspace.prune with the same arguments.
    assert pruned.digest() == "fe4e78ff377443f179ae4add329620506e5657f4ea017391008fb691496b8542"
    assert pruned.channels == ["signal_region"]
    assert "control_region" not in pruned.observations


def test_rename_as_pyhf(multi):
    renamed = multi.rename(channels={"signal_region": "SR"}, samples={"ttbar": "top"},
                           modifiers={"mu": "mu_SIG"}, measurements={"nominal": "main"})
    # pyhf 0.7.6 Workspace.rename with the same arguments.
    assert renamed.digest() == "311d45ba8cc132c4b81fe1c72e1c62b35481764635acf7293a51eb094339571e"
    assert renamed.measurement("main")["config"]["poi"] == "mu_SIG"


def test_sorted_as_pyhf(multi):
    # pyhf 0.7.6 Workspace.sorted.
    assert multi.sorted().digest() == "79625c149ac180052deec69063982f9e2b9a53211d213d502c85ffab424071c7"


def test_combine_as_pyhf(multi):
    other = multi.rename(channels={"signal_region": "SR2", "control_region": "CR2"},
                         measurements={"ttbar_only": "other"})
    # pyhf 0.7.6 Workspace.combine(multi, other, join=...): identical measurements "nominal" merge.
    assert multi.combine(other, join="outer").digest() == (
        "8566a40fbe9238f1fd69e0560b95f3b5d3395c9448ecf33c50a692d747744179")
    assert multi.combine(other, join="left outer").digest() == (
        "8566a40fbe9238f1fd69e0560b95f3b5d3395c9448ecf33c50a692d747744179")
    assert multi.combine(other, join="right outer").digest() == (
        "6c0530b1cc72c54bce632c502ae6d681c78dcfc0c36548423233c099746a53fc")
    # pyhf raises InvalidWorkspaceOperation: the measurement "nominal" is common.
    with pytest.raises(InvalidModelError, match="measurements \\['nominal'\\]"):
        multi.combine(other, join="none")
    background = Workspace.load(BACKGROUND)
    second = background.rename(channels={"signal_region": "second_region"},
                               measurements={"measurement": "second"})
    # pyhf 0.7.6 Workspace.combine(background, second, join="none").
    assert background.combine(second).digest() == (
        "c2f16120bc3cb3d43a1afc90f56c86b59a8740b1aaee2373548e4d8803179bbd")


def test_combine_conflicts(multi):
    changed = json.loads(MULTI.read_text())
    changed["channels"][1]["samples"][0]["data"] = [201.0]
    with pytest.raises(InvalidModelError, match="channels \\['control_region'\\] differ"):
        multi.combine(changed, join="outer")
    changed = json.loads(MULTI.read_text())
    changed["measurements"][0]["config"]["poi"] = "mu_ttbar"
    with pytest.raises(InvalidModelError, match="different POIs"):
        multi.combine(changed, join="outer")
    with pytest.raises(ValueError, match="join must be one of"):
        multi.combine(multi, join="inner")
    with pytest.raises(ValueError, match="merge_channels"):
        multi.combine(multi, join="none", merge_channels=True)


def test_combine_merge_channels(multi):
    extra = multi.prune(channels=["control_region"], samples=["signal", "ttbar"],
                        measurements=["ttbar_only"])
    extra = extra.rename(samples={"wjets": "zjets"})
    merged = multi.combine(extra, join="outer", merge_channels=True)
    # The channel's samples are joined: wjets stays, zjets is added (pyhf's deep merge).
    sr = next(c for c in merged.to_dict()["channels"] if c["name"] == "signal_region")
    assert [s["name"] for s in sr["samples"]] == ["signal", "ttbar", "wjets", "zjets"]


def test_apply_patches_as_pyhf():
    background = Workspace.load(BACKGROUND)
    patched = background.apply_patches([SIGNAL_PATCH])
    # pyhf: digest(jsonpatch.apply_patch(background, patch)).
    assert patched.digest() == "393a2d6a956c78caec8a628f1ebe0c61b7ae0019ae540ac574963aa79949fe07"
    assert background.samples == ["background"]  # unchanged
    assert patched.file.endswith("patched with " + str(SIGNAL_PATCH))


def test_model_spec():
    background = Workspace.load(BACKGROUND)
    with pytest.raises(InvalidModelError, match="parameter of interest 'mu' is not a parameter"):
        background.model_spec()
    spec, measurement = background.model_spec(patches=[SIGNAL_PATCH])
    assert [s["name"] for s in spec["channels"][0]["samples"]] == ["signal", "background"]
    assert measurement["name"] == "measurement" and measurement["config"]["poi"] == "mu"
    assert set(spec) == {"channels", "parameters"}


def test_model_spec_patches_reach_parameters(multi):
    # As pyhf's Workspace.model: patches see {"channels", "parameters"} of the measurement.
    patch = [{"op": "replace", "path": "/parameters/1/bounds", "value": [[-5.0, 5.0]]}]
    spec, measurement = multi.model_spec(patches=[patch])
    assert measurement["config"]["parameters"][1] == {"name": "mu", "bounds": [[-5.0, 5.0]],
                                                      "inits": [1.0]}
    assert spec["parameters"] == measurement["config"]["parameters"]


def test_load_model_spec_with_patchset():
    spec, observations, config, origin = load_model_spec(
        BACKGROUND, patchset=DATA / "two_bin_signal_points.json", patch_name="signal_500_10")
    assert spec["channels"][0]["samples"][0]["data"] == [6.0, 5.5]  # 0.5 x [12, 11], by construction
    assert observations == {"signal_region": [51.0, 48.0]}
    assert config["poi"] == "mu" and origin == str(BACKGROUND)
    by_values = load_model_spec(BACKGROUND, patchset=DATA / "two_bin_signal_points.json",
                                patch_name=(700, 20.5))
    assert by_values[0]["channels"][0]["samples"][0]["data"] == [3.0, 2.75]
    with pytest.raises(InvalidModelError, match="without the name"):
        load_model_spec(BACKGROUND, patchset=DATA / "two_bin_signal_points.json")
    with pytest.raises(InvalidModelError, match="not the one this patchset was made for"):
        load_model_spec(MULTI, patchset=DATA / "two_bin_signal_points.json", patch_name="signal_500_10")


# -- the published likelihoods --------------------------------------------------------------------
def _pallet(shared_data, name):
    return shared_data / "histfactory" / name


def _n_components(spec):
    return sum(n for _, n in model_parameters(spec["channels"]).values())


@pytest.mark.shared_data
def test_1lbb_pallet(shared_data):
    pallet = _pallet(shared_data, "atlas-susy-2019-08-1Lbb.tar.gz")
    ws = Workspace.load(pallet, member="BkgOnly.json")
    # shared/data/README.md: 8 channels, 14 bins.
    assert len(ws.channels) == 8 and sum(ws.channel_nbins.values()) == 14
    spec, _, config, _ = load_model_spec(pallet, member="BkgOnly.json", patchset="patchset.json",
                                         patch_name="C1N2_Wh_hbb_900_250")
    # pyhf 0.7.6 on this patch: 120 parameters, npars 126.
    assert len(model_parameters(spec["channels"])) == 120 and _n_components(spec) == 126
    assert config["poi"] == "mu_SIG"


@pytest.mark.shared_data
def test_staus_pallet_patch_from_the_archive(shared_data):
    pallet = _pallet(shared_data, "atlas-susy-2018-04-staus.tar.gz")
    spec, observations, _, origin = load_model_spec(
        pallet, member="Region-combined/BkgOnly.json",
        patches=["Region-combined/patch.DS_400_40_Staus.json"])
    # pyhf 0.7.6 on this patch: 120 parameters and components, 5 bins.
    assert _n_components(spec) == 120
    assert sum(len(observations[c["name"]]) for c in spec["channels"]) == 5
    assert origin.endswith("staus.tar.gz:Region-combined/BkgOnly.json")


@pytest.mark.shared_data
def test_sbottom_patch_removing_a_channel(shared_data):
    pallet = _pallet(shared_data, "atlas-susy-2018-31-sbottom.tar.gz")
    spec, _, _, _ = load_model_spec(pallet, member="RegionA/BkgOnly.json",
                                    patches=["RegionA/patch.sbottom_1000_131_1.json"])
    # pyhf 0.7.6: the patched model has channels CRtt_meff, SR_meff (VRtt_meff removed), npars 64.
    assert sorted(c["name"] for c in spec["channels"]) == ["CRtt_meff", "SR_meff"]
    assert _n_components(spec) == 64
    with pytest.raises(InvalidModelError, match="ambiguous"):
        Workspace.load(pallet, member="BkgOnly.json")


@pytest.mark.shared_data
def test_3l_pallet_warns_of_its_unused_parameter_setting(shared_data):
    from likelihub_histfactory.spec.checks import UnusedParameterWarning

    pallet = _pallet(shared_data, "atlas-susy-2018-06-3L-eRJR.tar.gz")
    # The published measurement sets "mu_BG", which no modifier has (pyhf ignores it silently).
    with pytest.warns(UnusedParameterWarning, match="mu_BG"):
        spec, _, _, _ = load_model_spec(pallet, member="BkgOnly.json", patchset="patchset.json",
                                        patch_name="ERJR_350p0_0p0")
    # pyhf 0.7.6 on this patch: npars 69; shared/data/README.md: 4 channels, 4 bins.
    assert _n_components(spec) == 69 and len(spec["channels"]) == 4
    spec, _, _, _ = load_model_spec(pallet, member="BkgOnly.json", patchset="patchset.json",
                                    patch_name="ERJR_350p0_0p0", unused_parameters="ignore")
    with pytest.raises(InvalidModelError, match="mu_BG"):
        load_model_spec(pallet, member="BkgOnly.json", patchset="patchset.json",
                        patch_name="ERJR_350p0_0p0", unused_parameters="error")


def test_digest_of_workspace_equals_patchset_function(multi):
    assert multi.digest() == digest(json.loads(MULTI.read_text()))
