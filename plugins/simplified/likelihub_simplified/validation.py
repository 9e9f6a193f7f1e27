"""Checks of the inputs of the simplified likelihoods: clear errors, no silent repair.

Every function raises :class:`likelihub.errors.InvalidModelError` (or
:class:`~likelihub.errors.InvalidDataError` for the observed data) naming the argument and
the bins at fault.
"""

from __future__ import annotations

import numpy as np

from likelihub.errors import InvalidDataError, InvalidModelError
from likelihub.plugin import arguments

__all__ = [
    "as_yields",
    "as_counts",
    "as_positive",
    "as_covariance",
    "as_correlation",
    "check_positive_definite",
]

#: Relative tolerance of the symmetry check of a covariance or correlation matrix.
SYMMETRY_RTOL = 1e-8

#: The largest magnitude accepted for any input number (yields, counts, uncertainties, covariance
#: entries, third moments), and the smallest non-zero one: the likelihoods square, multiply and
#: divide them, and beyond these the results overflow (no event count or its variance comes near
#: either; a yield meant to be nothing is written 0).
MAX_MAGNITUDE = 1e100
MIN_MAGNITUDE = 1e-100


def _magnitudes_outside(array: np.ndarray) -> np.ndarray:
    """Where |x| > MAX_MAGNITUDE or 0 < |x| < MIN_MAGNITUDE."""
    size = np.abs(array)
    return (size > MAX_MAGNITUDE) | ((size > 0) & (size < MIN_MAGNITUDE))


def _bins(mask: np.ndarray) -> list[int]:
    return np.flatnonzero(mask).tolist()


def _vector(values, argument: str, n_bins: int | None, error=InvalidModelError) -> np.ndarray:
    # booleans and numeric strings are refused, not converted (likelihub.arguments)
    array = arguments.numbers_array(values, argument=argument, error=error)
    if array.ndim != 1:
        raise error(f"must be one value per bin, got shape {array.shape}", argument=argument)
    if n_bins is not None and array.size != n_bins:
        raise error(f"has {array.size} bins, expected {n_bins} (as the background yields)",
                    argument=argument)
    bad = ~np.isfinite(array)
    if bad.any():
        raise error(f"is not finite (NaN or inf) in bins {_bins(bad)}", argument=argument)
    outside = _magnitudes_outside(array)
    if outside.any():
        raise error(f"has values {array[outside].tolist()} in bins {_bins(outside)}: non-zero "
                    f"magnitudes must lie within [{MIN_MAGNITUDE:g}, {MAX_MAGNITUDE:g}]", argument=argument)
    return array


def as_yields(values, argument: str, n_bins: int | None = None) -> np.ndarray:
    """A 1-D array of finite, non-negative expected yields, one per bin."""
    array = _vector(values, argument, n_bins)
    negative = array < 0
    if negative.any():
        raise InvalidModelError(f"negative yields {array[negative].tolist()} in bins {_bins(negative)}",
                                argument=argument)
    return array


def as_counts(values, argument: str, n_bins: int) -> np.ndarray:
    """Observed event counts: finite, non-negative integers, one per bin."""
    array = _vector(values, argument, n_bins, error=InvalidDataError)
    negative = array < 0
    if negative.any():
        raise InvalidDataError(f"negative counts {array[negative].tolist()} in bins {_bins(negative)}",
                               argument=argument)
    fractional = array != np.round(array)
    if fractional.any():
        raise InvalidDataError(
            f"counts must be whole numbers for a Poisson likelihood, got {array[fractional].tolist()} "
            f"in bins {_bins(fractional)}", argument=argument)
    return array


def as_positive(values, argument: str, n_bins: int, allow_zero: bool = False) -> np.ndarray:
    """Uncertainties: finite and positive (or non-negative), one per bin."""
    array = _vector(values, argument, n_bins)
    bad = array < 0 if allow_zero else array <= 0
    if bad.any():
        what = "negative" if allow_zero else "not positive"
        raise InvalidModelError(f"{what}: {array[bad].tolist()} in bins {_bins(bad)}", argument=argument)
    return array


