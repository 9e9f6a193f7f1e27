"""Booleans and numeric strings given as numbers to the simplified factories are refused (issue 11).

They were converted silently: ``data=[True, 5]`` built a model of one observed event.
"""

import pytest

import likelihub as lh
from likelihub.errors import InvalidDataError, InvalidModelError

GOOD = dict(signal_yields=[1.0, 2.0], background_yields=[5.0, 6.0], data=[5, 6],
            covariance_matrix=[[1.0, 0.0], [0.0, 1.0]])


@pytest.mark.parametrize("argument, value, error", [
    ("data", [True, 5], InvalidDataError),
    ("data", ["5", "6"], InvalidDataError),
    ("signal_yields", ["1", "2"], InvalidModelError),
    ("background_yields", [5.0, False], InvalidModelError),
    ("covariance_matrix", [["1", 0], [0, 1]], InvalidModelError),
])
def test_booleans_and_strings_are_not_numbers(argument, value, error):
    with pytest.raises(error, match=f"^argument '{argument}': must be (real )?numbers"):
        lh.get_backend("simplified.correlated_background")(**{**GOOD, argument: value})
