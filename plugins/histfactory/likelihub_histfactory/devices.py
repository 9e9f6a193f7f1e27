"""Where batched likelihoods run: the CPU kernels (numba) or the CUDA kernels (numba.cuda).

What to use when:

- ``device="auto"`` (the default): the GPU where ``numba.cuda.is_available()``, the CPU otherwise.
- ``device="cpu"``: :func:`likelihub_histfactory.kernels.cpu.nll_and_grad_batch`, always available.
- ``device="cuda"``: :mod:`.kernels.cuda` (and :mod:`.kernels.cuda_hessian` for Hessians); an
  error where no GPU is usable.

    evaluator = BatchEvaluator(backend.compiled, device="auto")
    logpdf, grad = evaluator.value_and_grad_batch(pars, data)   # (N,), (N, P)

:class:`BatchEvaluator` copies the model's arrays to the GPU once; each call copies the rows in
and the results out, in chunks that bound the GPU memory used. The GPU kernels agree with the CPU
kernels to 1e-10 relative (tests run them under numba's CUDA simulator, NUMBA_ENABLE_CUDASIM=1).
numba.cuda is imported only where a device is selected, never at import of this module; the choice
of device (:func:`select_device`) is the core's, :mod:`likelihub.devices`.
"""

from __future__ import annotations

import numpy as np

from likelihub.errors import InvalidDataError, InvalidModelError
from likelihub.plugin import BYTES_PER_LAUNCH, DEVICES, cuda_available, rows_in_chunks, select_device

from .compile import CompiledModel
from .kernels import cpu as kernels
from .kernels import hessian as hessian_kernels

# DEVICES, BYTES_PER_LAUNCH, cuda_available and select_device are the core's (likelihub.plugin),
# shared with the other plugins' GPU paths; named here too for this module's users.
__all__ = ["DEVICES", "BYTES_PER_LAUNCH", "cuda_available", "select_device", "BatchEvaluator"]