def _square(values, argument: str, n_bins: int) -> np.ndarray:
    matrix = arguments.numbers_array(values, argument=argument, error=InvalidModelError)
    if matrix.shape != (n_bins, n_bins):
        raise InvalidModelError(f"has shape {matrix.shape}, expected ({n_bins}, {n_bins}) for {n_bins} bins",
                                argument=argument)
    bad = ~np.isfinite(matrix)
    if bad.any():
        rows = sorted(set(np.nonzero(bad)[0].tolist()))
        raise InvalidModelError(f"is not finite in rows {rows}", argument=argument)
    outside = _magnitudes_outside(matrix)
    if outside.any():
        rows = sorted(set(np.nonzero(outside)[0].tolist()))
        raise InvalidModelError(f"has entries in rows {rows} whose non-zero magnitudes lie outside "
                                f"[{MIN_MAGNITUDE:g}, {MAX_MAGNITUDE:g}]", argument=argument)
    asymmetry = np.abs(matrix - matrix.T)
    scale = np.maximum(np.abs(matrix), np.abs(matrix.T))
    asymmetric = asymmetry > SYMMETRY_RTOL * np.maximum(scale, np.finfo(float).tiny)
    if asymmetric.any():
        i, j = (int(k) for k in np.argwhere(asymmetric)[0])
        raise InvalidModelError(
            f"is not symmetric: entry ({i}, {j}) = {matrix[i, j]} but ({j}, {i}) = {matrix[j, i]}",
            argument=argument)
    return 0.5 * (matrix + matrix.T)


def check_positive_definite(matrix: np.ndarray, argument: str) -> None:
    """Raise an error with the smallest eigenvalue where ``matrix`` is not positive definite."""
    eigenvalues, vectors = np.linalg.eigh(matrix)
    if eigenvalues[0] <= 0 or np.linalg.cond(matrix) > 1e14:
        weights = vectors[:, 0] ** 2
        bins = np.flatnonzero(weights > 0.1).tolist()
        raise InvalidModelError(
            f"is not positive definite: smallest eigenvalue {eigenvalues[0]:.6g} (largest "
            f"{eigenvalues[-1]:.6g}), its eigenvector lies mostly in bins {bins}; pass "
            "regularize_covariance=<relative amount> to add that fraction of the diagonal explicitly",
            argument=argument)


def as_covariance(values, argument: str, n_bins: int, regularize: float | None = None) -> np.ndarray:
    """A symmetric, positive definite covariance matrix with a positive diagonal.

    Parameters
    ----------
    values
        The matrix (events squared).
    argument
        Name of the argument, for the error messages.
    n_bins
        Number of bins.
    regularize
        Explicit opt-in: add ``regularize`` times the diagonal before the checks (never by default).
    """
    matrix = _square(values, argument, n_bins)
    diagonal = np.diag(matrix)
    bad = diagonal <= 0
    if bad.any():
        raise InvalidModelError(f"diagonal (variances) not positive: {diagonal[bad].tolist()} in bins "
                                f"{_bins(bad)}", argument=argument)
    if regularize is not None:
        if not (np.isfinite(regularize) and regularize > 0):
            raise InvalidModelError(f"must be a positive number, got {regularize!r}",
                                    argument="regularize_covariance")
        matrix = matrix + float(regularize) * np.diag(diagonal)
    check_positive_definite(matrix, argument)
    return matrix


def as_correlation(values, argument: str, n_bins: int) -> np.ndarray:
    """A correlation matrix: symmetric, unit diagonal, entries in [-1, 1], positive definite."""
    matrix = _square(values, argument, n_bins)
    off = np.abs(np.diag(matrix) - 1.0) > 1e-8
    if off.any():
        raise InvalidModelError(f"diagonal must be 1, got {np.diag(matrix)[off].tolist()} in bins "
                                f"{_bins(off)}", argument=argument)
    if np.any(np.abs(matrix) > 1.0 + 1e-12):
        i, j = (int(k) for k in np.argwhere(np.abs(matrix) > 1.0 + 1e-12)[0])
        raise InvalidModelError(f"entry ({i}, {j}) = {matrix[i, j]} lies outside [-1, 1]", argument=argument)
    check_positive_definite(matrix, argument)
    return matrix
