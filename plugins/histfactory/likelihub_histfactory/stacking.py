"""Stacks of HistFactory models (a scan's signal points) evaluated by one kernel call per batch.

:class:`HistFactoryStack` concatenates its members' compiled arrays (:mod:`.kernels.stacked`) in
the stack's parameter order (:class:`likelihub.backend.stacking.BackendStack`), so that the fits of all
members advance in lock-step (:func:`likelihub.infer.lockstep.cls_together`) with the Python work
of each Newton iteration shared. It runs on the CPU.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from likelihub.plugin import BackendStack

from .kernels import stacked as stacked_kernels

__all__ = ["HistFactoryStack"]


class HistFactoryStack(BackendStack):
    """:class:`likelihub.backend.stacking.BackendStack` of :class:`~.backend.HistFactoryBackend` members
    with fused kernels.

    Parameters
    ----------
    members
        HistFactory backends with the same parameters (see :func:`likelihub.backend.stacking.stack_key`);
        their auxiliary data must also have one size.
    """

    def __init__(self, members: Sequence):
        super().__init__(members)
        compiled = [m.compiled for m in self.members]
        n_main = {c.n_main for c in compiled}
        n_aux = {c.n_aux for c in compiled}
        if len(n_main) > 1 or len(n_aux) > 1:
            raise ValueError("the stack's members differ in their numbers of main or auxiliary data")
        self._n_main = compiled[0].n_main
        index = self.parameter_index

        def joined(name, transform=None):
            parts = [getattr(c, name) if transform is None else transform(i, getattr(c, name))
                     for i, c in enumerate(compiled)]
            return np.ascontiguousarray(np.concatenate(parts))

        self._arrays = (
            np.cumsum([0] + [c.entry_bin.size for c in compiled]).astype(np.int64),
            np.cumsum([0] + [c.term_kind.size for c in compiled]).astype(np.int64),
            joined("entry_bin"), joined("entry_nominal"), joined("term_start"), joined("term_kind"),
            joined("term_parameter", lambda i, p: index[i][p]), joined("term_coefficients"),
            np.ascontiguousarray(np.stack([index[i][c.aux_parameter] for i, c in enumerate(compiled)])),
            np.ascontiguousarray(np.stack([c.aux_is_poisson for c in compiled])),
            np.ascontiguousarray(np.stack([c.aux_width for c in compiled])),
        )

    def _batch(self, pars, data, members) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        pars = np.ascontiguousarray(pars, dtype=np.float64)
        data = np.ascontiguousarray(data, dtype=np.float64)
        members = np.ascontiguousarray(members, dtype=np.int64)
        n = len(members)
        if pars.shape != (n, self.config.n_parameters) or data.shape[0] != n:
            raise ValueError(f"a stack's batch needs ({n}, {self.config.n_parameters}) parameters and "
                             f"{n} data rows for {n} members; got {pars.shape} and {data.shape}")
        if members.size and (members.min() < 0 or members.max() >= len(self.members)):
            raise ValueError(f"member indices must lie in [0, {len(self.members)})")
        return pars, data, members

    def value_and_grad_batch(self, pars, data, members) -> tuple[np.ndarray, np.ndarray]:
        """log L and gradients (stack order) of row k with member ``members[k]``."""
        pars, data, members = self._batch(pars, data, members)
        grads = np.empty_like(pars)
        nll = stacked_kernels.nll_and_grad_members(pars, data, members, self._n_main, *self._arrays, grads)
        return -nll, np.negative(grads, out=grads)

    def hessian_batch(self, pars, data, members) -> np.ndarray:
        """Hessians of log L (stack order) of row k with member ``members[k]``."""
        pars, data, members = self._batch(pars, data, members)
        grads = np.empty_like(pars)
        hessians = np.empty((len(members), pars.shape[1], pars.shape[1]))
        stacked_kernels.nll_grad_hessian_members(pars, data, members, self._n_main, *self._arrays,
                                                 grads, hessians)
        return np.negative(hessians, out=hessians)
