"""The ``onnx`` backend against the contract and against the derivatives of the likelihoods its
test networks represent: check_backend, batches, finite differences, the network's own derivative,
output kinds, float32 networks, metadata in the file."""

import json
import pickle

import numpy as np
import onnx
import pytest
from scipy.special import ndtr, ndtri

import likelihub as lh
from likelihub.plugin import capabilities, check_backend

from . import networks

make = lh.get_backend("onnx")
N_OBS, SIGNAL, BACKGROUND = 10.0, 5.0, 8.0
COVARIANCE = np.array([[0.25, 0.15], [0.15, 1.0]])


def poisson_model():
    return make(networks.poisson(N_OBS, BACKGROUND), output="nll", signal_yields=[SIGNAL],
                expected=networks.poisson(BACKGROUND, BACKGROUND))


def gaussian_2d_model():
    return make(networks.gaussian_2d([1.0, 0.3], COVARIANCE), output="nll", parameters=["mu", "theta"],
                poi="mu", observed={"output": "nll", "gradient": "dnll"},
                expected=networks.gaussian_2d([0.0, 0.0], COVARIANCE),
                asimov={"output": "nll", "gradient": "dnll"})


def smodels_model():
    network = networks.smodels_poisson([12.0, 3.0], [9.0, 2.5], mean_in=[10.0, 3.0], std_in=[4.0, 1.5],
                                       mean_out=[1.0, -0.5, 1.0, 1.0], std_out=[2.0, 3.0, 2.0, 2.0])
    return make(network, layout="smodels", signal_yields=[4.0, 1.5])


@pytest.mark.parametrize("build", [poisson_model, gaussian_2d_model, smodels_model])
def test_check_backend(build):
    model = build()
    check_backend(model.backend)  # at the initial values: the POI at 0
    moved = np.array(model.config.init, dtype=float)
    moved[1:] += 0.7  # other parameters moved, the POI at 0 (the Asimov data there have a likelihood)
    check_backend(model.backend, pars=moved)
    caps = capabilities(model.backend)
    assert caps.gradient and caps.hessian and caps.batch_derivatives and not caps.toys


def test_finite_difference_gradient_and_hessian_of_a_poisson_bin():
    model = poisson_model()
    for mu in (0.0, 0.4, 1.7):
        rate = mu * SIGNAL + BACKGROUND
        value, grad = model.backend.value_and_grad(np.array([mu]), model.data)
        # d ln L / d mu = s (n / (mu s + b) - 1). Central differences with h = eps^(1/3) ~ 6e-6:
        # truncation h^2 f'''/6 ~ 1e-11, rounding eps |ln L| / h ~ 1e-10, against |grad| ~ 1.
        assert grad == pytest.approx([SIGNAL * (N_OBS / rate - 1.0)], rel=1e-8, abs=1e-9)
        # d2 ln L / d mu2 = -n s^2 / (mu s + b)^2; differences of that gradient with h = eps^(1/4)
        # ~ 1.2e-4 carry its error over h: ~1e-10 / 1.2e-4 ~ 1e-6, against |H| ~ 1.
        hessian = model.backend.hessian(np.array([mu]), model.data)
        assert hessian == pytest.approx(np.array([[-N_OBS * SIGNAL**2 / rate**2]]), rel=1e-5)


def test_the_networks_derivative_output():
    model = gaussian_2d_model()
    pars = np.array([0.4, -0.2])
    _, grad = model.backend.value_and_grad(pars, model.data)
    inverse = np.linalg.inv(COVARIANCE)
    # d ln L / d pars = -C^-1 (pars - mean): the network's output, exact to rounding.
    assert grad == pytest.approx(-inverse @ (pars - [1.0, 0.3]), rel=1e-12)
    # The Hessian: differences of a linear gradient, exact but for rounding (eps / h ~ 4e-11).
    assert model.backend.hessian(pars, model.data) == pytest.approx(-inverse, rel=1e-8)


def test_batches_equal_single_rows():
    model = gaussian_2d_model()
    backend = model.backend
    rng = np.random.default_rng(3)
    pars = rng.normal(size=(7, 2))
    pars[4:, 0] = 0.0  # Asimov rows need the POI at 0
    data = np.array([[0.0, 0.0]] * 4 + [[1.0, 0.0]] * 3)  # observed and Asimov rows in one batch
    values, grads = backend.value_and_grad_batch(pars, data)
    hessians = backend.hessian_batch(pars, data)
    for i in range(7):
        # The same network on the same rows: equal to rounding.
        single = backend.logpdf(pars[i], data[i])
        assert backend.logpdf_batch(pars, data)[i] == pytest.approx(single, rel=1e-14)
        value, grad = backend.value_and_grad(pars[i], data[i])
        assert values[i] == pytest.approx(value, rel=1e-14) and grads[i] == pytest.approx(grad, rel=1e-12)
        assert hessians[i] == pytest.approx(backend.hessian(pars[i], data[i]), rel=1e-10)


def test_a_network_of_one_row_at_a_time():
    single = make(networks.gaussian(1.2, 0.8, rows=1), output="nll", parameters=["mu"])
    batched = make(networks.gaussian(1.2, 0.8), output="nll", parameters=["mu"])
    pars, data = np.array([[0.0], [1.0], [2.5]]), np.zeros((3, 2))
    # Rows run one by one through the same operations: equal to rounding.
    assert single.backend.logpdf_batch(pars, data) == pytest.approx(
        batched.backend.logpdf_batch(pars, data), rel=1e-15)


