"""numba kernels of the HistFactory likelihood: one fused pass for -log L and its analytic gradient.

:func:`nll_and_grad` evaluates every term once, accumulates the expected counts, the Poisson and
constraint terms, and back-propagates d(-log L)/d(lambda_b) = 1 - n_b / lambda_b through each
entry's product of factors (prefix and suffix products, so a factor at zero, e.g. mu = 0, is
handled exactly) and sum of shifts. :func:`nll_and_grad_batch` runs it over N parameter and data
sets. The formulas are those of :mod:`.interpolation`; :mod:`.reference` is the NumPy reference
the tests hold these to. Compiled code is cached on disk (``cache=True``).

Points outside the likelihood's support. A bin with observed events and no expected events
(``lambda_b <= 0 < n_b``: a bin whose only sample is a signal at mu = 0, a sample of zero yields)
or a Poisson constraint with datum ``a > 0`` and rate ``tau theta <= 0`` has probability zero:
-log L is ``+inf`` (``logpdf`` is ``-inf``) and the gradient (and Hessian) is NaN in every
component -- no direction, nothing a minimiser could mistake for a stationary point -- so a line
search rejects the point on its value alone. A bin with ``lambda_b = 0`` and ``n_b = 0``
contributes 0 (its derivative in lambda is 1, finite). Where -log L is finite, so are its
gradient and Hessian. The kernels never raise on such points (``error_model="numpy"``: a
division by zero gives an IEEE infinity, never a ``ZeroDivisionError``).
"""

from __future__ import annotations

import math

import numba
import numpy as np

__all__ = ["nll_and_grad", "nll_and_grad_batch", "expected_main", "entry_products", "poisson_nll_offset",
           "JIT_OPTIONS"]

_HALF_LOG_2PI = 0.5 * math.log(2.0 * math.pi)

#: numba options of every CPU kernel: cached on disk; IEEE semantics for a division by zero
#: (``error_model="numpy"``) instead of Python's ``ZeroDivisionError``.
JIT_OPTIONS = {"cache": True, "error_model": "numpy"}


@numba.njit(inline="always", **JIT_OPTIONS)
def _term(kind, x, c):
    """Value and derivative of one term (see :func:`likelihub_histfactory.interpolation.evaluate_term`)."""
    if kind == 0:
        return x, 1.0
    if kind == 1 or (kind == 2 and (x >= 1.0 or x <= -1.0)):
        if x > 0.0:
            v = math.exp(x * c[2])
            return v, c[2] * v
        v = math.exp(-x * c[3])
        return v, -c[3] * v
    if kind == 2:
        a1, a2, a3, a4, a5, a6 = c[4], c[5], c[6], c[7], c[8], c[9]
        v = 1.0 + x * (a1 + x * (a2 + x * (a3 + x * (a4 + x * (a5 + x * a6)))))
        d = a1 + x * (2.0 * a2 + x * (3.0 * a3 + x * (4.0 * a4 + x * (5.0 * a5 + x * 6.0 * a6))))
        return v, d
    if kind == 3:
        slope = c[0] if x > 0.0 else c[1]
        return slope * x, slope
    if kind == 4:
        a, b = c[2], c[3]
        if x > 1.0:
            return (b + 2.0 * a) * (x - 1.0) + c[0], b + 2.0 * a
        if x < -1.0:
            return (b - 2.0 * a) * (x + 1.0) - c[1], b - 2.0 * a
        return a * x * x + b * x, 2.0 * a * x + b
    # kind 5: code 4p
    if x > 1.0:
        return c[0] * x, c[0]
    if x < -1.0:
        return c[1] * x, c[1]
    s = 0.5 * (c[0] + c[1])
    a = 0.0625 * (c[0] - c[1])
    x2 = x * x
    return x * s + a * x2 * (15.0 + x2 * (-10.0 + 3.0 * x2)), s + a * x * (30.0 + x2 * (-40.0 + 18.0 * x2))


@numba.njit(**JIT_OPTIONS)
def poisson_nll_offset(a):
    """``lgamma(a + 1) - a log a + a`` (a > 0), by Stirling's series for large ``a``.

    The Poisson constraint of a shapesys bin, ``rate - a log(rate) + lgamma(a + 1)``, is evaluated
    as ``a (x - log1p(x)) + poisson_nll_offset(a)`` with ``x = rate / a - 1``: the same number
    without the cancellation of terms of size ~a log a (the 3L eRJR model has a = 1.9e11).
    """
    if a <= 100.0:
        return math.lgamma(a + 1.0) - a * math.log(a) + a
    inverse = 1.0 / a
    inverse2 = inverse * inverse
    return (0.5 * math.log(2.0 * math.pi * a)
            + inverse * (1.0 / 12.0 - inverse2 * (1.0 / 360.0 - inverse2 / 1260.0)))


