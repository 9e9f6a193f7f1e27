"""Diagnostics of a linear-Gaussian model against their closed forms (tiny.py states them).

Tolerances: -log L is quadratic and its Hessian exact, so the best fit and every conditional fit
stop at the exact minimum to the fits' EDM (edm_max 1e-10 by default, i.e. parameters to ~1e-5 of
their uncertainties or better): 1e-6 absolute on values of order 1; the bands of linear yields
are exact linear algebra, 1e-9 relative.
"""

from __future__ import annotations

import numpy as np
import pytest

import likelihub as lh
from likelihub import diagnostics
from likelihub.backend.capabilities import capabilities
from likelihub.errors import InvalidArgumentError

from .tiny import (
    MU_HAT,
    SIGMA0,
    SIGMA_HAT,
    THETA_HAT,
    A,
    BareTinyBackend,
    BatchTinyBackend,
    S,
    TinyBackend,
    X,
)

FIT = 1e-6


@pytest.fixture(params=[TinyBackend, BatchTinyBackend], ids=["one-by-one", "lock-step"])
def model(request):
    return lh.StatisticalModel(request.param())


def test_the_tiny_model_declares_its_capabilities():
    offered = capabilities(BatchTinyBackend())
    assert offered.yields and offered.constraint_terms and offered.batch_derivatives
    assert not capabilities(BareTinyBackend()).yields


def test_pulls_and_constraint_of_the_constrained_parameter(model):
    result = diagnostics.pulls(model)
    i = result.parameters.index("theta")
    assert result.prefit_centre[i] == pytest.approx(A, abs=1e-15)  # the auxiliary datum
    assert result.prefit_width[i] == pytest.approx(SIGMA0, abs=1e-15)
    assert result.pull[i] == pytest.approx((THETA_HAT - A) / SIGMA0, abs=FIT)
    assert result.constraint[i] == pytest.approx(SIGMA_HAT / SIGMA0, rel=1e-9)
    mu = result.parameters.index("mu")  # unconstrained: no pull; fixed k: none either
    assert np.isnan(result.pull[mu]) and np.isnan(result.pull[2]) and result.fixed[2]
    assert result.bestfit[mu] == pytest.approx(MU_HAT, abs=FIT)
    rows = {r["name"]: r for r in result.to_dict()["parameters"]}
    assert rows["mu"]["pull"] is None and not rows["mu"]["constrained"]
    assert rows["theta"]["constraint"] == pytest.approx(SIGMA_HAT / SIGMA0, rel=1e-9)


def test_correlation_of_mu_and_theta(model):
    result = diagnostics.correlations(model)
    assert result.parameters == ("mu", "theta")  # the fixed k is left out
    assert result["mu", "theta"] == pytest.approx(-SIGMA_HAT / np.hypot(S, SIGMA_HAT), rel=1e-9)
    assert result.pairs()[0][:2] == ("mu", "theta")


def test_impacts_are_minus_the_shifts(model):
    result = diagnostics.ranking(model)
    assert result.parameters == ("theta",)  # not the POI, not the fixed k
    impact = result.impact("theta")
    assert impact["postfit_up"] == pytest.approx(-SIGMA_HAT, abs=FIT)
    assert impact["postfit_down"] == pytest.approx(SIGMA_HAT, abs=FIT)
    assert impact["prefit_up"] == pytest.approx(-SIGMA0, abs=FIT)
    assert impact["prefit_down"] == pytest.approx(SIGMA0, abs=FIT)
    assert result.poi_bestfit == pytest.approx(MU_HAT, abs=FIT)
    assert result.converged.all()


@pytest.mark.parametrize("propagation", ["variations", "linear"])
def test_postfit_yields_and_bands(model, propagation):
    result = diagnostics.yields(model, propagation=propagation)
    sr, cr = result.channel("SR"), result.channel("CR")
    assert sr["total"][0] == pytest.approx(X, abs=FIT)  # mu-hat + theta-hat = x
    assert sr["total_stdev"][0] == pytest.approx(S, rel=1e-6)
    assert cr["total_stdev"][0] == pytest.approx(SIGMA_HAT, rel=1e-6)
    assert sr["samples"]["signal"]["stdev"][0] == pytest.approx(np.hypot(S, SIGMA_HAT), rel=1e-6)
    assert sr["sum"]["total"][1] == pytest.approx(S, rel=1e-6)  # one bin: the channel sum is the bin
    assert result.label == "post-fit" and result.data.tolist() == [X, 1.0]


def test_prefit_yields_and_bands(model):
    result = diagnostics.yields(model, prefit=True)
    sr = result.channel("SR")
    assert sr["samples"]["signal"]["yields"] == [1.0]  # mu at its initial value, no width
    assert sr["samples"]["signal"]["stdev"] == [0.0]
    assert sr["samples"]["background"]["yields"][0] == pytest.approx(A, abs=1e-15)
    assert sr["total_stdev"][0] == pytest.approx(SIGMA0, rel=1e-12)
    assert result.channel("CR")["total_stdev"][0] == pytest.approx(SIGMA0, rel=1e-12)


def test_backends_without_the_capabilities_fall_back():
    model = lh.StatisticalModel(BareTinyBackend())
    pulls = diagnostics.pulls(model)
    assert np.isnan(pulls.pull).all()  # no constraint terms: every parameter unconstrained
    result = diagnostics.yields(model)
    assert result.channels == ("main",) and result.samples == ("total",) and result.bins == (2,)
    assert result.total[0] == pytest.approx(X, abs=FIT)
    assert result.total_stdev[0] == pytest.approx(S, rel=1e-6)
    ranking = diagnostics.ranking(model)  # post-fit impacts only
    assert ranking.impact("theta")["postfit_up"] == pytest.approx(-SIGMA_HAT, abs=FIT)
    assert ranking.impact("theta")["prefit_up"] == 0.0


def test_bad_arguments_name_themselves(model):
    with pytest.raises(InvalidArgumentError, match="parameters"):
        diagnostics.ranking(model, parameters=["mu"])
    with pytest.raises(InvalidArgumentError, match="parameters"):
        diagnostics.ranking(model, parameters=["nope"])
    with pytest.raises(InvalidArgumentError, match="propagation"):
        diagnostics.yields(model, propagation="toys")
    with pytest.raises(InvalidArgumentError, match="fit"):
        diagnostics.pulls(model, fit=model.fit(uncertainties=False))
    with pytest.raises(InvalidArgumentError, match="channel"):
        diagnostics.yields(model).channel("VR")


def test_results_convert_to_json(model):
    import json

    for result in (diagnostics.pulls(model), diagnostics.correlations(model), diagnostics.yields(model),
                   diagnostics.ranking(model)):
        text = result.to_json()
        assert "NaN" not in text
        json.loads(text)
        assert str(result)


class WrongLayout(TinyBackend):
    def yield_layout(self):
        from likelihub.plugin import YieldLayout

        return YieldLayout(("SR",), (3,), ("signal",))  # 3 bins; the model has 2 main measurements


class WrongYields(TinyBackend):
    def expected_yields(self, pars):
        return np.zeros((3, 2))  # 3 samples; the layout has 2


@pytest.mark.parametrize("backend, what", [(WrongLayout, "yield_layout"), (WrongYields, "expected_yields")])
def test_a_backend_breaking_the_yields_contract_is_named(backend, what):
    from likelihub.errors import InvalidModelError

    with pytest.raises(InvalidModelError, match=f"{backend.__name__}.{what}"):
        diagnostics.yields(lh.StatisticalModel(backend()))
