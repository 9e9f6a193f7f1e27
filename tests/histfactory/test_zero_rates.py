"""Points of zero probability and empty bins in every CPU kernel (issue 11, item 1).

A bin with observed events and no expected events (background 0 and the signal at mu = 0, a
sample of zero yields, a histosys template driving a bin below zero), or a Poisson constraint
with a positive datum at a rate of zero, has probability zero: -log L = +inf, and the kernels
return a NaN gradient and Hessian there (documented in ``kernels``), with no exception. A bin with
no expected and no observed events contributes 0, with finite derivatives. Origins of the numbers:
the NumPy reference (``reference``, written for clarity and itself checked against pyhf by
``test_engine_vs_pyhf.py``) and, for the brief's example, the closed form of two Poisson terms.
The CUDA kernel is held to the same cases in ``test_cuda_kernels.py`` (under the simulator).
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from likelihub_histfactory.factory import build_backend
from likelihub_histfactory.kernels import reference
from likelihub_histfactory.stacking import HistFactoryStack

# Tolerances as in test_hessian.py: the kernels and the reference add the same terms in other
# orders (1e-12 relative on -log L and the gradient); the Hessian's low-rank formula cancels
# terms (1e-10).
VALUE_RTOL, GRAD_RTOL, HESSIAN_RTOL = 1e-12, 1e-12, 1e-10


def _spec(channels, observations, parameters=()):
    return {"version": "1.0.0", "channels": channels,
            "observations": [{"name": c, "data": d} for c, d in observations.items()],
            "measurements": [{"name": "m", "config": {"poi": "mu", "parameters": list(parameters)}}]}


def _sample(name, data, *modifiers):
    return {"name": name, "data": data, "modifiers": list(modifiers)}


MU = {"name": "mu", "type": "normfactor", "data": None}


def example():
    """The issue's example: one bin with background 0, signal 1, observed 1, next to a normal bin."""
    return _spec([{"name": "SR", "samples": [
        _sample("signal", [1.0, 1.0], MU),
        _sample("background", [0.0, 5.0],
                {"name": "bkg_norm", "type": "normsys", "data": {"hi": 1.1, "lo": 0.9}})]}],
        {"SR": [1.0, 5.0]})


def empty_sample_with_staterror():
    """A sample of zero yields carrying a staterror, alone in channel CR; a staterror on the
    signal too (its bin 0 carries a shapesys on an empty background)."""
    return _spec([
        {"name": "CR", "samples": [
            _sample("empty", [0.0, 0.0], {"name": "stat_CR", "type": "staterror", "data": [0.0, 0.5]})]},
        {"name": "SR", "samples": [
            _sample("signal", [2.0, 1.0], MU, {"name": "stat_SR", "type": "staterror", "data": [0.2, 0.1]}),
            _sample("background", [0.0, 4.0],
                    {"name": "bkg_shape", "type": "shapesys", "data": [0.5, 1.0]})]}],
        {"CR": [0.0, 0.0], "SR": [3.0, 4.0]})


def negative_template():
    """A histosys whose down template is below the nominal by more than the nominal: at alpha
    below -1 the bin's expected count crosses zero."""
    return _spec([{"name": "SR", "samples": [
        _sample("signal", [1.0], MU),
        _sample("background", [2.0], {"name": "shape", "type": "histosys",
                                      "data": {"hi_data": [4.0], "lo_data": [0.0]}})]}],
        {"SR": [2.0]})


def _set(backend, pars, values):
    names = list(backend.compiled.parameter_names)
    pars = pars.copy()
    for name, value in values.items():
        pars[names.index(name)] = value
    return pars


# (model, changes to the initial parameters, changes to the observed data (index: value),
#  whether the point has probability zero)
CASES = [
    ("example", {"mu": 0.0}, {}, True),                    # lam = 0 < n = 1 in bin 0
    ("example", {"mu": 1.0}, {}, False),
    ("example", {"mu": 0.0}, {0: 0.0}, False),             # lam = n = 0: contributes 0
    ("example", {"mu": 1e-100}, {}, False),                # lam tiny but positive: all finite
    ("empty", {}, {}, False),                              # CR: lam = n = 0 in both bins
    ("empty", {}, {0: 1.0}, True),                         # CR bin 0: an event, no sample yield
    ("empty", {"mu": 0.0}, {}, True),                      # SR bin 0: 3 events, background 0
    ("empty", {"mu": 0.0}, {2: 0.0}, False),
    ("empty", {"stat_SR[0]": 0.0}, {2: 0.0}, False),       # a factor at zero, lam = n = 0
    ("empty", {"bkg_shape[1]": 0.0}, {}, True),            # Poisson constraint: rate 0, datum 16
    ("empty", {"bkg_shape[1]": 0.0}, {5: 0.0}, False),     # ... rate 0, datum 0
    ("negative", {"shape": -1.5}, {}, True),               # lam = 1 + (2 - 1.5 * 2) = 0 < n
    ("negative", {"shape": -2.0}, {}, True),               # lam < 0 < n
    ("negative", {"shape": -2.0, "mu": 0.0}, {0: 0.0}, False),  # lam < 0, n = 0: -log L has lam
    ("negative", {"shape": -0.5}, {}, False),
]
MODELS = {"example": example, "empty": empty_sample_with_staterror, "negative": negative_template}