@numba.njit(**JIT_OPTIONS)
def entry_products(pars, n_main, entry_bin, entry_nominal, term_start, term_kind, term_parameter,
                   term_coefficients):
    """Each entry's base (nominal + shifts), its product of factors and its smallest factor in
    magnitude, and the expected counts of the main measurements, at ``pars``."""
    n_entries = entry_bin.size
    bases = np.empty(n_entries)
    factors = np.empty(n_entries)
    smallest = np.full(n_entries, np.inf)
    rates = np.zeros(n_main)
    for e in range(n_entries):
        base = entry_nominal[e]
        factor = 1.0
        for t in range(term_start[e], term_start[e + 1]):
            kind = term_kind[t]
            v, _ = _term(kind, pars[term_parameter[t]], term_coefficients[t])
            if kind >= 3:
                base += v
            else:
                factor *= v
                smallest[e] = min(smallest[e], abs(v))
        bases[e] = base
        factors[e] = factor
        rates[entry_bin[e]] += base * factor
    return bases, factors, smallest, rates


@numba.njit(**JIT_OPTIONS)
def expected_main(pars, n_main, entry_bin, entry_nominal, term_start, term_kind, term_parameter,
                  term_coefficients):
    """Expected counts of the main measurements at ``pars``."""
    return entry_products(pars, n_main, entry_bin, entry_nominal, term_start, term_kind, term_parameter,
                          term_coefficients)[3]


@numba.njit(**JIT_OPTIONS)
def nll_and_grad(pars, data, n_main, entry_bin, entry_nominal, term_start, term_kind, term_parameter,
                 term_coefficients, aux_parameter, aux_is_poisson, aux_width, grad):
    """-log L of ``data`` at ``pars``; writes d(-log L)/d pars into ``grad`` (overwritten).

    ``+inf`` with a NaN gradient at a point of zero probability (see the module docstring).
    """
    n_entries = entry_bin.size
    n_terms = term_kind.size
    values = np.empty(n_terms)
    derivatives = np.empty(n_terms)
    prefix = np.empty(n_terms)
    bases = np.empty(n_entries)
    factors = np.empty(n_entries)
    rates = np.zeros(n_main)
    for e in range(n_entries):
        base = entry_nominal[e]
        factor = 1.0
        for t in range(term_start[e], term_start[e + 1]):
            kind = term_kind[t]
            v, d = _term(kind, pars[term_parameter[t]], term_coefficients[t])
            values[t] = v
            derivatives[t] = d
            if kind >= 3:
                base += v
            else:
                prefix[t] = factor
                factor *= v
        bases[e] = base
        factors[e] = factor
        rates[entry_bin[e]] += base * factor

    nll = 0.0
    impossible = False  # observed events where none are expected: -log L = +inf
    weights = np.empty(n_main)
    for b in range(n_main):
        n = data[b]
        lam = rates[b]
        if n == 0.0:
            nll += lam
            weights[b] = 1.0
        elif lam <= 0.0:
            impossible = True
            weights[b] = 0.0
        else:
            nll += lam - n * math.log(lam) + math.lgamma(n + 1.0)
            weights[b] = 1.0 - n / lam

    for p in range(grad.size):
        grad[p] = 0.0
    for e in range(n_entries):
        w = weights[entry_bin[e]]
        scaled_base = w * bases[e]
        scaled_factor = w * factors[e]
        suffix = 1.0
        for t in range(term_start[e + 1] - 1, term_start[e] - 1, -1):
            if term_kind[t] >= 3:
                grad[term_parameter[t]] += scaled_factor * derivatives[t]
            else:
                grad[term_parameter[t]] += scaled_base * prefix[t] * suffix * derivatives[t]
                suffix *= values[t]

    for j in range(aux_parameter.size):
        p = aux_parameter[j]
        a = data[n_main + j]
        if aux_is_poisson[j]:
            tau = aux_width[j]
            rate = tau * pars[p]
            if a == 0.0:
                nll += rate
                grad[p] += tau
            elif rate <= 0.0:
                impossible = True
            else:
                x = (rate - a) / a
                nll += a * (x - math.log1p(x)) + poisson_nll_offset(a)
                grad[p] += tau - a / pars[p]
        else:
            sigma = aux_width[j]
            pull = (a - pars[p]) / sigma
            nll += 0.5 * pull * pull + math.log(sigma) + _HALF_LOG_2PI
            grad[p] -= pull / sigma
    if impossible:
        for p in range(grad.size):
            grad[p] = np.nan
        return np.inf
    return nll


@numba.njit(**JIT_OPTIONS)
def nll_and_grad_batch(pars, data, n_main, entry_bin, entry_nominal, term_start, term_kind,
                       term_parameter, term_coefficients, aux_parameter, aux_is_poisson, aux_width,
                       grads):
    """:func:`nll_and_grad` for each row of ``pars`` (N, P) and ``data`` (N, D); fills ``grads``."""
    n = pars.shape[0]
    out = np.empty(n)
    for i in range(n):
        out[i] = nll_and_grad(pars[i], data[i], n_main, entry_bin, entry_nominal, term_start,
                              term_kind, term_parameter, term_coefficients, aux_parameter,
                              aux_is_poisson, aux_width, grads[i])
    return out
