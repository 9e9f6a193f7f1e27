"""The combiner backend: parameters, data layout, contract, capabilities, errors."""

from __future__ import annotations

import numpy as np
import pytest

import likelihub as lh
from likelihub.backend.checks import check_backend
from likelihub.errors import InvalidModelError
from likelihub_combiner.backend import UncorrelatedCombination

from .combiner_counting import CountingBackend, atlas_like, cms_like


@pytest.fixture
def combined():
    return lh.combine(atlas_like(), cms_like(), names=["atlas", "cms"])


def test_registered_and_built_through_the_core(combined):
    assert "combiner.uncorrelated" in lh.available_backends()
    assert isinstance(combined, lh.StatisticalModel)
    assert isinstance(combined.backend, UncorrelatedCombination)
    direct = lh.get_backend("combiner.uncorrelated")(models=[atlas_like(), cms_like()],
                                                     names=["atlas", "cms"])
    assert direct.config.parameter_names == combined.config.parameter_names


def test_parameters_are_mu_then_prefixed_nuisances(combined):
    config = combined.config
    assert config.parameter_names == ("mu", "atlas/theta_0", "atlas/theta_1",
                                      "cms/theta_0", "cms/theta_1", "cms/theta_2")
    assert config.poi_index == 0
    # the components' POI bounds are both (0, 10), so mu's are too
    assert tuple(config.bounds[0]) == (0.0, 10.0)
    assert np.all(config.bounds[1:] == [-5.0, 5.0])


def test_data_are_all_main_data_then_all_auxiliary_data(combined):
    # atlas counts (14, 21), cms counts (7, 13, 5), then 2 + 3 auxiliary zeros (combiner_counting.py)
    np.testing.assert_array_equal(combined.data, [14, 21, 7, 13, 5, 0, 0, 0, 0, 0])
    assert combined.config.n_main == 5
    a, b = atlas_like(), cms_like()
    pars = np.array([1.5, 0.3, -0.2, 0.1, 0.4, -1.0])
    expected_a = a.expected_data([1.5, 0.3, -0.2])
    expected_b = b.expected_data([1.5, 0.1, 0.4, -1.0])
    np.testing.assert_array_equal(
        combined.expected_data(pars),
        np.concatenate([expected_a[:2], expected_b[:3], expected_a[2:], expected_b[3:]]))


def test_logpdf_is_the_sum_of_the_components(combined):
    a, b = atlas_like(), cms_like()
    pars = np.array([1.5, 0.3, -0.2, 0.1, 0.4, -1.0])
    data = combined.expected_data(pars) + 0.25
    part_a = np.concatenate([data[0:2], data[5:7]])
    part_b = np.concatenate([data[2:5], data[7:10]])
    total = a.logpdf([1.5, 0.3, -0.2], part_a) + b.logpdf([1.5, 0.1, 0.4, -1.0], part_b)
    assert combined.logpdf(pars, data) == pytest.approx(total, rel=1e-14)


@pytest.mark.parametrize("pars", [None, [2.0, 0.5, -1.0, 1.2, -0.3, 0.7]])
def test_contract_with_every_capability(combined, pars):
    backend = combined.backend
    for capability in ("value_and_grad", "hessian", "logpdf_batch", "sample", "describe"):
        assert callable(getattr(backend, capability, None)), capability
    check_backend(backend, pars=None if pars is None else np.array(pars))


def test_capabilities_pass_through_only_when_every_component_has_them():
    backend = lh.combine(atlas_like(), cms_like(derivatives=False)).backend
    for capability in ("value_and_grad", "hessian", "logpdf_batch"):
        assert not hasattr(backend, capability), capability
    # toys still work: one component samples itself, the other has a data_layout
    assert callable(backend.sample)
    check_backend(backend)
    toys = backend.sample(backend.config.init, 4, np.random.default_rng(1))
    assert toys.shape == (4, 10)
    # the cms main counts (entries 2..4) come from its DataLayout: Poisson, so integers
    np.testing.assert_array_equal(toys[:, 2:5], np.round(toys[:, 2:5]))


def test_combined_data_layout_places_each_components_kinds():
    backend = lh.combine(atlas_like(derivatives=False), cms_like(derivatives=False)).backend
    assert backend.config.data_layout.kinds == ("poisson",) * 5 + ("normal",) * 5
    assert not hasattr(backend, "sample") or callable(backend.sample)


def test_batch_agrees_with_single_evaluations(combined):
    backend = combined.backend
    rng = np.random.default_rng(7)
    pars = combined.config.init + rng.normal(0, 0.3, (4, 6)).clip(-0.9, None)
    data = backend.sample(combined.config.init, 4, rng)
    single = [backend.logpdf(p, d) for p, d in zip(pars, data, strict=True)]
    np.testing.assert_allclose(backend.logpdf_batch(pars, data), single, rtol=1e-12)
    # one data set broadcast over the parameter sets
    broadcast = [backend.logpdf(p, combined.data) for p in pars]
    np.testing.assert_allclose(backend.logpdf_batch(pars, combined.data), broadcast, rtol=1e-12)


