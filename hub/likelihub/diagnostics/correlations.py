"""The correlation matrix of the free parameters at the best fit, from the fit's covariance (the
inverse Hessian of -log L), as cabinetry's ``FitResults.corr_mat`` and Combine's FitDiagnostics
``covariance_fit_s``.

    result = correlations(model)            # CorrelationResult
    result.matrix, result.pairs(0.2)        # pairs with |rho| >= 0.2, strongest first
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from likelihub.diagnostics.prefit import best_fit
from likelihub.results import _Serialisable

__all__ = ["CorrelationResult", "correlations", "correlation_matrix"]


def correlation_matrix(covariance: np.ndarray) -> np.ndarray:
    """rho_ij = C_ij / sqrt(C_ii C_jj); rows and columns of zero variance (fixed) are 0, with 1
    on the diagonal."""
    covariance = np.asarray(covariance, dtype=float)
    sigma = np.sqrt(np.clip(np.diag(covariance), 0.0, None))
    scale = np.where(sigma > 0, sigma, 1.0)
    out = covariance / np.outer(scale, scale)
    out[sigma == 0, :] = 0.0
    out[:, sigma == 0] = 0.0
    np.fill_diagonal(out, 1.0)
    return np.clip(out, -1.0, 1.0)


@dataclass
class CorrelationResult(_Serialisable):
    """Correlations of the free parameters at the best fit.

    Attributes
    ----------
    parameters
        Names of the free parameters (the rows and columns).
    matrix
        The correlation matrix.
    """

    parameters: tuple[str, ...]
    matrix: np.ndarray

    def pairs(self, threshold: float = 0.0) -> list[tuple[str, str, float]]:
        """(name, name, rho) of every pair with |rho| >= ``threshold``, strongest first."""
        upper = np.triu_indices(len(self.parameters), k=1)
        rho = self.matrix[upper]
        order = np.argsort(-np.abs(rho), kind="stable")
        return [(self.parameters[upper[0][k]], self.parameters[upper[1][k]], float(rho[k]))
                for k in order if abs(rho[k]) >= threshold]

    def __getitem__(self, names: tuple[str, str]) -> float:
        i, j = (self.parameters.index(n) for n in names)
        return float(self.matrix[i, j])

    def __str__(self) -> str:
        lines = [f"correlations of {len(self.parameters)} free parameters; strongest pairs:"]
        lines += [f"  {a} / {b}: {rho:+.3f}" for a, b, rho in self.pairs()[:10]]
        return "\n".join(lines)


def correlations(model, fit=None) -> CorrelationResult:
    """The correlation matrix of ``model``'s free parameters at its best fit (``fit``, or
    ``model.fit()``)."""
    fit = best_fit(model, fit)
    free = ~np.array(fit.fixed, dtype=bool)
    matrix = correlation_matrix(np.asarray(fit.covariance, dtype=float))[np.ix_(free, free)]
    names = tuple(n for n, f in zip(fit.parameter_names, free, strict=True) if f)
    return CorrelationResult(parameters=names, matrix=matrix)
