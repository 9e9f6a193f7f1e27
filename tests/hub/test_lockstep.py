"""Stacks of models and asymptotic CLs of many models with their fits in lock-step.

Origins of the numbers: each model's own numbers (its backend alone; its calculator alone), and
the counting model's closed forms (Cowan et al., arXiv:1007.1727) through those.
"""

from __future__ import annotations

import numpy as np
import pytest

import likelihub as lh
from likelihub.backend.stacking import BackendStack, stack_key, stackable_groups
from likelihub.fits.batch import fit_batch, lockstep_newton
from likelihub.infer import lockstep

from .counting import CountingBackend


class Reordered:
    """A backend with its parameters in reversed order (as a scan's models may list them)."""

    def __init__(self, backend):
        self.inner = backend
        c = backend.config
        n = c.n_parameters
        self.order = np.arange(n)[::-1]
        self.config = lh.ModelConfig(
            [c.parameter_names[i] for i in self.order], n - 1 - c.poi_index,
            np.asarray(c.init)[self.order], np.asarray(c.bounds)[self.order],
            n_main=c.n_main, data_layout=c.data_layout)
        self.data = backend.data

    def _inner(self, pars):
        out = np.empty_like(np.asarray(pars, float))
        out[self.order] = pars
        return out

    def expected_data(self, pars):
        return self.inner.expected_data(self._inner(pars))

    def logpdf(self, pars, data):
        return self.inner.logpdf(self._inner(pars), data)

    def value_and_grad(self, pars, data):
        value, grad = self.inner.value_and_grad(self._inner(pars), data)
        return value, grad[self.order]

    def hessian(self, pars, data):
        return self.inner.hessian(self._inner(pars), data)[np.ix_(self.order, self.order)]


def members():
    # Three signals on one background with a 10% systematic; the second lists its parameters
    # in the other order.
    return [CountingBackend(12, 5.0, 8.0, 0.1), Reordered(CountingBackend(12, 9.0, 8.0, 0.1)),
            CountingBackend(12, 2.0, 8.0, 0.1)]


def test_stack_rows_are_their_members_in_the_stack_order():
    backends = members()
    stack = BackendStack(backends)
    np.testing.assert_array_equal(stack.parameter_index[1], [1, 0])  # theta, mu -> stack (mu, theta)
    pars = np.array([[0.7, 0.3], [1.3, -0.4], [0.2, 0.9]])
    data = np.stack([b.data for b in backends])
    values, grads = stack.value_and_grad_batch(pars, data, [2, 1, 0])
    hessians = stack.hessian_batch(pars, data, [2, 1, 0])
    for row, member in enumerate([2, 1, 0]):
        own = stack.to_member_order(member, pars[row])
        value, grad = backends[member].value_and_grad(own, data[row])
        assert values[row] == value  # the member's own evaluation, exactly
        np.testing.assert_array_equal(stack.to_member_order(member, grads[row]), grad)
        index = stack.parameter_index[member]
        np.testing.assert_array_equal(hessians[row][np.ix_(index, index)],
                                      backends[member].hessian(own, data[row]))


def test_only_models_with_the_same_parameters_stack():
    backends = [*members(), CountingBackend(12, 5.0, 8.0, None), CountingBackend(12, 5.0, 8.0, 0.1,
                                                                                 mu_bounds=(0, 5))]
    assert stack_key(backends[0]) == stack_key(backends[1])
    assert stackable_groups(backends) == [[0, 1, 2]]
    assert stackable_groups(backends, min_size=1) == [[0, 1, 2], [3], [4]]
    with pytest.raises(ValueError, match="member 1 of the stack differs from member 0"):
        BackendStack([backends[0], backends[4]])


def test_lockstep_fits_of_a_stack_equal_each_members_own_fit():
    backends = members()
    stack = BackendStack(backends)
    data = np.stack([b.data for b in backends])
    fits = lockstep_newton(stack, data, edm_max=1e-12)
    assert fits.converged.all()  # in lock-step, no fallback
    for i, backend in enumerate(backends):
        alone = lh.fits.engine.fit(backend, backend.data, edm_max=1e-12)
        assert fits.nll[i] == pytest.approx(alone.nll, abs=1e-9)  # both at the minimum, edm <= 1e-12
        np.testing.assert_allclose(stack.to_member_order(i, fits.values[i]), alone.values, atol=1e-5)


