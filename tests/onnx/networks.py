"""Small ONNX networks, built with ``onnx.helper``, that represent known likelihoods exactly.

Each builder returns an ``onnx.ModelProto`` (the factory takes it, its bytes or a file). The
operators (Sub, Mul, Add, Log, MatMul) are exact in float64, so the networks' values agree with the
closed forms to rounding (1e-15 relative).
"""

from __future__ import annotations

import json

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper
from scipy.special import gammaln

DOUBLE, FLOAT = TensorProto.DOUBLE, TensorProto.FLOAT
_NUMPY = {DOUBLE: np.float64, FLOAT: np.float32}


def build(nodes, inputs: dict, outputs: dict, constants: dict, *, dtype=DOUBLE, metadata=None,
          rows="N", opset: int = 17) -> onnx.ModelProto:
    """A checked model: ``inputs``/``outputs`` map names to values per row, ``constants`` to arrays."""
    graph = helper.make_graph(
        nodes, "likelihood",
        [helper.make_tensor_value_info(name, dtype, [rows, k]) for name, k in inputs.items()],
        [helper.make_tensor_value_info(name, dtype, [rows, k]) for name, k in outputs.items()],
        [numpy_helper.from_array(np.asarray(v, dtype=_NUMPY[dtype]), name) for name, v in constants.items()])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    model.ir_version = 8 if opset <= 17 else 9
    for key, value in (metadata or {}).items():
        entry = model.metadata_props.add()
        entry.key, entry.value = key, value
    onnx.checker.check_model(model)
    return model


def gaussian(mean: float, sigma: float, *, dtype=DOUBLE, gradient: bool = False, metadata=None,
             rows="N") -> onnx.ModelProto:
    """-ln L = (x - mean)^2 / (2 sigma^2) of one input x; with ``gradient`` the output ``dnll``
    holds (x - mean) / sigma^2, its derivative."""
    nodes = [helper.make_node("Sub", ["x", "m"], ["d"]), helper.make_node("Mul", ["d", "d"], ["d2"]),
             helper.make_node("Mul", ["d2", "k"], ["nll"])]
    outputs = {"nll": 1}
    constants = {"m": [mean], "k": [0.5 / sigma**2]}
    if gradient:
        nodes.append(helper.make_node("Mul", ["d", "g"], ["dnll"]))
        outputs["dnll"] = 1
        constants["g"] = [1.0 / sigma**2]
    return build(nodes, {"x": 1}, outputs, constants, dtype=dtype, metadata=metadata, rows=rows)


def gaussian_2d(mean, covariance) -> onnx.ModelProto:
    """-ln L = (x - mean)^T C^-1 (x - mean) / 2 of two inputs, with the derivative C^-1 (x - mean)
    as a second output ``dnll``."""
    inverse = np.linalg.inv(np.asarray(covariance, dtype=float))
    nodes = [helper.make_node("Sub", ["x", "m"], ["d"]),
             helper.make_node("MatMul", ["d", "cinv"], ["dnll"]),
             helper.make_node("Mul", ["dnll", "d"], ["terms"]),
             helper.make_node("MatMul", ["terms", "half"], ["nll"])]
    return build(nodes, {"x": 2}, {"nll": 1, "dnll": 2},
                 {"m": np.asarray(mean, dtype=float), "cinv": inverse, "half": [[0.5], [0.5]]})


def poisson(observed: float, background: float) -> onnx.ModelProto:
    """-ln Pois(n | s + b) = (s + b) - n ln(s + b) + ln n! of the signal yield s."""
    nodes = [helper.make_node("Add", ["s", "b"], ["lam"]), helper.make_node("Log", ["lam"], ["log"]),
             helper.make_node("Mul", ["log", "n"], ["nlog"]), helper.make_node("Sub", ["lam", "nlog"], ["t"]),
             helper.make_node("Add", ["t", "c"], ["nll"])]
    return build(nodes, {"s": 1}, {"nll": 1},
                 {"b": [background], "n": [observed], "c": [gammaln(observed + 1.0)]})


def smodels_poisson(observed, background, mean_in, std_in, mean_out, std_out) -> onnx.ModelProto:
    """A network in the layout of SModelS's ML likelihoods (``likelihub_onnx.smodels``) that computes
    Poisson counts without nuisance parameters exactly.

    Input: the standardised total yields z = (x - mean_in) / std_in; output (rows, 4): the
    standardised differences ((f(x) - f(b)) - mean_out) / std_out of f = -ln L without the
    constants ln n!, for the data exp (n = b), obs (n = observed), expA and obsA (both n = b: the
    Asimov data of a model without nuisance parameters is the background).
    """
    n, b = np.asarray(observed, dtype=float), np.asarray(background, dtype=float)
    mean_in, std_in = np.asarray(mean_in, dtype=float), np.asarray(std_in, dtype=float)
    mean_out, std_out = np.asarray(mean_out, dtype=float), np.asarray(std_out, dtype=float)
    counts = np.stack([b, n, b, b], axis=1)  # (k, 4): the data of each output

    def nll(x, data):  # f without ln n!, summed over bins
        return float(np.sum(x - data * np.log(x)))

    at_background = np.array([nll(b, counts[:, j]) for j in range(4)])
    nodes = [helper.make_node("Mul", ["input_1", "std_in"], ["zs"]),
             helper.make_node("Add", ["zs", "mean_in"], ["x"]),
             helper.make_node("Log", ["x"], ["log"]), helper.make_node("MatMul", ["x", "w_x"], ["a"]),
             helper.make_node("MatMul", ["log", "w_log"], ["c"]), helper.make_node("Add", ["a", "c"], ["ac"]),
             helper.make_node("Add", ["ac", "shift"], ["output_1"])]
    k = b.size
    metadata = {
        "bkg_yields": repr([(f"SR{i}-0", float(v)) for i, v in enumerate(b)]),
        "obs_yields": repr([(f"SR{i}-0", float(v)) for i, v in enumerate(n)]),
        "standardization_mean": json.dumps(np.concatenate([mean_in, mean_out]).tolist()),
        "standardization_std": json.dumps(np.concatenate([std_in, std_out]).tolist()),
        **{key: json.dumps(float(value)) for key, value in
           zip(("nLL_exp_mu0", "nLL_obs_mu0", "nLLA_exp_mu0", "nLLA_obs_mu0"), at_background, strict=True)},
    }
    return build(nodes, {"input_1": k}, {"output_1": 4},
                 {"std_in": std_in, "mean_in": mean_in, "w_x": np.ones((k, 4)) / std_out,
                  "w_log": -counts / std_out, "shift": (-at_background - mean_out) / std_out},
                 metadata=metadata)
