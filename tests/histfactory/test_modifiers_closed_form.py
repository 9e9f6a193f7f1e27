"""Each modifier on a hand-written one-channel workspace against the HistFactory formula.

Expected log-likelihoods are written out from the definitions (CERN-OPEN-2012-016, pyhf's
constraint terms) with scipy.stats; agreement to 1e-12 relative (rounding only).
"""

import numpy as np
import pytest
from scipy.special import gammaln
from scipy.stats import norm, poisson

from likelihub_histfactory.factory import build_backend

SIGNAL = [5.0, 3.0]
BACKGROUND = [50.0, 20.0]
OBSERVED = [57.0, 21.0]


def workspace(background_modifiers, signal_modifiers=(), parameters=()):
    return {
        "channels": [{"name": "SR", "samples": [
            {"name": "signal", "data": SIGNAL,
             "modifiers": [{"name": "mu", "type": "normfactor", "data": None}, *signal_modifiers]},
            {"name": "background", "data": BACKGROUND, "modifiers": list(background_modifiers)},
        ]}],
        "observations": [{"name": "SR", "data": OBSERVED}],
        "measurements": [{"name": "m", "config": {"poi": "mu", "parameters": list(parameters)}}],
        "version": "1.0.0",
    }


def main_logpdf(rates):
    return float(np.sum(poisson.logpmf(OBSERVED, rates)))


def evaluate(spec, values, codes=None):
    backend = build_backend(spec, interpolation_codes=codes)
    pars = backend.config.parameters(values)
    return backend, backend.logpdf(pars, backend.data)


def test_normfactor():
    _, value = evaluate(workspace([]), {"mu": 1.7})
    assert value == pytest.approx(main_logpdf(1.7 * np.array(SIGNAL) + BACKGROUND), rel=1e-12)


def test_lumi_with_measurement_sigma():
    lumi = {"name": "lumi", "type": "lumi", "data": None}
    config = {"name": "lumi", "auxdata": [1.0], "sigmas": [0.05], "bounds": [[0.5, 1.5]], "inits": [1.0]}
    backend, value = evaluate(workspace([lumi], [lumi], [config]), {"mu": 0.6, "lumi": 1.04})
    expected = main_logpdf(1.04 * (0.6 * np.array(SIGNAL) + BACKGROUND)) + norm.logpdf(1.0, 1.04, 0.05)
    assert value == pytest.approx(expected, rel=1e-12)
    assert backend.config.init[backend.config.index("lumi")] == 1.0


@pytest.mark.parametrize("code, alpha, factor", [
    ("1", 0.4, 1.2**0.4), ("1", -1.5, 0.9**1.5), ("4", 1.5, 1.2**1.5), ("4", -2.0, 0.9**2)])
def test_normsys(code, alpha, factor):
    # code 1 everywhere and code 4 outside |alpha| < 1 are hi**alpha / lo**-alpha
    normsys = {"name": "syst", "type": "normsys", "data": {"hi": 1.2, "lo": 0.9}}
    _, value = evaluate(workspace([normsys]), {"mu": 1.0, "syst": alpha}, {"normsys": code})
    expected = main_logpdf(np.array(SIGNAL) + factor * np.array(BACKGROUND)) + norm.logpdf(0.0, alpha, 1.0)
    assert value == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("code", ["0", "2", "4p"])
@pytest.mark.parametrize("alpha", [1.0, -1.0, 0.0])
def test_histosys_at_the_templates(code, alpha):
    up, down = [55.0, 21.0], [47.0, 18.5]
    histosys = {"name": "shape", "type": "histosys", "data": {"hi_data": up, "lo_data": down}}
    _, value = evaluate(workspace([histosys]), {"mu": 1.0, "shape": alpha}, {"histosys": code})
    background = {1.0: up, -1.0: down, 0.0: BACKGROUND}[alpha]
    expected = main_logpdf(np.array(SIGNAL) + background) + norm.logpdf(0.0, alpha, 1.0)
    assert value == pytest.approx(expected, rel=1e-12)


