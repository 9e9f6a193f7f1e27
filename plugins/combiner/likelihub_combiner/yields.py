"""Yields of an uncorrelated combination per channel, bin and sample (the ``SupportsYields``
capability of the backend contract): each component's channels, named ``"<component>/<channel>"``,
in the order of the combination's main measurements; the samples are the union of the
components' sample names (a sample absent from a component is zero in its channels)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from likelihub.plugin import YieldLayout, capabilities

from .components import SEPARATOR

__all__ = ["offers_yields", "combined_yield_layout", "combined_expected_yields"]


def _main_blocks(components: Sequence) -> list[np.ndarray]:
    return [np.asarray(c.data_index[:c.backend.config.n_main], dtype=int) for c in components]


def offers_yields(components: Sequence) -> bool:
    """Every component offers its yields, and their main measurements follow one another in the
    combination (component by component, each in its own order)."""
    if not all(capabilities(c.backend).yields for c in components):
        return False
    blocks = np.concatenate(_main_blocks(components)) if components else np.zeros(0, dtype=int)
    return bool(np.array_equal(blocks, np.arange(blocks.size)))


def combined_yield_layout(components: Sequence) -> YieldLayout:
    """The components' channels, prefixed by the component's name, and the union of their samples."""
    channels, bins, samples = [], [], []
    for c in components:
        layout = c.backend.yield_layout()
        channels += [f"{c.name}{SEPARATOR}{channel}" for channel in layout.channels]
        bins += list(layout.bins)
        samples += [s for s in layout.samples if s not in samples]
    return YieldLayout(tuple(channels), tuple(bins), tuple(samples))


def combined_expected_yields(components: Sequence, samples: Sequence[str], pars: np.ndarray,
                             n_main: int) -> np.ndarray:
    """Expected yields (n_samples, n_main) at the combined ``pars``."""
    out = np.zeros((len(samples), n_main))
    row = {name: i for i, name in enumerate(samples)}
    for c, block in zip(components, _main_blocks(components), strict=True):
        own = np.asarray(c.backend.expected_yields(c.component_parameters(pars)), dtype=float)
        for i, sample in enumerate(c.backend.yield_layout().samples):
            out[row[sample], block] = own[i]
    return out
