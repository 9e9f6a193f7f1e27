"""Throughput of batched -log L and gradient (HistFactory models, Combine cards): CUDA vs CPU kernels.

Run by hand (not a test)::

    python benchmarks/bench_gpu.py [--models 3L 1Lbb sbottomA combine-sus combine-part2]
                                   [--rows 1e3 1e4 1e5 1e6] [--cpu-seconds 20] [--repeats 5]
                                   [--rows-per-launch 32768]

For each model (an ATLAS likelihood from ../shared/data with one signal patch, or ``tiny``, the
hand-written workspace of the tests, when the published data are absent; or a Combine datacard
of ../shared/data/datacards, ``combine-*``: :data:`CARDS`) and each batch size N,
rows are random parameter sets near the initial values with toy data sets, and the script prints
evaluations per second (median of ``--repeats`` timed calls, after one untimed warm-up call that
also compiles):

- ``cpu``: :func:`likelihub_histfactory.kernels.cpu.nll_and_grad_batch` (numba, one core), or a
  ``device="cpu"`` card's ``value_and_grad_batch``, skipped for a batch whose estimated time
  exceeds ``--cpu-seconds``;
- ``gpu end-to-end``: :meth:`BatchEvaluator.value_and_grad_batch` on ``device="cuda"``, or a
  ``device="cuda"`` card's, NumPy arrays in and out (host-device copies included);
- ``gpu kernel``: the kernel alone on rows already on the device (``cuda.synchronize`` timed; a
  Combine card's: one launch of at most the rows one launch takes, :class:`CudaRows`' chunk);
- with ``--rows-per-launch K``, also ``gpu e2e`` with launches of at most K rows (fewer rows in
  flight keep the gradients being accumulated in L2: a tuning knob of :class:`BatchEvaluator`);

and the ratios gpu/cpu. Without a GPU it says so plainly and prints the CPU numbers only.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
import warnings
from pathlib import Path

import numpy as np
from peers import ROOT, SHARED  # benchmarks/peers.py: on sys.path

TINY = ROOT / "tests" / "histfactory" / "data" / "all_modifiers.json"
MODELS = {
    "3L": ("atlas-susy-2018-06-3L-eRJR.tar.gz", {"member": "BkgOnly.json", "patchset": "patchset.json",
                                                 "patch_name": "ERJR_350p0_0p0"}),
    "1Lbb": ("atlas-susy-2019-08-1Lbb.tar.gz", {"member": "BkgOnly.json", "patchset": "patchset.json",
                                                "patch_name": "C1N2_Wh_hbb_900_250"}),
    "sbottomA": ("atlas-susy-2018-31-sbottom.tar.gz",
                 {"member": "RegionA/BkgOnly.json", "patches": ["RegionA/patch.sbottom_1300_205_60.json"]}),
}


#: Combine cards (under ../shared/data/datacards): name, mass.
CARDS = {
    "combine-sus": ("cms_sus_20_004/2DTChiHH600_LSP150.txt", None),
    "combine-part2": ("combine_docs/longexercise_part2_shape/datacard_part2_shapes_autoMCStats.txt", "800"),
    "combine-realistic": ("combine_tutorials/realistic-counting-experiment.txt", None),
}


class Case:
    """What is timed for one model: its rows, the CPU batch, the GPU batch, the GPU kernel alone."""

    def __init__(self, description, rows, cpu, gpu=None, kernel=None, limited=None):
        self.description, self.rows, self.cpu = description, rows, cpu
        self.gpu, self.kernel, self.limited = gpu, kernel, limited


def histfactory_case(name: str, gpu: bool, rows_per_launch: int | None) -> Case:
    from likelihub_histfactory.devices import BatchEvaluator

    backend = build(name)
    c = backend.compiled
    gpu_evaluator = BatchEvaluator(c, "cuda") if gpu else None
    limited = BatchEvaluator(c, "cuda", rows_per_launch) if gpu and rows_per_launch else None
    return Case(f"{c.n_main} bins, {c.n_parameters} parameters, {c.n_aux} auxiliary data, "
                f"{c.entry_bin.size} entries, {c.term_kind.size} terms",
                lambda n, rng: rows(backend, n, rng), BatchEvaluator(c, "cpu").value_and_grad_batch,
                gpu_evaluator and gpu_evaluator.value_and_grad_batch,
                gpu_evaluator and (lambda pars, data, k: _kernel_rate(gpu_evaluator, pars, data, k)),
                limited and limited.value_and_grad_batch)


def combine_case(name: str, gpu: bool, rows_per_launch: int | None) -> Case:
    from likelihub_combine.backend import datacard
    from likelihub_combine.devices import CudaRows

    card, mass = CARDS[name]
    cpu_card = datacard(SHARED / "datacards" / card, mass=mass, device="cpu")
    gpu_card = datacard(SHARED / "datacards" / card, mass=mass, device="cuda") if gpu else None
    init = np.array(cpu_card.config.init, float)
    bounds = np.array(cpu_card.config.bounds, float)

    def card_rows(n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        pars = np.clip(init + rng.uniform(-0.2, 0.2, (n, init.size)), bounds[:, 0] + 1e-6, bounds[:, 1])
        return pars, cpu_card.sample(init, n, rng)

    limited = None
    if gpu and rows_per_launch:
        model = cpu_card.kernel_model
        limited_rows = CudaRows(model.ints, model.floats, *cpu_card._kernel_arrays[:2], cpu_card.data.size,
                                rows_per_launch)
        limited = limited_rows.nll_and_grad
    return Case(f"{cpu_card.n_main} bins, {len(init)} parameters, {cpu_card.data.size - cpu_card.n_main} "
                f"global observables", card_rows, cpu_card.value_and_grad_batch,
                gpu_card and gpu_card.value_and_grad_batch,
                gpu_card and (lambda pars, data, k: _card_kernel_rate(gpu_card, pars, data, k)),
                limited)


def build(name: str):
    """The backend of a named model (``tiny`` or a key of :data:`MODELS`)."""
    from likelihub_histfactory.factory import build_backend

    if name == "tiny":
        return build_backend(json.loads(TINY.read_text()))
    archive, options = MODELS[name]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # measurement settings of parameters a patch does not use
        return build_backend(SHARED / "histfactory" / archive, **options)


def rows(backend, n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """``n`` parameter sets (init +- 0.2, within bounds) and ``n`` toy data sets at init."""
    c = backend.compiled
    pars = np.clip(c.init + rng.uniform(-0.2, 0.2, (n, c.n_parameters)),
                   c.bounds[:, 0] + 1e-6, c.bounds[:, 1])
    return pars, backend.sample(c.init, n, rng)


def median_seconds(call, repeats: int, *args) -> float:
    """Median wall time of ``repeats`` calls ``call(*args)``, after one untimed call."""
    call(*args)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        call(*args)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def bench_model(name: str, sizes: list[int], repeats: int, cpu_seconds: float, gpu: bool,
                rows_per_launch: int | None) -> list[dict]:
    case = (combine_case if name in CARDS else histfactory_case)(name, gpu, rows_per_launch)
    print(f"\n{name}: {case.description}")
    rng = np.random.default_rng(2024)
    # CPU seconds per row, measured once on 1000 rows, to skip hopeless batches
    pars, data = case.rows(1000, rng)
    cpu_per_row = median_seconds(case.cpu, 3, pars, data) / 1000
    header = f"{'rows':>9} {'cpu ev/s':>12} {'gpu e2e ev/s':>14} {'gpu kernel ev/s':>16} " \
             f"{'e2e/cpu':>9} {'kernel/cpu':>11} {'max rel diff':>13}"
    print(header)
    results = []
    last_cpu = None  # the CPU rate of the largest batch timed, for batches the CPU skips
    for n in sizes:
        pars, data = case.rows(n, rng)
        row = {"model": name, "rows": n}
        if cpu_per_row * n * (repeats + 1) <= cpu_seconds:
            row["cpu"] = n / median_seconds(case.cpu, repeats, pars, data)
        if case.gpu is not None:
            row["gpu_end_to_end"] = n / median_seconds(case.gpu, repeats, pars, data)
            row["gpu_kernel"] = case.kernel(pars, data, repeats)
            if case.limited is not None:
                row["gpu_end_to_end_limited"] = n / median_seconds(case.limited, repeats, pars, data)
            # agreement on the first 1000 rows (the tests require 1e-10 relative)
            head = slice(0, min(n, 1000))
            got = case.gpu(pars[head], data[head])[0]
            want = case.cpu(pars[head], data[head])[0]
            row["max_rel_diff"] = float(np.max(np.abs(got / want - 1.0)))
        last_cpu = row.get("cpu", last_cpu)
        results.append(row)
        print(f"{n:>9} {_fmt(row.get('cpu')):>12} {_fmt(row.get('gpu_end_to_end')):>14} "
              f"{_fmt(row.get('gpu_kernel')):>16} {_ratio(row, 'gpu_end_to_end', last_cpu):>9} "
              f"{_ratio(row, 'gpu_kernel', last_cpu):>11} {row.get('max_rel_diff', float('nan')):>13.2e}"
              + (f"   e2e with {rows_per_launch} rows/launch: {_fmt(row['gpu_end_to_end_limited'])}"
                 if "gpu_end_to_end_limited" in row else ""))
    if "cpu" not in results[-1]:
        print(f"  (cpu skipped where its estimate, {cpu_per_row * 1e6:.2f} us per row, exceeds "
              f"--cpu-seconds; ratios then use the cpu rate of the largest batch timed)")
    return results


def _kernel_rate(evaluator, pars: np.ndarray, data: np.ndarray, repeats: int) -> float:
    """Rows per second of the kernel alone, on rows copied to the device beforehand (one launch)."""
    from likelihub_histfactory.kernels.cuda import cuda, launch

    pars_columns = cuda.to_device(np.ascontiguousarray(pars.T))
    data_columns = cuda.to_device(np.ascontiguousarray(data.T))

    def call():
        launch(evaluator._device_model, pars_columns, data_columns, pars.shape[0])
        cuda.synchronize()

    return pars.shape[0] / median_seconds(call, repeats)


def _card_kernel_rate(card, pars: np.ndarray, data: np.ndarray, repeats: int) -> float:
    """Rows per second of a card's kernel alone: one launch of the first rows (as many as one
    launch takes), copied to the device beforehand."""
    from likelihub_combine.kernels.cuda import cuda, launch, row_bytes

    from likelihub.plugin import BYTES_PER_LAUNCH

    model = card._gpu_rows().model
    n = min(pars.shape[0], max(1, BYTES_PER_LAUNCH // row_bytes(model, card.data.size)))
    pars_columns = cuda.to_device(np.ascontiguousarray(pars[:n].T))
    data_columns = cuda.to_device(np.ascontiguousarray(data[:n].T))
    members = cuda.to_device(np.zeros(1, np.int64))

    def call():
        launch(model, pars_columns, data_columns, members, n)
        cuda.synchronize()

    return n / median_seconds(call, repeats)


def _fmt(rate) -> str:
    return "-" if rate is None else f"{rate:.3g}"


def _ratio(row: dict, key: str, cpu: float | None) -> str:
    if key not in row or cpu is None:
        return "-"
    return f"{row[key] / cpu:.3g}"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="+", choices=["tiny", *MODELS, *CARDS],
                        default=["3L", "1Lbb", "sbottomA", "combine-sus", "combine-part2"])
    parser.add_argument("--rows", nargs="+", type=float, default=[1e3, 1e4, 1e5, 1e6])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--cpu-seconds", type=float, default=20.0,
                        help="skip a CPU batch estimated to take longer than this in all (s)")
    parser.add_argument("--rows-per-launch", type=int, help="also time launches of at most this many rows")
    parser.add_argument("--output", type=Path, help="write the results as JSON")
    args = parser.parse_args(argv)

    from likelihub.plugin import cuda_available

    gpu = cuda_available()
    if os.environ.get("NUMBA_ENABLE_CUDASIM") == "1":
        print("NUMBA_ENABLE_CUDASIM=1: the CUDA simulator is not a GPU; unset it to benchmark")
        return 2
    if gpu:
        from likelihub.plugin import cuda_module

        name = cuda_module().get_current_device().name  # bytes in numba's CUDA target, str in numba-cuda
        print(f"GPU: {name.decode() if isinstance(name, bytes) else name}")
    else:
        print("NO GPU: numba.cuda.is_available() is False; only the CPU kernel is timed "
              "(run this script on a machine with a CUDA GPU for the GPU columns)")
    if not (SHARED / "README.md").is_file():
        print(f"published likelihoods not found at {SHARED}: using the tiny test workspace")
        args.models = ["tiny"]  # (the Combine cards are published data too)
    results = []
    for name in args.models:
        results += bench_model(name, [int(n) for n in args.rows], args.repeats, args.cpu_seconds, gpu,
                               args.rows_per_launch)
    if args.output:
        args.output.write_text(json.dumps({"gpu": gpu, "results": results}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
