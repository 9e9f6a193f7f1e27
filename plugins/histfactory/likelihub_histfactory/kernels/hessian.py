"""numba kernel of the analytic Hessian of the HistFactory -log L, fused with value and gradient.

For expected counts ``lambda_b = sum_entries rate_e`` and observed ``n_b``, the Poisson part is

    d2(-log L) = sum_b [w_b d2 lambda_b + n_b / lambda_b^2 dlambda_b dlambda_b^T],  w_b = 1 - n_b / lambda_b.

Each entry's rate is ``B * F``: ``B = nominal + sum shifts`` (histosys) and ``F = prod f_t``
(every other modifier). With ``s = dB/dtheta`` and ``u = dF/dtheta`` (vectors over the parameters;
terms of one parameter add up),

    d2 rate = (B / F) u u^T + s u^T + u s^T + diag(F B'' + B F h),
    h_p = sum_{t of p} (f_t'' / f_t - (f_t' / f_t)^2),

since ``d2 F = F (dlog F dlog F^T + d2 log F)`` and ``log F`` is a sum of one-parameter terms. So
the whole Hessian is one matrix product ``L^T R + R^T L`` plus a diagonal: ``L`` has a row ``u_e``
per entry and a row ``dlambda_b`` per bin, ``R`` the rows ``w (B / 2F) u_e + w s_e`` and
``n_b / (2 lambda_b^2) dlambda_b``. The product's inner loop runs over contiguous rows (SIMD),
about ten times faster than adding up the term pairs of every entry (1Lbb: 131 entries of ~135
terms over 126 parameters).

The formula divides by the factors; an entry with a factor near zero (|f| < :data:`SMALL_FACTOR`:
the signal at mu ~ 0, a staterror gamma near its bound) takes the term-pair path instead,

- factor t, factor u: ``B * prod_{others} f * f_t' f_u'``;
- factor t, shift u: ``prod_{factors but t} f * f_t' * shift_u'``;
- a term with itself: ``B * prod_{others} f * f_t''`` (factor) or ``F * shift_u''`` (shift),

with products that leave out one or two factors formed from prefix, running and suffix products,
never by division, so a factor at zero is exact. The constraints add ``1 / sigma^2`` (Gaussian)
and ``a / theta^2`` (Poisson, auxiliary datum ``a``). The NumPy reference is
:func:`.reference.nll_grad_hessian`; tests hold this kernel to it.

At a point of zero probability (-log L = +inf, see :mod:`.cpu`) the gradient and the Hessian
are NaN in every element; elsewhere they are finite (a bin with ``lambda_b = n_b = 0`` has
``w_b = 1`` and no curvature term; a Poisson constraint with datum 0 no curvature).
"""

from __future__ import annotations

import math

import numba
import numpy as np

from .cpu import JIT_OPTIONS, entry_products, is_shift, nll_and_grad, term, term_second

__all__ = ["nll_grad_hessian", "nll_grad_hessian_batch", "SMALL_FACTOR"]

#: Entries with a factor smaller than this in magnitude take the exact term-pair path: the
#: low-rank formula's cancellation (``B F / f^2`` terms that cancel on the diagonal) loses about
#: ``1e-16 / f^2`` relative there, under 1e-12 above this bound.
SMALL_FACTOR = 1e-2


@numba.njit(**JIT_OPTIONS)
def _entry_term_pairs(e, w, base, total_factor, pars, term_start, term_kind, term_parameter,
                      term_coefficients, jacobian_row, pairs, diagonal, values, firsts, seconds, prefix,
                      suffix, is_factor, parameters):
    """One entry's d lambda (into ``jacobian_row``) and ``w`` d2 lambda, term pair by term pair:
    pairs t < u into ``pairs`` (symmetrised by the caller), each term with itself into
    ``diagonal``. Exact with factors at zero. The remaining arguments are scratch buffers."""
    start = term_start[e]
    k = term_start[e + 1] - start
    product = 1.0
    for i in range(k):
        t = start + i
        kind = term_kind[t]
        p = term_parameter[t]
        x = pars[p]
        v, d = term(kind, x, term_coefficients, t)
        values[i] = v
        firsts[i] = d
        seconds[i] = term_second(kind, x, term_coefficients, t)
        parameters[i] = p
        multiplies = not is_shift(kind)
        is_factor[i] = multiplies
        prefix[i] = product
        if multiplies:
            product *= v
    product = 1.0
    for i in range(k - 1, -1, -1):
        suffix[i] = product
        if is_factor[i]:
            product *= values[i]
    for i in range(k):
        p = parameters[i]
        between = 1.0
        weighted = w * firsts[i] * prefix[i]
        if is_factor[i]:
            others = prefix[i] * suffix[i]
            jacobian_row[p] += base * others * firsts[i]
            diagonal[p] += w * base * others * seconds[i]
            # pairs (i, j > i): running product of the factors strictly between them
            for j in range(i + 1, k):
                if is_factor[j]:
                    pairs[p, parameters[j]] += weighted * base * between * suffix[j] * firsts[j]
                    between *= values[j]
                else:
                    # prod of factors but i: prefix[i] * (between i and j) * (factors after j)
                    pairs[p, parameters[j]] += weighted * between * suffix[j] * firsts[j]
        else:
            jacobian_row[p] += total_factor * firsts[i]
            diagonal[p] += w * total_factor * seconds[i]
            # pairs (i shift, j > i factor): prod of factors but j, times shift_i'
            for j in range(i + 1, k):
                if is_factor[j]:
                    pairs[p, parameters[j]] += weighted * between * suffix[j] * firsts[j]
                    between *= values[j]


