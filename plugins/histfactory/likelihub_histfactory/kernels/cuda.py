"""CUDA kernels (numba.cuda) of the batched HistFactory -log L and its analytic gradient.

The same formulas as the CPU kernels (:mod:`.cpu`) -- the same scalar functions of the interpolation
codes, compiled as device functions -- read from the same compiled arrays
(:class:`~likelihub_histfactory.compile.CompiledModel`), with one GPU thread per batch row (one
parameter set with one data set). Every thread walks the model's entries and terms in the same
order, so the model's arrays are read in lock-step by a warp (broadcast loads), while each row's own
numbers -- its parameters, data, expected counts and gradient -- sit in *row-minor* device arrays of
shape (length, N): consecutive threads touch consecutive addresses (coalesced). This mapping suits the
published models (tens of bins, a few hundred parameters) and batches of 10^3..10^6 rows; a
thread per row needs no synchronisation and no atomics.

Per row, three passes: (1) expected counts ``lambda_b`` into a scratch array; (2) the Poisson
terms of the main data, leaving ``w_b = 1 - n_b / lambda_b`` in the scratch array; (3) each
entry's back-propagation of ``w_b`` through its sum of shifts and product of factors, then the
constraint terms. Pass (3) evaluates the terms again instead of storing them (registers, not
memory), and takes the product of a factor's companions as ``factor / value`` -- or, where some
factors are exactly zero (e.g. mu = 0), as the product of the non-zero ones where the term is
the only zero and 0 otherwise -- which equals the CPU kernel's prefix-times-suffix product to
rounding (a few units in the last place).

Points of zero probability (observed events where none are expected, a Poisson constraint with
datum ``a > 0`` at rate ``<= 0``) give -log L = ``+inf`` and a NaN gradient, as on the CPU
(:mod:`.cpu`); the kernel takes no logarithm of zero and divides by no zero there, so it
also runs under numba's CUDA simulator, where ``math.log(0.0)`` would raise.

Import this module only where numba.cuda is wanted: on a machine without a GPU it compiles for
numba's CUDA simulator only when ``NUMBA_ENABLE_CUDASIM=1`` was set before numba.cuda was first
imported. :class:`~likelihub_histfactory.devices.BatchEvaluator` is the interface; these are its
building blocks.
"""

from __future__ import annotations

import math

import numpy as np

from likelihub.plugin import THREADS_PER_BLOCK, cuda_module, launch_rows

from .. import interpolation
from . import scalars

__all__ = ["THREADS_PER_BLOCK", "DeviceModel", "nll_and_grad_rows", "kernel_types", "launch"]

#: numba.cuda, through the core (after its numpy compatibility shim, :func:`likelihub.plugin.cuda_module`).
cuda = cuda_module()


_HALF_LOG_2PI = 0.5 * math.log(2.0 * math.pi)

#: The interpolation codes' scalar functions compiled as device functions (those of the CPU kernels).
term, _, is_shift = interpolation.compile_terms(cuda.jit(device=True, inline=True))
poisson_nll_offset = cuda.jit(device=True, inline=True)(scalars.poisson_nll_offset)


