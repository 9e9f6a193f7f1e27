"""TH1 templates for a datacard's ``shapes`` lines, written to a ROOT file with uproot.

Each :class:`Histogram` becomes a ``TH1D`` with its bin contents, bin edges and sums of squared
weights (``fSumw2``): :mod:`likelihub_combine.shapes` (and ROOT's ``TH1::GetBinError``) read the
errors back as ``sqrt(sumw2)``, which is what autoMCStats uses. A name ``channel/process`` is
written into the directory ``channel``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from likelihub.errors import InvalidArgumentError

__all__ = ["Histogram", "write_histograms"]


@dataclass(frozen=True)
class Histogram:
    """One template: bin contents, bin edges (one more) and sums of squared weights (errors^2)."""

    values: np.ndarray
    edges: np.ndarray
    sumw2: np.ndarray

    @classmethod
    def of(cls, values, errors=None, edges=None) -> Histogram:
        """A histogram of ``values`` with ``errors`` (zeros by default) on ``edges`` (0, 1, ..., n)."""
        values = np.asarray(values, dtype=float)
        errors = np.zeros_like(values) if errors is None else np.asarray(errors, dtype=float)
        edges = np.arange(values.size + 1, dtype=float) if edges is None else np.asarray(edges, float)
        return cls(values, edges, errors * errors)


def _th1d(name: str, histogram: Histogram):
    from uproot.writing.identify import to_TAxis, to_TH1x

    values, edges = histogram.values, histogram.edges
    flow = np.concatenate([[0.0], values, [0.0]])
    sumw2 = np.concatenate([[0.0], histogram.sumw2, [0.0]])
    uniform = np.allclose(np.diff(edges), edges[1] - edges[0], rtol=1e-12, atol=0)
    axis = to_TAxis(
        "xaxis",
        "",
        values.size,
        float(edges[0]),
        float(edges[-1]),
        fXbins=None if uniform else edges.astype(np.float64),
    )
    centres = 0.5 * (edges[1:] + edges[:-1])
    return to_TH1x(
        name.rsplit("/", 1)[-1],
        "",
        flow,
        float(values.sum()),
        float(values.sum()),
        float(histogram.sumw2.sum()),
        float(np.dot(values, centres)),
        float(np.dot(values, centres * centres)),
        sumw2,
        axis,
    )


def write_histograms(histograms: dict[str, Histogram], path: str | Path) -> None:
    """Write ``histograms`` (name -> :class:`Histogram`) to the ROOT file ``path`` (replaced).

    Raises
    ------
    InvalidArgumentError
        The file cannot be written.
    """
    import uproot

    try:
        with uproot.recreate(path) as output:
            for name, histogram in histograms.items():
                output[name] = _th1d(name, histogram)
    except OSError as error:
        raise InvalidArgumentError(
            f"cannot write the ROOT file {str(path)!r}: {error.strerror or error}", argument="shapes_file"
        ) from None
