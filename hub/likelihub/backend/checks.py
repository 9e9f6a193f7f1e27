"""Checks that a plugin's own tests run on its backends: :func:`check_backend`."""

from __future__ import annotations

import numpy as np

from likelihub.backend.capabilities import capabilities, missing_members
from likelihub.backend.config import ModelConfig
from likelihub.backend.constraints import ConstraintTerm
from likelihub.backend.contract import Backend
from likelihub.backend.derivatives import numerical_gradient, numerical_hessian

__all__ = ["check_backend"]


def _assert(condition: bool, message: str) -> None:
    if not condition:
        raise AssertionError(message)


def check_backend(backend, pars: np.ndarray | None = None, rtol: float = 1e-5,
                  rng: np.random.Generator | None = None) -> None:
    """Assert that ``backend`` satisfies the contract; raises AssertionError naming what fails.

    Checks: the required attributes; config type and shapes; data and expected data of equal
    length, finite; logpdf finite and a float; and where present: ``value_and_grad`` agrees
    with ``logpdf`` and with central finite differences (``rtol``, relative to the gradient's
    largest entry), ``hessian`` is symmetric and agrees with finite differences of the gradient,
    ``sample`` has shape (size, ndata), ``describe`` is a string, ``constraint_terms`` name
    distinct parameters and auxiliary data and agree with logpdf when a datum moves (what is
    present is decided by
    :func:`likelihub.backend.capabilities.capabilities`); and ``logpdf_batch``, which many plugins
    offer though the core never calls it, agrees with ``logpdf`` where it is present.

    Parameters
    ----------
    backend
        The backend to check.
    pars
        Where to evaluate; the config's initial values by default.
    rtol
        Relative tolerance of the derivative checks.
    rng
        Random generator for the sampler check.
    """
    _assert(isinstance(backend, Backend), f"{type(backend).__name__} lacks part of the contract: "
            f"{', '.join(missing_members(backend))}")
    config = backend.config
    _assert(isinstance(config, ModelConfig), "config is not a likelihub.ModelConfig")
    pars = np.array(config.init if pars is None else pars, dtype=float)
    data = np.asarray(backend.data, dtype=float)
    expected = np.asarray(backend.expected_data(pars), dtype=float)
    _assert(data.ndim == 1 and data.shape == expected.shape,
            f"data shape {data.shape} differs from expected_data shape {expected.shape}")
    _assert(bool(np.all(np.isfinite(expected))), "expected_data is not finite")
    if config.n_main is not None:
        _assert(0 <= config.n_main <= data.size, f"n_main {config.n_main} outside 0..{data.size}")
    value = backend.logpdf(pars, data)
    _assert(np.ndim(value) == 0 and np.isfinite(value), f"logpdf is not a finite scalar: {value!r}")

    def logpdf(p):
        return float(backend.logpdf(p, data))

    offered = capabilities(backend)
    if offered.gradient:
        v, grad = backend.value_and_grad(pars, data)
        grad = np.asarray(grad, dtype=float)
        _assert(np.isclose(v, value, rtol=1e-10, atol=1e-10),
                f"value_and_grad value {v} differs from logpdf {value}")
        _assert(grad.shape == pars.shape, f"gradient shape {grad.shape}, expected {pars.shape}")
        numeric = numerical_gradient(logpdf, pars)
        scale = max(1.0, float(np.max(np.abs(numeric))))
        worst = int(np.argmax(np.abs(grad - numeric)))
        _assert(np.allclose(grad, numeric, rtol=rtol, atol=rtol * scale),
                f"gradient of {config.parameter_names[worst]!r} is {grad[worst]}, "
                f"finite differences give {numeric[worst]}")
    if offered.hessian:
        hess = np.asarray(backend.hessian(pars, data), dtype=float)
        _assert(hess.shape == (pars.size, pars.size), f"hessian shape {hess.shape}")
        _assert(np.allclose(hess, hess.T, rtol=1e-8, atol=1e-10), "hessian is not symmetric")
        if offered.gradient:
            numeric = numerical_hessian(lambda p: np.asarray(backend.value_and_grad(p, data)[1]),
                                        pars)
            scale = max(1.0, float(np.max(np.abs(numeric))))
            _assert(np.allclose(hess, numeric, rtol=rtol * 10, atol=rtol * 10 * scale),
                    "hessian differs from finite differences of the gradient")
    if callable(getattr(backend, "logpdf_batch", None)):  # outside the contract: see the docstring
        batch_pars = np.stack([pars, pars])
        batch = np.asarray(backend.logpdf_batch(batch_pars, np.stack([data, expected])))
        _assert(batch.shape == (2,), f"logpdf_batch shape {batch.shape}, expected (2,)")
        single = [value, float(backend.logpdf(pars, expected))]
        _assert(np.allclose(batch, single, rtol=1e-10, atol=1e-10),
                f"logpdf_batch {batch.tolist()} differs from logpdf {single}")
    if offered.sampling:
        toys = np.asarray(backend.sample(pars, 3, rng or np.random.default_rng(0)))
        _assert(toys.shape == (3, data.size), f"sample shape {toys.shape}, expected (3, {data.size})")
        _assert(bool(np.all(np.isfinite(toys))), "sample returned non-finite values")
    if offered.describe:
        _assert(isinstance(backend.describe(), str), "describe() must return a string")
    if offered.constraint_terms:
        _check_constraint_terms(backend, pars, data)


def _check_constraint_terms(backend, pars: np.ndarray, data: np.ndarray) -> None:
    """Each declared term names a parameter and an auxiliary datum of its own, and logpdf changes
    as its closed form (:mod:`likelihub.backend.constraints`) says when the datum moves by half a
    width (checked at ``pars`` and at the datum's expected value)."""
    config = backend.config
    terms = list(backend.constraint_terms())
    n_main = data.size if config.n_main is None else config.n_main
    _assert(all(isinstance(t, ConstraintTerm) for t in terms),
            "constraint_terms() must return ConstraintTerms")
    parameters, data_indices = [t.parameter for t in terms], [t.datum for t in terms]
    _assert(len(set(parameters)) == len(parameters) and len(set(data_indices)) == len(data_indices),
            "constraint_terms() lists a parameter or an auxiliary datum twice")
    for term in terms:
        known = 0 <= term.parameter < config.n_parameters
        name = config.parameter_names[term.parameter] if known else "?"
        _assert(known and n_main <= term.datum < data.size,
                f"constraint term of {name!r}: parameter {term.parameter} or datum {term.datum} out of "
                f"range (parameters 0..{config.n_parameters - 1}, auxiliary data {n_main}..{data.size - 1})")
        theta = pars[term.parameter]
        step = 0.5 * (term.width if term.kind == "normal" else np.sqrt(max(data[term.datum], 1.0)))
        for a in (data[term.datum], float(term.expected(theta))):
            before, after = data.copy(), data.copy()
            before[term.datum], after[term.datum] = a, a + step
            change = float(backend.logpdf(pars, after) - backend.logpdf(pars, before))
            closed = float(term.logpdf(theta, a + step) - term.logpdf(theta, a))
            _assert(bool(np.isclose(change, closed, rtol=1e-7, atol=1e-9)),
                    f"constraint term of {name!r}: moving its datum from {a} to {a + step} changes logpdf "
                    f"by {change}, its declared {term.summary()} term by {closed}")
