"""Batches of Combine rows on a GPU: the host side of the CUDA kernel (:mod:`.kernels.cuda`).

    rows = CudaRows(ints, floats, int_offset, float_offset, n_data)   # buffers copied once
    nll, grads = rows.nll_and_grad(pars, data)                         # (N,), (N, P): -log L

The backend (:class:`~likelihub_combine.backend.CombineDatacard`) makes one where its ``device``
is ``"cuda"`` (the factory's ``device=``, chosen by :func:`likelihub.plugin.select_device`): its
``value_and_grad_batch`` and ``logpdf_batch`` then run here; single evaluations, Hessians and
stacks of cards (:mod:`.stacking`, as the HistFactory plugin's) stay on the CPU. Each call copies
the rows in and the results out, in chunks of at most :data:`likelihub.plugin.BYTES_PER_LAUNCH`
of device memory (with the rows' scratch); a parameter set or data set shared by every row is sent
once. numba.cuda is imported only when a :class:`CudaRows` is made.
"""

from __future__ import annotations

import numpy as np

from likelihub.errors import InvalidDataError, InvalidModelError
from likelihub.plugin import BYTES_PER_LAUNCH, rows_in_chunks

__all__ = ["CudaRows"]


class CudaRows:
    """-log L and its gradient of many rows on the GPU, for one card or a stack's members.

    Parameters
    ----------
    ints, floats
        The packed buffers (:mod:`.kernels.buffers`) of one model, or the concatenation of several.
    int_offset, float_offset
        Model ``m``'s buffers start at ``int_offset[m]`` and ``float_offset[m]`` ((M + 1,) each).
    n_data
        The length of a data row (bins, then global observables).
    rows_per_launch
        At most this many rows per launch (default: as many as :data:`BYTES_PER_LAUNCH` hold).
    """

    def __init__(self, ints: np.ndarray, floats: np.ndarray, int_offset: np.ndarray, float_offset: np.ndarray,
                 n_data: int, rows_per_launch: int | None = None):
        if rows_per_launch is not None and rows_per_launch < 1:
            raise InvalidModelError(f"rows_per_launch must be a positive number, got {rows_per_launch}",
                                    argument="rows_per_launch")
        from .kernels.cuda import DeviceModel

        self.model = DeviceModel(ints, floats, int_offset, float_offset)
        self.n_parameters = self.model.n_parameters
        self.n_data = int(n_data)
        self.rows_per_launch = rows_per_launch

    def __repr__(self) -> str:
        return (f"CudaRows({self.model.n_models} models, {self.n_parameters} parameters, "
                f"{self.n_data} data)")

    def _rows(self, pars, data, members) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
        """Parameters (Np, P), data (Nd, D), members (Nm,) with Np, Nd, Nm in {1, N}."""
        pars = np.atleast_2d(np.asarray(pars, dtype=np.float64))
        data = np.atleast_2d(np.asarray(data, dtype=np.float64))
        members = np.zeros(1, np.int64) if members is None else np.asarray(members, np.int64).reshape(-1)
        if pars.ndim != 2 or pars.shape[1] != self.n_parameters:
            raise InvalidDataError(f"parameters have shape {pars.shape}; expected (N, {self.n_parameters})",
                                   argument="pars")
        if data.ndim != 2 or data.shape[1] != self.n_data:
            raise InvalidDataError(f"data have shape {data.shape}; expected (N, {self.n_data})",
                                   argument="data")
        n = max(pars.shape[0], data.shape[0], members.shape[0])
        for name, rows in (("pars", pars), ("data", data), ("members", members)):
            if rows.shape[0] not in (1, n):
                raise InvalidDataError(f"{name} has {rows.shape[0]} rows, another argument {n}",
                                       argument=name)
        if members.size and (members.min() < 0 or members.max() >= self.model.n_models):
            raise InvalidDataError(f"member indices must lie in [0, {self.model.n_models})",
                                   argument="members")
        return pars, data, members, n

    def nll_and_grad(self, pars, data, members=None) -> tuple[np.ndarray, np.ndarray]:
        """-log L (N,) and its gradient (N, P) of row k: ``pars[k]``, ``data[k]``, model ``members[k]``.

        Parameters
        ----------
        pars, data
            (N, P) and (N, D) rows, either of them one row for all (1 or (P,), (D,)).
        members
            Each row's model, (N,) or one for all; None: model 0.
        """
        from .kernels.cuda import launch, row_bytes

        pars, data, members, n = self._rows(pars, data, members)
        return rows_in_chunks(lambda *columns: launch(self.model, *columns), (pars, data, members), n,
                              n_parameters=self.n_parameters, row_bytes=row_bytes(self.model, self.n_data),
                              rows_per_launch=self.rows_per_launch, bytes_per_launch=BYTES_PER_LAUNCH)
