"""numba kernel of the analytic Hessian of the HistFactory -log L, fused with value and gradient.

For expected counts ``lambda_b = sum_entries rate_e`` and observed ``n_b``, the Poisson part is

    d2(-log L) = sum_b [(1 - n_b / lambda_b) d2 lambda_b + n_b / lambda_b^2 dlambda_b dlambda_b^T]

and each entry's rate ``base * prod_t f_t`` (``base = nominal + sum_u shift_u``) has the second
derivatives, term pair by term pair (terms ``t != u``; ``F`` the product of all factors):

- factor t, factor u: ``base * prod_{others} f * f_t' f_u'``;
- factor t, shift u: ``prod_{factors but t} f * f_t' * shift_u'``;
- shift, shift: 0;
- a term with itself: ``base * prod_{others} f * f_t''`` (factor) or ``F * shift_u''`` (shift).

Products that leave out one or two factors are formed from prefix, running and suffix products,
never by division, so a factor at zero (mu = 0) is handled exactly. Terms of one parameter (a name
shared by several modifiers) add up. The constraints add ``1 / sigma^2`` (Gaussian) and
``a / theta^2`` (Poisson, auxiliary datum ``a``). The NumPy reference is
:func:`likelihub_histfactory.reference.nll_grad_hessian`; tests hold this kernel to it.
"""

from __future__ import annotations

import math

import numba
import numpy as np

from .kernels import _term, nll_and_grad

__all__ = ["nll_grad_hessian", "nll_grad_hessian_batch"]


@numba.njit(cache=True, inline="always")
def _term_second(kind, x, c):
    """d^2/dx^2 of one term (:func:`likelihub_histfactory.interpolation.term_second_derivative`)."""
    if kind == 0 or kind == 3:
        return 0.0
    if kind == 1 or (kind == 2 and (x >= 1.0 or x <= -1.0)):
        if x > 0.0:
            return c[2] * c[2] * math.exp(x * c[2])
        return c[3] * c[3] * math.exp(-x * c[3])
    if kind == 2:
        a2, a3, a4, a5, a6 = c[5], c[6], c[7], c[8], c[9]
        return 2.0 * a2 + x * (6.0 * a3 + x * (12.0 * a4 + x * (20.0 * a5 + x * 30.0 * a6)))
    if x > 1.0 or x < -1.0:
        return 0.0
    if kind == 4:
        return 2.0 * c[2]
    # kind 5: code 4p
    a = 0.0625 * (c[0] - c[1])
    x2 = x * x
    return a * (30.0 + x2 * (-120.0 + 90.0 * x2))


