"""Pulls and constraints of the nuisance parameters: where the fit moved each constrained parameter,
in units of its pre-fit width, and how much the data narrowed it.

    result = pulls(model)          # PullsResult, one row per parameter
    result.pull, result.constraint # (theta-hat - theta_0) / sigma_0 and sigma-hat / sigma_0

For a constrained parameter (:mod:`likelihub.diagnostics.prefit`), pull = (theta-hat - theta_0) /
sigma_0 and constraint = sigma-hat / sigma_0, with sigma-hat the Hessian's uncertainty (ATLAS's
"pulls" plot, cabinetry's ``visualize.pulls`` for theta_0 = 0, sigma_0 = 1, Combine's
``diffNuisances.py`` as "(theta-hat - theta_0) / sigma_in, sigma_out / sigma_in"). Unconstrained
parameters (normfactors, the POI) are reported with their best fit and uncertainty, without pull.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from likelihub.diagnostics.prefit import best_fit, prefit_parameters
from likelihub.results import _Serialisable

__all__ = ["PullsResult", "pulls"]


def _number(value: float):
    return None if not np.isfinite(value) else float(value)


@dataclass
class PullsResult(_Serialisable):
    """Best fit of every parameter against its pre-fit constraint.

    Attributes
    ----------
    parameters
        Parameter names.
    bestfit, uncertainty
        Best-fit values and their uncertainties (0 for fixed parameters).
    prefit_centre, prefit_width
        The constraint's centre and width (unconstrained: initial value, width 0).
    constrained, fixed
        Whether each parameter has a constraint term, and whether it was fixed.
    pull, constraint
        (theta-hat - theta_0) / sigma_0 and sigma-hat / sigma_0; NaN for unconstrained or fixed
        parameters (None in :meth:`to_dict`).
    """

    parameters: tuple[str, ...]
    bestfit: np.ndarray
    uncertainty: np.ndarray
    prefit_centre: np.ndarray
    prefit_width: np.ndarray
    constrained: np.ndarray
    fixed: np.ndarray
    pull: np.ndarray
    constraint: np.ndarray

    def to_dict(self) -> dict:
        """``{"parameters": [{name, bestfit, uncertainty, prefit_centre, prefit_width, constrained,
        fixed, pull, constraint}, ...]}``; pull and constraint None where there is none."""
        rows = []
        for i, name in enumerate(self.parameters):
            rows.append({"name": name, "bestfit": float(self.bestfit[i]),
                         "uncertainty": float(self.uncertainty[i]),
                         "prefit_centre": float(self.prefit_centre[i]),
                         "prefit_width": float(self.prefit_width[i]),
                         "constrained": bool(self.constrained[i]), "fixed": bool(self.fixed[i]),
                         "pull": _number(self.pull[i]), "constraint": _number(self.constraint[i])})
        return {"parameters": rows}

    def __str__(self) -> str:
        width = max((len(n) for n in self.parameters), default=10)
        lines = [f"{'parameter':<{width}}  {'best fit':>11} {'+/-':>9}  {'pull':>7} {'constraint':>10}"]
        for i, name in enumerate(self.parameters):
            pull = "" if not np.isfinite(self.pull[i]) else f"{self.pull[i]:+7.3f}"
            constraint = "" if not np.isfinite(self.constraint[i]) else f"{self.constraint[i]:10.3f}"
            lines.append(f"{name:<{width}}  {self.bestfit[i]:11.5g} {self.uncertainty[i]:9.3g}  "
                         f"{pull:>7} {constraint:>10}")
        return "\n".join(lines)


def pulls(model, fit=None) -> PullsResult:
    """Pulls and constraints of ``model``'s parameters at its best fit.

    Parameters
    ----------
    model
        A :class:`likelihub.StatisticalModel`.
    fit
        Its best fit with uncertainties (``model.fit()``); made here where None.

    Returns
    -------
    PullsResult
    """
    fit = best_fit(model, fit)
    prefit = prefit_parameters(model.backend)
    fixed = np.array(fit.fixed, dtype=bool)
    has_pull = prefit.constrained & ~fixed & (prefit.width > 0)
    width = np.where(has_pull, prefit.width, 1.0)
    bestfit, uncertainty = np.array(fit.values, dtype=float), np.array(fit.uncertainties, dtype=float)
    pull = np.where(has_pull, (bestfit - prefit.centre) / width, np.nan)
    constraint = np.where(has_pull, uncertainty / width, np.nan)
    return PullsResult(parameters=tuple(fit.parameter_names), bestfit=bestfit, uncertainty=uncertainty,
                       prefit_centre=prefit.centre, prefit_width=prefit.width,
                       constrained=prefit.constrained, fixed=fixed, pull=pull, constraint=constraint)
