"""The backend contract, as :class:`typing.Protocol` classes: the required part and one protocol
per optional capability that the core uses.

A *backend* supplies one likelihood; the core (:class:`~likelihub.StatisticalModel`) does
all inference on top of it. What to implement:

- always :class:`Backend`: ``config``, ``data``, ``expected_data(pars)``, ``logpdf(pars, data)``;
- for speed, any of :class:`SupportsGradient` (``value_and_grad``), :class:`SupportsHessian`
  (``hessian``), :class:`SupportsBatchDerivatives` (``value_and_grad_batch`` and
  ``hessian_batch``: toys fitted in lock-step) and :class:`SupportsStacking` (a class method
  ``stack(backends)`` returning a :class:`Stack`: a scan's models fitted in lock-step);
- for toys, :class:`SupportsSampling` (``sample``), unless ``config.data_layout`` tells the
  generic sampler how each entry of the data is distributed;
- for ``likelihub inspect`` and messages, :class:`SupportsDescribe`;
- for combinations that share parameters (``lh.combine(..., correlate=...)``),
  :class:`SupportsConstraintTerms` (``constraint_terms()``: each constrained parameter's term,
  :class:`~likelihub.backend.constraints.ConstraintTerm`);
- for yields per channel, sample and bin (``likelihub.diagnostics.yields``),
  :class:`SupportsYields` (``yield_layout()`` and ``expected_yields(pars)``).

The function that evaluates the points of a scan (:func:`likelihub.scan`) may offer
:class:`SupportsEvaluateMany` and :class:`SupportsWarmUp`.

Which of them an object offers is decided in one place, :func:`likelihub.backend.capabilities.
capabilities` (and :func:`~likelihub.backend.capabilities.evaluator_capabilities`), which also
names the fallback the core takes where one is absent. A capability is present where the object
has its protocol's methods, none of them None (``isinstance`` with these runtime-checkable
protocols agrees, except that it takes a method of the class even where the instance sets it to
None); adding one means adding its protocol here and its field in
:mod:`likelihub.backend.capabilities`.

Data are one flat array: the main measurements first, then the auxiliary data (global
observables) of the constraint terms; ``config.n_main`` says where the split is.
:func:`likelihub.backend.checks.check_backend` checks a backend against this contract.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Protocol, runtime_checkable

import numpy as np

if TYPE_CHECKING:
    from likelihub.backend.config import ModelConfig
    from likelihub.backend.constraints import ConstraintTerm
    from likelihub.backend.yields import YieldLayout

__all__ = [
    "Backend",
    "SupportsGradient",
    "SupportsHessian",
    "SupportsBatchDerivatives",
    "SupportsStacking",
    "Stack",
    "SupportsSampling",
    "SupportsDescribe",
    "SupportsConstraintTerms",
    "SupportsYields",
    "SupportsEvaluateMany",
    "SupportsWarmUp",
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
class SupportsBatchDerivatives(Protocol):
    """Derivatives of N parameter sets and N data sets at once (lock-step fits of toys)."""

    def value_and_grad_batch(self, pars: np.ndarray, data: np.ndarray
                             ) -> tuple[np.ndarray, np.ndarray]:
        """``logpdf`` (N,) and gradients (N, P) at ``pars`` (N, P) of ``data`` (N, D)."""

    def hessian_batch(self, pars: np.ndarray, data: np.ndarray) -> np.ndarray:
        """Hessians (N, P, P) of ``logpdf`` at ``pars`` (N, P) of ``data`` (N, D)."""


@runtime_checkable
class Stack(Protocol):
    """Models that share their parameters, one per row of a batch (what ``stack`` returns; the
    core's :class:`likelihub.backend.stacking.BackendStack` is one, and a plugin's own subclasses it)."""

    config: ModelConfig
    members: list

    def value_and_grad_batch(self, pars: np.ndarray, data: np.ndarray, members: Sequence[int]
                             ) -> tuple[np.ndarray, np.ndarray]:
        """log L and its gradient (stack order) of member ``members[k]`` at row k."""

    def hessian_batch(self, pars: np.ndarray, data: np.ndarray, members: Sequence[int]
                      ) -> np.ndarray:
        """Hessians of log L (stack order) of member ``members[k]`` at row k."""

    def to_stack_order(self, i: int, values: np.ndarray) -> np.ndarray:
        """Member ``i``'s parameter vector in the stack's order."""

    def to_member_order(self, i: int, values: np.ndarray) -> np.ndarray:
        """A parameter vector of the stack in member ``i``'s order."""

    def member_in_stack_order(self, i: int) -> SupportsGradient:
        """Member ``i`` as a backend in the stack's parameter order (for fits of one row alone)."""


@runtime_checkable
class SupportsStacking(Protocol):
    """A backend *class* whose instances that share their parameters it evaluates together."""

    @classmethod
    def stack(cls, backends: Sequence) -> Stack:
        """A :class:`Stack` of ``backends`` (instances of this class), with fused kernels."""


@runtime_checkable
class SupportsSampling(Protocol):
    def sample(self, pars: np.ndarray, size: int, rng: np.random.Generator) -> np.ndarray:
        """``size`` pseudo-data sets (main and auxiliary) drawn at ``pars``: shape (size, ndata)."""


@runtime_checkable
class SupportsDescribe(Protocol):
    def describe(self) -> str:
        """A short human summary of the model: channels, bins, parameters."""


@runtime_checkable
class SupportsConstraintTerms(Protocol):
    """A backend that declares the constraint term of each constrained parameter, so that a
    combination sharing the parameter with another likelihood counts the term once."""

    def constraint_terms(self) -> Sequence[ConstraintTerm]:
        """One :class:`~likelihub.backend.constraints.ConstraintTerm` per constrained parameter
        (its index, the index of its auxiliary datum, kind, width or scale), each normalised in
        ``logpdf`` exactly as :mod:`likelihub.backend.constraints` states; parameters without one
        are unconstrained. Fixed for the backend's lifetime."""


@runtime_checkable
class SupportsYields(Protocol):
    """A backend that splits its expected main measurements into channels, bins and samples, so
    that diagnostics show yields per sample with uncertainty bands (pre-fit and post-fit)."""

    def yield_layout(self) -> YieldLayout:
        """The channels (each with its number of bins, in the order of the main measurements) and
        the sample names (:class:`~likelihub.backend.yields.YieldLayout`). Fixed for the
        backend's lifetime."""

    def expected_yields(self, pars: np.ndarray) -> np.ndarray:
        """Expected yield of every sample in every bin at ``pars``: shape (n_samples, n_main),
        zero where a sample is absent from a channel; the sum over samples is the expected main
        data (``expected_data(pars)[:n_main]``)."""


@runtime_checkable
class SupportsEvaluateMany(Protocol):
    """A scan's evaluating function that evaluates a chunk of points together."""

    def evaluate_many(self, points: Sequence) -> list:  # of likelihub.running.scanning.ScanPoint
        """Per point, its results (a dict) or the exception it raised, in the order given."""


@runtime_checkable
class SupportsWarmUp(Protocol):
    """A scan's evaluating function with work to do once per worker process, before any point."""

    def warm_up(self) -> None:
        """Prepare (e.g. load compiled kernels); a failure costs time, not results."""


@runtime_checkable
class SupportsWarmUpModel(Protocol):
    """A point family's model builder (:class:`likelihub.running.points.PointFamily`) that offers
    a small model of its kind to fit once as a worker starts."""

    def warm_up_model(self):
        """A small StatisticalModel whose fits call what the scan's fits will call."""