def test_histosys_code0_linear():
    up, down = [55.0, 21.0], [47.0, 18.5]
    histosys = {"name": "shape", "type": "histosys", "data": {"hi_data": up, "lo_data": down}}
    _, value = evaluate(workspace([histosys]), {"mu": 1.0, "shape": -0.3}, {"histosys": "0"})
    background = np.array(BACKGROUND) - 0.3 * (np.array(BACKGROUND) - down)
    assert value == pytest.approx(main_logpdf(np.array(SIGNAL) + background) + norm.logpdf(0, -0.3, 1),
                                  rel=1e-12)


def test_shapesys_poisson_constraint():
    # tau = (b / delta)^2; auxiliary datum tau; Poisson(tau | gamma tau) with lgamma normalisation
    delta = [5.0, 4.0]
    shapesys = {"name": "unc", "type": "shapesys", "data": delta}
    backend, value = evaluate(workspace([shapesys]), {"mu": 1.0, "unc[0]": 1.1, "unc[1]": 0.8})
    gamma = np.array([1.1, 0.8])
    tau = (np.array(BACKGROUND) / delta) ** 2
    constraint = np.sum(tau * np.log(gamma * tau) - gamma * tau - gammaln(tau + 1.0))
    expected = main_logpdf(np.array(SIGNAL) + gamma * BACKGROUND) + constraint
    assert value == pytest.approx(expected, rel=1e-12)
    assert backend.data[2:] == pytest.approx(tau, rel=1e-15)


def test_shapesys_zero_uncertainty_bin_is_fixed():
    # pyhf: a bin with zero uncertainty (or yield) gets tau 1 and a fixed gamma
    backend = build_backend(workspace([{"name": "unc", "type": "shapesys", "data": [5.0, 0.0]}]))
    assert list(backend.config.fixed) == [False, False, True]
    assert backend.data[-1] == 1.0


def test_staterror_combines_samples():
    # sigma_b = sqrt(d_s^2 + d_b^2) / (s + b) per bin, Gaussian around 1
    ds, db = [1.0, 0.5], [4.0, 2.0]
    backend, value = evaluate(
        workspace([{"name": "stat", "type": "staterror", "data": db}],
                  [{"name": "stat", "type": "staterror", "data": ds}]),
        {"mu": 0.5, "stat[0]": 1.05, "stat[1]": 0.97})
    gamma = np.array([1.05, 0.97])
    sigma = np.hypot(ds, db) / (np.array(SIGNAL) + BACKGROUND)
    expected = (main_logpdf(gamma * (0.5 * np.array(SIGNAL) + BACKGROUND))
                + np.sum(norm.logpdf(1.0, gamma, sigma)))
    assert value == pytest.approx(expected, rel=1e-12)


def test_shapefactor_is_free_per_bin():
    _, value = evaluate(workspace([{"name": "k", "type": "shapefactor", "data": None}]),
                        {"mu": 1.0, "k[0]": 1.3, "k[1]": 0.5})
    expected = main_logpdf(np.array(SIGNAL) + np.array([1.3, 0.5]) * BACKGROUND)
    assert value == pytest.approx(expected, rel=1e-12)


def test_shared_names_share_one_parameter():
    # normsys and histosys of the same name are one nuisance parameter (pyhf)
    spec = workspace([{"name": "jes", "type": "normsys", "data": {"hi": 1.1, "lo": 0.9}},
                      {"name": "jes", "type": "histosys",
                       "data": {"hi_data": [52.0, 20.0], "lo_data": [48.0, 20.0]}}],
                     [{"name": "jes", "type": "normsys", "data": {"hi": 1.05, "lo": 0.95}}])
    backend = build_backend(spec)
    assert backend.config.parameter_names == ("jes", "mu")