def test_output_kinds_give_the_same_likelihood():
    reference = make(networks.gaussian(1.2, 0.8), output="nll", parameters=["mu"])
    # -2 ln L = (mu - m)^2 / s^2 is the -ln L network of width s / sqrt(2); ln L is -1 times -ln L.
    twice = make(networks.gaussian(1.2, 0.8 / np.sqrt(2)), output="-2lnL", parameters=["mu"])
    ratio = make(networks.gaussian(1.2, 0.8 / np.sqrt(2)), output="-2dlnL", parameters=["mu"])
    positive = make(networks.gaussian(1.2, 0.8), output="logL", observed={"scale": -1.0}, parameters=["mu"])
    for mu in (0.0, 1.0, 3.0):
        expected = reference.logpdf([mu])
        for model in (twice, ratio, positive):
            assert model.logpdf([mu]) == pytest.approx(expected, rel=1e-14)  # rounding


def test_a_float32_network_converted_to_float64():
    network = networks.gaussian(1.2, 0.8, dtype=networks.FLOAT)
    options = dict(output="nll", poi="mu", parameters=[{"name": "mu", "bounds": [-5, 10]}])
    native = make(network, precision="native", expected=networks.gaussian(0.0, 0.8, dtype=networks.FLOAT),
                  **options)
    converted = make(network, expected=networks.gaussian(0.0, 0.8, dtype=networks.FLOAT), **options)
    assert "float64 (converted from float32)" in converted.describe()  # precision="auto"
    # Converted, the network computes with its float32 constants held in float64: the closed form
    # with m = float32(1.2) and s = float32-rounded 1 / (2 s^2), to rounding.
    m, k = float(np.float32(1.2)), float(np.float32(0.5 / 0.8**2))
    assert converted.logpdf([2.0]) == pytest.approx(-k * (2.0 - m) ** 2, rel=1e-14)
    assert native.logpdf([2.0]) == pytest.approx(-k * (2.0 - m) ** 2, rel=1e-6)  # float32 rounding
    check_backend(converted.backend)
    # The finite-difference step follows the network's type: eps^(1/3) of float32 natively.
    assert native.backend.step == pytest.approx(np.finfo(np.float32).eps ** (1 / 3))
    s = np.sqrt(0.5 / k)
    limit = m + s * ndtri(1 - 0.05 * ndtr(m / s))  # tests/onnx/test_closed_forms.py's closed form
    assert converted.upper_limit(expected="observed").observed == pytest.approx(limit, rel=1e-5)
    # Natively, -ln L carries float32 rounding (~1e-7 of values of order 1) and the gradient's
    # differences ~1e-7 / h ~ 2e-5: the minimum moves by ~1e-5 of sigma, q by its square; the limit
    # keeps ~1e-7 (measured 4e-8), held to 1e-4.
    assert native.upper_limit(expected="observed").observed == pytest.approx(limit, rel=1e-4)


def test_arguments_stored_in_the_files_metadata(tmp_path):
    metadata = {"likelihub.output": "nll", "likelihub.poi": "mu",
                "likelihub.parameters": json.dumps([{"name": "mu", "bounds": [-5, 10]}])}
    path = tmp_path / "gaussian.onnx"
    onnx.save(networks.gaussian(1.2, 0.8, metadata=metadata), str(path))
    expected = tmp_path / "expected.onnx"
    onnx.save(networks.gaussian(0.0, 0.8), str(expected))
    model = make(path, expected=expected)
    assert model.config.parameter_names == ("mu",) and model.config.poi_name == "mu"
    assert tuple(model.config.bounds[0]) == (-5.0, 10.0)
    assert str(path) in model.describe() and "finite differences" in model.describe()
    # An argument given wins over the file's.
    assert tuple(make(path, poi_bounds=(0, 4)).config.bounds[0]) == (0.0, 4.0)
    # mu-up = m + s Phi^-1(1 - 0.05 Phi(m/s)) (test_closed_forms.py); root finding to rtol 1e-6.
    assert model.upper_limit(expected="observed").observed == pytest.approx(
        1.2 + 0.8 * ndtri(1 - 0.05 * ndtr(1.5)), rel=1e-5)


def test_a_profile_scan_and_interval_need_no_expected_likelihood():
    model = make(networks.gaussian_2d([1.0, 0.3], COVARIANCE), output="nll", parameters=["mu", "theta"],
                 poi="mu")
    interval = model.profile_interval("mu")
    # Profiling theta leaves a Gaussian of width sqrt(C_mumu) = 0.5 around 1.0; the interval's ends
    # are found to the fits' precision (EDM < 1e-8: ~1e-4 in mu).
    assert (interval.low, interval.high) == pytest.approx((0.5, 1.5), abs=2e-4)


def test_a_model_pickles_for_worker_processes():
    model = poisson_model()
    copy = pickle.loads(pickle.dumps(model))  # the session is rebuilt from the network's bytes
    assert copy.logpdf([0.7]) == model.logpdf([0.7])  # the same network on the same input
    assert copy.logpdf([0.0], copy.expected_data([0.0])) == model.logpdf([0.0], model.expected_data([0.0]))
