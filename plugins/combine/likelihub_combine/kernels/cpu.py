"""numba kernels of the Combine -log L: value, analytic gradient and Hessian, one row or a batch.

    -log L = sum_b [nu_b - n_b log nu_b + lgamma(n_b + 1)] + constraint terms,
    nu_b   = sum_k norm_k f_k sigma_kb  (+ theta_l E_b),
    E_b    = sqrt(sum_k (c_k e_kb)^2),  c_k = norm_k f_k / I_k,

with ``f_k`` and the unit shapes of :mod:`.columns`, ``sigma_kb`` the shape times an autoMCStats
Poisson count's ratio ``theta / N`` or plus its Gaussian shift ``theta e_kb / I_k``, and the
Barlow-Beeston-lite term ``theta_l E_b``. Bins of autoMCStats channels are raised to 1e-9, every
bin to 1e-300 before its logarithm (as the NumPy reference, :mod:`.reference`); a raised bin has
derivative 0.

Two passes over the columns: the first adds up nu (and the lite sums), the second, with
``w_b = 1 - n_b / nu_b``, back-propagates: per column the scalars ``W = sum_b w_b sigma_kb``
and ``A = sum_b w_b theta_l e_kb^2 / E_b``, the vector ``V = sum_b w_b dsigma_kb`` and matrix
``M = sum_b w_b d2sigma_kb`` over its shape slots give

    grad += (norm W + A c coef) df + norm f V                       (coef = norm / I)
    H    += (norm W + A c coef) d2f + A coef^2 df df^T + norm (df V^T + V df^T) + norm f M,

plus the autoMCStats entries' own terms, and, per bin, ``n_b / nu_b^2 dnu_b dnu_b^T`` (from the
rows ``dnu_b`` collected in the second pass) and the lite terms ``w_b (e_l dE_b^T + dE_b e_l^T
- theta_l / E_b dE_b dE_b^T)``. Constraints: Gaussian (bifurcated) and Poisson (gmN, autoMCStats
counts), ``1 / sigma^2`` and ``N / theta^2`` on the diagonal. The kernels never raise: a division
by zero gives an IEEE infinity or NaN (``error_model="numpy"``).
"""

from __future__ import annotations

import math

import numba
import numpy as np

from . import buffers as bf
from .columns import column_factor, column_shape

__all__ = ["JIT_OPTIONS", "scratch_shapes", "allocate", "evaluate", "expected_main", "nll_grad_hessian_rows"]

#: numba options of the entry points: cached on disk; IEEE semantics for a division by zero.
JIT_OPTIONS = {"cache": True, "error_model": "numpy"}

_HALF_LOG_2PI = 0.5 * math.log(2.0 * math.pi)
_BIN_FLOOR, _LOG_FLOOR = 1e-9, 1e-300


@numba.njit(error_model="numpy")
def scratch_shapes(sizes, order):
    """The shapes of :func:`allocate`'s arrays (the same nested tuples), for models of at most
    ``sizes``: what only second derivatives use is empty below order 2. The CUDA kernel
    (:mod:`.cuda`) gives each of its rows arrays of these shapes."""
    B, P = sizes[bf.S_BINS], sizes[bf.S_PARAMETERS]
    nf, nq = max(1, sizes[bf.S_MAX_FACTORS]), max(1, sizes[bf.S_MAX_SHAPES])
    nb, nz = max(1, sizes[bf.S_MAX_BINS]), max(1, sizes[bf.S_MAX_PRODUCTS])
    na, ns = max(1, sizes[bf.S_MAX_ARGUMENTS]), max(1, sizes[bf.S_MAX_PROGRAM])
    second = order >= 2
    nf2, nq2, na2 = (nf, nq, na) if second else (0, 0, 0)
    rows, dense_p = (B, P) if second else (0, 0)
    factor = ((nf,), (nf,), (nf,), (nf, nf2), (nf,), (nf, nf2), (nz,), (nz, na), (nz, na2, na2), (ns,),
              (ns, na), (ns, na2, na2), (na,))
    shape = ((nb,), (nb, nq), (nb, nq2, nq2), (nb,), (nb, nq), (nb, nq), (nq,), (nq2, nq2))
    bins = ((B,), (B,), (B,), (B,), (B,))
    column = ((nq,), (nq2, nq2))
    dense = ((rows, P), (rows, P), (dense_p,))
    return factor, shape, bins, column, dense