@numba.njit(cache=True)
def nll_grad_hessian(pars, data, n_main, entry_bin, entry_nominal, term_start, term_kind, term_parameter,
                     term_coefficients, aux_parameter, aux_is_poisson, aux_width, grad, hessian):
    """-log L of ``data`` at ``pars``; writes its gradient into ``grad`` and Hessian into ``hessian``.

    ``grad`` (P,) and ``hessian`` (P, P) are overwritten.
    """
    nll = nll_and_grad(pars, data, n_main, entry_bin, entry_nominal, term_start, term_kind,
                       term_parameter, term_coefficients, aux_parameter, aux_is_poisson, aux_width, grad)
    n_pars = pars.size
    n_entries = entry_bin.size
    rates = np.zeros(n_main)
    jacobian = np.zeros((n_main, n_pars))      # d lambda_b / d theta_p
    pairs = np.zeros((n_pars, n_pars))         # sum_b w_b d2 lambda_b, pairs t < u (symmetrised below)
    diagonal = np.zeros(n_pars)                # sum_b w_b d2 lambda_b, each term with itself
    max_terms = 0
    for e in range(n_entries):
        max_terms = max(max_terms, term_start[e + 1] - term_start[e])
    values = np.empty(max_terms)
    firsts = np.empty(max_terms)
    seconds = np.empty(max_terms)
    prefix = np.empty(max_terms)
    suffix = np.empty(max_terms)
    is_factor = np.empty(max_terms, dtype=np.bool_)
    parameters = np.empty(max_terms, dtype=np.int64)
    entry_base = np.empty(n_entries)
    entry_factor = np.empty(n_entries)

    # expected counts first (the weights of d2 lambda need them)
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
        entry_base[e] = base
        entry_factor[e] = factor
        rates[entry_bin[e]] += base * factor

    for e in range(n_entries):
        b = entry_bin[e]
        n = data[b]
        w = 1.0 - n / rates[b] if n != 0.0 else 1.0
        start = term_start[e]
        k = term_start[e + 1] - start
        base = entry_base[e]
        product = 1.0
        for i in range(k):
            t = start + i
            kind = term_kind[t]
            p = term_parameter[t]
            x = pars[p]
            v, d = _term(kind, x, term_coefficients[t])
            values[i] = v
            firsts[i] = d
            seconds[i] = _term_second(kind, x, term_coefficients[t])
            parameters[i] = p
            is_factor[i] = kind < 3
            prefix[i] = product
            if kind < 3:
                product *= v
        product = 1.0
        for i in range(k - 1, -1, -1):
            suffix[i] = product
            if is_factor[i]:
                product *= values[i]
        total_factor = entry_factor[e]
        for i in range(k):
            p = parameters[i]
            if is_factor[i]:
                others = prefix[i] * suffix[i]
                jacobian[b, p] += base * others * firsts[i]
                diagonal[p] += w * base * others * seconds[i]
                # pairs (i, j > i): running product of the factors strictly between them
                between = 1.0
                weighted = w * firsts[i] * prefix[i]
                for j in range(i + 1, k):
                    if is_factor[j]:
                        pairs[p, parameters[j]] += weighted * base * between * suffix[j] * firsts[j]
                        between *= values[j]
                    else:
                        # prod of factors but i: prefix[i] * (between i and j) * (factors after j)
                        pairs[p, parameters[j]] += weighted * between * suffix[j] * firsts[j]
            else:
                jacobian[b, p] += total_factor * firsts[i]
                diagonal[p] += w * total_factor * seconds[i]
                # pairs (i shift, j > i factor): prod of factors but j, times shift_i'
                between = 1.0
                weighted = w * firsts[i] * prefix[i]
                for j in range(i + 1, k):
                    if is_factor[j]:
                        pairs[p, parameters[j]] += weighted * between * suffix[j] * firsts[j]
                        between *= values[j]

    for q in range(n_pars):
        for r in range(n_pars):
            hessian[q, r] = pairs[q, r] + pairs[r, q]
        hessian[q, q] += diagonal[q]
    for b in range(n_main):
        n = data[b]
        if n == 0.0:
            continue
        scale = n / (rates[b] * rates[b])
        for q in range(n_pars):
            jq = scale * jacobian[b, q]
            if jq == 0.0:
                continue
            for r in range(q, n_pars):
                hessian[q, r] += jq * jacobian[b, r]

    for j in range(aux_parameter.size):
        p = aux_parameter[j]
        if aux_is_poisson[j]:
            hessian[p, p] += data[n_main + j] / (pars[p] * pars[p])
        else:
            hessian[p, p] += 1.0 / (aux_width[j] * aux_width[j])
    for q in range(n_pars):  # exactly symmetric: the lower triangle mirrors the upper one
        for r in range(q + 1, n_pars):
            hessian[r, q] = hessian[q, r]
    return nll


@numba.njit(cache=True)
def nll_grad_hessian_batch(pars, data, n_main, entry_bin, entry_nominal, term_start, term_kind,
                           term_parameter, term_coefficients, aux_parameter, aux_is_poisson, aux_width,
                           grads, hessians):
    """:func:`nll_grad_hessian` for each row of ``pars`` (N, P) and ``data`` (N, D)."""
    n = pars.shape[0]
    out = np.empty(n)
    for i in range(n):
        out[i] = nll_grad_hessian(pars[i], data[i], n_main, entry_bin, entry_nominal, term_start,
                                  term_kind, term_parameter, term_coefficients, aux_parameter,
                                  aux_is_poisson, aux_width, grads[i], hessians[i])
    return out
