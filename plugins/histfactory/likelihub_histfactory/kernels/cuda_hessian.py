"""CUDA kernel (numba.cuda) of the batched Hessian of the HistFactory -log L: one GPU thread per row.

Each thread runs :func:`.hessian_rows.compile_hessian_rows`'s ``hessian_into`` -- the very Python
functions the CPU kernel (:mod:`.hessian`) compiles, here compiled as CUDA device functions over
the interpolation codes' device functions -- on its own row: parameters and data from row-minor
device arrays (length, N), the Hessian and every scratch buffer as views ``array[..., i]`` of
row-minor device arrays, so the threads of a warp, which walk the model's entries and terms in the
same order, touch consecutive addresses. The numbers are the CPU kernel's to rounding (the same
operations in the same order; a compiler may fuse a multiply and an add differently).

Per row the scratch holds two (entries + bins, P) matrices and two (P, P) ones besides the
Hessian: about ``8 (2 (E + B) P + 3 P^2)`` bytes (1Lbb: E = 131 entries, P = 126 parameters:
~0.7 MB), so :func:`hessian_batch` launches in chunks of rows that bound the device memory used.

At a point of zero probability the Hessian is NaN in every element, as on the CPU; the kernel
divides by no zero there, so it also runs under numba's CUDA simulator. Import this module only
where numba.cuda is wanted (see :mod:`.cuda`); :meth:`likelihub_histfactory.devices.BatchEvaluator.
hessian_batch` is the interface.
"""

from __future__ import annotations

import numpy as np

from likelihub.plugin import BYTES_PER_LAUNCH, cuda_module, launch_rows

from .. import interpolation
from .cuda import DeviceModel, model_arrays
from .hessian_rows import compile_hessian_rows

__all__ = ["hessian_rows", "scratch_shapes", "hessian_batch", "kernel_types"]

cuda = cuda_module()

#: The interpolation codes' scalar functions and the Hessian's row functions as device functions
#: (the CPU kernels compile the same Python functions: :mod:`.cpu`, :mod:`.hessian`).
term, term_second, is_shift = interpolation.compile_terms(cuda.jit(device=True, inline=True))
_, _, hessian_into = compile_hessian_rows(cuda.jit(device=True), term, term_second, is_shift)


@cuda.jit
def hessian_rows(pars, data, n_main, entry_bin, entry_nominal, term_start, term_kind, term_parameter,
                 term_coefficients, aux_parameter, aux_is_poisson, aux_width, hessian, entry_base,
                 entry_factor, smallest, rates, left, right, diagonal, pairs, product, values, firsts,
                 seconds, prefix, suffix, is_factor, parameters):
    """The Hessian of -log L of row ``i`` into ``hessian[:, :, i]``, for every row (one thread each).

    ``pars`` (P, N or 1) and ``data`` (D, N or 1) are row-minor (a single column is shared by every
    row); ``hessian`` (P, P, N) is written; the scratch arrays have the shapes of
    :func:`scratch_shapes` (the row last).
    """
    i = cuda.grid(1)
    if i >= hessian.shape[2]:
        return
    ip = i if pars.shape[1] > 1 else 0
    idata = i if data.shape[1] > 1 else 0
    hessian_into(pars[:, ip], data[:, idata], n_main, entry_bin, entry_nominal, term_start, term_kind,
                 term_parameter, term_coefficients, aux_parameter, aux_is_poisson, aux_width,
                 hessian[:, :, i], entry_base[:, i], entry_factor[:, i], smallest[:, i], rates[:, i],
                 left[:, :, i], right[:, :, i], diagonal[:, i], pairs[:, :, i], product[:, :, i],
                 values[:, i], firsts[:, i], seconds[:, i], prefix[:, i], suffix[:, i], is_factor[:, i],
                 parameters[:, i])