class BatchEvaluator:
    """log L and its gradient for many rows (parameter set, data set), on the CPU or a GPU.

    Parameters
    ----------
    compiled
        The model (:class:`~likelihub_histfactory.compile.CompiledModel`).
    device
        ``"auto"``, ``"cpu"`` or ``"cuda"`` (see :func:`select_device`).
    rows_per_launch
        At most this many rows per launch of the CUDA kernel (default: as many as
        :data:`BYTES_PER_LAUNCH` of device memory hold). Fewer rows in flight keep the gradients
        being accumulated in the GPU's L2 cache; ``benchmarks/bench_gpu.py`` measures the effect.

    Attributes
    ----------
    device
        The device selected: ``"cpu"`` or ``"cuda"``.
    """

    def __init__(self, compiled: CompiledModel, device: str = "auto", rows_per_launch: int | None = None):
        if rows_per_launch is not None and rows_per_launch < 1:
            raise InvalidModelError(f"rows_per_launch must be a positive number, got {rows_per_launch}",
                                    argument="rows_per_launch")
        self.compiled = compiled
        self.rows_per_launch = rows_per_launch
        self.device = select_device(device)
        self.n_parameters = int(compiled.n_parameters)
        self.n_data = int(compiled.n_main + compiled.n_aux)
        c = compiled
        self._model_arrays = (c.entry_bin, c.entry_nominal, c.term_start, c.term_kind, c.term_parameter,
                              c.term_coefficients, c.aux_parameter, c.aux_is_poisson, c.aux_width)
        self._device_model = None
        if self.device == "cuda":
            from .kernels.cuda import DeviceModel

            self._device_model = DeviceModel(compiled)

    def __repr__(self) -> str:
        return (f"BatchEvaluator(device={self.device!r}, {self.n_parameters} parameters, "
                f"{self.n_data} data)")

    def _rows(self, pars, data) -> tuple[np.ndarray, np.ndarray, int]:
        """Parameters (Np, P) and data (Nd, D) as C-contiguous floats, with Np, Nd in {1, N}."""
        pars = np.asarray(pars, dtype=float)
        data = np.asarray(data, dtype=float)
        if pars.ndim not in (1, 2) or pars.shape[-1] != self.n_parameters:
            raise InvalidDataError(f"parameters have shape {pars.shape}; expected (N, "
                                   f"{self.n_parameters}) or ({self.n_parameters},)", argument="pars")
        if data.ndim not in (1, 2) or data.shape[-1] != self.n_data:
            raise InvalidDataError(f"data have shape {data.shape}; expected (N, {self.n_data}) or "
                                   f"({self.n_data},): main then auxiliary", argument="data")
        pars, data = np.atleast_2d(pars), np.atleast_2d(data)
        n = max(pars.shape[0], data.shape[0])
        for name, rows in (("pars", pars), ("data", data)):
            if rows.shape[0] not in (1, n):
                raise InvalidDataError(f"{name} has {rows.shape[0]} rows, the other argument {n}",
                                       argument=name)
        return np.ascontiguousarray(pars), np.ascontiguousarray(data), n

    def value_and_grad_batch(self, pars, data) -> tuple[np.ndarray, np.ndarray]:
        """log L and its gradient for N rows.

        Parameters
        ----------
        pars
            Parameter sets, (N, P), or one (P,) for every row.
        data
            Data sets (main then auxiliary), (N, D), or one (D,) for every row.

        Returns
        -------
        logpdf, grad
            Arrays of shapes (N,) and (N, P): the full log-likelihood (as the backend's
            ``logpdf``) and its gradient with respect to the parameters.
        """
        pars, data, n = self._rows(pars, data)
        if self.device == "cuda":
            nll, grads = self._cuda(pars, data, n)
        else:
            pars = np.ascontiguousarray(np.broadcast_to(pars, (n, self.n_parameters)))
            data = np.ascontiguousarray(np.broadcast_to(data, (n, self.n_data)))
            grads = np.empty_like(pars)
            nll = kernels.nll_and_grad_batch(pars, data, self.compiled.n_main, *self._model_arrays, grads)
        return -nll, -grads

    def logpdf_batch(self, pars, data) -> np.ndarray:
        """log L for N rows (see :meth:`value_and_grad_batch`)."""
        return self.value_and_grad_batch(pars, data)[0]

    def hessian_batch(self, pars, data) -> np.ndarray:
        """Hessians of log L for N rows: on the GPU, :mod:`.kernels.cuda_hessian`; on the CPU,
        :func:`.kernels.hessian.nll_grad_hessian_batch` (the same maths, compiled for each).

        Parameters
        ----------
        pars, data
            As in :meth:`value_and_grad_batch`.

        Returns
        -------
        numpy.ndarray
            (N, P, P); NaN in every element of a row whose data have probability zero.
        """
        pars, data, n = self._rows(pars, data)
        if self.device == "cuda":
            from .kernels.cuda_hessian import hessian_batch

            hessians = hessian_batch(self._device_model, self.compiled, pars, data, n,
                                     rows_per_launch=self.rows_per_launch)
        else:
            pars = np.ascontiguousarray(np.broadcast_to(pars, (n, self.n_parameters)))
            data = np.ascontiguousarray(np.broadcast_to(data, (n, self.n_data)))
            hessians = np.empty((n, self.n_parameters, self.n_parameters))
            hessian_kernels.nll_grad_hessian_batch(pars, data, self.compiled.n_main, *self._model_arrays,
                                                   np.empty_like(pars), hessians)
        return np.negative(hessians, out=hessians)

    def _cuda(self, pars: np.ndarray, data: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
        """-log L and its gradient on the GPU, in chunks of rows; shared rows are sent once."""
        from .kernels.cuda import launch

        model = self._device_model
        # per row: parameters, data, scratch, -log L, gradient (doubles)
        row_bytes = 8 * (2 * self.n_parameters + self.n_data + model.n_main + 1)
        return rows_in_chunks(lambda *columns: launch(model, *columns), (pars, data), n,
                              n_parameters=self.n_parameters, row_bytes=row_bytes,
                              rows_per_launch=self.rows_per_launch, bytes_per_launch=BYTES_PER_LAUNCH)
