"""What a backend can do, decided in one place: :func:`capabilities` (and
:func:`evaluator_capabilities` for a scan's evaluating function).

    caps = capabilities(backend)      # Capabilities(gradient=True, hessian=False, ...)
    caps.gradient                     # the backend has value_and_grad
    caps.missing()                    # {"hessian": "finite differences of the gradient ...", ...}

Every optional capability of :mod:`likelihub.backend.contract` that the core dispatches on is a
field of :class:`Capabilities`, with the fallback the core takes where it is absent
(:data:`Capabilities.FALLBACKS`). A capability is present where its protocol's methods are, none
of them None (an instance may set a method of its class to None to withdraw it), checked with one
``getattr`` per method of the protocol: ``isinstance`` with the contract's runtime-checkable
protocols agrees otherwise, but costs microseconds per protocol, and the probe runs once per fit.
Adding a capability means adding its protocol to the contract and its field, fallback and line in
:func:`capabilities` here.

A backend whose capabilities depend on the instance (a combination offers a gradient only where
every component has one) declares them with :class:`optional_method`: the method is defined on the
class and present on the instances whose ``offered_methods`` name it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields
from types import MappingProxyType
from typing import Any, ClassVar

from likelihub.backend.contract import (
    Backend,
    SupportsBatchDerivatives,
    SupportsConstraintTerms,
    SupportsDescribe,
    SupportsEvaluateMany,
    SupportsGradient,
    SupportsHessian,
    SupportsSampling,
    SupportsStacking,
    SupportsWarmUp,
    SupportsWarmUpModel,
    SupportsYields,
)

__all__ = ["Capabilities", "EvaluatorCapabilities", "capabilities", "evaluator_capabilities",
           "missing_members", "optional_method"]


def _methods(protocol: type) -> tuple[str, ...]:
    """The methods of a protocol of the contract, in the order they are defined."""
    return tuple(name for name in vars(protocol) if not name.startswith("_"))


def _offers(obj: object, methods: tuple[str, ...]) -> bool:
    """Whether ``obj`` has every one of ``methods``, not None."""
    for name in methods:  # a loop, not all(...): the probe runs once per fit
        if getattr(obj, name, None) is None:
            return False
    return True


_GRADIENT = _methods(SupportsGradient)
_HESSIAN = _methods(SupportsHessian)
_BATCH_DERIVATIVES = _methods(SupportsBatchDerivatives)
_STACKING = _methods(SupportsStacking)
_SAMPLING = _methods(SupportsSampling)
_DESCRIBE = _methods(SupportsDescribe)
_CONSTRAINT_TERMS = _methods(SupportsConstraintTerms)
_YIELDS = _methods(SupportsYields)
_EVALUATE_MANY = _methods(SupportsEvaluateMany)
_WARM_UP = _methods(SupportsWarmUp)
_WARM_UP_MODEL = _methods(SupportsWarmUpModel)


class _Described:
    """Shared by the two descriptions: what is absent, with the fallback taken instead."""

    FALLBACKS: ClassVar[Mapping[str, str]]

    def missing(self) -> dict[str, str]:
        """``{capability: the fallback the core takes}`` of each capability that is absent."""
        return {f.name: self.FALLBACKS[f.name] for f in fields(self) if not getattr(self, f.name)}

    def summary(self) -> str:
        """One line per capability: present, or absent and what the core does instead."""
        return "\n".join(f"{f.name}: yes" if getattr(self, f.name)
                         else f"{f.name}: no ({self.FALLBACKS[f.name]})" for f in fields(self))


@dataclass(frozen=True)
class Capabilities(_Described):
    """What a backend can do (:func:`capabilities`); each field names its protocol's methods.

    Attributes
    ----------
    gradient
        ``value_and_grad`` (:class:`~likelihub.backend.contract.SupportsGradient`).
    hessian
        ``hessian`` (:class:`~likelihub.backend.contract.SupportsHessian`).
    batch_derivatives
        ``value_and_grad_batch`` and ``hessian_batch``
        (:class:`~likelihub.backend.contract.SupportsBatchDerivatives`): toys fitted in lock-step.
    stacking
        The backend's class has a class method ``stack(backends)``
        (:class:`~likelihub.backend.contract.SupportsStacking`).
    sampling
        ``sample`` (:class:`~likelihub.backend.contract.SupportsSampling`).
    toys
        Toys can be drawn: ``sample``, or the generic sampler of ``config.data_layout``.
    describe
        ``describe`` (:class:`~likelihub.backend.contract.SupportsDescribe`).
    constraint_terms
        ``constraint_terms`` (:class:`~likelihub.backend.contract.SupportsConstraintTerms`): a
        combination may share the backend's constrained parameters with another likelihood's.
    yields
        ``yield_layout`` and ``expected_yields`` (:class:`~likelihub.backend.contract.SupportsYields`):
        yields per channel, sample and bin.
    """

    gradient: bool
    hessian: bool
    batch_derivatives: bool
    stacking: bool
    sampling: bool
    toys: bool
    describe: bool
    constraint_terms: bool = False
    yields: bool = False

    #: What the core does where a capability is absent.
    FALLBACKS: ClassVar[Mapping[str, str]] = MappingProxyType({
        "gradient": "fits use MIGRAD's own finite differences, and central differences of logpdf "
                    "(likelihub.backend.derivatives.numerical_gradient) to judge a minimum",
        "hessian": "finite differences of the gradient (numerical_hessian); fits start with MIGRAD "
                   "instead of Newton steps, and judge the minimum with MIGRAD's estimate",
        "batch_derivatives": "toys are fitted one by one (Newton, then MIGRAD and its retries), "
                             "not in lock-step",
        "stacking": "the generic likelihub.backend.stacking.BackendStack, which evaluates each "
                    "member's value_and_grad and hessian row by row",
        "sampling": "the generic sampler of config.data_layout (DataLayout.sample at the expected "
                    "data)",
        "toys": "none: toys raise likelihub.errors.CapabilityError",
        "describe": "the model's repr (StatisticalModel.describe), its class name in messages",
        "constraint_terms": "none: a combination cannot share the backend's constrained parameters "
                            "(lh.combine(..., correlate=...) names the component); unshared, it combines",
        "yields": "the main measurements as one channel of one sample, 'total' "
                  "(likelihub.diagnostics.yields)",
    })


@dataclass(frozen=True)
class EvaluatorCapabilities(_Described):
    """What a scan's evaluating function can do (:func:`evaluator_capabilities`).

    Attributes
    ----------
    evaluate_many
        ``evaluate_many(points)`` (:class:`~likelihub.backend.contract.SupportsEvaluateMany`).
    warm_up
        ``warm_up()`` (:class:`~likelihub.backend.contract.SupportsWarmUp`).
    warm_up_model
        The model builder of a :class:`~likelihub.running.scan.ModelEvaluator` offers
        ``warm_up_model()`` (:class:`~likelihub.backend.contract.SupportsWarmUpModel`).
    """

    evaluate_many: bool
    warm_up: bool
    warm_up_model: bool = False

    #: What the scan does where a capability is absent.
    FALLBACKS: ClassVar[Mapping[str, str]] = MappingProxyType({
        "evaluate_many": "each point of a chunk is evaluated alone, evaluate(point)",
        "warm_up": "none: each worker process prepares on its first point",
        "warm_up_model": "none: a ModelEvaluator's workers compile or load kernels on their first point",
    })


def capabilities(backend: object) -> Capabilities:
    """What ``backend`` offers of the contract's optional capabilities.

    Parameters
    ----------
    backend
        A backend (:class:`~likelihub.backend.contract.Backend`), or a stack's member.

    Returns
    -------
    Capabilities
        A bool per capability; :meth:`Capabilities.missing` names the fallbacks.
    """
    sampling = _offers(backend, _SAMPLING)
    config = getattr(backend, "config", None)
    return Capabilities(
        gradient=_offers(backend, _GRADIENT),
        hessian=_offers(backend, _HESSIAN),
        batch_derivatives=_offers(backend, _BATCH_DERIVATIVES),
        stacking=_offers(type(backend), _STACKING),
        sampling=sampling,
        toys=sampling or getattr(config, "data_layout", None) is not None,
        describe=_offers(backend, _DESCRIBE),
        constraint_terms=_offers(backend, _CONSTRAINT_TERMS),
        yields=_offers(backend, _YIELDS),
    )


def evaluator_capabilities(evaluate: Callable) -> EvaluatorCapabilities:
    """What a scan's evaluating function offers beyond ``evaluate(point)``.

    Parameters
    ----------
    evaluate
        The function :func:`likelihub.scan` calls per point.

    Returns
    -------
    EvaluatorCapabilities
        A bool per capability; :meth:`EvaluatorCapabilities.missing` names the fallbacks.
    """
    builder = getattr(evaluate, "builder", None)  # a ModelEvaluator's, where it is one
    return EvaluatorCapabilities(evaluate_many=_offers(evaluate, _EVALUATE_MANY),
                                 warm_up=_offers(evaluate, _WARM_UP),
                                 warm_up_model=builder is not None and _offers(builder, _WARM_UP_MODEL))


def missing_members(backend: object) -> list[str]:
    """The members of the required :class:`~likelihub.backend.contract.Backend` that ``backend``
    lacks (attributes absent, methods absent or None), in the contract's order; empty where
    ``isinstance(backend, Backend)``."""
    attributes = tuple(Backend.__annotations__)
    return ([name for name in attributes if not hasattr(backend, name)]
            + [name for name in _methods(Backend) if getattr(backend, name, None) is None])


class optional_method:
    """A backend method that each instance offers only where its ``offered_methods`` names it.

    For backends whose capabilities depend on the instance (a combination has a gradient where
    every component has one): the method is defined once on the class; on an instance whose
    ``offered_methods`` (a set of method names, fixed when it is built) lacks it, reading it raises
    AttributeError, so that ``hasattr``, the contract's protocols and :func:`capabilities` see it
    absent.

        class Combination:
            def __init__(self, parts):
                self.offered_methods = frozenset(... "value_and_grad" if every part has one ...)

            @optional_method
            def value_and_grad(self, pars, data): ...
    """

    def __init__(self, method: Callable):
        self.method = method
        self.name = method.__name__
        self.__doc__ = method.__doc__

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, instance: Any, owner: type | None = None) -> Any:
        if instance is None:
            return self
        if self.name not in getattr(instance, "offered_methods", ()):
            raise AttributeError(f"this {type(instance).__name__} does not offer {self.name} "
                                 f"(its offered_methods: {sorted(instance.offered_methods)})"
                                 if hasattr(instance, "offered_methods")
                                 else f"{type(instance).__name__}.offered_methods is not set")
        return self.method.__get__(instance, owner)
