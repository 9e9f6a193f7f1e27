"""Yields per channel, sample and bin of a HistFactory model: the backend capability
``yield_layout()`` / ``expected_yields(pars)`` (``likelihub.plugin.SupportsYields``), behind
pre-fit and post-fit yield tables and plots (``likelihub.diagnostics.yields``).

Each entry of the compiled model (:mod:`.compile`) is one sample in one bin; its rate at ``pars``
is its base (nominal plus shifts) times its product of factors, from the same kernel that the
likelihood's expected counts come from (:func:`.kernels.cpu.entry_products`), so the samples add
up to ``expected_main`` exactly as the kernel sums them.
"""

from __future__ import annotations

import numpy as np

from likelihub.plugin import YieldLayout

from .kernels import cpu as kernels

__all__ = ["YieldsMixin"]


class YieldsMixin:
    """``yield_layout`` and ``expected_yields`` of :class:`~.backend.HistFactoryBackend` (which sets
    ``compiled`` and ``_model_arrays``)."""

    def yield_layout(self) -> YieldLayout:
        """Channels (pyhf's order: sorted by name) with their bins, and the sample names (sorted)."""
        c = self.compiled
        return YieldLayout(channels=c.channel_names, bins=c.channel_bins, samples=c.sample_names)

    def expected_yields(self, pars) -> np.ndarray:
        """Expected yield of every sample in every bin, (n_samples, n_main); zero where a sample is
        not in a channel (pyhf's ``main_model.expected_data(pars, return_by_sample=True)``)."""
        c = self.compiled
        bases, factors, _, _ = kernels.entry_products(self._pars(pars), c.n_main, *self._model_arrays)
        out = np.zeros((len(c.sample_names), c.n_main))
        np.add.at(out, (c.entry_sample, c.entry_bin), bases * factors)
        return out