def _case(case):
    model, changes, data_changes, impossible = case
    backend = build_backend(MODELS[model]())
    pars = _set(backend, backend.compiled.init.astype(float), changes)
    data = backend.data.copy()
    for index, value in data_changes.items():
        data[index] = value
    return backend, pars, data, impossible


def zero_rate_batches():
    """Per model of :data:`MODELS`, its cases as one batch: ``(compiled, pars, data, impossible)``,
    ``impossible`` marking the rows whose data have probability zero (the kernels' tests of
    every device use them)."""
    for model in sorted(MODELS):
        cases = [_case(c) for c in CASES if c[0] == model]
        yield (cases[0][0].compiled, np.array([c[1] for c in cases]), np.array([c[2] for c in cases]),
               np.array([c[3] for c in cases]))


def _close(actual, expected, rtol):
    np.testing.assert_allclose(actual, expected, rtol=rtol, atol=rtol * max(1.0, np.max(np.abs(expected))))


def test_the_issues_example_in_closed_form():
    backend = build_backend(example())
    pars = _set(backend, backend.compiled.init.astype(float), {"mu": 1.0})
    # closed form at mu = 1, alpha = 0: Poisson(1 | 1) Poisson(5 | 6) Gauss(0 | 0, 1)
    expected = (-1.0) + (5 * math.log(6.0) - 6.0 - math.lgamma(6.0)) - 0.5 * math.log(2 * math.pi)
    assert backend.logpdf(pars, backend.data) == pytest.approx(expected, rel=1e-14)
    at_zero = _set(backend, pars, {"mu": 0.0})
    assert backend.logpdf(at_zero, backend.data) == -math.inf
    value, grad = backend.value_and_grad(at_zero, backend.data)
    assert value == -math.inf and np.all(np.isnan(grad))
    assert np.all(np.isnan(backend.hessian(at_zero, backend.data)))


