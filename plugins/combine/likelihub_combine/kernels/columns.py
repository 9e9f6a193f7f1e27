"""numba functions of one column (a process in a channel): its factor and its morphed unit shape,
each with derivatives over the column's own parameters (its *slots*, :mod:`.layout`).

Factor. ``f = E * Z`` with ``E = exp(L)``, ``L`` the sum of the log-normal exponents (``a theta``
or ``theta logKappaForX(theta)``), and ``Z = prod_j z_j`` the product terms (a scale parameter,
or a formula rateParam's value). With ``u = sum_j Z_(-j) dz_j`` (``Z_(-j)`` the product of the
other terms, formed without division, so that a term at zero -- r = 0 -- is exact):

    df  = f dL + E u
    d2f = f (dL dL^T + diag d2L) + E (dL u^T + u dL^T)
          + E (sum_{j != l} Z_(-jl) dz_j dz_l^T + sum_j Z_(-j) d2z_j).

Shape. ``a_b = nominal_b + sum_m (c0_m diff_mb + c1_m sum_mb)`` over the additive morphs (each a
function of one parameter, :func:`.scalars.morph_coefficients`); where the column has shapeN
morphs, ``g_b = a_b exp(lambda_b)`` (lambda the same sum over them) normalised to unit sum; then,
for a morphed column, each bin raised to the column's floor (a clipped bin's derivatives are 0)
and, where the column renormalises, the shape normalised again. Values, gradients (n_bins,
n_slots) and Hessians (n_bins, n_slots, n_slots) are carried through each step; ``order`` says
how far (0: values, 1: gradients, 2: Hessians).
"""

from __future__ import annotations

import math

import numba

from . import buffers as bf
from .formulas import run_formula
from .scalars import asymmetric_log_factor, morph_coefficients

__all__ = ["column_factor", "column_shape"]

_JIT = {"error_model": "numpy"}


@numba.njit(**_JIT)
def column_factor(k, pars, ints, floats, order, scratch):
    """The factor of column ``k`` at ``pars``; its gradient and Hessian over the column's factor
    slots are left in ``scratch[4]`` (df) and ``scratch[5]`` (d2f) where ``order`` asks."""
    d_log, d2_log, u, pairs, df, d2f, z_values, z_grads, z_hessians, stack_v, stack_g, stack_h, args = scratch
    factor_start = bf.ints_of(ints, bf.I_FACTOR_START)
    factor_parameter = bf.ints_of(ints, bf.I_FACTOR_PARAMETER)
    first_slot = factor_start[k]
    n = factor_start[k + 1] - first_slot
    for a in range(n):
        d_log[a] = 0.0
        d2_log[a] = 0.0
        u[a] = 0.0
        if order >= 2:
            for b in range(n):
                pairs[a, b] = 0.0
    lognormal_start = bf.ints_of(ints, bf.I_LOGNORMAL_START)
    kinds = bf.ints_of(ints, bf.I_LOGNORMAL_KIND)
    slots = bf.ints_of(ints, bf.I_LOGNORMAL_SLOT)
    lows = bf.floats_of(ints, floats, bf.F_LOGNORMAL_LOW)
    highs = bf.floats_of(ints, floats, bf.F_LOGNORMAL_HIGH)
    exponent = 0.0
    for t in range(lognormal_start[k], lognormal_start[k + 1]):
        slot = slots[t]
        theta = pars[factor_parameter[first_slot + slot]]
        if kinds[t] == 0:
            exponent += lows[t] * theta
            d_log[slot] += lows[t]
        else:
            g, g1, g2 = asymmetric_log_factor(theta, lows[t], highs[t])
            exponent += g
            d_log[slot] += g1
            d2_log[slot] += g2
    e = math.exp(exponent)

    product_start = bf.ints_of(ints, bf.I_PRODUCT_START)
    product_formula = bf.ints_of(ints, bf.I_PRODUCT_FORMULA)
    product_arguments = bf.ints_of(ints, bf.I_PRODUCT_ARGUMENTS)
    product_slot = bf.ints_of(ints, bf.I_PRODUCT_SLOT)
    first_term = product_start[k]
    n_terms = product_start[k + 1] - first_term
    for j in range(n_terms):
        t = first_term + j
        a0 = product_arguments[t]
        n_args = product_arguments[t + 1] - a0
        program = product_formula[t]
        if program < 0:
            z_values[j] = pars[factor_parameter[first_slot + product_slot[a0]]]
            z_grads[j, 0] = 1.0
            if order >= 2:  # below order 2 the Hessians' scratch is empty (cpu.scratch_shapes)
                z_hessians[j, 0, 0] = 0.0
            continue
        formula_start = bf.ints_of(ints, bf.I_FORMULA_START)
        ops = bf.ints_of(ints, bf.I_FORMULA_OPS)[formula_start[program]:formula_start[program + 1]]
        operands = bf.ints_of(ints, bf.I_FORMULA_OPERANDS)[formula_start[program]:formula_start[program + 1]]
        for a in range(n_args):
            args[a] = pars[factor_parameter[first_slot + product_slot[a0 + a]]]
        z_values[j] = run_formula(ops, operands, bf.floats_of(ints, floats, bf.F_FORMULA_CONSTANTS), args,
                                  n_args, order, stack_v, stack_g, stack_h)
        for a in range(n_args):
            if order >= 1:
                z_grads[j, a] = stack_g[0, a]
            if order >= 2:
                for b in range(n_args):
                    z_hessians[j, a, b] = stack_h[0, a, b]
    z = 1.0
    for j in range(n_terms):
        z *= z_values[j]
    f = e * z
    if order == 0:
        return f

    for j in range(n_terms):
        others = 1.0
        for i in range(n_terms):
            if i != j:
                others *= z_values[i]
        aj = product_arguments[first_term + j]
        nj = product_arguments[first_term + j + 1] - aj
        for a in range(nj):
            u[product_slot[aj + a]] += others * z_grads[j, a]
        if order < 2:
            continue
        for a in range(nj):
            for b in range(nj):
                pairs[product_slot[aj + a], product_slot[aj + b]] += others * z_hessians[j, a, b]
        for m in range(n_terms):
            if m == j:
                continue
            rest = 1.0
            for i in range(n_terms):
                if i != j and i != m:
                    rest *= z_values[i]
            am = product_arguments[first_term + m]
            nm = product_arguments[first_term + m + 1] - am
            for a in range(nj):
                for b in range(nm):
                    pairs[product_slot[aj + a], product_slot[am + b]] += rest * z_grads[j, a] * z_grads[m, b]
    for a in range(n):
        df[a] = f * d_log[a] + e * u[a]
    if order >= 2:
        for a in range(n):
            for b in range(n):
                d2f[a, b] = (f * d_log[a] * d_log[b] + e * (d_log[a] * u[b] + u[a] * d_log[b])
                             + e * pairs[a, b])
            d2f[a, a] += f * d2_log[a]
    return f


