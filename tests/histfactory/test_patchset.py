"""PatchSet and patches: lookup by name and values, digests as pyhf computes them, applying."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from likelihub.errors import InvalidModelError
from likelihub_histfactory.spec.patches import Patch, apply_operations, digest, read_patch
from likelihub_histfactory.spec.patchset import PatchSet
from likelihub_histfactory.spec.workspace import Workspace

DATA = Path(__file__).parent / "data"
PATCHSET = DATA / "two_bin_signal_points.json"
BACKGROUND = DATA / "two_bin_background.json"


@pytest.fixture()
def patchset_spec() -> dict:
    return json.loads(PATCHSET.read_text())


def test_digest_as_pyhf():
    # The examples of pyhf 0.7.6's pyhf.utils.digest docstring.
    obj = {"a": 2.0, "b": 3.0, "c": 1.0}
    assert digest(obj) == "a38f6093800189b79bc22ef677baf90c75705af2cfc7ff594159eca54eaa7928"
    assert digest(obj, "md5") == "2c0633f242928eb55c3672fed5ba8612"
    assert digest(obj, "sha1") == "49a27f499e763766c9545b294880df277be6f545"
    with pytest.raises(ValueError, match="not a hash algorithm"):
        digest(obj, "sha7")
    # pyhf.utils.digest of two_bin_background.json (recorded in two_bin_signal_points.json).
    background = json.loads(BACKGROUND.read_text())
    assert digest(background) == "40676f6c5d421bd311d5616829bef9f997f4cbefb350964087ef9358d1b7a18f"
    assert digest(background, "md5") == "8dce09d647809a7618ef2fefa9db3e8b"


def test_lookup():
    patchset = PatchSet(PATCHSET)
    assert len(patchset) == 3 and patchset.labels == ["mass", "width"]
    assert patchset.names == ["signal_300_10", "signal_500_10", "signal_700_20"]
    assert patchset.references == {"hepdata": "ins0000000"}
    assert patchset.version == "1.0.0" and "two-bin" in patchset.description
    by_name = patchset["signal_500_10"]
    assert by_name.values == (500, 10) and len(by_name) == 1
    assert patchset[(500, 10)] is by_name and patchset[[500, 10]] is by_name
    assert patchset.patch_for(values=(500.0, 10.0)) is by_name  # numbers compare by value
    assert patchset.patch_for(values=(700, 20.5)).name == "signal_700_20"
    assert "signal_300_10" in patchset and "signal_300" not in patchset
    assert [p.name for p in patchset] == patchset.names


def test_unknown_patches_are_named():
    patchset = PatchSet(PATCHSET)
    with pytest.raises(InvalidModelError, match="no patch named 'signal_300'; close matches") as error:
        patchset["signal_300"]
    assert error.value.location == {"file": str(PATCHSET), "argument": "patch_name"}
    with pytest.raises(InvalidModelError, match="no patch with {'mass': 400, 'width': 10}"):
        patchset.patch_for(values=(400, 10))


def test_invalid_patchsets(patchset_spec):
    spec = json.loads(json.dumps(patchset_spec))
    spec["patches"][1]["metadata"]["name"] = "signal_300_10"
    with pytest.raises(InvalidModelError, match="two patches are named 'signal_300_10'"):
        PatchSet(spec)
    spec = json.loads(json.dumps(patchset_spec))
    spec["patches"][1]["metadata"]["values"] = [300, 10]
    with pytest.raises(InvalidModelError, match="same values \\[300, 10\\]"):
        PatchSet(spec)
    spec = json.loads(json.dumps(patchset_spec))
    spec["patches"][0]["metadata"]["values"] = [300]
    with pytest.raises(InvalidModelError, match="1 values \\[300\\] for 2 labels"):
        PatchSet(spec)
    spec = json.loads(json.dumps(patchset_spec))
    del spec["metadata"]["digests"]
    with pytest.raises(InvalidModelError, match="'digests' is a required property"):
        PatchSet(spec)
    spec = json.loads(json.dumps(patchset_spec))
    spec["patches"][2]["patch"][0]["op"] = "append"
    with pytest.raises(InvalidModelError, match="patchset schema"):
        PatchSet(spec)


def test_verify_and_apply():
    patchset = PatchSet(PATCHSET)
    background = Workspace.load(BACKGROUND)
    patchset.verify(background)
    patchset.verify(background.to_dict())
    with pytest.raises(InvalidModelError, match="sha256 digest is"):
        patchset.verify(background.rename(samples={"background": "bkg"}))
    signal = patchset.apply(background, "signal_300_10")
    # pyhf: digest(jsonpatch.apply_patch(background, two_bin_signal_patch.json)), the same patch.
    assert signal.digest() == "393a2d6a956c78caec8a628f1ebe0c61b7ae0019ae540ac574963aa79949fe07"
    with pytest.raises(InvalidModelError, match="not the one this patchset was made for"):
        patchset.apply(signal, "signal_500_10")
    with pytest.raises(InvalidModelError, match="sample names used more than once") as error:
        patchset.apply(signal, (500, 10), verify=False)  # a second sample called "signal"
    assert error.value.location["channel"] == "signal_region"


def test_read_patch_and_apply_operations():
    patch = read_patch(DATA / "two_bin_signal_patch.json")
    assert isinstance(patch, Patch) and patch.origin.endswith("two_bin_signal_patch.json")
    with pytest.raises(InvalidModelError, match="this is a patchset"):
        read_patch(PATCHSET)
    with pytest.raises(InvalidModelError, match="'value' is a required property"):
        read_patch([{"op": "add", "path": "/channels/0"}])
    document = {"channels": [{"name": "a"}]}
    with pytest.raises(InvalidModelError, match="operation 1 \\(replace '/channels/1/name'\\)"):
        apply_operations(document, [{"op": "test", "path": "/channels/0/name", "value": "a"},
                                    {"op": "replace", "path": "/channels/1/name", "value": "b"}],
                         label="patch.json")
    with pytest.raises(InvalidModelError, match="operation 0 \\(test '/channels/0/name'\\)"):
        apply_operations(document, [{"op": "test", "path": "/channels/0/name", "value": "b"}])
    assert document == {"channels": [{"name": "a"}]}  # never modified in place


@pytest.mark.shared_data
@pytest.mark.parametrize(("pallet", "n_patches"), [
    ("atlas-susy-2019-08-1Lbb.tar.gz", 125),      # shared/data/README.md: 125 signal points
    ("atlas-susy-2018-06-3L-eRJR.tar.gz", 64),    # shared/data/README.md: 64 points
])
def test_published_patchsets_verify(shared_data, pallet, n_patches):
    archive = shared_data / "histfactory" / pallet
    patchset = PatchSet(archive, member="patchset.json")
    assert len(patchset) == n_patches
    background = Workspace.load(archive, member="BkgOnly.json")
    patchset.verify(background)  # the digest the analysis published equals ours
    assert background.digest() == patchset.digests["sha256"]


def test_applying_operations_leaves_the_specification_and_the_patch_alone():
    # By default the result is a full copy; with share=True only the containers on the operations'
    # paths are copied (the result is read-only by contract). Either way, applying the operations
    # changes neither the original specification nor the patch.
    import copy

    from likelihub_histfactory.spec.patches import apply_operations

    spec = {"channels": [{"name": "SR", "samples": [{"name": "bkg", "data": [1.0, 2.0]}]},
                         {"name": "CR", "samples": [{"name": "bkg", "data": [3.0]}]}]}
    signal = {"name": "sig", "data": [0.5, 0.1]}
    operations = [{"op": "add", "path": "/channels/0/samples/-", "value": signal},
                  {"op": "replace", "path": "/channels/1/samples/0/data/0", "value": 4.0}]
    before_spec, before_operations = copy.deepcopy(spec), copy.deepcopy(operations)
    for share in (True, False):
        patched = apply_operations(spec, operations, share=share)
        assert [s["name"] for s in patched["channels"][0]["samples"]] == ["bkg", "sig"]
        assert patched["channels"][1]["samples"][0]["data"] == [4.0]
        assert spec == before_spec and operations == before_operations
    # With a full copy, nothing done to the result reaches the specification or the patch.
    patched["channels"][0]["samples"][1]["data"][0] = 99.0
    patched["channels"][0]["samples"][0]["data"][0] = -1.0
    assert spec == before_spec and operations == before_operations
