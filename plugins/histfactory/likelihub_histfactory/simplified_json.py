"""A simplified likelihood made from a HistFactory model, in the JSON layout of the CMS simplified
likelihoods (``observed``, ``background``, ``covariance``, ``third_moment``, ``region_names``,
``source``, ``signal``), as :func:`likelihub_histfactory.simplify.simplify` returns it.

    sl = SimplifiedLikelihood.load("sbottom_1300_205_60.json")
    sl.model("third_moment_expansion").cls(1.0)       # a simplified backend of likelihub

The file is read by the simplified backends through ``likelihub.get_backend("simplified.<kind>")``
(``signal_yields=signal, background_yields=background, data=observed, covariance_matrix=covariance``
and, for ``third_moment_expansion``, ``third_moment``): :meth:`SimplifiedLikelihood.model` does
just that, and a recaster's own code does the same with its own signal yields.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

import likelihub
from likelihub.errors import InvalidArgumentError, InvalidModelError
from likelihub.plugin import arguments

__all__ = ["SimplifiedLikelihood", "KINDS", "FITS", "DEFAULT_TOYS"]

#: The simplified backends a simplified likelihood is read by: ``simplified.<kind>``.
KINDS = ("correlated_background", "third_moment_expansion")
#: What ``simplify(fit=...)`` may say: the control regions alone (default), or every channel.
FITS = ("control", "all")
#: Toys by default: the variances' relative statistical error is then sqrt(2 / N) = 1% (the
#: uncertainties' 0.5%), below the approximation's own error (docs/simplify-validation.md).
DEFAULT_TOYS = 20_000

_ARRAYS = ("observed", "background", "covariance", "third_moment", "signal")


@dataclass(frozen=True)
class SimplifiedLikelihood:
    """Per-bin inputs of a simplified likelihood, and how they were made.

    Attributes
    ----------
    region_names
        One name per bin, ``channel[i]``.
    observed
        Observed counts of the bins.
    background
        m1: the mean background of the toys (the background expectation of the simplified likelihood).
    covariance
        m2: the background covariance of the toys (events squared).
    third_moment
        m3: the third central moment of each bin's background over the toys.
    signal
        Signal yield of each bin at the POI value 1 (the patch's signal, nominal).
    background_at_fit
        The background expected at the fitted parameters (the post-fit prediction, no toys).
    metadata
        How it was made: source, fit, channels, toys, seed (written under ``"simplify"``).
    """

    region_names: list[str]
    observed: np.ndarray
    background: np.ndarray
    covariance: np.ndarray
    third_moment: np.ndarray
    signal: np.ndarray
    background_at_fit: np.ndarray
    metadata: dict = field(default_factory=dict)

    @property
    def n_bins(self) -> int:
        """Number of bins."""
        return len(self.region_names)

    def to_dict(self) -> dict:
        """The JSON layout of ``shared/data/simplified`` (plus ``signal``, ``background_at_fit``
        and ``simplify``, the settings it was made with)."""
        return {
            "analysis": self.metadata.get("source", ""),
            "source": self.metadata.get("source", ""),
            "n_bins": self.n_bins,
            "region_names": list(self.region_names),
            "observed": self.observed.tolist(),
            "background": self.background.tolist(),
            "background_uncertainty": np.sqrt(np.diag(self.covariance)).tolist(),
            "covariance": self.covariance.tolist(),
            "third_moment": self.third_moment.tolist(),
            "signal": self.signal.tolist(),
            "background_at_fit": self.background_at_fit.tolist(),
            "notes": ("likelihub simplify: background (m1), covariance (m2, events^2) and third_moment "
                      "(m3) are moments of the background expected in each bin over toys of the "
                      "nuisance parameters at the background-only fit (see 'simplify'); signal is the "
                      "patch's signal at the POI value 1; ordered as region_names."),
            "simplify": dict(self.metadata),
        }

    def save(self, path: str | Path) -> Path:
        """Write :meth:`to_dict` as JSON to ``path``; returns the path."""
        path = Path(path)
        path.write_text(json.dumps(self.to_dict(), indent=1) + "\n", encoding="utf-8")
        return path

    @classmethod
    def from_dict(cls, document: Mapping, *, file: str | None = None) -> SimplifiedLikelihood:
        """Read the layout :meth:`to_dict` writes (the shared CMS files too, where they have
        ``signal``; ``third_moment`` null reads as zeros)."""
        missing = [key for key in ("observed", "background", "covariance") if key not in document]
        if missing:
            raise InvalidModelError(f"a simplified likelihood needs {missing}", file=file)
        background = np.asarray(document["background"], dtype=float)
        n = background.size
        third = document.get("third_moment")
        names = document.get("region_names") or [f"bin[{i}]" for i in range(n)]
        return cls(region_names=[str(name) for name in names],
                   observed=np.asarray(document["observed"], dtype=float), background=background,
                   covariance=np.asarray(document["covariance"], dtype=float),
                   third_moment=np.zeros(n) if third is None else np.asarray(third, dtype=float),
                   signal=np.asarray(document.get("signal", np.zeros(n)), dtype=float),
                   background_at_fit=np.asarray(document.get("background_at_fit", background), dtype=float),
                   metadata=dict(document.get("simplify", {"source": document.get("source", "")})))

    @classmethod
    def load(cls, path: str | Path) -> SimplifiedLikelihood:
        """Read a file :meth:`save` wrote."""
        try:
            document = json.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, ValueError) as error:
            raise InvalidModelError(f"cannot be read as JSON: {error}", file=str(path)) from None
        return cls.from_dict(document, file=str(path))

    def model(self, kind: str = "correlated_background", *,
              signal_yields: Sequence[float] | None = None) -> likelihub.StatisticalModel:
        """The simplified likelihood as a likelihub model: ``simplified.correlated_background``
        (CMS-NOTE-2017-001) or ``simplified.third_moment_expansion`` (arXiv:1809.05548).

        Parameters
        ----------
        kind
            One of :data:`KINDS`.
        signal_yields
            The signal of each bin; this simplified likelihood's own (the patch's) by default.
        """
        arguments.choice(kind, argument="kind", choices=KINDS)
        signal = self.signal if signal_yields is None else signal_yields
        if signal_yields is None and not np.any(self.signal > 0):
            raise InvalidArgumentError("this simplified likelihood has no signal: pass signal_yields",
                                       argument="signal_yields")
        inputs = dict(signal_yields=signal, background_yields=self.background, data=self.observed,
                      covariance_matrix=self.covariance, bin_names=self.region_names)
        if kind == "third_moment_expansion":
            inputs["third_moment"] = self.third_moment
        return likelihub.get_backend(f"simplified.{kind}")(**inputs)