@cuda.jit
def nll_and_grad_rows(pars, data, n_main, entry_bin, entry_nominal, term_start, term_kind,
                      term_parameter, term_coefficients, aux_parameter, aux_is_poisson, aux_width,
                      scratch, nll, grad):
    """-log L and d(-log L)/d pars of row ``i`` for every row (one thread each).

    ``pars`` (P, N or 1) and ``data`` (D, N or 1) are row-minor (a single column is shared by
    every row); ``scratch`` (n_main, N) holds the expected counts, then the weights; ``nll`` (N,)
    and ``grad`` (P, N) are written.
    """
    i = cuda.grid(1)
    n_rows = nll.shape[0]
    if i >= n_rows:
        return
    ip = i if pars.shape[1] > 1 else 0
    idata = i if data.shape[1] > 1 else 0
    n_entries = entry_bin.shape[0]

    # (1) expected counts
    for b in range(n_main):
        scratch[b, i] = 0.0
    for e in range(n_entries):
        base = entry_nominal[e]
        factor = 1.0
        for t in range(term_start[e], term_start[e + 1]):
            kind = term_kind[t]
            v, _ = term(kind, pars[term_parameter[t], ip], term_coefficients, t)
            if is_shift(kind):
                base += v
            else:
                factor *= v
        scratch[entry_bin[e], i] += base * factor

    # (2) Poisson terms of the main data; the scratch becomes d(-log L)/d(lambda_b)
    total = 0.0
    impossible = False  # observed events where none are expected: -log L = +inf
    for b in range(n_main):
        n = data[b, idata]
        lam = scratch[b, i]
        if n == 0.0:
            total += lam
            scratch[b, i] = 1.0
        elif lam <= 0.0:
            impossible = True
            scratch[b, i] = 0.0
        else:
            total += lam - n * math.log(lam) + math.lgamma(n + 1.0)
            scratch[b, i] = 1.0 - n / lam

    # (3) back-propagation through each entry
    for p in range(grad.shape[0]):
        grad[p, i] = 0.0
    for e in range(n_entries):
        base = entry_nominal[e]
        nonzero_factor = 1.0
        zeros = 0
        for t in range(term_start[e], term_start[e + 1]):
            kind = term_kind[t]
            v, _ = term(kind, pars[term_parameter[t], ip], term_coefficients, t)
            if is_shift(kind):
                base += v
            elif v == 0.0:
                zeros += 1
            else:
                nonzero_factor *= v
        factor = nonzero_factor if zeros == 0 else 0.0
        w = scratch[entry_bin[e], i]
        for t in range(term_start[e], term_start[e + 1]):
            kind = term_kind[t]
            p = term_parameter[t]
            v, d = term(kind, pars[p, ip], term_coefficients, t)
            if is_shift(kind):
                grad[p, i] += w * factor * d
            else:
                if zeros == 0:
                    companions = factor / v
                elif zeros == 1 and v == 0.0:
                    companions = nonzero_factor
                else:
                    companions = 0.0
                grad[p, i] += w * base * companions * d

    # constraint terms
    for j in range(aux_parameter.shape[0]):
        p = aux_parameter[j]
        a = data[n_main + j, idata]
        theta = pars[p, ip]
        if aux_is_poisson[j]:
            tau = aux_width[j]
            rate = tau * theta
            if a == 0.0:
                total += rate
                grad[p, i] += tau
            elif rate <= 0.0:
                impossible = True
            else:
                x = (rate - a) / a
                total += a * (x - math.log1p(x)) + poisson_nll_offset(a)
                grad[p, i] += tau - a / theta
        else:
            sigma = aux_width[j]
            pull = (a - theta) / sigma
            total += 0.5 * pull * pull + math.log(sigma) + _HALF_LOG_2PI
            grad[p, i] -= pull / sigma
    if impossible:
        total = math.inf
        for p in range(grad.shape[0]):
            grad[p, i] = math.nan
    nll[i] = total


class DeviceModel:
    """A compiled model's arrays copied once to the GPU, in the order the kernel takes them.

    Parameters
    ----------
    compiled
        A :class:`~likelihub_histfactory.compile.CompiledModel`.
    """

    def __init__(self, compiled):
        self.n_main = int(compiled.n_main)
        self.n_parameters = int(compiled.n_parameters)
        self.n_data = int(compiled.n_main + compiled.n_aux)
        self.arrays = tuple(cuda.to_device(a) for a in model_arrays(compiled))


def model_arrays(compiled) -> tuple[np.ndarray, ...]:
    """A compiled model's arrays on the host, as :func:`nll_and_grad_rows` takes them (C-contiguous).

    Indices as int32 and kinds as int8: every thread reads these, so fewer bytes per term.
    """
    host = (compiled.entry_bin.astype(np.int32), compiled.entry_nominal,
            compiled.term_start.astype(np.int32), compiled.term_kind.astype(np.int8),
            compiled.term_parameter.astype(np.int32), compiled.term_coefficients,
            compiled.aux_parameter.astype(np.int32), compiled.aux_is_poisson.astype(np.uint8),
            compiled.aux_width)
    return tuple(np.ascontiguousarray(a) for a in host)


def kernel_types(compiled) -> tuple:
    """The numba types of :func:`nll_and_grad_rows`'s arguments for ``compiled``, as a launch
    compiles it (row-minor C-contiguous device arrays): for ``numba.cuda.compile_ptx``."""
    from numba import typeof, types

    rows = types.Array(types.float64, 2, "C")
    return (rows, rows, types.int64, *(typeof(a) for a in model_arrays(compiled)), rows,
            types.Array(types.float64, 1, "C"), rows)


def launch(model: DeviceModel, pars_columns, data_columns, n_rows: int):
    """Run :func:`nll_and_grad_rows` on device arrays; returns device arrays ``(nll, grad)``.

    Parameters
    ----------
    model
        The model on the device.
    pars_columns, data_columns
        Row-minor device arrays (P, N or 1) and (D, N or 1).
    n_rows
        N, the number of rows.
    """
    scratch = cuda.device_array((model.n_main, n_rows))
    nll = cuda.device_array(n_rows)
    grad = cuda.device_array((model.n_parameters, n_rows))
    launch_rows(nll_and_grad_rows, n_rows, pars_columns, data_columns, model.n_main, *model.arrays,
                scratch, nll, grad)
    return nll, grad