@numba.njit(error_model="numpy")
def allocate(sizes, order):
    """Scratch arrays for models of at most ``sizes`` (a ``sizes`` section, or the largest of a
    stack's), for :func:`evaluate` to the given order (shapes: :func:`scratch_shapes`)."""
    f, q, b, c, d = scratch_shapes(sizes, order)
    factor = (np.zeros(f[0]), np.zeros(f[1]), np.zeros(f[2]), np.zeros(f[3]), np.zeros(f[4]), np.zeros(f[5]),
              np.zeros(f[6]), np.zeros(f[7]), np.zeros(f[8]), np.zeros(f[9]), np.zeros(f[10]),
              np.zeros(f[11]), np.zeros(f[12]))
    shape = (np.zeros(q[0]), np.zeros(q[1]), np.zeros(q[2]), np.zeros(q[3]), np.zeros(q[4]), np.zeros(q[5]),
             np.zeros(q[6]), np.zeros(q[7]))
    bins = (np.zeros(b[0]), np.zeros(b[1]), np.zeros(b[2]), np.zeros(b[3]), np.zeros(b[4]))
    column = (np.zeros(c[0]), np.zeros(c[1]))
    dense = (np.zeros(d[0]), np.zeros(d[1]), np.zeros(d[2], np.int64))
    return factor, shape, bins, column, dense


@numba.njit(error_model="numpy")
def _expected(pars, ints, floats, scratch):
    """Expected counts into ``scratch[2][0]`` (bins of autoMCStats channels raised to 1e-9, marked
    in ``scratch[2][4]``), lite totals E_b into ``scratch[2][2]``."""
    factor_scratch, shape_scratch, bin_scratch = scratch[0], scratch[1], scratch[2]
    nu, lite_sum, lite_total, _, clipped = bin_scratch
    sizes = bf.ints_of(ints, bf.I_SIZES)
    K, B = sizes[bf.S_COLUMNS], sizes[bf.S_BINS]
    has_entries, has_lite = sizes[bf.S_HAS_ENTRIES], sizes[bf.S_HAS_LITE]
    norm = bf.floats_of(ints, floats, bf.F_COLUMN_NORM)
    integral = bf.floats_of(ints, floats, bf.F_COLUMN_INTEGRAL)
    entry_kind = bf.ints_of(ints, bf.I_ENTRY_KIND)
    entry_parameter = bf.ints_of(ints, bf.I_ENTRY_PARAMETER)
    entry_coefficient = bf.floats_of(ints, floats, bf.F_ENTRY_COEFFICIENT)
    bin_lite = bf.ints_of(ints, bf.I_BIN_LITE)
    bin_clip = bf.ints_of(ints, bf.I_BIN_CLIP)
    error2 = bf.floats_of(ints, floats, bf.F_ERROR2)
    s = shape_scratch[0]
    values_only = np.int64(0)  # an int64, not the literal 0: one compiled column_factor for all orders
    for b in range(B):
        nu[b] = 0.0
        lite_sum[b] = 0.0
    for k in range(K):
        f = column_factor(k, pars, ints, floats, values_only, factor_scratch)
        b0, n, _ = column_shape(k, pars, ints, floats, values_only, shape_scratch)
        scale = norm[k] * f
        for i in range(n):
            sigma = s[i]
            if has_entries:
                e = k * B + b0 + i
                if entry_kind[e] == 1:
                    sigma += pars[entry_parameter[e]] * entry_coefficient[e]
                elif entry_kind[e] == 2:
                    sigma *= pars[entry_parameter[e]] * entry_coefficient[e]
            nu[b0 + i] += scale * sigma
        if has_lite:
            c = scale / integral[k]
            for i in range(n):
                if bin_lite[b0 + i] >= 0:
                    lite_sum[b0 + i] += c * c * error2[k * B + b0 + i]
    for b in range(B):
        clipped[b] = 0.0
        if has_lite and bin_lite[b] >= 0:
            lite_total[b] = math.sqrt(lite_sum[b])
            nu[b] += lite_total[b] * pars[bin_lite[b]]
        if bin_clip[b] and nu[b] < _BIN_FLOOR:
            nu[b] = _BIN_FLOOR
            clipped[b] = 1.0


