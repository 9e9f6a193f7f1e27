"""The backend contract, as :class:`typing.Protocol` classes, one per capability.

A *backend* supplies one likelihood; the core (:class:`~likelihub.StatisticalModel`) does
all inference on top of it. What to implement:

- always :class:`Backend`: ``config``, ``data``, ``expected_data(pars)``, ``logpdf(pars, data)``;
- for speed, any of :class:`SupportsGradient` (``value_and_grad``), :class:`SupportsHessian`
  (``hessian``), :class:`SupportsBatch` (``logpdf_batch``);
- for toys, :class:`SupportsSampling` (``sample``), unless ``config.data_layout`` tells the
  generic sampler how each entry of the data is distributed;
- for ``likelihub inspect``, :class:`SupportsDescribe`.

Data are one flat array: the main measurements first, then the auxiliary data (global
observables) of the constraint terms; ``config.n_main`` says where the split is.
:func:`likelihub.backend.checks.check_backend` checks a backend against this contract.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol, runtime_checkable

import numpy as np

if TYPE_CHECKING:
    from likelihub.model import ModelConfig

__all__ = [
    "Backend",
    "SupportsGradient",
    "SupportsHessian",
    "SupportsSampling",
    "SupportsBatch",
    "SupportsDescribe",
]


@runtime_checkable
class Backend(Protocol):
    """The required part of the contract."""

    config: ModelConfig
    data: np.ndarray

    def expected_data(self, pars: np.ndarray) -> np.ndarray:
        """Expected main and auxiliary data at ``pars`` (the Asimov data set)."""

    def logpdf(self, pars: np.ndarray, data: np.ndarray) -> float:
        """Full log-likelihood, main and constraint terms, of ``data`` at ``pars``."""


@runtime_checkable
class SupportsGradient(Protocol):
    def value_and_grad(self, pars: np.ndarray, data: np.ndarray) -> tuple[float, np.ndarray]:
        """``logpdf`` and its gradient with respect to ``pars``."""


@runtime_checkable
class SupportsHessian(Protocol):
    def hessian(self, pars: np.ndarray, data: np.ndarray) -> np.ndarray:
        """Hessian matrix of ``logpdf`` with respect to ``pars``."""


@runtime_checkable
class SupportsSampling(Protocol):
    def sample(self, pars: np.ndarray, size: int, rng: np.random.Generator) -> np.ndarray:
        """``size`` pseudo-data sets (main and auxiliary) drawn at ``pars``: shape (size, ndata)."""


@runtime_checkable
class SupportsBatch(Protocol):
    def logpdf_batch(self, pars: np.ndarray, data: np.ndarray) -> np.ndarray:
        """``logpdf`` for N parameter sets (N, P) and N data sets (N, D) (or one, broadcast)."""


@runtime_checkable
class SupportsDescribe(Protocol):
    def describe(self) -> str:
        """A short human summary of the model: channels, bins, parameters."""
