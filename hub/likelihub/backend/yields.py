"""Yields per channel, sample and bin: what the optional capability ``yield_layout()`` and
``expected_yields(pars)`` (:class:`~likelihub.backend.contract.SupportsYields`) declare, and the
fallback for backends without it.

    layout = yield_layout(backend)               # YieldLayout: channels, bins, samples
    yields = expected_yields(backend, pars)      # (n_samples, n_main)

A backend without the capability is one channel, ``"main"``, whose bins are its main
measurements, and one sample, ``"total"``: its expected main data.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from likelihub.backend.capabilities import capabilities
from likelihub.errors import InvalidModelError

__all__ = ["YieldLayout", "yield_layout", "expected_yields", "FALLBACK_CHANNEL", "FALLBACK_SAMPLE"]

#: The channel and sample names of a backend without yields per sample.
FALLBACK_CHANNEL = "main"
FALLBACK_SAMPLE = "total"


@dataclass(frozen=True)
class YieldLayout:
    """Channels, their bins and the samples of a model's main measurements.

    Attributes
    ----------
    channels
        Channel names, in the order of the main measurements.
    bins
        Number of bins of each channel; they add up to ``config.n_main``.
    samples
        Sample names: the rows of ``expected_yields``.
    """

    channels: tuple[str, ...]
    bins: tuple[int, ...]
    samples: tuple[str, ...]

    def __post_init__(self):
        object.__setattr__(self, "channels", tuple(str(c) for c in self.channels))
        object.__setattr__(self, "bins", tuple(int(b) for b in self.bins))
        object.__setattr__(self, "samples", tuple(str(s) for s in self.samples))
        if len(self.channels) != len(self.bins) or not self.channels:
            raise InvalidModelError(f"a yield layout needs one bin count per channel, got "
                                    f"{len(self.channels)} channels and {len(self.bins)} bin counts",
                                    argument="yield_layout")
        if min(self.bins) < 1 or not self.samples:
            raise InvalidModelError("a yield layout needs at least one bin per channel and one sample",
                                    argument="yield_layout")

    @property
    def n_bins(self) -> int:
        """Number of main measurements (bins of all channels)."""
        return sum(self.bins)

    def slices(self) -> dict[str, slice]:
        """The bins of each channel in the main measurements, by channel name."""
        out, start = {}, 0
        for name, n in zip(self.channels, self.bins, strict=True):
            out[name] = slice(start, start + n)
            start += n
        return out


def yield_layout(backend) -> YieldLayout:
    """The backend's :class:`YieldLayout`, or the fallback's (one channel, one sample), checked
    against ``config.n_main``."""
    n_main = int(backend.config.n_main)
    if not capabilities(backend).yields:
        return YieldLayout((FALLBACK_CHANNEL,), (n_main,), (FALLBACK_SAMPLE,))
    layout = backend.yield_layout()
    if not isinstance(layout, YieldLayout):
        raise InvalidModelError(f"{type(backend).__name__}.yield_layout() must return a YieldLayout, "
                                f"got {type(layout).__name__}", argument="yield_layout")
    if layout.n_bins != n_main:
        raise InvalidModelError(f"{type(backend).__name__}.yield_layout() has {layout.n_bins} bins; "
                                f"the model has {n_main} main measurements", argument="yield_layout")
    return layout


def expected_yields(backend, pars: np.ndarray, layout: YieldLayout | None = None) -> np.ndarray:
    """Expected yields (n_samples, n_main) at ``pars``: the backend's ``expected_yields``, or its
    expected main data as one sample."""
    pars = np.asarray(pars, dtype=float)
    if not capabilities(backend).yields:
        n_main = int(backend.config.n_main)
        return np.asarray(backend.expected_data(pars), dtype=float)[:n_main][None, :]
    layout = layout or yield_layout(backend)
    out = np.asarray(backend.expected_yields(pars), dtype=float)
    if out.shape != (len(layout.samples), layout.n_bins):
        raise InvalidModelError(f"{type(backend).__name__}.expected_yields() has shape {out.shape}; "
                                f"expected ({len(layout.samples)}, {layout.n_bins}) (samples, bins)",
                                argument="expected_yields")
    return out
