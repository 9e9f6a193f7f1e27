"""What the interpolation codes share: the length of a term's row of coefficients, and the
coefficients of the additive (histosys) codes.

A term's coefficients are one row of :data:`N_COEFFICIENTS` numbers
(``CompiledModel.term_coefficients[t]``):

- multiplicative codes (normsys: 1, 4): ``[hi, lo, log hi, log lo, a_1, ..., a_6]``, with code 4's
  polynomial coefficients ``a_i`` (zeros for code 1);
- additive codes (histosys: 0, 2, 4p): ``[hi - nom, nom - lo, a, b, 0, ...]`` with
  ``a = (hi + lo) / 2 - nom`` and ``b = (hi - lo) / 2`` (code 2's quadratic), the same for the three;
- the plain factor: zeros.
"""

from __future__ import annotations

import numpy as np

__all__ = ["N_COEFFICIENTS", "shift_coefficients", "shift_templates", "factor_templates"]

#: Number of coefficients stored per term.
N_COEFFICIENTS = 10


def shift_coefficients(nominal: np.ndarray, hi: np.ndarray, lo: np.ndarray) -> np.ndarray:
    """The rows of additive terms: ``[hi - nom, nom - lo, a, b, 0, ...]`` for arrays that broadcast
    (a sample's bins (B, 1) and its histosys templates (B, K) give (B, K, N_COEFFICIENTS))."""
    hi, lo = np.asarray(hi, dtype=float), np.asarray(lo, dtype=float)
    out = np.zeros((*np.broadcast_shapes(np.shape(nominal), hi.shape, lo.shape), N_COEFFICIENTS))
    out[..., 0] = hi - nominal
    out[..., 1] = nominal - lo
    out[..., 2] = 0.5 * (hi + lo) - nominal
    out[..., 3] = 0.5 * (hi - lo)
    return out


def shift_templates(row: np.ndarray, nominal: float) -> tuple[float, float, float]:
    """``(nominal, hi, lo)`` of an additive term from its row of coefficients."""
    return nominal, nominal + row[0], nominal - row[1]


def factor_templates(row: np.ndarray, nominal: float) -> tuple[float, float, float]:
    """``(1, hi, lo)`` of a multiplicative term from its row of coefficients (factors, no nominal)."""
    return 1.0, row[0], row[1]
