"""numba kernels of a stack of compiled models (:mod:`likelihub_histfactory.stacking`): row k of a
batch evaluated with member ``members[k]``'s model.

The members' arrays are concatenated (entries, terms), with offsets: member m's entries are
``entry_offset[m]:entry_offset[m + 1]``, its terms ``term_offset[m]:term_offset[m + 1]``, and its
``term_start`` (relative to its first term) ``entry_offset[m] + m : entry_offset[m + 1] + m + 1``
of the concatenated ``term_start``. Term parameters and auxiliary parameters are in the stack's
parameter order. Each row calls the one-model kernels (:func:`.cpu.nll_and_grad`,
:func:`.hessian.nll_grad_hessian`) on its member's slices, so a row's numbers are those of
its member alone, with the parameters in the stack's order.
"""

from __future__ import annotations

import numba
import numpy as np

from .cpu import JIT_OPTIONS, nll_and_grad
from .hessian import nll_grad_hessian

__all__ = ["nll_and_grad_members", "nll_grad_hessian_members"]


@numba.njit(inline="always", **JIT_OPTIONS)
def _member(m, entry_offset, term_offset, entry_bin, entry_nominal, term_start, term_kind, term_parameter,
            term_coefficients, aux_parameter, aux_is_poisson, aux_width):
    """Member ``m``'s model arrays, as views of the concatenated ones."""
    e0, e1, t0, t1 = entry_offset[m], entry_offset[m + 1], term_offset[m], term_offset[m + 1]
    return (entry_bin[e0:e1], entry_nominal[e0:e1], term_start[e0 + m:e1 + m + 1], term_kind[t0:t1],
            term_parameter[t0:t1], term_coefficients[t0:t1], aux_parameter[m], aux_is_poisson[m],
            aux_width[m])


@numba.njit(**JIT_OPTIONS)
def nll_and_grad_members(pars, data, members, n_main, entry_offset, term_offset, entry_bin, entry_nominal,
                         term_start, term_kind, term_parameter, term_coefficients, aux_parameter,
                         aux_is_poisson, aux_width, grads):
    """-log L of row k (``pars[k]``, ``data[k]``) with member ``members[k]``; fills ``grads``."""
    out = np.empty(pars.shape[0])
    for k in range(pars.shape[0]):
        arrays = _member(members[k], entry_offset, term_offset, entry_bin, entry_nominal, term_start,
                         term_kind, term_parameter, term_coefficients, aux_parameter, aux_is_poisson,
                         aux_width)
        out[k] = nll_and_grad(pars[k], data[k], n_main, *arrays, grads[k])
    return out


@numba.njit(**JIT_OPTIONS)
def nll_grad_hessian_members(pars, data, members, n_main, entry_offset, term_offset, entry_bin,
                             entry_nominal, term_start, term_kind, term_parameter, term_coefficients,
                             aux_parameter, aux_is_poisson, aux_width, grads, hessians):
    """-log L, gradient and Hessian of row k with member ``members[k]``; fills ``grads``, ``hessians``."""
    out = np.empty(pars.shape[0])
    for k in range(pars.shape[0]):
        arrays = _member(members[k], entry_offset, term_offset, entry_bin, entry_nominal, term_start,
                         term_kind, term_parameter, term_coefficients, aux_parameter, aux_is_poisson,
                         aux_width)
        out[k] = nll_grad_hessian(pars[k], data[k], n_main, *arrays, grads[k], hessians[k])
    return out