@pytest.mark.parametrize("case", CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_kernels_equal_the_reference(case):
    backend, pars, data, impossible = _case(case)
    ref_value, ref_grad, ref_hessian = reference.nll_grad_hessian(backend.compiled, pars, data)
    value, grad = backend.value_and_grad(pars, data)
    h_value, h_grad, hessian = backend.value_grad_and_hessian(pars, data)
    assert reference.impossible(backend.compiled, pars, data) == impossible
    if impossible:
        assert ref_value == math.inf and value == -math.inf and h_value == -math.inf
        for array in (ref_grad, ref_hessian, grad, h_grad, hessian):
            assert np.all(np.isnan(array))
        return
    for array in (ref_grad, ref_hessian, grad, h_grad, hessian):
        assert np.all(np.isfinite(array))
    assert -value == pytest.approx(ref_value, rel=VALUE_RTOL)
    assert -h_value == pytest.approx(ref_value, rel=VALUE_RTOL)
    _close(-grad, ref_grad, GRAD_RTOL)
    _close(-h_grad, ref_grad, GRAD_RTOL)
    _close(-hessian, ref_hessian, HESSIAN_RTOL)


@pytest.mark.parametrize("model", sorted(MODELS))
def test_batches_and_stacks_equal_single_calls(model):
    # every batched CPU kernel (batch, Hessian batch, stacked members) row by row against the
    # single-row kernel it calls: same code, same order, so 1e-12 relative covers any compiler
    # difference; rows of zero probability give +inf and NaN in every kernel
    cases = [_case(c) for c in CASES if c[0] == model]
    backend = cases[0][0]
    pars = np.array([c[1] for c in cases])
    data = np.array([c[2] for c in cases])
    values, grads = backend.value_and_grad_batch(pars, data)
    hessians = backend.hessian_batch(pars, data)
    stack = HistFactoryStack([backend, build_backend(MODELS[model]())])
    members = np.arange(len(cases)) % 2
    stack_values, stack_grads = stack.value_and_grad_batch(pars, data, members)
    stack_hessians = stack.hessian_batch(pars, data, members)
    for row, (_, p, d, impossible) in enumerate(cases):
        value, grad, hessian = backend.value_grad_and_hessian(p, d)
        for batch_value, batch_grad, batch_hessian in ((values[row], grads[row], hessians[row]),
                                                       (stack_values[row], stack_grads[row],
                                                        stack_hessians[row])):
            if impossible:
                assert batch_value == -math.inf
                assert np.all(np.isnan(batch_grad)) and np.all(np.isnan(batch_hessian))
                continue
            assert batch_value == pytest.approx(value, rel=VALUE_RTOL)
            _close(batch_grad, grad, GRAD_RTOL)
            _close(batch_hessian, hessian, HESSIAN_RTOL)


def test_no_warning_or_exception_at_zero_probability():
    # pytest turns warnings into errors (pyproject): a NumPy division warning would fail here
    backend = build_backend(example())
    at_zero = _set(backend, backend.compiled.init.astype(float), {"mu": 0.0})
    reference.nll_grad_hessian(backend.compiled, at_zero, backend.data)
    backend.value_grad_and_hessian(at_zero, backend.data)
    assert backend.expected_main(at_zero)[0] == 0.0


def _fixed_background_example():
    """The issue's example with a fixed background: one bin with background 0, signal 1,
    observed 1, next to a bin with background 5, signal 1, observed 5; mu the only parameter."""
    return _spec([{"name": "SR", "samples": [_sample("signal", [1.0, 1.0], MU),
                                             _sample("background", [0.0, 5.0])]}], {"SR": [1.0, 5.0]})


def _closed_form_cls(mu: float) -> float:
    """CLs (q~_mu, asymptotic, pyhf's formulas) of the fixed-background example in closed form.

    -log L(mu) = [mu - log mu] + [(5 + mu) - 5 log(5 + mu)] + const: mu-hat solves
    2 mu^2 + 4 mu - 5 = 0. The Asimov data at mu = 0 are (0, 5): their -log L is
    mu + (5 + mu) - 5 log(5 + mu), smallest at mu = 0 within q~'s bound.
    """
    from scipy.special import ndtr

    def nll(m):
        return (m - math.log(m)) + (5.0 + m - 5.0 * math.log(5.0 + m))

    mu_hat = (-4.0 + math.sqrt(56.0)) / 4.0
    q = 2.0 * (nll(mu) - nll(mu_hat)) if mu_hat < mu else 0.0
    q_asimov = 2.0 * ((2.0 * mu + 5.0 - 5.0 * math.log(5.0 + mu)) - (5.0 - 5.0 * math.log(5.0)))
    sqrt_q, sqrt_qa = math.sqrt(q), math.sqrt(q_asimov)
    t = sqrt_q - sqrt_qa if sqrt_q <= sqrt_qa else (q - q_asimov) / (2.0 * sqrt_qa)
    return float(ndtr(-(t + sqrt_qa)) / ndtr(-t))


def test_inference_on_the_issues_example_is_finite_and_exact():
    # The conditional fit at mu = 0 has -log L = +inf whatever the parameters (observed event,
    # nothing expected): CLs, limits and toys still come out, equal to the closed form.
    from scipy.optimize import brentq

    from likelihub_histfactory.factory import build_model

    model = build_model(_fixed_background_example())
    result = model.cls(1.0)
    assert result.cls_obs == pytest.approx(_closed_form_cls(1.0), rel=1e-7)  # fits to EDM 1e-10
    limit = model.upper_limit(expected="observed").observed
    assert limit == pytest.approx(brentq(lambda m: _closed_form_cls(m) - 0.05, 1.0, 20.0), rel=1e-5)
    toys = model.cls(1.0, calculator="toys", ntoys=200, rng=np.random.default_rng(1))
    assert toys.n_failed_fits == 0 and 0.0 <= toys.cls_obs <= 1.0
    # with a constrained background systematic too (the issue's model): finite, no failed toy
    constrained = build_model(example())
    assert 0.0 < constrained.cls(1.0).cls_obs < 1.0
    assert math.isfinite(constrained.upper_limit(expected="observed").observed)
    assert constrained.cls(1.0, calculator="toys", ntoys=200,
                           rng=np.random.default_rng(1)).n_failed_fits == 0
