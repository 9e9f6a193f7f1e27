"""CUDA kernel (numba.cuda) of Combine rows: -log L and its analytic gradient, one GPU thread per row.

The kernel runs the CPU kernels' own code. :func:`device_function` compiles a CPU kernel function
(a ``numba.njit`` dispatcher of :mod:`.cpu`, :mod:`.columns`, :mod:`.formulas`, :mod:`.scalars`,
:mod:`.buffers`) once more, as a CUDA device function: its Python body (``py_func``) with its
global names rebound, so that every kernel function it calls -- by name, or as an attribute of a
kernel module (``bf.ints_of``) -- is that function's device version too. So
:func:`.cpu.evaluate`, with everything it calls, is the row's work on the GPU as on the CPU: every
formula has one definition. (numba 0.68's CUDA target also compiles a kernel that calls a
``numba.njit`` function directly, but numba's CUDA simulator, which the tests run, cannot call one;
the device copies run as Python under the simulator and compile for a GPU alike.)

Layout. Thread ``i`` evaluates row ``i``: parameters ``pars[:, i]`` and data ``data[:, i]`` (a
single column where every row shares it), with model ``members[i]`` (a stack's member; 0 for one
card), whose packed buffers (:mod:`.buffers`) are a slice of ``ints``/``floats``, copied to the
device once. Arrays of rows are *row-minor*, (length, N): consecutive threads touch consecutive
addresses (coalesced), as in the HistFactory plugin's CUDA kernel. Each row's scratch -- the
arrays :func:`.cpu.allocate` makes on the CPU, of the shapes :func:`.cpu.scratch_shapes` gives for
order 1 -- is a view ``a[..., i]`` of device arrays of shapes ``shape + (N,)``: no allocation in
device code. The order is 1 (value and gradient); Hessians stay on the CPU.

Numbers. The same operations in the same order as the CPU kernel; the GPU's ``exp``, ``log`` and
``lgamma`` (libdevice) may differ from the CPU's in the last place: the tests require 1e-10
relative. Zero probabilities and clipped bins take the CPU kernel's branches (IEEE semantics: the
kernels never raise).

Import this module only where numba.cuda is wanted: on a machine without a GPU it runs under
numba's CUDA simulator only where ``NUMBA_ENABLE_CUDASIM=1`` was set before numba.cuda was first
imported. :class:`likelihub_combine.devices.CudaRows` is the interface; these are its building
blocks.
"""

from __future__ import annotations

import types

import numpy as np
from numba.core.dispatcher import Dispatcher

from likelihub.plugin import THREADS_PER_BLOCK, cuda_module, launch_rows

from . import buffers as bf
from . import cpu

__all__ = ["THREADS_PER_BLOCK", "SCRATCH_DTYPES", "device_function", "evaluate", "nll_and_grad_rows",
           "kernel_types", "DeviceModel", "row_bytes", "launch"]

#: numba.cuda, through the core (after its numpy compatibility shim, :func:`likelihub.plugin.cuda_module`).
cuda = cuda_module()


#: The package whose modules' kernel functions are compiled again for the device.
_PACKAGE = __name__.rpartition(".")[0]

_device_versions: dict = {}  # py_func -> its device function
_device_modules: dict = {}  # module name -> a module of device functions


