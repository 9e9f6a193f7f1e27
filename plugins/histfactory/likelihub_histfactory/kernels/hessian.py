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
:func:`.reference.nll_grad_hessian`; tests hold this kernel to it. The maths above is written once,
in :mod:`.hessian_rows` (compiled for the CPU by :mod:`.cpu` and as CUDA device functions by
:mod:`.cuda_hessian`); this module allocates its scratch and adds -log L and the gradient.

At a point of zero probability (-log L = +inf, see :mod:`.cpu`) the gradient and the Hessian
are NaN in every element; elsewhere they are finite (a bin with ``lambda_b = n_b = 0`` has
``w_b = 1`` and no curvature term; a Poisson constraint with datum 0 no curvature).
"""

from __future__ import annotations

import numba
import numpy as np

from .cpu import JIT_OPTIONS, hessian_into, nll_and_grad
from .hessian_rows import SMALL_FACTOR

__all__ = ["nll_grad_hessian", "nll_grad_hessian_batch", "SMALL_FACTOR"]


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
    max_terms = 0
    for e in range(n_entries):
        max_terms = max(max_terms, term_start[e + 1] - term_start[e])
    # the scratch of .hessian_rows.hessian_into, which computes the Hessian (the CUDA kernel's too)
    hessian_into(pars, data, n_main, entry_bin, entry_nominal, term_start, term_kind, term_parameter,
                 term_coefficients, aux_parameter, aux_is_poisson, aux_width, hessian,
                 np.empty(n_entries), np.empty(n_entries), np.empty(n_entries), np.empty(n_main),
                 np.empty((n_entries + n_main, n_pars)), np.empty((n_entries + n_main, n_pars)),
                 np.empty(n_pars), np.empty((n_pars, n_pars)), np.empty((n_pars, n_pars)),
                 np.empty(max_terms), np.empty(max_terms), np.empty(max_terms), np.empty(max_terms),
                 np.empty(max_terms), np.empty(max_terms, dtype=np.bool_),
                 np.empty(max_terms, dtype=np.int64))
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
