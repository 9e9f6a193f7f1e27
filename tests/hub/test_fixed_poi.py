"""A model whose configuration holds the POI fixed (issue 11): hypothesis tests refuse it.

With the POI fixed, the free fit of q~_mu cannot move mu-hat, so CLs and limits were computed
with mu-hat pinned at its initial value (on a HistFactory example, CLs 0.519 instead of 0.428:
tests/histfactory/test_factory_arguments.py). likelihub refuses, as pyhf's ``hypotest`` does
(pyhf PR #1409: "POI ... forced to be fixed, cannot run inference"); fits stay allowed.
"""

import numpy as np
import pytest

import likelihub as lh
from likelihub.errors import InvalidModelError

from .counting import CountingBackend


def pinned_model():
    backend = CountingBackend(14, 5, 8, delta=0.1)
    backend.config = backend.config.replace(fixed=[True, False])
    return lh.StatisticalModel(backend)


REFUSED = {
    "cls": lambda m: m.cls(1.0),
    "cls toys": lambda m: m.cls(1.0, calculator="toys", ntoys=10, rng=np.random.default_rng(1)),
    "cls chi2": lambda m: m.cls(1.0, calculator="chi2"),
    "cls_scan": lambda m: m.cls_scan([0.5, 1.0]),
    "upper_limit": lambda m: m.upper_limit(),
    "calculator": lambda m: m.calculator(),
    "significance": lambda m: m.significance(),
    "sigma_mu": lambda m: m.sigma_mu(1.0),
    "sigma_mu hessian": lambda m: m.sigma_mu(1.0, method="hessian"),
    "chi2": lambda m: m.chi2(1.0),
}


@pytest.mark.parametrize("call", REFUSED.values(), ids=REFUSED.keys())
def test_hypothesis_tests_refuse_a_fixed_poi(call):
    with pytest.raises(InvalidModelError, match="the parameter of interest 'mu' is fixed by the "
                                                "model's configuration \\(at 1\\)") as error:
        call(pinned_model())
    assert "\n" not in str(error.value)


def test_fits_of_a_model_with_a_fixed_poi_stay_allowed():
    model = pinned_model()
    result = model.fit()
    assert result["mu"] == 1.0 and result.fixed[0]
    # the conditional fits hold the POI where they are told, fixed or not
    assert model.fixed_poi_fit(2.0)["mu"] == 2.0
    assert np.isfinite(model.likelihood(0.5))
    assert model.asimov_data(0.0).shape == (2,)
