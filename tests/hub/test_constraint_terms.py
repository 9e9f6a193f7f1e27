"""The closed forms of likelihub.backend.constraints.ConstraintTerm, and check_backend's check of a
backend's declared constraint terms.

Origins: scipy.stats (norm, poisson; a bifurcated Gaussian written out), central finite differences
(numerical_gradient, error O(h^2) ~ 1e-10 at h = 1e-6)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from likelihub import ModelConfig
from likelihub.backend.checks import check_backend
from likelihub.backend.derivatives import numerical_gradient
from likelihub.errors import InvalidModelError
from likelihub.plugin import ConstraintSet, ConstraintTerm, capabilities


def test_normal_and_poisson_terms_are_the_densities():
    normal = ConstraintTerm(parameter=0, datum=1, kind="normal", width=0.3)
    assert normal.logpdf(0.2, 0.5) == pytest.approx(stats.norm.logpdf(0.5, 0.2, 0.3), rel=1e-14)
    bifurcated = ConstraintTerm(parameter=0, datum=1, kind="normal", width=2.0, width_low=1.0)
    # below the datum width 1, above it 2; normalised by their mean, 1.5
    for theta in (-0.5, 1.5):
        sigma = 1.0 if theta < 0.3 else 2.0
        expected = -0.5 * ((theta - 0.3) / sigma) ** 2 - math.log(1.5) - 0.5 * math.log(2 * math.pi)
        assert bifurcated.logpdf(theta, 0.3) == pytest.approx(expected, rel=1e-14)
    poisson = ConstraintTerm(parameter=0, datum=1, kind="poisson", scale=400.0)
    assert poisson.logpdf(1.1, 400.0) == pytest.approx(stats.poisson.logpmf(400, 440.0), rel=1e-13)
    assert poisson.logpdf(1.1, 0.0) == pytest.approx(-440.0, rel=1e-15)
    # counts above 100: Stirling's series; scipy's logpmf cancels terms of size a log a ~ 1.2e6,
    # hence 1e-8 relative of the result (about 7)
    large = ConstraintTerm(parameter=0, datum=1, kind="poisson", scale=1e5)
    assert large.logpdf(1.001, 1e5) == pytest.approx(stats.poisson.logpmf(1e5, 1.001e5), rel=1e-8)
    assert poisson.logpdf(0.0, 3.0) == -np.inf


@pytest.mark.parametrize("term", [ConstraintTerm(0, 1, "normal", width=0.7, width_low=0.4),
                                  ConstraintTerm(0, 1, "poisson", scale=25.0)])
@pytest.mark.parametrize("theta", [0.6, 1.3])
def test_derivatives_are_those_of_the_term(term, theta):
    datum = 24.0 if term.kind == "poisson" else 1.0
    first, second = term.derivatives(theta, datum)
    numeric = numerical_gradient(lambda x: float(term.logpdf(x[0], datum)), np.array([theta]))
    assert first == pytest.approx(numeric[0], rel=1e-8)
    numeric2 = numerical_gradient(lambda x: float(term.derivatives(x[0], datum)[0]), np.array([theta]))
    assert second == pytest.approx(numeric2[0], rel=1e-7)


@pytest.mark.parametrize("kinds", [("normal", "poisson", "normal", "poisson"), ("normal",) * 3,
                                   ("poisson",) * 2])
def test_a_constraint_set_is_its_terms_column_by_column(kinds):
    # origin: each ConstraintTerm's own closed form; the set evaluates the same floating-point
    # operations on the same numbers, column by column, hence equality to the bit
    terms = [ConstraintTerm(i, 10 + i, kind, width=0.3 + 0.1 * i, width_low=0.2 + 0.1 * i, scale=25.0 + i)
             for i, kind in enumerate(kinds)]
    theta = np.array([[0.6, 1.3, -0.2, 0.9], [1.1, 0.4, 0.0, 1.0]])[:, :len(kinds)]
    datum = np.array([24.0 if kind == "poisson" else 0.5 for kind in kinds])
    constraints = ConstraintSet(terms)
    values = constraints.logpdf(theta, datum)
    first, second = constraints.derivatives(theta, datum)
    for j, term in enumerate(terms):
        assert np.array_equal(values[:, j], term.logpdf(theta[:, j], datum[j]))
        term_first, term_second = term.derivatives(theta[:, j], datum[j])
        assert np.array_equal(first[:, j], term_first) and np.array_equal(second[:, j], term_second)


def test_bad_terms_are_refused():
    with pytest.raises(InvalidModelError, match="constraint kind must be one of"):
        ConstraintTerm(0, 1, "gamma")
    with pytest.raises(InvalidModelError, match="positive finite widths"):
        ConstraintTerm(0, 1, "normal", width=0.0)


class Gaussian:
    """A measurement x ~ N(theta, 1) and theta's constraint N(a | theta, 0.5)."""

    def __init__(self, declared_width: float):
        self.config = ModelConfig(["theta"], poi_index=None, init=[0.2], bounds=[(-5, 5)], n_main=1)
        self.data = np.array([0.4, 0.0])
        self.declared_width = declared_width

    def expected_data(self, pars):
        return np.array([pars[0], pars[0]])

    def logpdf(self, pars, data):
        return float(stats.norm.logpdf(data[0], pars[0], 1.0) + stats.norm.logpdf(data[1], pars[0], 0.5))

    def constraint_terms(self):
        return (ConstraintTerm(parameter=0, datum=1, kind="normal", width=self.declared_width),)


def test_check_backend_holds_the_declared_terms_to_logpdf():
    assert capabilities(Gaussian(0.5)).constraint_terms
    check_backend(Gaussian(0.5))
    with pytest.raises(AssertionError, match="constraint term of 'theta': moving its datum"):
        check_backend(Gaussian(0.6))