def test_toys_are_each_components_toys_in_the_combined_layout(combined):
    a, b = atlas_like(), cms_like()
    pars = np.array([1.0, 0.2, 0.1, -0.3, 0.0, 0.5])
    toys = combined.sample(pars, 3, np.random.default_rng(5))
    rng = np.random.default_rng(5)
    toys_a = a.sample(pars[[0, 1, 2]], 3, rng)
    toys_b = b.sample(pars[[0, 3, 4, 5]], 3, rng)
    np.testing.assert_array_equal(toys[:, :5], np.hstack([toys_a[:, :2], toys_b[:, :3]]))
    np.testing.assert_array_equal(toys[:, 5:], np.hstack([toys_a[:, 2:], toys_b[:, 3:]]))


def test_default_names_and_describe():
    model = lh.combine(lh.StatisticalModel(atlas_like(), name="atlas"), cms_like())
    assert model.config.parameter_names[1] == "atlas/theta_0"
    assert model.config.parameter_names[3] == "model1/theta_0"
    text = model.describe()
    assert "atlas (POI 'mu' = 1 * mu): counting: 2 bins" in text
    assert "model1" in text


def test_combination_of_combinations_nests():
    inner = lh.combine(atlas_like(), cms_like(), names=["atlas", "cms"])
    # a third measurement: ATLAS's likelihood with other observed counts (the same counts again
    # would be one measurement counted twice, which combine refuses)
    more = CountingBackend([5.0, 3.0], [10.0, 20.0], [0.1, 0.2], [9.0, 24.0])
    outer = lh.combine(inner, more, names=["lhc", "more"])
    assert outer.config.parameter_names[1] == "lhc/atlas/theta_0"
    check_backend(outer.backend)


# -- errors ------------------------------------------------------------------------------------
def test_disjoint_poi_bounds_name_the_component():
    negative_only = cms_like(poi_bounds=(-10.0, -1.0))
    with pytest.raises(InvalidModelError, match=r"component 'cms' allows its POI 'mu' only in "
                                                r"\[-10, -1\].*'atlas' allow mu only in \[0, 10\]"):
        lh.combine(atlas_like(), negative_only, names=["atlas", "cms"])


def test_poi_bounds_are_intersected_in_units_of_mu():
    # cms's POI is 10 x mu; its bounds (0, 20) allow mu in (0, 2)
    model = lh.combine(atlas_like(), cms_like(poi_bounds=(0.0, 20.0)), signal_scales=[1.0, 10.0])
    assert tuple(model.config.bounds[0]) == (0.0, 2.0)


@pytest.mark.parametrize("scales, message", [
    ([1.0, 0.0], "signal scale of component 'model1' must be positive"),
    ([1.0, np.nan], "signal scale of component 'model1' must be positive"),
    ([1.0], "1 signal scales for 2 models"),
    ({"lhcb": 2.0}, r"unknown components \['lhcb'\]"),
])
def test_bad_signal_scales(scales, message):
    with pytest.raises(InvalidModelError, match=message):
        lh.combine(atlas_like(), cms_like(), signal_scales=scales)


@pytest.mark.parametrize("names, message", [
    (["atlas"], "1 names for 2 models"),
    (["atlas", "atlas"], r"repeated: \['atlas'\]"),
    (["atlas", ""], "non-empty strings"),
])
def test_bad_names(names, message):
    with pytest.raises(InvalidModelError, match=message):
        lh.combine(atlas_like(), cms_like(), names=names)


def test_components_that_cannot_share_a_poi():
    with pytest.raises(InvalidModelError, match="at least one model"):
        lh.combine()
    with pytest.raises(InvalidModelError, match="component 'model1' is a dict"):
        lh.combine(atlas_like(), {"data": [1]})
    no_poi = atlas_like()
    no_poi.config = no_poi.config.replace(poi_index=None)
    with pytest.raises(InvalidModelError, match="component 'model0' has no parameter of interest"):
        lh.combine(no_poi, cms_like())
    fixed_poi = atlas_like()
    fixed_poi.config = fixed_poi.config.replace(fixed=[True, False, False])
    with pytest.raises(InvalidModelError, match="component 'model0' holds its POI 'mu' fixed"):
        lh.combine(fixed_poi, cms_like())
    short_data = CountingBackend([1.0], [2.0], [0.1], [3.0])
    short_data.data = short_data.data[:1]
    with pytest.raises(InvalidModelError, match=r"component 'model1': observed data of shape \(1,\)"):
        lh.combine(atlas_like(), short_data)