def scratch_shapes(*, n_entries: int, n_main: int, n_parameters: int, max_terms: int, n_rows: int
                   ) -> tuple[tuple[tuple[int, ...], type], ...]:
    """Shapes and types of :func:`hessian_rows`' scratch arrays, in its order, for ``n_rows`` rows.

    Parameters
    ----------
    n_entries, n_main, n_parameters
        The model's entries (sample-bin pairs), main bins and parameters.
    max_terms
        The most terms of one entry.
    n_rows
        Rows of the launch.
    """
    e, b, p, t, n = n_entries, n_main, n_parameters, max(max_terms, 1), n_rows
    return (((e, n), np.float64), ((e, n), np.float64), ((e, n), np.float64), ((b, n), np.float64),
            ((e + b, p, n), np.float64), ((e + b, p, n), np.float64), ((p, n), np.float64),
            ((p, p, n), np.float64), ((p, p, n), np.float64),
            ((t, n), np.float64), ((t, n), np.float64), ((t, n), np.float64), ((t, n), np.float64),
            ((t, n), np.float64), ((t, n), np.bool_), ((t, n), np.int32))


def _sizes(compiled) -> dict:
    """The model sizes :func:`scratch_shapes` takes (rows aside)."""
    term_start = np.asarray(compiled.term_start)
    return {"n_entries": int(compiled.entry_bin.size), "n_main": int(compiled.n_main),
            "n_parameters": int(compiled.n_parameters),
            "max_terms": int(np.max(np.diff(term_start), initial=0))}


def kernel_types(compiled) -> tuple:
    """The numba types of :func:`hessian_rows`' arguments for ``compiled``, as a launch compiles it
    (row-minor C-contiguous device arrays): for ``numba.cuda.compile_ptx``."""
    from numba import typeof, types

    rows = types.Array(types.float64, 2, "C")
    scratch = (types.Array(typeof(np.dtype(kind).type()), len(shape), "C")
               for shape, kind in scratch_shapes(**_sizes(compiled), n_rows=1))
    return (rows, rows, types.int64, *(typeof(a) for a in model_arrays(compiled)),
            types.Array(types.float64, 3, "C"), *scratch)


def _row_bytes(sizes: dict) -> int:
    """Device memory of one row: its Hessian, scratch, parameters and data."""
    scratch = scratch_shapes(**sizes, n_rows=1)
    hessian = 8 * sizes["n_parameters"] ** 2
    return hessian + sum(int(np.prod(shape)) * np.dtype(kind).itemsize for shape, kind in scratch)


def hessian_batch(model: DeviceModel, compiled, pars: np.ndarray, data: np.ndarray, n_rows: int, *,
                  rows_per_launch: int | None = None, bytes_per_launch: int = BYTES_PER_LAUNCH) -> np.ndarray:
    """Hessians of -log L (N, P, P) on the GPU, in chunks of rows that bound device memory.

    Parameters
    ----------
    model
        The model's arrays on the device (:class:`.cuda.DeviceModel`).
    compiled
        The same model (:class:`~likelihub_histfactory.compile.CompiledModel`): its sizes.
    pars, data
        Host arrays (N or 1, P) and (N or 1, D): a single row is shared by every row and copied once.
    n_rows
        N.
    rows_per_launch, bytes_per_launch
        At most this many rows, and this many bytes, per launch.

    Returns
    -------
    numpy.ndarray
        (N, P, P), the Hessian of -log L of each row; NaN in every element where the row's data
        have probability zero.
    """
    sizes = _sizes(compiled)
    row_bytes = _row_bytes(sizes) + 8 * (model.n_parameters + model.n_data)
    chunk = max(1, min(n_rows, bytes_per_launch // row_bytes, rows_per_launch or n_rows))

    def columns(array: np.ndarray, start: int, stop: int):
        return cuda.to_device(np.ascontiguousarray(array[start:stop].T))

    shared = [columns(array, 0, 1) if array.shape[0] == 1 else None for array in (pars, data)]
    out = np.empty((n_rows, model.n_parameters, model.n_parameters))
    for start in range(0, n_rows, chunk):
        stop = min(n_rows, start + chunk)
        rows = [columns(array, start, stop) if copy is None else copy
                for copy, array in zip(shared, (pars, data), strict=True)]
        n = stop - start
        hessian = cuda.device_array((model.n_parameters, model.n_parameters, n))
        scratch = [cuda.device_array(shape, dtype=kind) for shape, kind in scratch_shapes(**sizes, n_rows=n)]
        launch_rows(hessian_rows, n, *rows, model.n_main, *model.arrays, hessian, *scratch)
        out[start:stop] = hessian.copy_to_host().transpose(2, 0, 1)
    return out
