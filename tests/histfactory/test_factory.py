"""The ``histfactory`` factory: every accepted form of input gives the same model, read and validated once.

The two-bin workspace with the signal of ``signal_300_10`` (= two_bin_signal_patch.json) has pyhf
0.7.6's CLs at mu = 1 of 0.05251497050134021 (test_cli.py's module docstring says how it was
computed); every form of input must give that model, so the same logpdf at the same point to
1e-12 (the same arithmetic) and pyhf's CLs to 1e-5 (the project's tolerance).
"""

from __future__ import annotations

import json
import tarfile
import warnings
from pathlib import Path

import numpy as np
import pytest

import likelihub
from likelihub.errors import InvalidModelError
from likelihub_histfactory.spec import workspace as workspace_module
from likelihub_histfactory.spec.checks import UnusedParameterWarning
from likelihub_histfactory.spec.patches import read_patch
from likelihub_histfactory.spec.patchset import PatchSet
from likelihub_histfactory.spec.workspace import Workspace

DATA = Path(__file__).parent / "data"
BACKGROUND = DATA / "two_bin_background.json"
PATCH = DATA / "two_bin_signal_patch.json"
PATCHSET = DATA / "two_bin_signal_points.json"
# pyhf 0.7.6 on two_bin_background.json + two_bin_signal_patch.json (as in test_cli.py).
PYHF_CLS_OBS = 0.05251497050134021


def factory():
    return likelihub.get_backend("histfactory")


@pytest.fixture(scope="module")
def pallet(tmp_path_factory) -> Path:
    """A HEPData-like pallet: the background, the patch and the patchset in one .tar.gz."""
    path = tmp_path_factory.mktemp("pallet") / "tiny.tar.gz"
    with tarfile.open(path, "w:gz") as archive:
        archive.add(BACKGROUND, arcname="tiny/BkgOnly.json")
        archive.add(PATCH, arcname="tiny/patch.signal_300_10.json")
        archive.add(PATCHSET, arcname="tiny/patchset.json")
    return path


@pytest.fixture(scope="module")
def reference():
    model = factory()(BACKGROUND, patches=[PATCH])
    pars = np.asarray(model.config.init, dtype=float) * 1.1
    return model, pars


def _forms(pallet):
    operations = json.loads(PATCH.read_text())
    background = json.loads(BACKGROUND.read_text())
    patchset = json.loads(PATCHSET.read_text())
    return {
        "dict + list of operations": ((background,), {"patches": [operations]}),
        "path + path": ((BACKGROUND,), {"patches": [PATCH]}),
        "str path + single path": ((str(BACKGROUND),), {"patches": str(PATCH)}),
        "pyhf patch object": ((background,), {"patches": [{"metadata": {"name": "signal_300_10",
                                                                        "values": [300, 10]},
                                                           "patch": operations}]}),
        "Patch object": ((background,), {"patches": [read_patch(PATCH)]}),
        "pallet + member patch": ((pallet,), {"member": "tiny/BkgOnly.json",
                                              "patches": ["tiny/patch.signal_300_10.json"]}),
        "pallet + unique file names": ((pallet,), {"member": "BkgOnly.json",
                                                   "patches": ["patch.signal_300_10.json"]}),
        "patchset dict + name": ((background,), {"patchset": patchset, "patch_name": "signal_300_10"}),
        "patchset path + values": ((BACKGROUND,), {"patchset": PATCHSET, "patch_name": (300, 10)}),
        "pallet + patchset member": ((pallet,), {"member": "BkgOnly.json", "patchset": "patchset.json",
                                                 "patch_name": "signal_300_10"}),
        "Workspace + PatchSet objects": ((Workspace.load(BACKGROUND),),
                                         {"patchset": PatchSet(PATCHSET), "patch_name": "signal_300_10"}),
    }


@pytest.mark.parametrize("form", list(_forms(Path("unused.tar.gz"))))
def test_every_form_of_input_gives_the_same_model(form, pallet, reference):
    args, options = _forms(pallet)[form]
    model = factory()(*args, **options)
    expected, pars = reference
    assert model.config.parameter_names == expected.config.parameter_names
    data = np.asarray(expected.backend.data)
    assert model.backend.logpdf(pars, data) == pytest.approx(expected.backend.logpdf(pars, data), rel=1e-12)


def test_reference_model_is_pyhfs():
    model = factory()(BACKGROUND, patches=[PATCH])
    assert model.cls(1.0).cls_obs == pytest.approx(PYHF_CLS_OBS, abs=1e-5)


def test_a_workspace_object_is_not_validated_again(monkeypatch):
    background = Workspace.load(BACKGROUND)
    calls = []
    original = workspace_module.check_workspace
    monkeypatch.setattr(workspace_module, "check_workspace",
                        lambda *a, **k: calls.append(1) or original(*a, **k))
    for name in ("signal_300_10", "signal_500_10"):
        factory()(background, patchset=PATCHSET, patch_name=name)
    assert calls == []
    factory()(BACKGROUND, patchset=PATCHSET, patch_name="signal_300_10")
    assert calls == [1]  # a path (or dict) is validated, once


def _with_unused_setting() -> dict:
    spec = json.loads(BACKGROUND.read_text())
    spec["measurements"][0]["config"]["parameters"] = [{"name": "mu_BG", "fixed": True}]
    return spec


def test_unused_parameter_setting_warns_and_is_otherwise_ignored():
    # As the published 3L eRJR measurement: it fixes "mu_BG", which no modifier has. pyhf ignores
    # it silently; likelihub warns, and the model is the one without the setting.
    message = r"configures parameters the model does not have: \['mu_BG'\]"
    with pytest.warns(UnusedParameterWarning, match=message):
        model = factory()(_with_unused_setting(), patches=[PATCH])
    assert "mu_BG" not in model.config.parameter_names
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        quiet = factory()(_with_unused_setting(), patches=[PATCH], unused_parameters="ignore")
    assert quiet.config.parameter_names == model.config.parameter_names
    with pytest.raises(InvalidModelError, match="mu_BG"):
        factory()(_with_unused_setting(), patches=[PATCH], unused_parameters="error")
    with pytest.raises(ValueError, match="unused_parameters"):
        factory()(_with_unused_setting(), patches=[PATCH], unused_parameters="silent")


@pytest.mark.shared_data
def test_3l_erjr_pallet_warns_of_mu_bg(shared_data):
    pallet = shared_data / "histfactory" / "atlas-susy-2018-06-3L-eRJR.tar.gz"
    with pytest.warns(UnusedParameterWarning, match="mu_BG"):
        model = factory()(pallet, member="BkgOnly.json", patchset="patchset.json",
                          patch_name="ERJR_350p0_0p0")
    # pyhf 0.7.6 on this patch: npars 69, POI mu_SIG.
    assert len(model.config.parameter_names) == 69
    assert model.config.parameter_names[model.config.poi_index] == "mu_SIG"
