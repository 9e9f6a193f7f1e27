"""Yields per channel, process and bin of a Combine datacard: the backend capability
``yield_layout()`` / ``expected_yields(pars)`` (``likelihub.plugin.SupportsYields``), behind
pre-fit and post-fit yields (``likelihub diagnostics``, Combine's FitDiagnostics ``shapes_prefit``
and ``shapes_fit_s``).

Samples are the card's processes, in the order they first appear on the ``process`` line; each
column (a process in a channel) is evaluated as the likelihood evaluates it
(:meth:`~likelihub_combine.model.Yields.per_column`), with its own autoMCStats terms (Barlow-Beeston
per-process parameters, Gaussian or Poisson). autoMCStats' Barlow-Beeston-lite parameters act on a
bin's total, not on one process: where a card has them, they are one more sample,
``"autoMCStats"``, so that the samples add up to the expected bins (up to the clipping of a bin's
total at 1e-9, which the likelihood applies and the samples do not).
"""

from __future__ import annotations

import numpy as np

from likelihub.plugin import YieldLayout

__all__ = ["CombineYieldsMixin", "MC_STATS_SAMPLE"]

#: The sample of the Barlow-Beeston-lite terms of autoMCStats.
MC_STATS_SAMPLE = "autoMCStats"


class CombineYieldsMixin:
    """``yield_layout`` and ``expected_yields`` of :class:`~.backend.CombineDatacard` (which sets
    ``card``, ``built`` and ``_pars``)."""

    def _processes(self) -> list[str]:
        return list(dict.fromkeys(column.process for column in self.built.columns))

    def _has_lite(self) -> bool:
        stats = self.built.mc_stats
        return stats is not None and stats.lite_bin.size > 0

    def yield_layout(self) -> YieldLayout:
        """The card's channels (its order) with their bins, and its processes."""
        mask = self.built.yields.channel_mask
        bins = []
        for channel in self.card.channels:
            k = next(k for k, c in enumerate(self.built.columns) if c.channel == channel)
            bins.append(int(mask[k].sum()))
        samples = self._processes() + ([MC_STATS_SAMPLE] if self._has_lite() else [])
        return YieldLayout(channels=tuple(self.card.channels), bins=tuple(bins), samples=tuple(samples))

    def expected_yields(self, pars) -> np.ndarray:
        """Expected yield of every process in every bin, (n_samples, n_main)."""
        pars = self._pars(pars)
        yields, stats = self.built.yields, self.built.mc_stats
        factors = yields.factors(pars)
        per_column = (yields.norm * factors)[:, None] * yields.shapes(pars)
        columns = per_column.copy()
        lite = np.zeros(per_column.shape[1])
        if stats is not None:
            coefficient = yields.norm * factors / stats.integrals
            if stats.normal_bin.size:
                np.add.at(columns, (stats.normal_column, stats.normal_bin),
                          pars[stats.normal_parameter] * stats.errors[stats.normal_column, stats.normal_bin]
                          * coefficient[stats.normal_column])
            if stats.poisson_bin.size:
                np.add.at(columns, (stats.poisson_column, stats.poisson_bin),
                          (pars[stats.poisson_parameter] / stats.poisson_count - 1.0)
                          * per_column[stats.poisson_column, stats.poisson_bin])
            if stats.lite_bin.size:
                scaled = coefficient[:, None] * stats.errors[:, stats.lite_bin]
                np.add.at(lite, stats.lite_bin, np.sqrt(np.sum(scaled * scaled, axis=0))
                          * pars[stats.lite_parameter])
        processes = self._processes()
        out = np.zeros((len(processes) + (1 if self._has_lite() else 0), per_column.shape[1]))
        rows = np.array([processes.index(c.process) for c in self.built.columns], dtype=int)
        np.add.at(out, rows, columns)
        if self._has_lite():
            out[-1] = lite
        return out
