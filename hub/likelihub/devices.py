"""Where a plugin's batched likelihoods run: the CPU, or a GPU through numba.cuda.

One definition for every plugin that offers a GPU path (the HistFactory and Combine plugins): the
accepted values of a factory's ``device`` argument, the probe of a usable GPU and the choice
between them, and the device memory one kernel launch may fill with its rows.

- ``device="auto"`` (a factory's default): the GPU where ``numba.cuda.is_available()``, the CPU
  otherwise;
- ``device="cpu"``: always available;
- ``device="cuda"``: a :class:`~likelihub.errors.CapabilityError` where no GPU is usable.

numba is not a dependency of the core: it is imported only by :func:`cuda_available` (so by
:func:`select_device` with ``"auto"`` or ``"cuda"``), never at import of likelihub. Under numba's
CUDA simulator (``NUMBA_ENABLE_CUDASIM=1`` set before numba.cuda is first imported) a GPU is
"available": the plugins' tests run their CUDA kernels that way.

Every import of numba.cuda by likelihub and its plugins goes through :func:`cuda_module`, which
first applies :func:`ensure_numpy_row_stack`: numba-cuda (the CUDA target outside numba; 0.30.4,
the newest release in December 2026) registers ``np.row_stack``, which numpy 2.5 removed, so on
numpy >= 2.5 its kernels fail to compile with an AttributeError. Where numpy lacks ``row_stack``
it is given numpy's own documented equivalent, ``numpy.vstack`` (numpy 2.x: "row_stack is an
alias for vstack"); numpy is left alone where it has it, and nothing is changed at
``import likelihub``.
"""

from __future__ import annotations

import warnings
from types import ModuleType

import numpy as np

from likelihub.errors import CapabilityError, InvalidModelError

__all__ = ["DEVICES", "BYTES_PER_LAUNCH", "THREADS_PER_BLOCK", "cuda_available", "select_device",
           "launch_rows", "rows_in_chunks", "cuda_module", "ensure_numpy_row_stack"]

#: Accepted values of a factory's ``device`` argument.
DEVICES = ("auto", "cpu", "cuda")

#: Device memory (bytes) one launch of a CUDA kernel may use for its rows (1 GiB): batches are
#: sent in chunks of as many rows as this holds.
BYTES_PER_LAUNCH = 1 << 30

#: Threads per block of a one-thread-per-row kernel (a multiple of the warp size).
THREADS_PER_BLOCK = 128


def ensure_numpy_row_stack(numpy_module: ModuleType | None = None) -> bool:
    """Give numpy ``row_stack`` (as ``numpy.vstack``) where it lacks it; called only by
    :func:`cuda_module`, right before numba.cuda is imported.

    numba-cuda 0.30.4 registers its implementation of ``np.row_stack`` unconditionally (numba
    itself does so only for numpy < 2.5), and numpy 2.5 removed that alias of ``vstack``: without
    this, ``device="cuda"`` fails with a traceback on numpy >= 2.5. numpy documented ``row_stack``
    as an alias of ``vstack`` (numpy 2.0-2.4), so the alias restores exactly the removed function.

    Parameters
    ----------
    numpy_module
        The module to patch (default: numpy); a stand-in in tests.

    Returns
    -------
    bool
        True where ``row_stack`` was added, False where numpy had it (left alone).
    """
    module = np if numpy_module is None else numpy_module
    if hasattr(module, "row_stack"):
        return False
    module.row_stack = module.vstack
    return True


def cuda_module() -> ModuleType:
    """``numba.cuda``, imported the one way likelihub and its plugins do: after
    :func:`ensure_numpy_row_stack`.

    Raises
    ------
    ImportError
        numba, or its CUDA target, is not installed.
    """
    ensure_numpy_row_stack()
    from numba import cuda

    return cuda


def cuda_available() -> bool:
    """Whether numba.cuda sees a usable GPU (or runs its simulator, NUMBA_ENABLE_CUDASIM=1); False
    where numba or its CUDA target is not installed."""
    try:
        cuda = cuda_module()
    except ImportError:  # pragma: no cover - numba absent, or without its CUDA target
        return False
    return bool(cuda.is_available())