def device_function(dispatcher: Dispatcher):
    """The CUDA device function of a CPU kernel function (a ``numba.njit`` dispatcher of this
    package): its Python body, compiled by ``numba.cuda.jit(device=True)``, with the kernel
    functions it calls rebound to their device functions. Made once per function."""
    body = dispatcher.py_func
    if body in _device_versions:
        return _device_versions[body]
    namespace = dict(body.__globals__)
    copy = types.FunctionType(body.__code__, namespace, body.__name__, body.__defaults__, body.__closure__)
    copy.__qualname__, copy.__doc__ = body.__qualname__, body.__doc__
    compiled = cuda.jit(device=True)(copy)
    inline = dispatcher.targetoptions.get("inline")
    if inline is not None and hasattr(compiled, "targetoptions"):  # not under the simulator
        # A device function cannot return an array (a view: ``bf.ints_of``); those that do are
        # inlined at numba's IR level, as on the CPU (``inline="always"``). numba's cuda.jit does
        # not pass its ``inline`` argument on; the untyped pass that inlines reads this option.
        compiled.targetoptions["inline"] = inline
    _device_versions[body] = compiled
    for name in body.__code__.co_names:
        value = namespace.get(name)
        if isinstance(value, Dispatcher):
            namespace[name] = device_function(value)
        elif isinstance(value, types.ModuleType) and value.__name__.startswith(_PACKAGE + "."):
            namespace[name] = _device_module(value)
    return compiled


def _device_module(module: types.ModuleType) -> types.ModuleType:
    """A copy of a kernel module whose kernel functions are their device functions (for the
    module attributes a kernel function reads, ``bf.ints_of``)."""
    if module.__name__ not in _device_modules:
        copy = types.ModuleType(module.__name__ + "[cuda]", module.__doc__)
        copy.__dict__.update({k: v for k, v in vars(module).items() if not k.startswith("__")})
        _device_modules[module.__name__] = copy
        for name, value in vars(module).items():
            if isinstance(value, Dispatcher):
                setattr(copy, name, device_function(value))
    return _device_modules[module.__name__]


#: The row's work: :func:`.cpu.evaluate` and everything it calls, as device functions.
evaluate = device_function(cpu.evaluate)


@cuda.jit
def nll_and_grad_rows(pars, data, members, int_offset, float_offset, ints, floats, scratch, nll, grad):
    """-log L and d(-log L)/d pars of row ``i`` for every row (one thread each).

    ``pars`` (P, N or 1), ``data`` (D, N or 1) and ``members`` (N or 1) are row-minor (a single
    column is shared by every row); model ``m``'s buffers are ``ints[int_offset[m]:int_offset[m +
    1]]`` and ``floats[float_offset[m]:float_offset[m + 1]]``; ``scratch`` holds the nested tuples
    of :func:`.cpu.allocate`'s arrays with a last axis of N; ``nll`` (N,) and ``grad`` (P, N) are
    written.
    """
    i = cuda.grid(1)
    if i >= nll.shape[0]:
        return
    ip = i if pars.shape[1] > 1 else 0
    idata = i if data.shape[1] > 1 else 0
    m = members[i] if members.shape[0] > 1 else members[0]
    f, q, b, c, d = scratch
    rows = ((f[0][..., i], f[1][..., i], f[2][..., i], f[3][..., i], f[4][..., i], f[5][..., i],
             f[6][..., i], f[7][..., i], f[8][..., i], f[9][..., i], f[10][..., i], f[11][..., i],
             f[12][..., i]),
            (q[0][..., i], q[1][..., i], q[2][..., i], q[3][..., i], q[4][..., i], q[5][..., i],
             q[6][..., i], q[7][..., i]),
            (b[0][..., i], b[1][..., i], b[2][..., i], b[3][..., i], b[4][..., i]),
            (c[0][..., i], c[1][..., i]),
            (d[0][..., i], d[1][..., i], d[2][..., i]))
    # order 1: the Hessian is never touched; the (0, P) Jacobian scratch stands in for it
    nll[i] = evaluate(pars[:, ip], data[:, idata], ints[int_offset[m]:int_offset[m + 1]],
                      floats[float_offset[m]:float_offset[m + 1]], 1, grad[:, i], rows[4][0], rows)


def _largest_sizes(ints: np.ndarray, int_offset: np.ndarray) -> np.ndarray:
    """The largest of every model's ``sizes`` section (as :func:`.cpu.nll_grad_hessian_rows`)."""
    sizes = [bf.ints_of(ints[int_offset[m]:int_offset[m + 1]], bf.I_SIZES)
             for m in range(int_offset.size - 1)]
    return np.max(np.stack(sizes), axis=0)


