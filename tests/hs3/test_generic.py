"""HS3 likelihoods of Gaussian, Poisson and product distributions (the NumPy backend) against
closed forms, and the Combine counting card written by ROOT against the ``combine.datacard``
backend on the card itself."""

from __future__ import annotations

import math

import numpy as np
import pytest

import likelihub
from likelihub.plugin import check_backend

COMBINE_FILE = "combine_long_exercise_part1_nosys.json"
COMBINE_LIKELIHOOD = {"distributions": ["model_s"], "data": ["data_obs"]}
# the card's rates (shared/data/datacards/combine_tutorials/datacard_part1.txt, as in the HS3 file)
BACKGROUND = 4.43803 + 3.18309 + 3.7804 + 1.63396
SIGNAL = 0.711064


def poisson_log(k: float, lam: float) -> float:
    return k * math.log(lam) - lam - math.lgamma(k + 1)


def gauss_log(x: float, mean: float, sigma: float) -> float:
    return -0.5 * ((x - mean) / sigma) ** 2 - math.log(sigma) - 0.5 * math.log(2 * math.pi)


def test_combine_counting_file_closed_form(shared_data):
    model = likelihub.get_backend("hs3")(shared_data / "hs3" / COMBINE_FILE, likelihood=COMBINE_LIKELIHOOD,
                                         poi="r")
    assert model.config.poi_name == "r"
    assert model.data.tolist() == [10.0]
    # the four background rates are constant parameters of the file
    assert int(np.sum(model.config.fixed)) == 4
    for r in (0.0, 1.0, 2.5, 9.0):
        # Poisson(10 | r s + b), s and b the card's rates: exact but for rounding
        expected = poisson_log(10.0, r * SIGNAL + BACKGROUND)
        assert model.logpdf(model.config.parameters({"r": r})) == pytest.approx(expected, rel=1e-13)
    check_backend(model.backend)


def test_combine_counting_file_against_the_card(shared_data):
    """The same likelihood through the Combine backend on the card with its nuisances frozen at 0:
    -log L differs by the eight frozen unit Gaussians' constant 8 log(2 pi) / 2; CLs agree within
    the fits' tolerance (EDM bound 1e-8: 1e-6 relative)."""
    card = likelihub.get_backend("combine.datacard")(
        shared_data / "datacards" / "combine_tutorials" / "datacard_part1.txt",
        freeze="allConstrainedNuisances")
    model = likelihub.get_backend("hs3")(shared_data / "hs3" / COMBINE_FILE, likelihood=COMBINE_LIKELIHOOD,
                                         poi="r")
    for r in (0.0, 1.0, 4.0):
        difference = (card.logpdf(card.config.parameters({"r": r}))
                      - model.logpdf(model.config.parameters({"r": r})))
        assert difference == pytest.approx(-4 * math.log(2 * math.pi), rel=1e-12)
    ours, theirs = model.cls(1.0), card.cls(1.0)
    assert ours.cls_obs == pytest.approx(theirs.cls_obs, rel=1e-6)
    np.testing.assert_allclose(ours.cls_exp, theirs.cls_exp, rtol=1e-6)


def _document(distributions, data, functions=(), points=(), domains=(), likelihoods=None, analyses=()):
    return {"metadata": {"hs3_version": "0.2"}, "distributions": list(distributions), "data": list(data),
            "functions": list(functions), "domains": list(domains), "analyses": list(analyses),
            "parameter_points": [{"name": "default_values", "parameters": list(points)}],
            "likelihoods": likelihoods if likelihoods is not None else [
                {"name": "L", "distributions": [d["name"] for d in distributions if d.get("top", True)],
                 "data": [d["name"] for d in data]}]}