@numba.njit(**JIT_OPTIONS)
def expected_main(pars, ints, floats):
    """Expected counts of every bin at ``pars``."""
    scratch = allocate(bf.ints_of(ints, bf.I_SIZES), np.int64(0))
    _expected(pars, ints, floats, scratch)
    return scratch[2][0].copy()


@numba.njit(error_model="numpy")
def _add_symmetric(hessian, p, q, x):
    hessian[p, q] += x
    hessian[q, p] += x


@numba.njit(error_model="numpy")
def _back_propagate(pars, ints, floats, order, grad, hessian, scratch):
    """The second pass: the columns' gradient and Hessian terms; rows dnu_b into ``scratch[4][0]``
    and the lite rows dE_b into ``scratch[4][1]`` (order 2)."""
    factor_scratch, shape_scratch, bin_scratch, column_scratch, dense = scratch
    _, _, lite_total, weights, _ = bin_scratch
    v, m = column_scratch
    jacobian, d_lite = dense[0], dense[1]
    df, d2f = factor_scratch[4], factor_scratch[5]
    s, ds, dds = shape_scratch[0], shape_scratch[1], shape_scratch[2]
    sizes = bf.ints_of(ints, bf.I_SIZES)
    K, B = sizes[bf.S_COLUMNS], sizes[bf.S_BINS]
    has_entries, has_lite = sizes[bf.S_HAS_ENTRIES], sizes[bf.S_HAS_LITE]
    norm_of = bf.floats_of(ints, floats, bf.F_COLUMN_NORM)
    integral = bf.floats_of(ints, floats, bf.F_COLUMN_INTEGRAL)
    entry_kind = bf.ints_of(ints, bf.I_ENTRY_KIND)
    entry_parameter = bf.ints_of(ints, bf.I_ENTRY_PARAMETER)
    entry_coefficient = bf.floats_of(ints, floats, bf.F_ENTRY_COEFFICIENT)
    bin_lite = bf.ints_of(ints, bf.I_BIN_LITE)
    error2 = bf.floats_of(ints, floats, bf.F_ERROR2)
    factor_start = bf.ints_of(ints, bf.I_FACTOR_START)
    fp = bf.ints_of(ints, bf.I_FACTOR_PARAMETER)
    shape_start = bf.ints_of(ints, bf.I_SHAPE_START)
    sp = bf.ints_of(ints, bf.I_SHAPE_PARAMETER)
    for k in range(K):
        f = column_factor(k, pars, ints, floats, order, factor_scratch)
        b0, n, nq = column_shape(k, pars, ints, floats, order, shape_scratch)
        norm = norm_of[k]
        coef = norm / integral[k]
        c = coef * f
        f0, q0 = factor_start[k], shape_start[k]
        nf = factor_start[k + 1] - f0
        total, lite = 0.0, 0.0
        for a in range(nq):
            v[a] = 0.0
            for b in range(nq if order >= 2 else 0):
                m[a, b] = 0.0
        for i in range(n):
            bin_ = b0 + i
            w = weights[bin_]
            sigma, scale, kind, d_entry, p_entry, cc = s[i], 1.0, 0, 0.0, 0, 0.0
            if has_entries:
                e = k * B + bin_
                kind = entry_kind[e]
                if kind != 0:
                    p_entry, cc = entry_parameter[e], entry_coefficient[e]
                    if kind == 1:
                        sigma += pars[p_entry] * cc
                        d_entry = cc
                    else:
                        scale = pars[p_entry] * cc
                        sigma *= scale
                        d_entry = s[i] * cc
            total += w * sigma
            for a in range(nq):
                v[a] += w * scale * ds[i, a]
            if kind != 0:
                grad[p_entry] += norm * f * w * d_entry
            if order >= 2:
                for a in range(nq):
                    for b in range(nq):
                        m[a, b] += w * scale * dds[i, a, b]
                if kind != 0:
                    for a in range(nf):
                        _add_symmetric(hessian, fp[f0 + a], p_entry, norm * df[a] * w * d_entry)
                    if kind == 2:
                        for a in range(nq):
                            _add_symmetric(hessian, sp[q0 + a], p_entry, norm * f * w * cc * ds[i, a])
                    jacobian[bin_, p_entry] += norm * f * d_entry
                for a in range(nf):
                    jacobian[bin_, fp[f0 + a]] += norm * sigma * df[a]
                for a in range(nq):
                    jacobian[bin_, sp[q0 + a]] += norm * f * scale * ds[i, a]
            if has_lite and bin_lite[bin_] >= 0 and lite_total[bin_] > 0.0:
                e2 = error2[k * B + bin_]
                lite += w * pars[bin_lite[bin_]] * e2 / lite_total[bin_]
                if order >= 2:
                    for a in range(nf):
                        d_lite[bin_, fp[f0 + a]] += c * e2 * coef * df[a] / lite_total[bin_]
        alpha = norm * total + lite * c * coef
        for a in range(nf):
            grad[fp[f0 + a]] += alpha * df[a]
        for a in range(nq):
            grad[sp[q0 + a]] += norm * f * v[a]
        if order >= 2:
            beta = lite * coef * coef
            for a in range(nf):
                for b in range(nf):
                    hessian[fp[f0 + a], fp[f0 + b]] += alpha * d2f[a, b] + beta * df[a] * df[b]
                for b in range(nq):
                    _add_symmetric(hessian, fp[f0 + a], sp[q0 + b], norm * df[a] * v[b])
            for a in range(nq):
                for b in range(nq):
                    hessian[sp[q0 + a], sp[q0 + b]] += norm * f * m[a, b]


