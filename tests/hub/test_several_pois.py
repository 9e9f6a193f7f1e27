"""Several parameters of interest, and any free parameter as the tested one (``with_poi``).

Origins: a view is the same likelihood with another configuration, so its numbers equal those of
the same model built with that parameter as its POI (1e-12: the same arithmetic); and the closed
forms of the counting model n ~ Pois(mu s + b (1 + delta theta)) x N(0 | theta, 1)
(tests/hub/counting.py).
"""

from __future__ import annotations

import pickle

import numpy as np
import pytest

import likelihub as lh
from likelihub.errors import InvalidArgumentError, InvalidModelError

from .counting import CountingBackend


@pytest.fixture()
def model():
    return lh.StatisticalModel(CountingBackend(12.0, 3.0, 7.0, delta=0.1))


def test_config_pois():
    config = lh.ModelConfig(["a", "b", "c"], 1, [1.0, 1.0, 0.0], [(0.0, 5.0)] * 3, pois=[0, 1])
    assert config.pois == (0, 1) and config.poi_names == ("a", "b") and config.poi_name == "b"
    assert lh.ModelConfig(["a", "b"], 1, [1.0, 1.0], [(0.0, 5.0)] * 2).poi_names == ("b",)
    with pytest.raises(InvalidModelError, match="pois.*must hold poi_index 1"):
        lh.ModelConfig(["a", "b"], 1, [1.0, 1.0], [(0.0, 5.0)] * 2, pois=[0])
    with pytest.raises(InvalidModelError, match="pois.*distinct parameter indices below 2"):
        lh.ModelConfig(["a", "b"], 0, [1.0, 1.0], [(0.0, 5.0)] * 2, pois=[0, 0])


def test_with_poi_tests_another_parameter(model):
    view = model.with_poi("theta")
    assert view.config.poi_name == "theta" and view.pois == ("mu", "theta")
    assert model.config.poi_name == "mu"  # the original is unchanged
    # the same likelihood: the same best fit (mu-hat = (n - b) / s = 5/3 at theta-hat = 0)
    np.testing.assert_allclose(view.fit().values, model.fit().values, rtol=1e-12, atol=1e-12)
    assert view.fit().values[0] == pytest.approx(5.0 / 3.0, rel=1e-8)
    # theta is profiled against mu: with mu free, n fixes only mu s + b (1 + 0.1 theta), so theta's
    # profile is its constraint alone: the 68% interval is [-1, 1] (closed form)
    interval = view.profile_interval()
    assert (interval.low, interval.high) == pytest.approx((-1.0, 1.0), abs=1e-4)
    # pickled (worker processes) and back: the same numbers
    assert pickle.loads(pickle.dumps(view)).fit().nll == pytest.approx(view.fit().nll, rel=1e-14)


def test_with_poi_and_fixed_parameters(model):
    # mu fixed at 0 and theta the POI: n = 12 ~ Pois(7 (1 + 0.1 theta)) x N(0 | theta, 1); the fit
    # solves 0.7 (12 / (7 + 0.7 theta) - 1) = theta, theta-hat = 0.4484912 (closed-form root)
    view = model.with_poi("theta", fixed={"mu": 0.0})
    theta = view.fit().values[1]
    assert 0.7 * (12.0 / (7.0 + 0.7 * theta) - 1.0) == pytest.approx(theta, rel=1e-6)
    assert view.config.fixed.tolist() == [True, False]
    # a limit on a parameter: the view's is that of the same backend configured by hand with theta
    # as its POI and mu fixed at 0 (the same computation: 1e-12)
    by_hand = CountingBackend(12.0, 3.0, 7.0, delta=0.1)
    by_hand.config = by_hand.config.replace(poi_index=1, init=[0.0, 0.0], fixed=[True, False])
    limit, reference = view.upper_limit(), lh.StatisticalModel(by_hand).upper_limit()
    assert limit.poi == "theta"
    assert limit.observed == pytest.approx(reference.observed, rel=1e-12)
    np.testing.assert_allclose(limit.expected, reference.expected, rtol=1e-12)


def test_with_poi_arguments(model):
    with pytest.raises(InvalidArgumentError, match="poi.*no parameter 'nope'"):
        model.with_poi("nope")
    with pytest.raises(InvalidArgumentError, match="fixed.*fixes the new POI 'theta'"):
        model.with_poi("theta", fixed={"theta": 0.0})
    with pytest.raises(InvalidArgumentError, match="poi.*'mu' is fixed"):
        model.with_poi("theta", fixed={"mu": 0.0}).with_poi("mu")
