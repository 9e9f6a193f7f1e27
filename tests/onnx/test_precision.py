"""float32 networks computed in float64 (likelihub_onnx.precision): the activations onnxruntime has
no float64 kernel for, rewritten by their ONNX definitions, against numpy's float64 of the same
definitions; and the fallback to the stored float32 network where no rewrite exists."""

import numpy as np
import pytest
from onnx import helper

import likelihub as lh
from likelihub.errors import InvalidModelError

from . import networks

X = np.linspace(-30.0, 30.0, 601)


def softplus(x):
    return np.logaddexp(0.0, x)


def elu(x, alpha):
    return np.where(x > 0, x, alpha * np.expm1(np.minimum(x, 0.0)))


# The ONNX definitions (onnx.ai operator docs), attributes as float32 numbers (ONNX stores floats).
SELU = (np.float32(1.67326319217681884765625), np.float32(1.05070102214813232421875))
CASES = {
    "Elu": ({"alpha": 0.7}, lambda x: elu(x, float(np.float32(0.7)))),
    "Selu": ({}, lambda x: float(SELU[1]) * elu(x, float(SELU[0]))),
    "Softplus": ({}, softplus),
    "Mish": ({}, lambda x: x * np.tanh(softplus(x))),
    "Softsign": ({}, lambda x: x / (1.0 + np.abs(x))),
    "HardSigmoid": ({}, lambda x: np.clip(float(np.float32(0.2)) * x + 0.5, 0.0, 1.0)),
    "ThresholdedRelu": ({"alpha": 0.3}, lambda x: np.where(x > float(np.float32(0.3)), x, 0.0)),
}


def activation(op: str, attributes: dict):
    """-ln L = op(x) of one float32 input."""
    node = helper.make_node(op, ["x"], ["nll"], **attributes)
    return networks.build([node], {"x": 1}, {"nll": 1}, {}, dtype=networks.FLOAT, opset=20)


@pytest.mark.parametrize("op", list(CASES))
def test_rewritten_activations_compute_in_float64(op):
    attributes, definition = CASES[op]
    model = lh.get_backend("onnx")(activation(op, attributes), output="nll", parameters=["x"],
                                   precision="float64")
    values = -model.backend.logpdf_batch(X[:, None], np.zeros((X.size, 2)))
    # The same formula in float64: rounding, ~1e-15 relative; where a value is tiny, the rewrite's
    # exp(x) - 1 and ln(1 + exp(-|x|)) (numpy: expm1, logaddexp) round by ~eps absolute, times
    # |x| <= 30 in Mish: below 1e-14.
    assert values == pytest.approx(definition(X), rel=1e-13, abs=1e-14)


def test_a_network_that_cannot_be_converted_runs_as_stored():
    node = helper.make_node("Gelu", ["x"], ["nll"])  # no float64 kernel, no rewrite
    network = networks.build([node], {"x": 1}, {"nll": 1}, {}, dtype=networks.FLOAT, opset=20)
    make = lh.get_backend("onnx")
    with pytest.raises(InvalidModelError, match="onnxruntime cannot run it"):
        make(network, output="nll", parameters=["x"], precision="float64")
    model = make(network, output="nll", parameters=["x"])  # precision="auto"
    assert "float32 (not converted: onnxruntime cannot run it" in model.describe()
    # Gelu(1) = Phi(1) = 0.841344746...; float32 rounding ~6e-8.
    assert -model.logpdf([1.0]) == pytest.approx(0.8413447460685429, rel=1e-6)
