"""The capability probe: one bool per optional capability of the contract, with its fallback."""

from dataclasses import FrozenInstanceError, fields

import numpy as np
import pytest

import likelihub as lh
from likelihub.backend import contract
from likelihub.backend.capabilities import (
    Capabilities,
    EvaluatorCapabilities,
    capabilities,
    evaluator_capabilities,
    missing_members,
    optional_method,
)
from tests.combiner.combiner_counting import atlas_like, cms_like

from .counting import BatchCountingBackend, CountingBackend


class Bare:
    """The required part of the contract only."""

    def __init__(self, data_layout=None):
        self.config = lh.ModelConfig(["mu"], 0, [1.0], [(0.0, 10.0)], n_main=1, data_layout=data_layout)
        self.data = np.array([3.0])

    def expected_data(self, pars):
        return np.array([pars[0]])

    def logpdf(self, pars, data):
        return -0.5 * float((data[0] - pars[0]) ** 2)


def _method(*_):
    return None


#: For each capability, the methods that give it (added to the instance, or to the class for
#: stacking), and the protocol that describes it.
WITH = {
    "gradient": ({"value_and_grad": _method}, contract.SupportsGradient),
    "hessian": ({"hessian": _method}, contract.SupportsHessian),
    "batch_derivatives": ({"value_and_grad_batch": _method, "hessian_batch": _method},
                          contract.SupportsBatchDerivatives),
    "sampling": ({"sample": _method}, contract.SupportsSampling),
    "describe": ({"describe": _method}, contract.SupportsDescribe),
    "constraint_terms": ({"constraint_terms": _method}, contract.SupportsConstraintTerms),
}


def test_a_bare_backend_has_none_and_every_fallback_is_named():
    caps = capabilities(Bare())
    assert caps == Capabilities(gradient=False, hessian=False, batch_derivatives=False,
                                stacking=False, sampling=False, toys=False, describe=False)
    assert caps.missing() == dict(Capabilities.FALLBACKS)
    assert "no (none: toys raise" in caps.summary()
    with pytest.raises(FrozenInstanceError):
        caps.gradient = True


@pytest.mark.parametrize("name", sorted(WITH))
def test_each_capability_alone(name):
    methods, protocol = WITH[name]
    backend = Bare()
    for method, function in methods.items():
        setattr(backend, method, function)
    caps = capabilities(backend)
    present = {f.name for f in fields(caps) if getattr(caps, f.name)}
    assert present == ({name, "toys"} if name == "sampling" else {name})
    assert isinstance(backend, protocol)
    assert name not in caps.missing()


@pytest.mark.parametrize("name", [n for n in sorted(WITH) if len(WITH[n][0]) > 1])
def test_half_a_capability_is_none(name):
    methods, protocol = WITH[name]
    backend = Bare()
    first = next(iter(methods))
    setattr(backend, first, methods[first])
    assert not getattr(capabilities(backend), name)
    assert not isinstance(backend, protocol)


def test_an_instance_withdraws_a_method_of_its_class_by_setting_it_to_none():
    backend = CountingBackend(10, 5, 8)
    backend.hessian = None
    caps = capabilities(backend)
    assert caps.gradient and not caps.hessian


def test_the_probe_agrees_with_isinstance_of_the_protocols():
    backends = [Bare(), CountingBackend(10, 5, 8), BatchCountingBackend(10, 5, 8, delta=0.1),
                atlas_like(), atlas_like(derivatives=False)]
    for backend in backends:
        caps = capabilities(backend)
        for name, (_, protocol) in WITH.items():
            assert getattr(caps, name) == isinstance(backend, protocol), (type(backend), name)
        assert caps.stacking == isinstance(type(backend), contract.SupportsStacking)


def test_toys_come_from_sample_or_from_the_data_layout():
    caps = capabilities(Bare(data_layout=lh.DataLayout(("poisson",), 1.0)))
    assert caps.toys and not caps.sampling
    assert "sampling" in caps.missing() and "toys" not in caps.missing()


def test_stacking_is_a_class_method_not_an_instance_attribute():
    class Stackable(Bare):
        @classmethod
        def stack(cls, backends):
            return lh.backend.stacking.BackendStack(backends)

    assert capabilities(Stackable()).stacking
    holder = Bare()
    holder.stack = object()  # e.g. a stack member holding its stack
    assert not capabilities(holder).stacking