def select_device(device: str = "auto") -> str:
    """The device batched evaluations run on: ``"cpu"`` or ``"cuda"``.

    Parameters
    ----------
    device
        ``"auto"`` (CUDA where a GPU is available, the CPU otherwise), ``"cpu"`` or ``"cuda"``.

    Raises
    ------
    InvalidModelError
        ``device`` is none of :data:`DEVICES` (naming the argument ``device``).
    CapabilityError
        ``device="cuda"`` where numba.cuda finds no GPU.
    """
    if not isinstance(device, str) or device not in DEVICES:
        raise InvalidModelError(f"device must be one of {', '.join(map(repr, DEVICES))}, got {device!r}",
                                argument="device")
    if device == "cpu":
        return "cpu"
    available = cuda_available()
    if device == "cuda" and not available:
        raise CapabilityError("device='cuda' was requested but numba.cuda finds no usable GPU "
                              "(numba.cuda.is_available() is False; see numba.cuda.detect()); "
                              "use device='auto' or 'cpu'")
    return "cuda" if available else "cpu"


def launch_rows(kernel, n_rows: int, *arguments, threads_per_block: int = THREADS_PER_BLOCK) -> None:
    """Launch a one-thread-per-row CUDA ``kernel`` (a ``numba.cuda.jit`` function) over ``n_rows``
    rows: enough blocks of ``threads_per_block`` threads, with ``arguments``.

    A small batch leaves most of the GPU idle and numba warns so (``NumbaPerformanceWarning``):
    expected, not a fault, so silenced here.
    """
    cuda_module()  # numba.cuda first, behind the shim
    from numba.core.errors import NumbaPerformanceWarning

    try:  # numba-cuda (the CUDA target outside numba) warns with its own class
        from numba.cuda.core.errors import NumbaPerformanceWarning as CudaPerformanceWarning
    except ImportError:  # numba's built-in CUDA target
        CudaPerformanceWarning = NumbaPerformanceWarning
    blocks = (n_rows + threads_per_block - 1) // threads_per_block
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NumbaPerformanceWarning)
        warnings.simplefilter("ignore", CudaPerformanceWarning)
        kernel[blocks, threads_per_block](*arguments)


def rows_in_chunks(launch, rows, n_rows: int, *, n_parameters: int, row_bytes: int,
                   rows_per_launch: int | None = None, bytes_per_launch: int = BYTES_PER_LAUNCH
                   ) -> tuple[np.ndarray, np.ndarray]:
    """-log L and its gradient of ``n_rows`` rows on the GPU, in chunks that bound device memory.

    Parameters
    ----------
    launch
        ``launch(*columns, n) -> (nll, grad)``: runs a kernel on ``n`` rows given row-minor device
        copies of the chunk's ``rows`` (``array.T``); returns device arrays (n,) and (P, n).
    rows
        Host arrays of N rows each, or of one row shared by every row (copied to the device once).
    n_rows, n_parameters
        N, and P (the gradient's length).
    row_bytes
        Device memory one row takes (inputs, scratch and outputs).
    rows_per_launch, bytes_per_launch
        At most this many rows, and this many bytes, per launch.

    Returns
    -------
    nll, grads
        Host arrays (N,) and (N, P).
    """
    cuda = cuda_module()
    chunk = max(1, min(n_rows, bytes_per_launch // row_bytes, rows_per_launch or n_rows))

    def columns(array: np.ndarray, start: int, stop: int):
        return cuda.to_device(np.ascontiguousarray(array[start:stop].T))

    shared = [columns(array, 0, 1) if array.shape[0] == 1 else None for array in rows]
    nll, grads = np.empty(n_rows), np.empty((n_rows, n_parameters))
    for start in range(0, n_rows, chunk):
        stop = min(n_rows, start + chunk)
        nll_rows, grad_columns = launch(*[columns(array, start, stop) if copy is None else copy
                                          for copy, array in zip(shared, rows, strict=True)], stop - start)
        nll[start:stop] = nll_rows.copy_to_host()
        grads[start:stop] = grad_columns.copy_to_host().T
    return nll, grads
