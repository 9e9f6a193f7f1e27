"""Stacks of Combine cards (a scan's mass points, say) evaluated by one kernel call per batch.

:class:`CombineStack` makes each member's kernel buffers in the stack's parameter order
(:class:`likelihub.plugin.BackendStack`) and concatenates them
(:func:`.kernels.cpu.nll_grad_hessian_rows`), so that the fits of all members advance in
lock-step (``likelihub.infer.lockstep``) with the Python work of each Newton iteration shared.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from likelihub.plugin import BackendStack

from .kernels import cpu as kernels

__all__ = ["CombineStack"]


class CombineStack(BackendStack):
    """:class:`likelihub.plugin.BackendStack` of :class:`~.backend.CombineDatacard` members with a
    fused kernel.

    Parameters
    ----------
    members
        Cards with the same parameters (``likelihub.backend.stacking.stack_key``), evaluated with
        the kernels (not ``kernels=False``).
    """

    def __init__(self, members: Sequence):
        super().__init__(members)
        if not all(getattr(m, "uses_kernels", False) for m in self.members):
            raise ValueError("a CombineStack's members must use the kernels (kernels=True)")
        models = [m.kernel_model_in(self.parameter_index[i]) for i, m in enumerate(self.members)]
        self._int_offset = np.cumsum([0] + [m.ints.size for m in models]).astype(np.int64)
        self._float_offset = np.cumsum([0] + [m.floats.size for m in models]).astype(np.int64)
        self._ints = np.ascontiguousarray(np.concatenate([m.ints for m in models]))
        self._floats = np.ascontiguousarray(np.concatenate([m.floats for m in models]))

    def _batch(self, pars, data, members) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        pars = np.ascontiguousarray(pars, dtype=np.float64)
        data = np.ascontiguousarray(data, dtype=np.float64)
        members = np.ascontiguousarray(members, dtype=np.int64)
        n = len(members)
        if pars.shape != (n, self.config.n_parameters) or data.shape != (n, self.members[0].data.size):
            raise ValueError(f"a stack's batch needs ({n}, {self.config.n_parameters}) parameters and "
                             f"({n}, {self.members[0].data.size}) data for {n} members; got {pars.shape} "
                             f"and {data.shape}")
        if members.size and (members.min() < 0 or members.max() >= len(self.members)):
            raise ValueError(f"member indices must lie in [0, {len(self.members)})")
        return pars, data, members

    def _run(self, pars, data, members, order):
        pars, data, members = self._batch(pars, data, members)
        grads = np.empty_like(pars)
        size = pars.shape[1] if order >= 2 else 0
        hessians = np.empty((pars.shape[0], size, size))
        nll = kernels.nll_grad_hessian_rows(pars, data, members, self._int_offset, self._float_offset,
                                            self._ints, self._floats, order, grads, hessians)
        return nll, grads, hessians

    def value_and_grad_batch(self, pars, data, members) -> tuple[np.ndarray, np.ndarray]:
        """log L and gradients (stack order) of row k with member ``members[k]``."""
        nll, grads, _ = self._run(pars, data, members, 1)
        return np.negative(nll, out=nll), np.negative(grads, out=grads)

    def hessian_batch(self, pars, data, members) -> np.ndarray:
        """Hessians of log L (stack order) of row k with member ``members[k]``."""
        _, _, hessians = self._run(pars, data, members, 2)
        return np.negative(hessians, out=hessians)
