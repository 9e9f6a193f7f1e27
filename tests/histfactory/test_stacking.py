"""Stacks of HistFactory models: fused kernels and CLs of a scan's points in lock-step.

Origins: each point's own model (``build_model`` with its patch, the kernels every HistFactory
number is validated with) and pyhf 0.7.6 (histfactory-pyhf.json) for one point.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from likelihub.backend.stacking import BackendStack, stackable_groups
from likelihub.infer.lockstep import cls_together
from likelihub_histfactory.backend import HistFactoryBackend
from likelihub_histfactory.compile import SampleCache
from likelihub_histfactory.factory import build_model
from likelihub_histfactory.spec.patchset import PatchSet
from likelihub_histfactory.spec.workspace import Workspace
from likelihub_histfactory.stacking import HistFactoryStack

# C1N2_Wh_hbb_150_0 lists its parameters in another order than the other two (its signal's
# modifiers come in another order): the stack must map them.
pytestmark = pytest.mark.shared_data

POINTS = ["C1N2_Wh_hbb_900_250", "C1N2_Wh_hbb_150_0", "C1N2_Wh_hbb_300_150"]


@pytest.fixture(scope="module")
def models_1lbb(shared_data):
    archive = shared_data / "histfactory" / "atlas-susy-2019-08-1Lbb.tar.gz"
    workspace = Workspace.load(archive, member="BkgOnly.json")
    patches = {p.name: p for p in PatchSet(archive, member="patchset.json")}
    cache = SampleCache()
    return lambda: [build_model(workspace, patches=[patches[name]], sample_cache=cache) for name in POINTS]


def test_stack_kernels_equal_each_members_kernels(models_1lbb):
    backends = [m.backend for m in models_1lbb()]
    assert backends[1].config.parameter_names != backends[0].config.parameter_names
    assert stackable_groups(backends) == [[0, 1, 2]]
    stack = HistFactoryBackend.stack(backends)
    generic = BackendStack(backends)  # the members' own kernels, row by row
    rng = np.random.default_rng(1)
    init = np.asarray(stack.config.init)
    pars = np.stack([init + 0.2 * rng.standard_normal(init.size) * (init != 0) for _ in range(4)])
    pars = np.clip(pars, np.asarray(stack.config.bounds)[:, 0], np.asarray(stack.config.bounds)[:, 1])
    members = [1, 0, 2, 1]
    data = np.stack([backends[m].data for m in members])
    values, grads = stack.value_and_grad_batch(pars, data, members)
    reference_values, reference_grads = generic.value_and_grad_batch(pars, data, members)
    # The same kernel on the same arrays (parameters renumbered): the same numbers.
    np.testing.assert_allclose(values, reference_values, rtol=1e-14)
    np.testing.assert_allclose(grads, reference_grads, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(stack.hessian_batch(pars, data, members),
                               generic.hessian_batch(pars, data, members), rtol=1e-12, atol=1e-10)


def test_stack_rejects_a_malformed_batch(models_1lbb):
    backends = [m.backend for m in models_1lbb()]
    stack = HistFactoryStack(backends)
    pars = np.tile(stack.config.init, (2, 1))
    data = np.stack([b.data for b in backends[:2]])
    with pytest.raises(ValueError, match="member indices must lie in"):
        stack.value_and_grad_batch(pars, data, [0, 3])
    with pytest.raises(ValueError, match=r"needs \(1, 126\) parameters"):
        stack.hessian_batch(pars, data, [0])


def test_cls_together_equals_single_models_and_pyhf(models_1lbb, shared_data):
    together = cls_together(models_1lbb(), mu=1.0)
    for model, result in zip(models_1lbb(), together, strict=True):
        alone = model.cls(1.0)
        # Same model, fits by another minimiser to edm <= 1e-10: measured differences <= 3e-7.
        assert result.cls_obs == pytest.approx(alone.cls_obs, rel=1e-5)
        assert result.cls_exp == pytest.approx(alone.cls_exp, rel=1e-5)
    cases = json.loads((shared_data / "reference" / "histfactory-pyhf.json").read_text())["cases"]
    pyhf = next(c for c in cases if c["analysis"] == "1Lbb" and c["patch"] == POINTS[0])
    # pyhf 0.7.6 on the same patch, with the tolerance of test_validation_pyhf.py.
    assert together[0].cls_obs == pytest.approx(pyhf["cls_obs_mu1"], abs=1e-5)
    assert together[0].cls_exp == pytest.approx(pyhf["cls_exp_mu1"], abs=1e-5)