#: The dtypes of :func:`.cpu.allocate`'s arrays, nested as they are.
SCRATCH_DTYPES = ((np.float64,) * 13, (np.float64,) * 8, (np.float64,) * 5, (np.float64,) * 2,
                  (np.float64, np.float64, np.int64))


def kernel_types(scratch_shapes) -> tuple:
    """The numba types of :func:`nll_and_grad_rows`'s arguments for rows' scratch of the given
    shapes (:func:`.cpu.scratch_shapes`), as a launch compiles it (for ``numba.cuda.compile_ptx``)."""
    from numba import typeof
    from numba.core import types as nb

    def array(ndim: int, dtype=np.float64):
        return typeof(np.zeros((1,) * ndim, dtype))

    scratch = nb.Tuple([nb.Tuple([array(len(shape) + 1, dtype)
                                  for shape, dtype in zip(group, dtypes, strict=True)])
                        for group, dtypes in zip(scratch_shapes, SCRATCH_DTYPES, strict=True)])
    index = array(1, np.int64)
    return (array(2), array(2), index, index, index, index, array(1), scratch, array(1), array(2))


class DeviceModel:
    """Models' packed buffers copied once to the GPU, with the shapes of a row's scratch.

    Parameters
    ----------
    ints, floats
        The buffers (:mod:`.buffers`) of one model, or the concatenation of a stack's.
    int_offset, float_offset
        Model ``m``'s buffers start at ``int_offset[m]`` and ``float_offset[m]`` ((M + 1,) each).
    """

    def __init__(self, ints: np.ndarray, floats: np.ndarray, int_offset: np.ndarray,
                 float_offset: np.ndarray):
        self.n_models = int(int_offset.size - 1)
        sizes = _largest_sizes(ints, int_offset)
        self.n_parameters = int(sizes[bf.S_PARAMETERS])
        #: The shapes of one row's scratch arrays (nested as :func:`.cpu.allocate`'s), order 1.
        self.scratch_shapes = cpu.scratch_shapes(np.ascontiguousarray(sizes), np.int64(1))
        self.arrays = tuple(cuda.to_device(np.ascontiguousarray(a, dtype))
                            for a, dtype in ((int_offset, np.int64), (float_offset, np.int64),
                                             (ints, np.int64), (floats, np.float64)))

    def scratch_doubles(self) -> int:
        """The number of 8-byte words of one row's scratch."""
        return sum(int(np.prod(shape)) for group in self.scratch_shapes for shape in group)


def row_bytes(model: DeviceModel, n_data: int) -> int:
    """Device memory of one row: parameters, data, member, scratch, -log L and gradient."""
    return 8 * (2 * model.n_parameters + n_data + 2 + model.scratch_doubles())


def launch(model: DeviceModel, pars_columns, data_columns, members, n_rows: int):
    """Run :func:`nll_and_grad_rows` on device arrays; returns device arrays ``(nll, grad)``.

    Parameters
    ----------
    model
        The models on the device.
    pars_columns, data_columns, members
        Row-minor device arrays (P, N or 1), (D, N or 1) and (N or 1,) (int64).
    n_rows
        N, the number of rows.
    """
    scratch = tuple(tuple(cuda.device_array(tuple(shape) + (n_rows,), dtype)
                          for shape, dtype in zip(group, dtypes, strict=True))
                    for group, dtypes in zip(model.scratch_shapes, SCRATCH_DTYPES, strict=True))
    nll = cuda.device_array(n_rows)
    grad = cuda.device_array((model.n_parameters, n_rows))
    launch_rows(nll_and_grad_rows, n_rows, pars_columns, data_columns, members, *model.arrays, scratch,
                nll, grad)
    return nll, grad