@numba.njit(error_model="numpy")
def evaluate(pars, data, ints, floats, order, grad, hessian, scratch):
    """-log L of ``data`` at ``pars``; its gradient into ``grad`` (order >= 1) and Hessian into
    ``hessian`` (order 2), both overwritten. ``scratch`` from :func:`allocate`."""
    _expected(pars, ints, floats, scratch)
    nu, _, lite_total, weights, clipped = scratch[2]
    sizes = bf.ints_of(ints, bf.I_SIZES)
    B, P = sizes[bf.S_BINS], sizes[bf.S_PARAMETERS]
    value = 0.0
    for b in range(B):
        lam = nu[b]
        if lam < _LOG_FLOOR:
            lam = _LOG_FLOOR
            clipped[b] = 1.0
        count = data[b]
        value += lam - count * math.log(lam) + math.lgamma(count + 1.0)
        nu[b] = lam
        weights[b] = 0.0 if clipped[b] else 1.0 - count / lam
    normal_parameter = bf.ints_of(ints, bf.I_NORMAL_PARAMETER)
    normal_datum = bf.ints_of(ints, bf.I_NORMAL_DATUM)
    sigma_low = bf.floats_of(ints, floats, bf.F_SIGMA_LOW)
    sigma_high = bf.floats_of(ints, floats, bf.F_SIGMA_HIGH)
    for j in range(normal_parameter.size):
        theta, center = pars[normal_parameter[j]], data[normal_datum[j]]
        sigma = sigma_low[j] if theta < center else sigma_high[j]
        pull = (theta - center) / sigma
        value += 0.5 * pull * pull + math.log(0.5 * (sigma_low[j] + sigma_high[j])) + _HALF_LOG_2PI
    poisson_parameter = bf.ints_of(ints, bf.I_POISSON_PARAMETER)
    poisson_datum = bf.ints_of(ints, bf.I_POISSON_DATUM)
    for j in range(poisson_parameter.size):
        mean, count = pars[poisson_parameter[j]], data[poisson_datum[j]]
        if mean < _LOG_FLOOR:
            mean = _LOG_FLOOR
        value += mean - count * math.log(mean) + math.lgamma(count + 1.0)
    if order == 0:
        return value

    for p in range(P):
        grad[p] = 0.0
        for q in range(P if order >= 2 else 0):
            hessian[p, q] = 0.0
    jacobian, d_lite, nonzero = scratch[4]
    if order >= 2:
        for b in range(B):
            for p in range(P):
                jacobian[b, p] = 0.0
                d_lite[b, p] = 0.0
    _back_propagate(pars, ints, floats, order, grad, hessian, scratch)
    bin_lite = bf.ints_of(ints, bf.I_BIN_LITE)
    if sizes[bf.S_HAS_LITE]:
        for b in range(B):
            lp = bin_lite[b]
            if lp < 0:
                continue
            w, total, theta = weights[b], lite_total[b], pars[lp]
            grad[lp] += w * total
            if order < 2:
                continue
            for p in range(P):
                jacobian[b, p] += theta * d_lite[b, p]
                _add_symmetric(hessian, lp, p, w * d_lite[b, p])
            jacobian[b, lp] += total
            if total > 0.0 and w != 0.0:
                for p in range(P):
                    if d_lite[b, p] != 0.0:
                        x = w * theta / total * d_lite[b, p]
                        for q in range(P):
                            hessian[p, q] -= x * d_lite[b, q]
    if order >= 2:
        for b in range(B):
            count = data[b]
            if clipped[b] or count == 0.0:
                continue
            curvature = (count / nu[b]) / nu[b]
            n_nonzero = 0
            for p in range(P):
                if jacobian[b, p] != 0.0:
                    nonzero[n_nonzero] = p
                    n_nonzero += 1
            for i in range(n_nonzero):
                x = curvature * jacobian[b, nonzero[i]]
                for j in range(n_nonzero):
                    hessian[nonzero[i], nonzero[j]] += x * jacobian[b, nonzero[j]]
    for j in range(normal_parameter.size):
        p = normal_parameter[j]
        theta, center = pars[p], data[normal_datum[j]]
        sigma = sigma_low[j] if theta < center else sigma_high[j]
        grad[p] += (theta - center) / (sigma * sigma)
        if order >= 2:
            hessian[p, p] += 1.0 / (sigma * sigma)
    for j in range(poisson_parameter.size):
        p = poisson_parameter[j]
        theta, count = pars[p], data[poisson_datum[j]]
        if theta > _LOG_FLOOR:
            grad[p] += 1.0 - count / theta
            if order >= 2:
                hessian[p, p] += (count / theta) / theta
    if order >= 2:
        for p in range(P):
            for q in range(p + 1, P):
                mean = 0.5 * (hessian[p, q] + hessian[q, p])
                hessian[p, q] = mean
                hessian[q, p] = mean
    return value


