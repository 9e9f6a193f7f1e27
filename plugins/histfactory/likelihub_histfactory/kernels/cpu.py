"""numba kernels of the HistFactory likelihood: one fused pass for -log L and its analytic gradient.

:func:`nll_and_grad` evaluates every term once, accumulates the expected counts, the Poisson and
constraint terms, and back-propagates d(-log L)/d(lambda_b) = 1 - n_b / lambda_b through each
entry's product of factors (prefix and suffix products, so a factor at zero, e.g. mu = 0, is
handled exactly) and sum of shifts. :func:`nll_and_grad_batch` runs it over N parameter and data
sets. Each term is evaluated by the scalar functions of :mod:`likelihub_histfactory.interpolation`
(the same the CUDA kernel compiles); :mod:`.reference` is the NumPy reference the tests hold these
to. Compiled code is cached on disk (``cache=True``).

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

from .. import interpolation
from . import hessian_rows, scalars

__all__ = ["nll_and_grad", "nll_and_grad_batch", "expected_main", "expected_main_batch", "entry_products",
           "JIT_OPTIONS", "SCALAR_JIT_OPTIONS", "term", "term_second", "is_shift", "poisson_nll_offset",
           "entry_products_into", "hessian_into"]

#: numba options of every CPU kernel: cached on disk; IEEE semantics for a division by zero
#: (``error_model="numpy"``) instead of Python's ``ZeroDivisionError``.
JIT_OPTIONS = {"cache": True, "error_model": "numpy"}

#: numba options of the scalar functions the CPU kernels call: inlined into each kernel at numba's
#: IR level (they run for every term of every entry; numba does not inline compiled calls).
SCALAR_JIT_OPTIONS = {"inline": "always", "error_model": "numpy"}

#: The interpolation codes' scalar functions compiled for the CPU kernels (also of :mod:`.hessian`).
term, term_second, is_shift = interpolation.compile_terms(numba.njit(**SCALAR_JIT_OPTIONS))
poisson_nll_offset = numba.njit(**JIT_OPTIONS)(scalars.poisson_nll_offset)
#: The row functions of the Hessian (:mod:`.hessian_rows`) compiled for the CPU kernels (the CUDA
#: kernel compiles the same functions, :mod:`.cuda_hessian`): :func:`entry_products` and
#: :mod:`.hessian` call them.
entry_products_into, _, hessian_into = hessian_rows.compile_hessian_rows(
    numba.njit(error_model="numpy"), term, term_second, is_shift)

_HALF_LOG_2PI = 0.5 * math.log(2.0 * math.pi)


@numba.njit(**JIT_OPTIONS)
def entry_products(pars, n_main, entry_bin, entry_nominal, term_start, term_kind, term_parameter,
                   term_coefficients):
    """Each entry's base (nominal + shifts), its product of factors and its smallest factor in
    magnitude, and the expected counts of the main measurements, at ``pars``."""
    n_entries = entry_bin.size
    bases = np.empty(n_entries)
    factors = np.empty(n_entries)
    smallest = np.empty(n_entries)
    rates = np.empty(n_main)
    entry_products_into(pars, entry_bin, entry_nominal, term_start, term_kind, term_parameter,
                        term_coefficients, bases, factors, smallest, rates)
    return bases, factors, smallest, rates


@numba.njit(**JIT_OPTIONS)
def expected_main(pars, n_main, entry_bin, entry_nominal, term_start, term_kind, term_parameter,
                  term_coefficients):
    """Expected counts of the main measurements at ``pars``."""
    return entry_products(pars, n_main, entry_bin, entry_nominal, term_start, term_kind, term_parameter,
                          term_coefficients)[3]


@numba.njit(**JIT_OPTIONS)
def expected_main_batch(pars, n_main, entry_bin, entry_nominal, term_start, term_kind, term_parameter,
                        term_coefficients):
    """Expected counts of the main measurements (N, n_main) at each row of ``pars`` (N, P)."""
    out = np.empty((pars.shape[0], n_main))
    for i in range(pars.shape[0]):
        out[i] = entry_products(pars[i], n_main, entry_bin, entry_nominal, term_start, term_kind,
                                term_parameter, term_coefficients)[3]
    return out


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
            v, d = term(kind, pars[term_parameter[t]], term_coefficients, t)
            values[t] = v
            derivatives[t] = d
            if is_shift(kind):
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
            if is_shift(term_kind[t]):
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