@numba.njit(**_JIT)
def _normalise(n, n_slots, order, s, ds, dds, d_total, d2_total):
    """Divide the first ``n`` bins of ``s`` (and their derivatives) by their sum."""
    total = 0.0
    for i in range(n):
        total += s[i]
    for a in range(n_slots if order >= 1 else 0):
        d_total[a] = 0.0
        for i in range(n):
            d_total[a] += ds[i, a]
        for b in range(n_slots if order >= 2 else 0):
            d2_total[a, b] = 0.0
            for i in range(n):
                d2_total[a, b] += dds[i, a, b]
    inverse = 1.0 / total
    for i in range(n):
        h = s[i] * inverse
        if order >= 2:
            for a in range(n_slots):
                for b in range(n_slots):
                    cross = ds[i, a] * d_total[b] + d_total[a] * ds[i, b]
                    dds[i, a, b] = inverse * (dds[i, a, b] - inverse * cross - h * d2_total[a, b]
                                              + 2.0 * h * inverse * d_total[a] * d_total[b])
        if order >= 1:
            for a in range(n_slots):
                ds[i, a] = inverse * (ds[i, a] - h * d_total[a])
        s[i] = h


@numba.njit(**_JIT)
def _add_morphs(k, pars, ints, floats, order, start_section, slot_section, scale_section, diff_section,
                sum_section, first_shape, b0, n, B, region, values, firsts, seconds):
    """Add the morphs of column ``k`` of one kind to ``values`` (n,), ``firsts`` (n, slots) and the
    diagonal ``seconds`` (n, slots)."""
    start = bf.ints_of(ints, start_section)
    slots = bf.ints_of(ints, slot_section)
    scales = bf.floats_of(ints, floats, scale_section)
    diffs = bf.floats_of(ints, floats, diff_section)
    sums = bf.floats_of(ints, floats, sum_section)
    shape_parameter = bf.ints_of(ints, bf.I_SHAPE_PARAMETER)
    for m in range(start[k], start[k + 1]):
        j = slots[m]
        c0, c1, dc0, dc1, d2c1 = morph_coefficients(pars[shape_parameter[first_shape + j]], scales[m], region)
        row = m * B + b0
        for i in range(n):
            diff, total = diffs[row + i], sums[row + i]
            values[i] += c0 * diff + c1 * total
            if order >= 1:
                firsts[i, j] += dc0 * diff + dc1 * total
            if order >= 2:
                seconds[i, j] += d2c1 * total


