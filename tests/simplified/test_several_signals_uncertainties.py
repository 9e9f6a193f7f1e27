"""Signal uncertainties with several signal components (issue 14).

Each entry names the component(s) it shifts ("component") or gives a mapping {poi: uncertainties}
(one nuisance parameter shifting several components, fully correlated). The origins of the numbers
are identities of the likelihood lambda_i = sum_c mu_c S_ci(eta) + b_i + Delta_i(theta):
with symmetric uncertainties, mu_a = mu_b = mu and a shared eta is the one-component model with
s_a + s_b and u_a + u_b; with mu_b = 0, an uncertainty on mu_a alone is the one-component model of s_a.
"""

import numpy as np
import pytest

import likelihub as lh
from likelihub.backend.checks import check_backend
from likelihub.errors import InvalidModelError

from .inputs import ARGUMENTS, assert_batches_are_rows, assert_same_inference, assert_summed_signal

SIGNAL_A = np.array([2.0, 0.5, 1.5])
SIGNAL_B = np.array([0.4, 3.0, 1.0])
BACKGROUND = np.array([5.0, 6.0, 4.0])
OBSERVED = np.array([6, 8, 3])
WITH_NUISANCES = ["uncorrelated_background", "correlated_background", "third_moment_expansion",
                  "effective_sigma"]
LUMI_A, LUMI_B = np.array([0.2, 0.05, 0.15]), np.array([0.04, 0.3, 0.1])
#: a normalisation uncertainty shared by both components, an asymmetric shape uncertainty on mu_b alone,
#: and a normalisation uncertainty on mu_a alone
MIXED = [{"type": "normalisation", "uncertainties": {"mu_a": LUMI_A, "mu_b": LUMI_B}, "name": "lumi"},
         {"type": "shape", "uncertainties": [[0.1, 0.05], [0.6, 0.4], [0.2, 0.2]], "component": "mu_b",
          "name": "pdf_b"},
         {"type": "normalisation", "uncertainties": [0.3, 0.1, 0.2], "component": ["mu_a"], "name": "xs_a"}]


def build(name, signal, **extra):
    return lh.get_backend(f"simplified.{name}")(signal_yields=signal, background_yields=BACKGROUND,
                                                data=OBSERVED, **ARGUMENTS[name], **extra)


def two(name, uncertainties):
    return build(name, {"mu_a": SIGNAL_A, "mu_b": SIGNAL_B}, signal_uncertainties=uncertainties)


@pytest.mark.parametrize("name", WITH_NUISANCES)
def test_parameters_and_exact_derivatives(name):
    model = two(name, MIXED)
    names = model.config.parameter_names
    assert names[:2] == ("mu_a", "mu_b")
    assert names[-5:] == ("lumi", "pdf_b_0", "pdf_b_1", "pdf_b_2", "xs_a")
    rng = np.random.default_rng(11)
    pars = np.r_[0.7, 1.3, rng.normal(0.0, 0.5, len(names) - 2)]
    # check_backend: gradient and Hessian against central finite differences (rtol 1e-5 of the largest
    # entry), so every mu-eta, theta-eta and eta-eta term of the closed-form Hessian is checked
    check_backend(model.backend, pars=pars)
    batch = np.array([pars, np.r_[-0.2, 2.0, pars[2:] * 0.5]])
    assert_batches_are_rows(model.backend, batch, model.backend.sample(pars, 2, rng))


@pytest.mark.parametrize("name", WITH_NUISANCES)
def test_a_shared_uncertainty_at_equal_strengths_is_the_summed_signal(name):
    # symmetric shifts are linear in eta:
    # mu (s_a + u_a eta) + mu (s_b + u_b eta) = mu (s_a + s_b + (u_a + u_b) eta)
    shared = [{"type": "normalisation", "uncertainties": {"mu_a": LUMI_A, "mu_b": LUMI_B}, "name": "lumi"}]
    model = two(name, shared)
    summed = build(name, SIGNAL_A + SIGNAL_B, signal_uncertainties=[
        {"type": "normalisation", "uncertainties": LUMI_A + LUMI_B, "name": "lumi"}])
    rng = np.random.default_rng(5)
    for mu in (-0.2, 0.6, 2.0):
        nuisances = rng.normal(0.0, 0.5, summed.config.init.size - 1)
        pars2, pars1 = np.r_[mu, mu, nuisances], np.r_[mu, nuisances]
        assert_summed_signal(model, summed, pars2, pars1)


@pytest.mark.parametrize("name", ["correlated_background", "third_moment_expansion"])
def test_an_uncertainty_on_one_component_with_the_other_at_zero(name):
    # mu_b fixed at 0: an asymmetric uncertainty on mu_a alone is the one-component model of s_a with it
    on_a = [{"type": "shape", "uncertainties": [[0.3, 0.2], [0.1, 0.15], [0.2, 0.2]], "name": "sys"}]
    view = two(name, [{**on_a[0], "component": "mu_a"}]).with_poi("mu_a", fixed={"mu_b": 0.0})
    alone = build(name, SIGNAL_A, signal_uncertainties=on_a)
    # the same likelihood, so the same asymptotic CLs and limits
    assert_same_inference(view, alone)


def test_every_poi_can_be_tested_with_the_uncertainties_profiled():
    # the joint best fit is the same whichever POI is tested (1e-10 in -log L: the fits' tolerance)
    model = two("correlated_background", MIXED)
    view = model.with_poi("mu_b")
    assert view.fit().nll == pytest.approx(model.fit().nll, rel=1e-10, abs=1e-10)
    assert 0.0 < view.cls(1.0).cls_obs < 1.0


@pytest.mark.parametrize("entry, match", [
    ({"type": "normalisation", "uncertainties": [0.1, 0.1, 0.1]},
     r"signal_uncertainties\[0\].*name the signal component.*\['mu_a', 'mu_b'\]"),
    ({"type": "normalisation", "uncertainties": [0.1, 0.1, 0.1], "component": "mu_c"},
     r"signal_uncertainties\[0\]\.component.*unknown signal component.*'mu_c'"),
    ({"type": "normalisation", "uncertainties": {"mu_x": [0.1, 0.1, 0.1]}},
     r"signal_uncertainties\[0\].*unknown signal component.*'mu_x'"),
    ({"type": "normalisation", "uncertainties": {"mu_a": [0.1, 0.1, 0.1]}, "component": "mu_a"},
     r"signal_uncertainties\[0\].*not both"),
    ({"type": "shape", "uncertainties": {"mu_a": [0.1, 0.1], "mu_b": [0.1, 0.1, 0.1]}},
     r"signal_uncertainties\[0\]\['mu_a'\].*shape \(3,\) or \(3, 2\)"),
])
def test_bad_entries_name_the_entry_and_the_components(entry, match):
    with pytest.raises(InvalidModelError, match=match):
        two("correlated_background", [entry])