def test_stack_fits_left_unconverged_fall_back_to_their_member_alone():
    backends = members()
    backends[0] = CountingBackend(20, 5.0, 8.0, 0.1)  # other data for each member
    stack = BackendStack(backends)
    rows = [2, 1, 0]
    data = np.stack([backends[m].data for m in rows])
    fits = fit_batch(stack, data, max_iterations=0, members=rows)
    values, nll, converged = fits.values, fits.nll, fits.converged
    assert converged.all()
    for row, member in enumerate(rows):
        alone = lh.fits.engine.fit(backends[member], backends[member].data)
        assert nll[row] == pytest.approx(alone.nll, abs=1e-8)
        # member 1 lists its parameters the other way round: compared in its own order
        np.testing.assert_allclose(stack.to_member_order(member, values[row]), alone.values, atol=1e-4)


def test_cls_together_equals_each_models_cls():
    models = [lh.StatisticalModel(b, fit_options={"edm_max": 1e-12}) for b in members()]
    together = lockstep.cls_together(models, mu=1.0)
    for model, result in zip(models, together, strict=True):
        alone = model.cls(1.0)
        # The same fits made by another minimiser: equal to their precision (edm <= 1e-12).
        assert result.cls_obs == pytest.approx(alone.cls_obs, rel=1e-6)
        assert result.cls_exp == pytest.approx(alone.cls_exp, rel=1e-6)
        assert result.test_statistic_asimov == pytest.approx(alone.test_statistic_asimov, abs=1e-8)


def test_cls_together_blind_is_each_models_blind_cls():
    # blind results are expected ones only, as model.cls(blind=True) gives them
    models = [lh.StatisticalModel(b, fit_options={"edm_max": 1e-12}) for b in members()]
    together = lockstep.cls_together(models, mu=1.0, blind=True)
    for model, result in zip(models, together, strict=True):
        alone = model.cls(1.0, blind=True)
        assert result.cls_obs is None and alone.cls_obs is None
        # The same fits made by another minimiser: equal to their precision (edm <= 1e-12).
        assert result.cls_exp == pytest.approx(alone.cls_exp, rel=1e-6)


def test_calculators_together_adopt_lockstep_fits_and_fit_the_rest_alone(monkeypatch):
    original = lockstep.lockstep_newton

    def first_member_fails(stack, data, **kwargs):
        fits = original(stack, data, **kwargs)
        fits.converged[np.asarray(kwargs["members"]) == 0] = False
        return fits

    monkeypatch.setattr(lockstep, "lockstep_newton", first_member_fails)
    models = [lh.StatisticalModel(b) for b in members()]
    calculators = lockstep.calculators_together(models, mu=1.0)
    # The first model's fits did not converge in lock-step: each made alone, as without the stack
    # (the single fit's projected Newton), so that its later fits start where they would alone.
    assert calculators[0].observed.conditional_fit(0.0).method == "newton"
    assert calculators[0].observed.free_fit().method == "newton"
    assert calculators[0].asimov.free_fit().method == "newton"
    for calculator in calculators[1:]:
        assert calculator.observed.free_fit().method == "newton (lock-step)"
        assert calculator.asimov.conditional_fit(1.0).method == "newton (lock-step)"
    # The first model's fits are made by its calculator alone: the single-model numbers exactly.
    assert calculators[0].cls(1.0).cls_obs == models[0].cls(1.0).cls_obs


def test_calculators_that_fit_differently_are_not_fitted_together():
    tolerances = (1e-8, 1e-9, 1e-8)
    models = [lh.StatisticalModel(b, fit_options={"edm_max": e})
              for b, e in zip(members(), tolerances, strict=True)]
    calculators = [m.calculator() for m in models]
    with pytest.raises(ValueError, match="different edm_max"):
        lockstep.fit_calculators_together(BackendStack([m.backend for m in models]), calculators, 1.0)
    # cls_together stacks them apart instead.
    assert len(lockstep.cls_together(models)) == 3