@numba.njit(**_JIT)
def column_shape(k, pars, ints, floats, order, scratch):
    """The unit shape of column ``k`` over its channel's bins at ``pars``: values, gradients and
    Hessians over its shape slots in ``scratch[0:3]``; returns (first bin, number of bins, slots)."""
    s, ds, dds, log_values, log_firsts, log_seconds, d_total, d2_total = scratch
    sizes = bf.ints_of(ints, bf.I_SIZES)
    B = sizes[bf.S_BINS]
    column_bins = bf.ints_of(ints, bf.I_COLUMN_BINS)
    b0 = column_bins[2 * k]
    n = column_bins[2 * k + 1] - b0
    shape_start = bf.ints_of(ints, bf.I_SHAPE_START)
    first_shape = shape_start[k]
    n_slots = shape_start[k + 1] - first_shape
    shape = bf.floats_of(ints, floats, bf.F_SHAPE)
    flags = bf.ints_of(ints, bf.I_COLUMN_FLAGS)[k]
    for i in range(n):
        s[i] = shape[k * B + b0 + i]
        for a in range(n_slots if order >= 1 else 0):
            ds[i, a] = 0.0
            for b in range(n_slots if order >= 2 else 0):
                dds[i, a, b] = 0.0
    if not flags & bf.MORPHED:
        return b0, n, 0
    region = bf.floats_of(ints, floats, bf.F_COLUMN_REGION)[k]
    for i in range(n):  # the additive morphs' second derivatives are diagonal: kept in log_seconds first
        for a in range(n_slots):
            log_seconds[i, a] = 0.0
    _add_morphs(k, pars, ints, floats, order, bf.I_MORPH_START, bf.I_MORPH_SLOT, bf.F_MORPH_SCALE,
                bf.F_MORPH_DIFF, bf.F_MORPH_SUM, first_shape, b0, n, B, region, s, ds, log_seconds)
    if order >= 2:
        for i in range(n):
            for a in range(n_slots):
                dds[i, a, a] = log_seconds[i, a]
    if flags & bf.LOG_MORPHED:
        for i in range(n):
            log_values[i] = 0.0
            for a in range(n_slots):
                log_firsts[i, a] = 0.0
                log_seconds[i, a] = 0.0
        _add_morphs(k, pars, ints, floats, order, bf.I_LOG_MORPH_START, bf.I_LOG_MORPH_SLOT,
                    bf.F_LOG_MORPH_SCALE, bf.F_LOG_MORPH_DIFF, bf.F_LOG_MORPH_SUM, first_shape, b0, n, B,
                    region, log_values, log_firsts, log_seconds)
        for i in range(n):
            e = math.exp(log_values[i])
            if order >= 2:
                for a in range(n_slots):
                    for b in range(n_slots):
                        cross = ds[i, a] * log_firsts[i, b] + log_firsts[i, a] * ds[i, b]
                        dds[i, a, b] = e * (dds[i, a, b] + cross + s[i] * log_firsts[i, a] * log_firsts[i, b])
                    dds[i, a, a] += e * s[i] * log_seconds[i, a]
            if order >= 1:
                for a in range(n_slots):
                    ds[i, a] = e * (ds[i, a] + s[i] * log_firsts[i, a])
            s[i] *= e
        _normalise(n, n_slots, order, s, ds, dds, d_total, d2_total)
    floor = bf.floats_of(ints, floats, bf.F_COLUMN_FLOOR)[k]
    for i in range(n):
        if s[i] < floor:
            s[i] = floor
            for a in range(n_slots if order >= 1 else 0):
                ds[i, a] = 0.0
                for b in range(n_slots if order >= 2 else 0):
                    dds[i, a, b] = 0.0
    if flags & bf.RENORMALISE:
        _normalise(n, n_slots, order, s, ds, dds, d_total, d2_total)
    return b0, n, n_slots
