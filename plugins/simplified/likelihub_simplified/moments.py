"""Helpers for simplified-likelihood inputs: moments, correlations, merged bins.

- :func:`third_moment_expansion`: the coefficients A, B, C and the modified correlation rho of
  Buckley et al., arXiv:1809.05548, eqs. 2.9-2.12, from the first three moments.
- :func:`third_moments_from_asymmetric`: third central moments of bifurcated Gaussians, for
  analyses that publish asymmetric background uncertainties but no third moments.
- :func:`covariance_to_correlation`, :func:`correlation_to_covariance`.
- :func:`merge_bins`: add signal regions together (sums of yields, M Sigma M^T).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from likelihub.errors import InvalidModelError

from .validation import as_covariance, as_positive, check_positive_definite

__all__ = [
    "ThirdMomentExpansion",
    "third_moment_expansion",
    "third_moments_from_asymmetric",
    "covariance_to_correlation",
    "correlation_to_covariance",
    "merge_bins",
]


@dataclass(frozen=True)
class ThirdMomentExpansion:
    """b_i(theta) = A_i + B_i theta_i + C_i theta_i^2 with theta ~ MVN(0, rho) (arXiv:1809.05548)."""

    A: np.ndarray
    B: np.ndarray
    C: np.ndarray
    rho: np.ndarray


def third_moment_expansion(background_yields, covariance_matrix, third_moment) -> ThirdMomentExpansion:
    """Coefficients of the third-moment expansion, arXiv:1809.05548 eqs. 2.9-2.12.

    With m1 the expected backgrounds, m2 the covariance and m3 the third central moments:

        C_i = -sign(m3_i) sqrt(2 m2_ii) cos(4 pi / 3 + arctan(sqrt(8 m2_ii^3 / m3_i^2 - 1)) / 3)
        B_i = sqrt(m2_ii - 2 C_i^2)
        A_i = m1_i - C_i
        rho_ij = (sqrt((B_i B_j)^2 + 8 C_i C_j m2_ij) - B_i B_j) / (4 C_i C_j)

    (rho_ij -> m2_ij / (B_i B_j) where C_i C_j -> 0). The expansion exists only where
    8 m2_ii^3 >= m3_i^2 (the skew is not too large for the width); elsewhere an
    :class:`~likelihub.errors.InvalidModelError` names the bins.

    Parameters
    ----------
    background_yields
        m1, the expected background in each bin.
    covariance_matrix
        m2, the covariance of the backgrounds (events squared).
    third_moment
        m3, the third central moment of each bin's background (events cubed).
    """
    m1 = np.asarray(background_yields, dtype=float)
    n = m1.size
    m2 = as_covariance(covariance_matrix, "covariance_matrix", n)
    m3 = np.asarray(third_moment, dtype=float)
    if m3.shape != (n,):
        raise InvalidModelError(f"has {m3.size} values, expected {n} (one per bin)", argument="third_moment")
    if not np.all(np.isfinite(m3)):
        raise InvalidModelError(f"is not finite in bins {np.flatnonzero(~np.isfinite(m3)).tolist()}",
                                argument="third_moment")
    variance = np.diag(m2)
    too_skewed = 8.0 * variance**3 < m3**2
    if too_skewed.any():
        bins = np.flatnonzero(too_skewed).tolist()
        raise InvalidModelError(
            f"the third-moment expansion needs 8 m2_ii^3 >= m3_i^2 (arXiv:1809.05548 eq. 2.12); it fails "
            f"in bins {bins}: 8 m2^3 = {(8 * variance[too_skewed] ** 3).tolist()}, "
            f"m3^2 = {(m3[too_skewed] ** 2).tolist()}", argument="third_moment")
    with np.errstate(divide="ignore"):
        ratio = np.where(m3 == 0, np.inf, 8.0 * variance**3 / np.where(m3 == 0, 1.0, m3**2))
    angle = 4.0 * np.pi / 3.0 + np.arctan(np.sqrt(ratio - 1.0)) / 3.0
    C = -np.sign(m3) * np.sqrt(2.0 * variance) * np.cos(angle)
    B = np.sqrt(variance - 2.0 * C**2)
    A = m1 - C
    bb = np.outer(B, B)
    cc = np.outer(C, C)
    discriminant = bb**2 + 8.0 * cc * m2
    if np.any(discriminant < 0):
        i, j = (int(k) for k in np.argwhere(discriminant < 0)[0])
        raise InvalidModelError(f"the modified correlation of bins ({i}, {j}) is undefined: "
                                "(B_i B_j)^2 + 8 C_i C_j m2_ij < 0", argument="third_moment")
    small = np.abs(cc) < 1e-12 * np.maximum(bb, np.finfo(float).tiny)
    with np.errstate(divide="ignore", invalid="ignore"):
        rho = np.where(small, m2 / bb, (np.sqrt(discriminant) - bb) / (4.0 * np.where(small, 1.0, cc)))
    rho = 0.5 * (rho + rho.T)
    np.fill_diagonal(rho, 1.0)
    check_positive_definite(rho, "third_moment (the modified correlation matrix rho)")
    return ThirdMomentExpansion(A=A, B=B, C=C, rho=rho)


def _bifurcated_moments(up: np.ndarray, down: np.ndarray):
    """Raw moments E[x], E[x^2], E[x^3] of a bifurcated Gaussian with mode 0."""
    first = np.sqrt(2.0 / np.pi) * (up - down)
    second = up**2 - up * down + down**2
    third = 2.0 * np.sqrt(2.0 / np.pi) * (up - down) * (up**2 + down**2)
    return first, second, third


def third_moments_from_asymmetric(upper_uncertainties, lower_uncertainties) -> np.ndarray:
    """Third central moments of bifurcated Gaussians with widths sigma+ above and sigma- below.

    For the density proportional to exp(-x^2 / 2 sigma+^2) for x >= 0 and exp(-x^2 / 2 sigma-^2)
    for x < 0, the raw moments are E[x] = sqrt(2/pi) (s+ - s-), E[x^2] = s+^2 - s+ s- + s-^2,
    E[x^3] = 2 sqrt(2/pi) (s+ - s-)(s+^2 + s-^2), and m3 = E[x^3] - 3 E[x] E[x^2] + 2 E[x]^3.

    Parameters
    ----------
    upper_uncertainties, lower_uncertainties
        sigma+ and sigma- per bin (absolute, positive).
    """
    up = as_positive(upper_uncertainties, "upper_uncertainties", np.size(upper_uncertainties))
    down = as_positive(lower_uncertainties, "lower_uncertainties", up.size)
    first, second, third = _bifurcated_moments(up, down)
    return third - 3.0 * first * second + 2.0 * first**3


def covariance_to_correlation(covariance_matrix) -> np.ndarray:
    """rho_ij = Sigma_ij / sqrt(Sigma_ii Sigma_jj)."""
    covariance = np.asarray(covariance_matrix, dtype=float)
    diagonal = np.diag(covariance)
    if np.any(diagonal <= 0):
        raise InvalidModelError(f"variances not positive in bins {np.flatnonzero(diagonal <= 0).tolist()}",
                                argument="covariance_matrix")
    sigma = np.sqrt(diagonal)
    correlation = covariance / np.outer(sigma, sigma)
    np.fill_diagonal(correlation, 1.0)
    return correlation


def correlation_to_covariance(correlation_matrix, absolute_uncertainties) -> np.ndarray:
    """Sigma_ij = rho_ij sigma_i sigma_j."""
    sigma = np.asarray(absolute_uncertainties, dtype=float)
    return np.asarray(correlation_matrix, dtype=float) * np.outer(sigma, sigma)


def merge_bins(groups: Sequence[Sequence[int]], *, observed=None, background_yields=None,
               signal_yields=None, covariance_matrix=None) -> dict:
    """Add bins together: yields are summed, the covariance becomes M Sigma M^T.

    Parameters
    ----------
    groups
        For each merged bin, the indices of the original bins it sums. Each bin may be used once;
        bins in no group are dropped.
    observed, background_yields, signal_yields, covariance_matrix
        What to merge (any subset).

    Returns
    -------
    dict
        The merged arrays under the same names as the arguments given. Third moments cannot be
        merged without the bins' mixed third moments, so they are not accepted.
    """
    given = {k: v for k, v in dict(observed=observed, background_yields=background_yields,
                                   signal_yields=signal_yields).items() if v is not None}
    sizes = {k: np.size(v) for k, v in given.items()}
    if covariance_matrix is not None:
        sizes["covariance_matrix"] = np.shape(covariance_matrix)[0]
    if not sizes:
        raise InvalidModelError("nothing to merge: pass observed, background_yields, signal_yields "
                                "or covariance_matrix")
    if len(set(sizes.values())) != 1:
        raise InvalidModelError(f"the inputs have different numbers of bins: {sizes}", argument="groups")
    n = next(iter(sizes.values()))
    matrix = np.zeros((len(groups), n))
    for k, group in enumerate(groups):
        for index in group:
            if not 0 <= int(index) < n:
                raise InvalidModelError(f"group {k} names bin {index}, outside 0..{n - 1}", argument="groups")
            matrix[k, int(index)] = 1.0
    reused = np.flatnonzero(matrix.sum(axis=0) > 1).tolist()
    if reused:
        raise InvalidModelError(f"bins {reused} appear in more than one group", argument="groups")
    merged = {k: matrix @ np.asarray(v, dtype=float) for k, v in given.items()}
    if covariance_matrix is not None:
        covariance = as_covariance(covariance_matrix, "covariance_matrix", n)
        merged["covariance_matrix"] = matrix @ covariance @ matrix.T
    return merged