def test_fallbacks_cover_every_capability():
    for kind in (Capabilities, EvaluatorCapabilities):
        assert set(kind.FALLBACKS) == {f.name for f in fields(kind)}
        assert all(isinstance(text, str) and text for text in kind.FALLBACKS.values())


def test_evaluator_capabilities():
    def evaluate(point):
        return {}

    class Evaluator:
        def __call__(self, point):
            return {}

        def evaluate_many(self, points):
            return [{} for _ in points]

        def warm_up(self):
            pass

    assert evaluator_capabilities(evaluate) == EvaluatorCapabilities(evaluate_many=False, warm_up=False)
    assert evaluator_capabilities(evaluate).missing() == dict(EvaluatorCapabilities.FALLBACKS)
    assert evaluator_capabilities(Evaluator()) == EvaluatorCapabilities(evaluate_many=True, warm_up=True)
    assert isinstance(Evaluator(), contract.SupportsEvaluateMany)
    assert isinstance(Evaluator(), contract.SupportsWarmUp)


def test_missing_members_of_the_required_part():
    assert missing_members(Bare()) == []
    assert missing_members(object()) == ["config", "data", "expected_data", "logpdf"]
    broken = Bare()
    broken.logpdf = None
    assert missing_members(broken) == ["logpdf"]
    assert not isinstance(broken, contract.Backend)


def test_optional_method_follows_the_instances_declaration():
    class Declared(Bare):
        def __init__(self, offered):
            super().__init__()
            self.offered_methods = frozenset(offered)

        @optional_method
        def value_and_grad(self, pars, data):
            """The gradient."""
            return self.logpdf(pars, data), np.array([data[0] - pars[0]])

    with_gradient, without = Declared({"value_and_grad"}), Declared(())
    assert capabilities(with_gradient).gradient and hasattr(with_gradient, "value_and_grad")
    assert with_gradient.value_and_grad([1.0], [3.0])[1] == pytest.approx([2.0])
    assert not capabilities(without).gradient and not hasattr(without, "value_and_grad")
    with pytest.raises(AttributeError, match="does not offer value_and_grad"):
        without.value_and_grad([1.0], [3.0])
    assert Declared.value_and_grad.__doc__ == "The gradient."


def test_a_combination_offers_what_every_component_offers():
    every = capabilities(lh.combine(atlas_like(), cms_like()).backend)
    assert every == Capabilities(gradient=True, hessian=True, batch_derivatives=False, stacking=False,
                                 sampling=True, toys=True, describe=True)
    # cms without derivatives or sample, but with a data layout: toys still, from its layout
    partial = capabilities(lh.combine(atlas_like(), cms_like(derivatives=False)).backend)
    assert partial == Capabilities(gradient=False, hessian=False, batch_derivatives=False,
                                   stacking=False, sampling=True, toys=True, describe=True)


def test_a_combination_has_batch_derivatives_only_where_every_component_has_them():
    both = lh.combine(BatchCountingBackend(10, 5, 8, delta=0.1), BatchCountingBackend(12, 4, 9, delta=0.2))
    assert capabilities(both.backend).batch_derivatives
    one = lh.combine(BatchCountingBackend(10, 5, 8, delta=0.1), CountingBackend(12, 4, 9, delta=0.2))
    caps = capabilities(one.backend)
    assert caps.gradient and caps.hessian and not caps.batch_derivatives
    assert not hasattr(one.backend, "value_and_grad_batch")


def test_a_combination_without_any_sampler_has_no_toys():
    class NoLayout(CountingBackend):
        pass

    first, second = NoLayout(10, 5, 8), NoLayout(12, 4, 9)
    first.config = lh.ModelConfig(["mu"], 0, [1.0], [(0.0, 10.0)], n_main=1)
    combined = lh.combine(first, atlas_like())
    caps = capabilities(combined.backend)
    assert not caps.sampling and not caps.toys and caps.gradient
    assert not hasattr(combined.backend, "sample")
    assert capabilities(lh.combine(second, atlas_like()).backend).sampling


def test_a_model_evaluators_builder_may_offer_a_warm_up_model():
    from likelihub.running.scan import ModelEvaluator

    class Builder:
        def __call__(self, point):
            raise AssertionError("not called")

    class WithWarmUp(Builder):
        def warm_up_model(self):
            raise AssertionError("not called")

    assert not evaluator_capabilities(ModelEvaluator(Builder())).warm_up_model
    assert evaluator_capabilities(ModelEvaluator(WithWarmUp())).warm_up_model
    assert isinstance(WithWarmUp(), contract.SupportsWarmUpModel)
