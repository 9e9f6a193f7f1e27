"""Simplified likelihoods with several signal components, each with its own POI (issue 14).

``signal_yields={"mu_a": s_a, "mu_b": s_b}`` gives expected yields mu_a s_a + mu_b s_b + b (+ the
background shifts). The origins of the numbers are identities of that likelihood: fixing mu_a = 0 leaves
the one-component model with s_b; mu_a = mu_b = mu is the one-component model with s_a + s_b.
"""

import numpy as np
import pytest

import likelihub as lh
from likelihub.backend.checks import check_backend
from likelihub.errors import InvalidArgumentError, InvalidModelError

from .inputs import ARGUMENTS, assert_same_inference, assert_summed_signal

SIGNAL_A = np.array([2.0, 0.5, 1.5])
SIGNAL_B = np.array([0.4, 3.0, 1.0])
BACKGROUND = np.array([5.0, 6.0, 4.0])
OBSERVED = np.array([6, 8, 3])
ALL = list(ARGUMENTS)


def build(name, signal, **extra):
    return lh.get_backend(f"simplified.{name}")(signal_yields=signal, background_yields=BACKGROUND,
                                                data=OBSERVED, **ARGUMENTS[name], **extra)


def two(name):
    return build(name, {"mu_a": SIGNAL_A, "mu_b": SIGNAL_B})


def nuisances(model, rng):
    """Random nuisance values (after the two POIs) away from nominal."""
    return rng.normal(0.0, 0.5, model.config.init.size - 2)


@pytest.mark.parametrize("name", ALL)
def test_pois_names_bounds_and_init(name):
    model = two(name)
    assert model.pois == ("mu_a", "mu_b") and model.config.poi_name == "mu_a"
    assert model.config.parameter_names[:2] == ("mu_a", "mu_b")
    # each POI has the bounds of its component alone (the one-component models' bounds) and starts at 1
    for poi, signal in (("mu_a", SIGNAL_A), ("mu_b", SIGNAL_B)):
        alone = build(name, signal)
        index = model.config.parameter_names.index(poi)
        assert tuple(model.config.bounds[index]) == tuple(alone.config.bounds[0])
        assert model.config.init[index] == 1.0
    assert "POIs mu_a, mu_b" in model.backend.describe()


@pytest.mark.parametrize("name", ALL)
def test_equal_strengths_are_the_summed_signal(name):
    # mu_a = mu_b = mu: the one-component model with s_a + s_b (the same expected yields), at any point
    model, summed = two(name), build(name, SIGNAL_A + SIGNAL_B)
    rng = np.random.default_rng(7)
    for mu in (-0.3, 0.0, 0.8, 2.5):
        theta = nuisances(model, rng)
        pars2, pars1 = np.r_[mu, mu, theta], np.r_[mu, theta]
        assert_summed_signal(model, summed, pars2, pars1)
        np.testing.assert_allclose(model.backend.expected_data(pars2), summed.backend.expected_data(pars1),
                                   rtol=1e-12)


@pytest.mark.parametrize("name", ALL)
def test_exact_derivatives(name):
    model = two(name)
    pars = np.r_[0.7, 1.3, nuisances(model, np.random.default_rng(3))]
    # check_backend: gradient and Hessian against central finite differences (rtol 1e-5 of the largest entry)
    check_backend(model.backend, pars=pars)
    # the batched evaluations are the single ones, row by row (the same arithmetic: 1e-13)
    backend = model.backend
    if hasattr(backend, "hessian_batch"):
        batch = np.array([pars, np.r_[-0.2, 2.0, pars[2:]]])
        np.testing.assert_allclose(backend.hessian_batch(batch, backend.data)[1],
                                   backend.hessian(batch[1], backend.data), rtol=1e-13, atol=1e-13)


@pytest.mark.parametrize("name", ALL)
def test_other_poi_with_the_first_fixed_at_zero_is_its_component_alone(name):
    # mu_a fixed at 0: the likelihood in (mu_b, theta) is the one-component model with s_b
    view = two(name).with_poi("mu_b", fixed={"mu_a": 0.0})
    alone = build(name, SIGNAL_B)
    assert view.config.poi_name == "mu_b"
    # the same likelihood, so the same asymptotic CLs and limits
    assert_same_inference(view, alone, mus=(0.5, 1.5))


def test_other_poi_profiles_the_first():
    # mu_b tested with mu_a free: the best fit is the joint one, whatever POI is tested (1e-8: fit tolerance)
    model = two("correlated_background")
    view = model.with_poi("mu_b")
    assert view.pois == ("mu_a", "mu_b") and view.config.poi_name == "mu_b"
    np.testing.assert_allclose(view.fit().values, model.fit().values, rtol=1e-6, atol=1e-8)
    assert view.fit().nll == pytest.approx(model.fit().nll, rel=1e-10, abs=1e-10)


def test_toys_have_the_data_layout():
    model = two("correlated_background")
    toys = model.backend.sample(np.r_[1.0, 0.5, np.zeros(3)], 4, np.random.default_rng(0))
    assert toys.shape == (4, model.backend.data.size)


@pytest.mark.parametrize("signal, match", [
    ({"mu_a": SIGNAL_A}, r"signal_yields.*two or more"),
    ({"mu a": SIGNAL_A, "mu_b": SIGNAL_B}, r"signal_yields.*identifiers.*'mu a'"),
    ({1: SIGNAL_A, "mu_b": SIGNAL_B}, r"signal_yields.*identifiers.*1"),
    ({"theta_0": SIGNAL_A, "mu_b": SIGNAL_B}, r"signal_yields.*\['theta_0'\].*other parameters"),
])
def test_bad_mappings_are_refused(signal, match):
    with pytest.raises(InvalidArgumentError, match=match):
        build("correlated_background", signal)


def test_bad_component_yields_name_the_component():
    with pytest.raises(InvalidModelError, match=r"signal_yields\['mu_b'\].*2 bins, expected 3"):
        build("poisson", {"mu_a": SIGNAL_A, "mu_b": [1.0, 2.0]})
    with pytest.raises(InvalidModelError, match=r"signal_yields\['mu_a'\].*negative"):
        build("poisson", {"mu_a": [1.0, -1.0, 0.0], "mu_b": SIGNAL_B})
