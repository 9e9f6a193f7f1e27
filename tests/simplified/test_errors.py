"""Bad input: errors from likelihub.errors that name the argument and the bins; no silent repair."""

import numpy as np
import pytest

import likelihub as lh
from likelihub.errors import InvalidDataError, InvalidModelError

CORRELATED = lh.get_backend("simplified.correlated_background")
GOOD = dict(signal_yields=[1.0, 2.0], background_yields=[5.0, 6.0], data=[5, 7],
            covariance_matrix=[[1.0, 0.1], [0.1, 2.0]])


def build(**changes):
    return CORRELATED(**{**GOOD, **changes})


@pytest.mark.parametrize("changes, error, words", [
    (dict(signal_yields=[1.0, 2.0, 3.0]), InvalidModelError, ["signal_yields", "3 bins", "expected 2"]),
    (dict(data=[5]), InvalidDataError, ["data", "1 bins"]),
    (dict(background_yields=[5.0, -1.0]), InvalidModelError, ["background_yields", "negative", "[1]"]),
    (dict(signal_yields=[np.nan, 1.0]), InvalidModelError, ["signal_yields", "NaN", "[0]"]),
    (dict(data=[5, 6.5]), InvalidDataError, ["data", "whole numbers", "[1]"]),
    (dict(data=[-1, 6]), InvalidDataError, ["data", "negative", "[0]"]),
    (dict(covariance_matrix=[[1.0, 0.1], [0.2, 2.0]]), InvalidModelError,
     ["covariance_matrix", "not symmetric"]),
    (dict(covariance_matrix=[[1.0, 2.0], [2.0, 1.0]]), InvalidModelError,
     ["covariance_matrix", "not positive definite", "smallest eigenvalue -1", "regularize_covariance"]),
    (dict(covariance_matrix=[[1.0, 0.0], [0.0, 0.0]]), InvalidModelError, ["covariance_matrix", "[1]"]),
    (dict(covariance_matrix=np.eye(3)), InvalidModelError, ["covariance_matrix", "(3, 3)", "(2, 2)"]),
    # magnitudes whose squares or ratios overflow (found by tests/test_fuzz_inputs.py)
    (dict(background_yields=[1e300, 6.0]), InvalidModelError, ["background_yields", "[0]", "1e+100"]),
    (dict(signal_yields=[1.0, 1e-320]), InvalidModelError, ["signal_yields", "[1]", "1e-100"]),
    (dict(data=[5, 1e200]), InvalidDataError, ["data", "[1]"]),
    (dict(covariance_matrix=[[1e200, 0.0], [0.0, 2.0]]), InvalidModelError, ["covariance_matrix", "[0]"]),
])
def test_bad_input_names_argument_and_bins(changes, error, words):
    with pytest.raises(error) as info:
        build(**changes)
    for word in words:
        assert word in str(info.value)


def test_regularisation_is_an_explicit_opt_in():
    singular = [[1.0, 1.0], [1.0, 1.0]]
    with pytest.raises(InvalidModelError, match="not positive definite"):
        build(covariance_matrix=singular)
    model = build(covariance_matrix=singular, regularize_covariance=0.01)
    # 1% of the diagonal added: the correlation becomes 1 / 1.01.
    assert model.backend.correlation[0, 1] == pytest.approx(1 / 1.01, rel=1e-12)


def test_third_moment_condition_names_the_bins():
    factory = lh.get_backend("simplified.third_moment_expansion")
    # 8 m2^3 = 8 for bin 1 (m2 = 1) but m3^2 = 9: the expansion does not exist there.
    with pytest.raises(InvalidModelError, match=r"8 m2_ii\^3 >= m3_i\^2.*bins \[1\]"):
        factory(signal_yields=[1.0, 1.0], background_yields=[5.0, 6.0], data=[5, 6],
                covariance_matrix=[[1.0, 0.0], [0.0, 1.0]], third_moment=[0.5, 3.0])


def test_bad_signal_uncertainties_and_envelopes():
    with pytest.raises(InvalidModelError, match=r"signal_uncertainties\[0\].*type"):
        build(signal_uncertainties=[{"type": "bogus", "uncertainties": [0.1, 0.1]}])
    with pytest.raises(InvalidModelError, match=r"signal_uncertainties\[0\].*shape \(2,\) or \(2, 2\)"):
        build(signal_uncertainties=[{"type": "shape", "uncertainties": [0.1, 0.1, 0.1]}])
    with pytest.raises(InvalidModelError, match=r"sigma-.*not positive.*\[0\]"):
        lh.get_backend("simplified.effective_sigma")(
            signal_yields=[1.0, 1.0], background_yields=[5.0, 6.0], data=[5, 6],
            correlation_matrix=np.eye(2), absolute_uncertainty_envelopes=[[1.0, 0.0], [1.0, 1.0]])
    with pytest.raises(InvalidModelError, match=r"correlation_matrix.*diagonal must be 1"):
        lh.get_backend("simplified.effective_sigma")(
            signal_yields=[1.0, 1.0], background_yields=[5.0, 6.0], data=[5, 6],
            correlation_matrix=2 * np.eye(2), absolute_uncertainty_envelopes=[[1.0, 1.0], [1.0, 1.0]])
