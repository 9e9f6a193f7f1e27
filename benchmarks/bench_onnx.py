"""Benchmark: the ``onnx`` backend on a network of DNNLikelihood size.

    python benchmarks/bench_onnx.py [--parameters 20] [--hidden 128] [--repeat 3]

The network (built with ``onnx.helper``, float32 as published networks are): P inputs (the POI and
P - 1 nuisance parameters), three tanh layers of ``--hidden`` units, and -ln L = |x - m|^2 / 2 +
0.01 * MLP(x) (random weights, seed 1), so that the likelihood has a minimum near m and costs what a
trained network of that shape costs. A second network with m = 0 is the background-only Asimov
likelihood. Timed, on one onnxruntime thread:

1. log L: ``logpdf`` row by row against ``logpdf_batch`` of 10,000 rows (evaluations per second);
2. gradients by central differences: ``value_and_grad`` row by row against ``value_and_grad_batch``
   (2P + 1 network rows per gradient, one network call per batch);
3. the asymptotic CLs at mu = 1 with its expected band, and the 95% CL upper limit (fresh model
   each time: nothing cached).

Medians of ``--repeat`` runs.
"""

from __future__ import annotations

import argparse

import numpy as np
from peers import median_time  # benchmarks/peers.py: on sys.path


def network(mean: np.ndarray, hidden: int, seed: int = 1):
    """A float32 MLP-perturbed quadratic -ln L of len(mean) inputs (see the module docstring)."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    rng = np.random.default_rng(seed)
    p = mean.size
    sizes = [p, hidden, hidden, hidden, 1]
    nodes, constants, layer = [], {}, "x"
    for i in range(4):
        weight = rng.normal(0.0, 1.0 / np.sqrt(sizes[i]), (sizes[i], sizes[i + 1]))
        constants[f"w{i}"], constants[f"b{i}"] = weight, rng.normal(0.0, 0.1, sizes[i + 1])
        nodes += [helper.make_node("MatMul", [layer, f"w{i}"], [f"m{i}"]),
                  helper.make_node("Add", [f"m{i}", f"b{i}"], [f"a{i}"])]
        layer = f"a{i}"
        if i < 3:
            nodes.append(helper.make_node("Tanh", [layer], [f"h{i}"]))
            layer = f"h{i}"
    constants.update(mean=mean, half=np.full((p, 1), 0.5), small=[0.01])
    nodes += [helper.make_node("Sub", ["x", "mean"], ["d"]), helper.make_node("Mul", ["d", "d"], ["d2"]),
              helper.make_node("MatMul", ["d2", "half"], ["q"]),
              helper.make_node("Mul", [layer, "small"], ["mlp"]),
              helper.make_node("Add", ["q", "mlp"], ["nll"])]
    graph = helper.make_graph(
        nodes, "bench", [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", p])],
        [helper.make_tensor_value_info("nll", TensorProto.FLOAT, ["N", 1])],
        [numpy_helper.from_array(np.asarray(v, dtype=np.float32), k) for k, v in constants.items()])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model



def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--parameters", type=int, default=20)
    parser.add_argument("--hidden", type=int, default=128)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    import likelihub as lh

    p = args.parameters
    mean = np.full(p, 0.3)
    mean[0] = 0.8
    observed, expected = network(mean, args.hidden), network(np.zeros(p), args.hidden)
    names = [{"name": "mu", "bounds": [-5.0, 20.0]}] + [
        {"name": f"theta{i}", "bounds": [-5.0, 5.0]} for i in range(1, p)]

    def build():
        return lh.get_backend("onnx")(observed, output="nll", parameters=names, poi="mu", expected=expected)

    backend = build().backend
    rng = np.random.default_rng(2)
    rows = rng.normal(0.0, 0.5, (10_000, p))
    data = np.zeros((rows.shape[0], 2))
    single_rows = rows[:500]
    t_single, _ = median_time(lambda: [backend.logpdf(r, data[0]) for r in single_rows], args.repeat)
    t_batch, _ = median_time(lambda: backend.logpdf_batch(rows, data), args.repeat)
    grad_rows = rows[:200]
    t_grad_single, _ = median_time(lambda: [backend.value_and_grad(r, data[0]) for r in grad_rows],
                                   args.repeat)
    t_grad_batch, _ = median_time(lambda: backend.value_and_grad_batch(rows[:2000], data[:2000]),
                                  args.repeat)
    t_cls, cls = median_time(lambda: build().cls(1.0), args.repeat)
    t_limit, limit = median_time(lambda: build().upper_limit(), args.repeat)
    print(f"network: {p} inputs, 3 x {args.hidden} tanh, float32; onnxruntime, 1 thread")
    print(f"log L, one row per call:          {len(single_rows) / t_single:12,.0f} rows/s")
    print(f"log L, 10,000 rows per call:      {rows.shape[0] / t_batch:12,.0f} rows/s "
          f"({t_single / len(single_rows) / (t_batch / rows.shape[0]):.0f}x)")
    print(f"gradient (FD), one per call:      {len(grad_rows) / t_grad_single:12,.0f} gradients/s")
    print(f"gradient (FD), 2,000 per call:    {2000 / t_grad_batch:12,.0f} gradients/s "
          f"({t_grad_single / len(grad_rows) / (t_grad_batch / 2000):.0f}x)")
    print(f"CLs at mu = 1 with the band:      {t_cls * 1e3:10.1f} ms   ({cls})")
    print(f"95% CL upper limit with the band: {t_limit * 1e3:10.1f} ms   ({limit})")


if __name__ == "__main__":
    main()