@numba.njit(**JIT_OPTIONS)
def nll_grad_hessian_rows(pars, data, members, int_offset, float_offset, ints, floats, order, grads,
                          hessians):
    """-log L of row k (``pars[k]``, ``data[k]``) with model ``members[k]``; its gradient into
    ``grads[k]`` (order >= 1) and Hessian into ``hessians[k]`` (order 2; pass an (N, 0, 0) array
    otherwise).

    The models' buffers are concatenated: model m's are ``ints[int_offset[m]:int_offset[m + 1]]``
    and ``floats[float_offset[m]:float_offset[m + 1]]``. One model with a batch of toys is the
    case of one member (``members`` all 0); a stack of cards (:mod:`likelihub_combine.stacking`,
    each made in the stack's parameter order) runs each row with its member's buffers, so that a
    row's numbers are those of its member alone. The scratch arrays are allocated once, for the
    largest model.
    """
    n_models = int_offset.size - 1
    sizes = bf.ints_of(ints[int_offset[0]:int_offset[1]], bf.I_SIZES).copy()
    for m in range(1, n_models):
        other = bf.ints_of(ints[int_offset[m]:int_offset[m + 1]], bf.I_SIZES)
        for i in range(sizes.size):
            sizes[i] = max(sizes[i], other[i])
    scratch = allocate(sizes, order)
    out = np.empty(pars.shape[0])
    for k in range(pars.shape[0]):
        m = members[k]
        out[k] = evaluate(pars[k], data[k], ints[int_offset[m]:int_offset[m + 1]],
                          floats[float_offset[m]:float_offset[m + 1]], order, grads[k], hessians[k], scratch)
    return out
