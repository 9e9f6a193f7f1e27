"""Blind (a-priori) expected results: CMS Combine's ``AsymptoticLimits --run blind``.

Combine's blind run replaces the data by the pre-fit Asimov data (``asimovDatasetNominal``: the
nuisance parameters and global observables at their nominal values, r = 0) and reports the expected
band only. The origins of the numbers below are that definition and closed forms of the counting
model n ~ Pois(mu s + b (1 + delta theta)) x N(0 | theta, 1) (tests/hub/counting.py).
"""

from __future__ import annotations

import numpy as np
import pytest

import likelihub as lh
from likelihub.errors import InvalidArgumentError

from .counting import CountingBackend

#: Limits are roots found to rtol 1e-6 (upper_limit's default): two searches agree to a few 1e-6.
ROOTS = 1e-5


def _model(n=12.0, delta=0.1):
    return lh.StatisticalModel(CountingBackend(n, 3.0, 7.0, delta=delta))


def test_prefit_asimov_data_is_the_nominal_expectation():
    # mu s + b at theta = 0 (the initial value), global observable 0: no fit of the data
    model = _model()
    np.testing.assert_allclose(model.asimov_data(1.0, prefit=True), [3.0 + 7.0, 0.0], rtol=1e-15)
    np.testing.assert_allclose(model.asimov_data(0.0, prefit=True), [7.0, 0.0], rtol=1e-15)
    # the a-posteriori Asimov data follow the data (n = 12 > b = 7 pulls theta up)
    assert model.asimov_data(0.0)[0] > 7.0 + 0.1


def test_blind_band_is_the_band_of_the_prefit_asimov_data():
    # the definition: the blind results are those of the pre-fit Asimov data, expected only
    model = _model()
    blind = model.upper_limit(blind=True, band="percentiles")
    on_asimov = model.upper_limit(data=model.asimov_data(0.0, prefit=True), band="percentiles")
    assert blind.observed is None
    np.testing.assert_allclose(blind.expected, on_asimov.expected, rtol=1e-12)
    # on the Asimov data the observed limit is the median expected one (closed form: q = q_A)
    assert on_asimov.observed == pytest.approx(on_asimov.expected[2], rel=ROOTS)
    cls = model.cls(1.0, blind=True)
    assert cls.cls_obs is None
    np.testing.assert_allclose(cls.cls_exp, model.cls(1.0, data=[7.0, 0.0]).cls_exp, rtol=1e-12)
    scan = model.cls_scan([0.5, 1.0], blind=True)
    assert scan.cls_obs is None
    np.testing.assert_allclose(scan.cls_exp[1], cls.cls_exp, rtol=1e-12)


def test_blind_results_do_not_look_at_the_data():
    low, high = _model(n=2.0), _model(n=30.0)
    np.testing.assert_array_equal(low.upper_limit(blind=True).expected, high.upper_limit(blind=True).expected)
    # while the a-posteriori band follows the data: more events, a larger fitted background
    assert high.upper_limit().expected[2] > low.upper_limit().expected[2] * 1.01


def test_without_nuisance_parameters_a_priori_is_a_posteriori():
    # nothing is fitted at mu = 0 when there is no nuisance parameter: the two Asimov data sets
    # are both b, and the bands are the same
    model = _model(delta=None)
    np.testing.assert_allclose(model.upper_limit(blind=True).expected, model.upper_limit().expected,
                               rtol=1e-12)


def test_blind_arguments():
    model = _model()
    with pytest.raises(InvalidArgumentError, match="expected.*blind=True computes the expected"):
        model.upper_limit(blind=True, expected="observed")
    with pytest.raises(InvalidArgumentError, match="blind.*True or False"):
        model.cls(1.0, blind="yes")
    with pytest.raises(InvalidArgumentError, match="prefit.*True or False"):
        model.asimov_data(0.0, prefit=1)
    assert model.upper_limit(blind=True, expected="expected").observed is None
