"""Combinations that would count one likelihood twice are refused, naming the components (issue 11).

``combine(m, m)`` multiplied a likelihood by itself: the observed 95% CL limit of atlas_like fell
from 2.12 to 1.66 (1.57 -> 1.20 on the issue's example), silently.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import likelihub as lh
from likelihub.errors import InvalidModelError

from .combiner_counting import CountingBackend, atlas_like, cms_like

HISTFACTORY_DATA = Path(__file__).parents[1] / "histfactory" / "data"


def test_the_same_model_twice():
    atlas = lh.StatisticalModel(atlas_like(), name="atlas")
    with pytest.raises(InvalidModelError, match=r"^argument 'models': components 'atlas' and "
                                                r"'atlas' \(models 0 and 1\) are the same model "
                                                r"object: its data would be counted twice$"):
        lh.combine(atlas, atlas)


def test_the_same_backend_behind_two_models():
    backend = atlas_like()
    with pytest.raises(InvalidModelError, match="components 'a' and 'b' are the same "
                                                "CountingBackend backend"):
        lh.combine(lh.StatisticalModel(backend), lh.StatisticalModel(backend), names=["a", "b"])


def test_the_same_backend_inside_a_nested_combination():
    atlas, cms = atlas_like(), cms_like()
    inner = lh.combine(atlas, cms, names=["atlas", "cms"])
    with pytest.raises(InvalidModelError, match="components 'lhc/cms' and 'again' are the same"):
        lh.combine(inner, cms, names=["lhc", "again"])


def test_backends_sharing_their_observed_data_array():
    first = atlas_like()
    second = CountingBackend([1.0, 2.0], [12.0, 18.0], [0.2, 0.1], [0.0, 0.0])
    second.data = first.data  # one array read by two likelihoods
    with pytest.raises(InvalidModelError, match="share the state of one likelihood \\(their "
                                                "observed data are one array\\)"):
        lh.combine(first, second, names=["first", "second"])


def test_histfactory_backends_of_one_compiled_model():
    from likelihub_histfactory.backend import HistFactoryBackend

    build = lh.get_backend("histfactory")
    patch = json.loads((HISTFACTORY_DATA / "two_bin_signal_patch.json").read_text())
    model = build(HISTFACTORY_DATA / "two_bin_background.json", patches=[patch])
    twin = HistFactoryBackend(model.backend.compiled)
    with pytest.raises(InvalidModelError, match="components 'one' and 'two' share the state of one "
                                                "likelihood \\(both hold the same CompiledModel"):
        lh.combine(model, twin, names=["one", "two"])


def test_one_measurement_built_twice():
    # equal parameters and equal observed data: e.g. two signal hypotheses of one analysis
    other_signal = CountingBackend([1.0, 6.0], [10.0, 20.0], [0.1, 0.2], [14.0, 21.0])
    with pytest.raises(InvalidModelError, match="components 'a' and 'b' have the same parameters "
                                                "and the same observed data"):
        lh.combine(atlas_like(), other_signal, names=["a", "b"])


def test_models_of_one_name_need_names():
    first = lh.StatisticalModel(atlas_like(), name="atlas")
    second = lh.StatisticalModel(cms_like(), name="atlas")
    with pytest.raises(InvalidModelError, match=r"argument 'names': several models are named "
                                                r"\['atlas'\]; pass names="):
        lh.combine(first, second)
    assert lh.combine(first, second, names=["atlas", "cms"]).config.n_parameters == 6


def test_distinct_measurements_still_combine():
    # the same likelihood with other observed counts is another measurement
    again = CountingBackend([5.0, 3.0], [10.0, 20.0], [0.1, 0.2], [9.0, 24.0])
    combined = lh.combine(atlas_like(), again, names=["run1", "run2"])
    assert combined.config.parameter_names[1:] == ("run1/theta_0", "run1/theta_1",
                                                   "run2/theta_0", "run2/theta_1")