@numba.njit(**JIT_OPTIONS)
def nll_grad_hessian(pars, data, n_main, entry_bin, entry_nominal, term_start, term_kind, term_parameter,
                     term_coefficients, aux_parameter, aux_is_poisson, aux_width, grad, hessian):
    """-log L of ``data`` at ``pars``; writes its gradient into ``grad`` and Hessian into ``hessian``.

    ``grad`` (P,) and ``hessian`` (P, P) are overwritten.
    """
    nll = nll_and_grad(pars, data, n_main, entry_bin, entry_nominal, term_start, term_kind,
                       term_parameter, term_coefficients, aux_parameter, aux_is_poisson, aux_width, grad)
    n_pars = pars.size
    if nll == np.inf:  # zero probability: no curvature either (see the module docstring)
        for q in range(n_pars):
            for r in range(n_pars):
                hessian[q, r] = np.nan
        return nll
    n_entries = entry_bin.size
    # expected counts first (the weights of d2 lambda need them)
    entry_base, entry_factor, smallest, rates = entry_products(
        pars, n_main, entry_bin, entry_nominal, term_start, term_kind, term_parameter, term_coefficients)
    max_terms = 0
    for e in range(n_entries):
        max_terms = max(max_terms, term_start[e + 1] - term_start[e])

    # rows of L: u_e for each entry, then d lambda_b for each bin; rows of R as in the docstring
    left = np.zeros((n_entries + n_main, n_pars))
    right = np.zeros((n_entries + n_main, n_pars))
    jacobian = left[n_entries:]
    diagonal = np.zeros(n_pars)
    pairs = np.zeros((n_pars, n_pars))
    values = np.empty(max_terms)
    firsts = np.empty(max_terms)
    seconds = np.empty(max_terms)
    prefix = np.empty(max_terms)
    suffix = np.empty(max_terms)
    is_factor = np.empty(max_terms, dtype=np.bool_)
    parameters = np.empty(max_terms, dtype=np.int64)
    for e in range(n_entries):
        b = entry_bin[e]
        n = data[b]
        w = 1.0 - n / rates[b] if n != 0.0 else 1.0
        base = entry_base[e]
        factor = entry_factor[e]
        # a factor near zero, or a product of factors so small that B / F overflows: the exact path
        if smallest[e] < SMALL_FACTOR or not math.isfinite(base / factor):
            _entry_term_pairs(e, w, base, factor, pars, term_start, term_kind, term_parameter,
                              term_coefficients, jacobian[b], pairs, diagonal, values, firsts, seconds,
                              prefix, suffix, is_factor, parameters)
            continue
        u = left[e]
        s = right[e]   # holds s_e until the row is complete
        for t in range(term_start[e], term_start[e + 1]):
            kind = term_kind[t]
            p = term_parameter[t]
            x = pars[p]
            v, d = term(kind, x, term_coefficients, t)
            second = term_second(kind, x, term_coefficients, t)
            if is_shift(kind):
                s[p] += d
                diagonal[p] += w * factor * second
            else:
                ratio = d / v
                u[p] += factor * ratio
                diagonal[p] += w * base * factor * (second / v - ratio * ratio)
        half = 0.5 * base / factor
        for p in range(n_pars):
            jacobian[b, p] += factor * s[p] + base * u[p]
            s[p] = w * (half * u[p] + s[p])
    for b in range(n_main):
        n = data[b]
        if n != 0.0:
            # n / lambda^2 as (n / lambda) / lambda: no overflow of lambda^2 where the product is finite
            scale = 0.5 * n / rates[b]
            for p in range(n_pars):
                right[n_entries + b, p] = scale * (jacobian[b, p] / rates[b])

    # L^T R by plain loops, not BLAS: the same sums in the same order whatever the number of
    # threads, so a model's fits give the same numbers everywhere (a scan's worker and the main
    # process); rows of L are sparse (an entry has ~2/3 of the parameters), zeros are skipped.
    product = np.zeros((n_pars, n_pars))
    for row in range(n_entries + n_main):
        for q in range(n_pars):
            weight = left[row, q]
            if weight != 0.0:
                for r in range(n_pars):
                    product[q, r] += weight * right[row, r]
    for q in range(n_pars):
        for r in range(q, n_pars):
            value = product[q, r] + product[r, q] + pairs[q, r] + pairs[r, q]
            hessian[q, r] = value
            hessian[r, q] = value
        hessian[q, q] += diagonal[q]
    for j in range(aux_parameter.size):
        p = aux_parameter[j]
        if aux_is_poisson[j]:
            a = data[n_main + j]
            if a != 0.0:  # tau theta - a log(tau theta): no curvature where a = 0
                hessian[p, p] += (a / pars[p]) / pars[p]
        else:
            hessian[p, p] += 1.0 / (aux_width[j] * aux_width[j])
    return nll


@numba.njit(**JIT_OPTIONS)
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