def test_gaussian_with_truncation_and_functions():
    """x ~ Gauss(mean = a + 2 b^2 (a generic function), sigma = s) on an axis [-1, 4], two events:
    each normalised over the axis (HS3: a pdf over its observable's domain)."""
    document = _document(
        [{"name": "g", "type": "gaussian_dist", "x": "x", "mean": "m", "sigma": "s"}],
        [{"name": "events", "type": "unbinned", "axes": [{"name": "x", "min": -1.0, "max": 4.0}],
          "entries": [[0.5], [2.0]]}],
        functions=[{"name": "m", "type": "generic_function", "expression": "a + 2*b^2"}],
        points=[{"name": "a", "value": 0.3}, {"name": "b", "value": 0.5}, {"name": "s", "value": 1.2}],
        domains=[{"name": "d", "type": "product_domain", "axes": [{"name": "s", "min": 0.1, "max": 5.0}]}])
    model = likelihub.get_backend("hs3")(document)
    assert model.config.parameter_names == ("a", "b", "s")
    np.testing.assert_array_equal(model.config.bounds[2], [0.1, 5.0])
    a, b, s = 0.7, -0.4, 0.9
    mean = a + 2 * b * b
    mass = 0.5 * (math.erf((4.0 - mean) / (s * math.sqrt(2))) - math.erf((-1.0 - mean) / (s * math.sqrt(2))))
    expected = sum(gauss_log(x, mean, s) - math.log(mass) for x in (0.5, 2.0))
    assert model.logpdf([a, b, s]) == pytest.approx(expected, rel=1e-13)
    check_backend(model.backend)


def test_product_with_a_constraint_counted_once():
    """n ~ Poisson(mu s + theta-scaled b) per event and a Gaussian constraint of theta (x = theta
    and mean the constant global observable, ROOT's spelling): the constraint, whose observable the
    data do not give, counts once, its global observable the auxiliary datum."""
    document = _document(
        [{"name": "model", "type": "product_dist", "factors": ["pois", "constraint"]},
         {"name": "pois", "type": "poisson_dist", "x": "n", "mean": "rate", "top": False},
         {"name": "constraint", "type": "gaussian_dist", "x": "theta", "mean": "nom_theta", "sigma": 1.0,
          "top": False}],
        [{"name": "counts", "type": "unbinned", "axes": [{"name": "n", "min": 0, "max": 100}],
          "entries": [[7.0], [4.0]]}],
        functions=[{"name": "rate", "type": "sum", "summands": ["sig", "bkg"]},
                   {"name": "sig", "type": "product", "factors": ["mu", 2.0]},
                   {"name": "bkg", "type": "generic_function", "expression": "3.5*exp(0.1*theta)"}],
        points=[{"name": "mu", "value": 1.0}, {"name": "theta", "value": 0.0},
                {"name": "nom_theta", "value": 0.0, "const": True}],
        analyses=[{"name": "A", "likelihood": "L", "parameters_of_interest": ["mu"], "domains": []}])
    model = likelihub.get_backend("hs3")(document)
    assert model.config.parameter_names == ("mu", "theta")
    assert model.config.poi_name == "mu" and model.config.n_main == 2
    assert model.data.tolist() == [7.0, 4.0, 0.0]
    mu, theta = 1.3, 0.4
    rate = 2.0 * mu + 3.5 * math.exp(0.1 * theta)
    expected = poisson_log(7.0, rate) + poisson_log(4.0, rate) + gauss_log(0.0, theta, 1.0)
    assert model.logpdf([mu, theta]) == pytest.approx(expected, rel=1e-13)
    np.testing.assert_allclose(model.backend.expected_data([mu, theta]), [rate, rate, theta], rtol=1e-15)
    check_backend(model.backend)
    assert 0.0 < model.cls(1.0).cls_obs < 1.0


def test_inline_datum_and_point_data():
    document = _document(
        [{"name": "g1", "type": "normal_dist", "x": "y", "mean": "mu", "sigma": 2.0},
         {"name": "g2", "type": "gaussian_dist", "x": "z", "mean": "mu", "sigma": 0.5}],
        [{"name": "zpoint", "type": "point", "value": 1.5}],
        points=[{"name": "mu", "value": 1.0}],
        likelihoods=[{"name": "L", "distributions": ["g1", "g2"], "data": [0.25, "zpoint"]}])
    model = likelihub.get_backend("hs3")(document, poi="mu")
    expected = gauss_log(0.25, 0.8, 2.0) + gauss_log(1.5, 0.8, 0.5)
    assert model.logpdf([0.8]) == pytest.approx(expected, rel=1e-14)
    # the maximum of a product of Gaussians in mu: the weighted mean
    assert model.fit().values[0] == pytest.approx((0.25 / 4 + 1.5 / 0.25) / (1 / 4 + 1 / 0.25), abs=1e-6)
