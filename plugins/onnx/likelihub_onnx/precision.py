"""A float32 ONNX network rewritten to compute in float64: :func:`as_float64`.

The float32 initializers, constants, inputs, outputs and casts become float64. onnxruntime's CPU
provider has no float64 kernel for several activations (Elu, Selu, Softplus, Softsign,
HardSigmoid, ThresholdedRelu, Mish, in onnxruntime 1.31), so those nodes are rewritten with
operators that have one, by their ONNX definitions:

- Elu(x; alpha) = max(x, 0) + alpha (exp(min(x, 0)) - 1), and Selu = gamma Elu(x; alpha);
- Softplus(x) = max(x, 0) + ln(1 + exp(-|x|)) (without overflow), Mish(x) = x tanh(Softplus(x));
- Softsign(x) = x / (1 + |x|), HardSigmoid(x) = max(0, min(1, alpha x + beta)),
  ThresholdedRelu(x) = x where x > alpha, else 0.

Others without a float64 kernel (Gelu, Erf) stay, and onnxruntime then refuses the converted graph:
``precision="auto"`` runs the network as stored.
"""

from __future__ import annotations

import numpy as np

from likelihub.errors import InvalidModelError

__all__ = ["as_float64", "REWRITTEN"]

#: The default attributes of the rewritten operators (the ONNX operator definitions), float32
#: numbers as ONNX attributes are (an attribute set in the file is read as its float32 value too).
_DEFAULTS = {op: {k: float(np.float32(v)) for k, v in attributes.items()} for op, attributes in {
    "Elu": {"alpha": 1.0}, "Selu": {"alpha": 1.67326319217681884765625, "gamma": 1.05070102214813232421875},
    "HardSigmoid": {"alpha": 0.2, "beta": 0.5}, "ThresholdedRelu": {"alpha": 1.0},
    "Softplus": {}, "Softsign": {}, "Mish": {}}.items()}
REWRITTEN = tuple(_DEFAULTS)


def _rewrite(node, constant) -> list:
    """Nodes computing ``node`` (one input x, one output y) with float64-capable operators;
    ``constant(value)`` names a float64 scalar initializer."""
    from onnx import helper

    attributes = dict(_DEFAULTS[node.op_type])
    attributes.update({a.name: helper.get_attribute_value(a) for a in node.attribute})
    x, y = node.input[0], node.output[0]
    names = iter(f"{y}__likelihub_{i}" for i in range(100))

    def make(op, inputs, output=None):
        output = output or next(names)
        nodes.append(helper.make_node(op, inputs, [output]))
        return output

    nodes: list = []

    def softplus(value, output=None):
        positive = make("Max", [value, constant(0.0)])
        tail = make("Log", [make("Add", [constant(1.0), make("Exp", [make("Neg", [make("Abs", [value])])])])])
        return make("Add", [positive, tail], output)

    def elu(value, alpha, output=None):
        exp = make("Exp", [make("Min", [value, constant(0.0)])])
        negative = make("Mul", [constant(alpha), make("Sub", [exp, constant(1.0)])])
        return make("Add", [make("Max", [value, constant(0.0)]), negative], output)

    op = node.op_type
    if op == "Elu":
        elu(x, attributes["alpha"], y)
    elif op == "Selu":
        make("Mul", [constant(attributes["gamma"]), elu(x, attributes["alpha"])], y)
    elif op == "Softplus":
        softplus(x, y)
    elif op == "Mish":
        make("Mul", [x, make("Tanh", [softplus(x)])], y)
    elif op == "Softsign":
        make("Div", [x, make("Add", [constant(1.0), make("Abs", [x])])], y)
    elif op == "HardSigmoid":
        line = make("Add", [make("Mul", [constant(attributes["alpha"]), x]), constant(attributes["beta"])])
        make("Max", [constant(0.0), make("Min", [constant(1.0), line])], y)
    else:  # ThresholdedRelu
        make("Where", [make("Greater", [x, constant(attributes["alpha"])]), x, constant(0.0)], y)
    return nodes


def as_float64(model):
    """A copy of ``model`` computing in float64 where it computes in float32 (module docstring).

    Raises
    ------
    likelihub.errors.InvalidModelError
        For a graph with subgraphs (If, Loop, Scan), which this conversion does not walk.
    """
    import onnx
    from onnx import AttributeProto, TensorProto, numpy_helper

    converted = onnx.ModelProto()
    converted.CopyFrom(model)
    graph = converted.graph

    def double(tensor):
        return numpy_helper.from_array(numpy_helper.to_array(tensor).astype(np.float64), tensor.name)

    for i, tensor in enumerate(graph.initializer):
        if tensor.data_type == TensorProto.FLOAT:
            graph.initializer[i].CopyFrom(double(tensor))
    for info in (*graph.input, *graph.output, *graph.value_info):
        if info.type.tensor_type.elem_type == TensorProto.FLOAT:
            info.type.tensor_type.elem_type = TensorProto.DOUBLE
    for node in graph.node:
        for attribute in node.attribute:
            if attribute.type in (AttributeProto.GRAPH, AttributeProto.GRAPHS):
                raise InvalidModelError(f"precision='float64' cannot convert the subgraph of node "
                                        f"{node.name or node.op_type!r}; use precision='native'",
                                        argument="precision")
            if node.op_type == "Cast" and attribute.name == "to" and attribute.i == TensorProto.FLOAT:
                attribute.i = TensorProto.DOUBLE
            if attribute.type == AttributeProto.TENSOR and attribute.t.data_type == TensorProto.FLOAT:
                attribute.t.CopyFrom(double(attribute.t))
    constants: dict[float, str] = {}

    def constant(value: float) -> str:
        if value not in constants:
            constants[value] = f"likelihub_constant_{len(constants)}"
            graph.initializer.append(numpy_helper.from_array(np.array(value, dtype=np.float64),
                                                             constants[value]))
        return constants[value]

    nodes = []
    for node in graph.node:
        nodes += _rewrite(node, constant) if node.op_type in _DEFAULTS and not node.domain else [node]
    del graph.node[:]
    graph.node.extend(nodes)
    return converted