def test_last_newton_step_is_kept_only_where_it_lowers_the_nll():
    from likelihub.fits import newton

    x = np.array([[0.0], [0.0]])
    nll, grad = np.array([1.0, 1.0]), np.zeros((2, 1))

    def evaluate(points, rows):
        return np.array([0.5, 2.0])[rows], points * 0.0

    state = newton._State(2, 1)
    newton._finish(np.array([0, 1]), np.array([[0.1], [0.1]]), np.array([1e-9, 1e-9]), x, nll, grad,
                   np.array([-1.0]), np.array([1.0]), 1e-8, evaluate, state)
    np.testing.assert_array_equal(x[:, 0], [0.1, 0.0])
    np.testing.assert_array_equal(nll, [0.5, 1.0])
    assert state.converged.all()


class NoDerivatives:
    """A backend with log L only (no gradient, no Hessian): fitted by its calculator alone."""

    def __init__(self, backend):
        self.inner, self.config, self.data = backend, backend.config, backend.data

    def expected_data(self, pars):
        return self.inner.expected_data(pars)

    def logpdf(self, pars, data):
        return self.inner.logpdf(pars, data)


def test_models_without_derivatives_are_left_to_their_calculators():
    models = [lh.StatisticalModel(NoDerivatives(b)) for b in (members()[0], members()[2])]
    calculators = lockstep.calculators_together(models, mu=1.0)
    assert all(c.observed.pending(None) and c.observed.pending(0.0) for c in calculators)  # none made
    assert [c.cls(1.0).cls_obs for c in calculators] == [m.cls(1.0).cls_obs for m in models]


def test_a_model_whose_fit_fails_does_not_stop_the_others(monkeypatch):
    models = [lh.StatisticalModel(b) for b in members()]
    failing = models[1].backend
    real_fit = lh.fits.engine.fit

    def fit(backend, *args, **kwargs):  # the second model's fits fail whenever made alone
        if backend is failing:
            raise lh.errors.FitError("no minimum", result=None)
        return real_fit(backend, *args, **kwargs)

    original = lockstep.lockstep_newton

    def second_fails(stack, data, **kwargs):
        fits = original(stack, data, **kwargs)
        fits.converged[np.asarray(kwargs["members"]) == 1] = False
        return fits

    monkeypatch.setattr("likelihub.infer.profile.fit", fit)
    monkeypatch.setattr(lockstep, "lockstep_newton", second_fails)
    calculators = lockstep.calculators_together(models, mu=1.0)
    with pytest.raises(lh.errors.FitError):
        calculators[1].cls(1.0)
    for i in (0, 2):
        assert calculators[i].observed.free_fit().method == "newton (lock-step)"
        assert calculators[i].cls(1.0).cls_obs == pytest.approx(models[i].cls(1.0).cls_obs, rel=1e-6)


def test_fitting_together_needs_the_stack_of_the_calculators_backends():
    models = [lh.StatisticalModel(b) for b in members()]
    with pytest.raises(ValueError, match="stack's member i as its backend"):
        lockstep.fit_calculators_together(BackendStack([m.backend for m in models][::-1]),
                                     [m.calculator() for m in models], 1.0)


def test_a_calculator_says_which_fits_cls_needs_in_the_order_it_makes_them():
    # The lock-step driver knows no calculator's order: it asks. The fits asked for, made one by
    # one, are exactly the calculator's own: CLs equals the model's to the last bit.
    model = lh.StatisticalModel(members()[0])
    calculator = model.calculator()
    asked = []
    while requests := calculator.fit_requests(1.0):
        request = requests[0]
        asked.append(("observed" if request.profiler is calculator.observed else "Asimov", request.mu))
        request.profiler.make(request)
    assert asked == [("observed", 0.0), ("Asimov", 1.0), ("Asimov", None), ("observed", 1.0),
                     ("observed", None)]
    assert calculator.cls(1.0).cls_obs == model.cls(1.0).cls_obs
    other = model.calculator()
    with pytest.raises(ValueError, match="its own requests"):
        other.observed.accept(calculator.observed.pending(2.0), calculator.observed.free_fit())
