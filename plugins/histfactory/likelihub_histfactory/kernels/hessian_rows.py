"""The maths of one row's Hessian, written once and compiled for each target: the CPU kernels
(:mod:`.hessian`, :mod:`.cpu` with ``numba.njit``) and the CUDA kernel (:mod:`.cuda_hessian`, with
``numba.cuda.jit(device=True)``); the formulas are derived in :mod:`.hessian`.

The functions keep to what both targets compile, as the interpolation codes' scalar functions do
(:mod:`likelihub_histfactory.interpolation`): scalars, array indexing and slicing, ``math``; they
allocate nothing (every buffer is an argument: a NumPy array on the CPU, a per-row view of a device
array on the GPU) and divide by no zero, so they also run as Python under numba's CUDA simulator.
:func:`compile_hessian_rows` binds them to a target's term functions.
"""

from __future__ import annotations

import math
from collections.abc import Callable

__all__ = ["SMALL_FACTOR", "compile_hessian_rows"]

#: Entries with a factor smaller than this in magnitude take the exact term-pair path: the
#: low-rank formula's cancellation (``B F / f^2`` terms that cancel on the diagonal) loses about
#: ``1e-16 / f^2`` relative there, under 1e-12 above this bound.
SMALL_FACTOR = 1e-2


def compile_hessian_rows(jit: Callable, term: Callable, term_second: Callable, is_shift: Callable
                         ) -> tuple[Callable, Callable, Callable]:
    """The row functions of the Hessian kernels, compiled by ``jit`` over a target's term functions.

    Parameters
    ----------
    jit
        A decorator: ``numba.njit(...)`` for the CPU kernels, ``numba.cuda.jit(device=True)`` for
        the CUDA kernel.
    term, term_second, is_shift
        The same target's term functions (:func:`likelihub_histfactory.interpolation.compile_terms`).

    Returns
    -------
    entry_products_into, zero_probability, hessian_into
        ``entry_products_into(pars, entry_bin, entry_nominal, term_start, term_kind, term_parameter,
        term_coefficients, bases, factors, smallest, rates)``: each entry's base, product of factors
        and smallest factor in magnitude, and the expected counts ``rates`` (zeroed first).
        ``zero_probability(pars, data, n_main, rates, aux_parameter, aux_is_poisson, aux_width)``:
        whether ``data`` has probability zero at ``pars`` (-log L = +inf, see :mod:`.cpu`).
        ``hessian_into(pars, data, n_main, <model arrays>, <aux arrays>, hessian, <scratch>)``: the
        Hessian of -log L into ``hessian`` (NaN in every element at a point of zero probability);
        returns ``False`` there, ``True`` elsewhere.
    """

    @jit
    def entry_products_into(pars, entry_bin, entry_nominal, term_start, term_kind, term_parameter,
                            term_coefficients, bases, factors, smallest, rates):
        for b in range(rates.shape[0]):
            rates[b] = 0.0
        for e in range(entry_bin.shape[0]):
            base = entry_nominal[e]
            factor = 1.0
            least = math.inf
            for t in range(term_start[e], term_start[e + 1]):
                kind = term_kind[t]
                v, _ = term(kind, pars[term_parameter[t]], term_coefficients, t)
                if is_shift(kind):
                    base += v
                else:
                    factor *= v
                    magnitude = abs(v)
                    if magnitude < least:  # not min(): numba's CUDA target fails to compile it
                        least = magnitude
            bases[e] = base
            factors[e] = factor
            smallest[e] = least
            rates[entry_bin[e]] += base * factor

    @jit
    def zero_probability(pars, data, n_main, rates, aux_parameter, aux_is_poisson, aux_width):
        for b in range(n_main):
            if data[b] != 0.0 and rates[b] <= 0.0:
                return True
        for j in range(aux_parameter.shape[0]):
            if aux_is_poisson[j] and data[n_main + j] != 0.0 and aux_width[j] * pars[aux_parameter[j]] <= 0.0:
                return True
        return False

    @jit
    def entry_term_pairs(e, w, base, total_factor, pars, term_start, term_kind, term_parameter,
                         term_coefficients, jacobian_row, pairs, diagonal, values, firsts, seconds, prefix,
                         suffix, is_factor, parameters):
        # One entry's d lambda (into jacobian_row) and w d2 lambda, term pair by term pair: pairs
        # t < u into pairs (symmetrised by the caller), each term with itself into diagonal. Exact
        # with factors at zero: products that leave out factors come from prefix, running and suffix
        # products, never by division.
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

    @jit
    def hessian_into(pars, data, n_main, entry_bin, entry_nominal, term_start, term_kind, term_parameter,
                     term_coefficients, aux_parameter, aux_is_poisson, aux_width, hessian, entry_base,
                     entry_factor, smallest, rates, left, right, diagonal, pairs, product, values, firsts,
                     seconds, prefix, suffix, is_factor, parameters):
        # scratch: entry_base, entry_factor, smallest (E); rates (n_main); left, right (E + n_main, P);
        # diagonal (P); pairs, product (P, P); values ... parameters (the most terms of an entry)
        n_pars = pars.shape[0]
        n_entries = entry_bin.shape[0]
        entry_products_into(pars, entry_bin, entry_nominal, term_start, term_kind, term_parameter,
                            term_coefficients, entry_base, entry_factor, smallest, rates)
        if zero_probability(pars, data, n_main, rates, aux_parameter, aux_is_poisson, aux_width):
            for q in range(n_pars):
                for r in range(n_pars):
                    hessian[q, r] = math.nan
            return False
        for row in range(n_entries + n_main):
            for q in range(n_pars):
                left[row, q] = 0.0
                right[row, q] = 0.0
        for q in range(n_pars):
            diagonal[q] = 0.0
            for r in range(n_pars):
                pairs[q, r] = 0.0
                product[q, r] = 0.0
        # rows of L: u_e for each entry, then d lambda_b for each bin; rows of R as in .hessian
        jacobian = left[n_entries:]
        for e in range(n_entries):
            b = entry_bin[e]
            n = data[b]
            w = 1.0 - n / rates[b] if n != 0.0 else 1.0
            base = entry_base[e]
            factor = entry_factor[e]
            # a factor near zero, or a product of factors so small that B / F overflows: the exact path
            if smallest[e] < SMALL_FACTOR or factor == 0.0 or not math.isfinite(base / factor):
                entry_term_pairs(e, w, base, factor, pars, term_start, term_kind, term_parameter,
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
        for j in range(aux_parameter.shape[0]):
            p = aux_parameter[j]
            if aux_is_poisson[j]:
                a = data[n_main + j]
                if a != 0.0:  # tau theta - a log(tau theta): no curvature where a = 0
                    hessian[p, p] += (a / pars[p]) / pars[p]
            else:
                hessian[p, p] += 1.0 / (aux_width[j] * aux_width[j])
        return True

    return entry_products_into, zero_probability, hessian_into
