"""Throughput of batched Hessians of the HistFactory -log L: the CUDA kernel against the CPU kernel.

Run by hand (not a test)::

    python benchmarks/bench_gpu_hessian.py [--models 3L sbottomA 1Lbb] [--rows 1e2 1e3 1e4]
                                           [--repeats 3] [--bytes-per-launch 8e9]

For each model (as ``bench_gpu.py``: an ATLAS likelihood of ../shared/data with one signal patch,
or ``tiny``) and each batch size N, rows are random parameter sets near the initial values with
toy data sets. It prints Hessians per second (median of ``--repeats`` timed calls after one
untimed call that also compiles) of

- ``cpu``: the backend's ``hessian_batch`` on ``device="cpu"`` (numba, one core);
- ``gpu``: :meth:`BatchEvaluator.hessian_batch` on ``device="cuda"`` (:mod:`kernels.cuda_hessian`),
  NumPy arrays in and out (copies and chunking included);

and the largest difference of the two relative to each row's largest element (the tests require
1e-12). Without a GPU it says so and prints the CPU numbers only; with ``NUMBA_ENABLE_CUDASIM=1``
the ``gpu`` column is numba's simulator (a check that the script runs, not a speed).
"""

from __future__ import annotations

import argparse
import sys

import numpy as np
from bench_gpu import MODELS, build, median_seconds, rows
from peers import SHARED  # benchmarks/peers.py: on sys.path


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="+", choices=["tiny", *MODELS], default=["3L", "sbottomA", "1Lbb"])
    parser.add_argument("--rows", nargs="+", type=float, default=[1e2, 1e3, 1e4])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--bytes-per-launch", type=float, default=None,
                        help="device memory of one launch (default: the plugin's, 1 GiB)")
    args = parser.parse_args(argv)

    from likelihub_histfactory.devices import BatchEvaluator, cuda_available

    gpu = cuda_available()
    if not gpu:
        print("no CUDA device (numba.cuda.is_available() is False): CPU numbers only")
    models = [m for m in args.models if m == "tiny" or (SHARED / "histfactory").is_dir()] or ["tiny"]
    print(f"{'model':>9} {'rows':>7} {'cpu /s':>10} {'gpu /s':>10} {'gpu/cpu':>8} {'max diff':>9}")
    for name in models:
        backend = build(name)
        cpu = BatchEvaluator(backend.compiled, "cpu")
        device = BatchEvaluator(backend.compiled, "cuda") if gpu else None
        for n in map(int, args.rows):
            pars, data = rows(backend, n, np.random.default_rng(1))
            cpu_rate = n / median_seconds(cpu.hessian_batch, args.repeats, pars, data)
            line = f"{name:>9} {n:>7} {cpu_rate:>10.3g}"
            if device is not None:
                if args.bytes_per_launch:
                    from likelihub_histfactory.kernels import cuda_hessian

                    def call(p, d, _model=device._device_model, _compiled=backend.compiled):
                        return -cuda_hessian.hessian_batch(_model, _compiled, p, d, p.shape[0],
                                                           bytes_per_launch=int(args.bytes_per_launch))
                else:
                    call = device.hessian_batch
                gpu_rate = n / median_seconds(call, args.repeats, pars, data)
                on_gpu, on_cpu = call(pars, data), cpu.hessian_batch(pars, data)
                scale = np.max(np.abs(on_cpu), axis=(1, 2), keepdims=True)
                diff = float(np.max(np.abs(on_gpu - on_cpu) / scale))
                line += f" {gpu_rate:>10.3g} {gpu_rate / cpu_rate:>8.2f} {diff:>9.1e}"
            print(line, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
