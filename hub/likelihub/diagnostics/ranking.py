"""The impact ranking of the nuisance parameters on the POI (cabinetry's ``fit.ranking``, CMS
Combine's ``combineTool.py -M Impacts``).

    result = ranking(model)             # RankingResult, parameters by post-fit impact
    result.postfit_up, result.prefit_down

For each parameter theta_j other than the POI (fixed ones excluded), the fit is redone with
theta_j held at theta-hat_j + sigma-hat_j and at theta-hat_j - sigma-hat_j (its post-fit
uncertainty: the *post-fit impacts*), and, for constrained parameters, at theta-hat_j +- sigma_0
(its pre-fit width: the *pre-fit impacts*, ATLAS's and cabinetry's convention); each impact is the
conditional fit's mu-hat less the nominal mu-hat. Unconstrained parameters have no pre-fit impact
(0, as cabinetry). Combine's impacts use the ends of each parameter's profile-likelihood interval
instead of theta-hat +- sigma-hat; for a parabolic -log L they are the same.

All the fits (up to 4 per parameter) are made in lock-step batches, started at the best fit
(:mod:`likelihub.diagnostics.impact_fits`); cabinetry makes them one by one with MINUIT.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from likelihub import arguments as check
from likelihub.diagnostics.impact_fits import fits_holding_one
from likelihub.diagnostics.prefit import best_fit, prefit_parameters
from likelihub.errors import FitError, InvalidArgumentError
from likelihub.results import _Serialisable

__all__ = ["RankingResult", "ranking", "IMPACTS"]

#: The four impacts of a parameter, in the order of the fits.
IMPACTS = ("prefit_up", "prefit_down", "postfit_up", "postfit_down")


@dataclass
class RankingResult(_Serialisable):
    """Impacts of the parameters on the POI, ordered by their largest post-fit impact.

    Attributes
    ----------
    poi, poi_bestfit, poi_uncertainty
        The POI's name, best fit and uncertainty.
    parameters
        The ranked parameters, largest post-fit impact first.
    bestfit, uncertainty, prefit_centre, prefit_width
        Each parameter's best fit, post-fit uncertainty, pre-fit centre and width (0:
        unconstrained).
    prefit_up, prefit_down, postfit_up, postfit_down
        mu-hat with the parameter held at theta-hat +- sigma_0 (pre-fit) or theta-hat +- sigma-hat
        (post-fit), less the nominal mu-hat.
    converged
        (n, 4) whether each of those fits converged (True where no fit was needed).
    """

    poi: str
    poi_bestfit: float
    poi_uncertainty: float
    parameters: tuple[str, ...]
    bestfit: np.ndarray
    uncertainty: np.ndarray
    prefit_centre: np.ndarray
    prefit_width: np.ndarray
    prefit_up: np.ndarray
    prefit_down: np.ndarray
    postfit_up: np.ndarray
    postfit_down: np.ndarray
    converged: np.ndarray

    def impact(self, name: str) -> dict[str, float]:
        """The four impacts of parameter ``name``."""
        i = self.parameters.index(name)
        return {key: float(getattr(self, key)[i]) for key in IMPACTS}

    def top(self, n: int) -> RankingResult:
        """The ``n`` parameters of largest post-fit impact."""
        keep = slice(0, n)
        arrays = ("bestfit", "uncertainty", "prefit_centre", "prefit_width", *IMPACTS, "converged")
        return RankingResult(self.poi, self.poi_bestfit, self.poi_uncertainty, self.parameters[keep],
                             *(getattr(self, k)[keep] for k in arrays))

    def to_dict(self) -> dict:
        """``{"poi", "poi_bestfit", "poi_uncertainty", "parameters": [{name, bestfit, uncertainty,
        prefit_centre, prefit_width, prefit_up, prefit_down, postfit_up, postfit_down, converged},
        ...]}``."""
        rows = [{"name": name, "bestfit": float(self.bestfit[i]), "uncertainty": float(self.uncertainty[i]),
                 "prefit_centre": float(self.prefit_centre[i]), "prefit_width": float(self.prefit_width[i]),
                 **{key: float(getattr(self, key)[i]) for key in IMPACTS},
                 "converged": bool(self.converged[i].all())}
                for i, name in enumerate(self.parameters)]
        return {"poi": self.poi, "poi_bestfit": self.poi_bestfit, "poi_uncertainty": self.poi_uncertainty,
                "parameters": rows}

    def __str__(self) -> str:
        width = max((len(n) for n in self.parameters), default=10)
        lines = [f"impacts on {self.poi} = {self.poi_bestfit:.4g} +/- {self.poi_uncertainty:.3g}",
                 f"{'parameter':<{width}}  {'post-fit up':>11} {'down':>9}  {'pre-fit up':>10} {'down':>9}"]
        for i, name in enumerate(self.parameters):
            lines.append(f"{name:<{width}}  {self.postfit_up[i]:+11.4g} {self.postfit_down[i]:+9.4g}  "
                         f"{self.prefit_up[i]:+10.4g} {self.prefit_down[i]:+9.4g}")
        return "\n".join(lines)


def _selected(parameters, config, poi: int) -> list[int]:
    """Indices of the parameters to rank: those named, or every free one but the POI."""
    fixed = np.array(config.fixed, dtype=bool)
    if parameters is None:
        return [i for i in range(config.n_parameters) if i != poi and not fixed[i]]
    if isinstance(parameters, str) or not isinstance(parameters, Sequence):
        raise InvalidArgumentError("must be a sequence of parameter names", argument="parameters")
    out = []
    for name in parameters:
        name, index = check.free_parameter(name, config=config, argument="parameters")
        if index == poi:
            raise InvalidArgumentError(f"{name!r} is the POI: it has no impact on itself",
                                       argument="parameters")
        if index not in out:
            out.append(index)
    return out


def ranking(model, fit=None, *, parameters: Sequence[str] | None = None) -> RankingResult:
    """Impacts of the nuisance parameters on the POI (see the module docstring).

    Parameters
    ----------
    model
        A :class:`likelihub.StatisticalModel` with a free POI.
    fit
        Its best fit with uncertainties (``model.fit()``); made here where None.
    parameters
        Names of the parameters to rank; every free parameter but the POI by default.

    Returns
    -------
    RankingResult
        Ordered by the largest absolute post-fit impact, as cabinetry's ranking plot.
    """
    poi = check.free_poi(model.config, what="an impact ranking")
    fit = best_fit(model, fit)
    indices = _selected(parameters, model.config, poi)
    prefit = prefit_parameters(model.backend)
    values, sigma = np.array(fit.values, dtype=float), np.array(fit.uncertainties, dtype=float)
    shifts = {"prefit_up": prefit.width, "prefit_down": -prefit.width,
              "postfit_up": sigma, "postfit_down": -sigma}
    held, where = [], []  # the fits to make, and (parameter row, impact column) of each
    for row, index in enumerate(indices):
        for column, key in enumerate(IMPACTS):
            if shifts[key][index] != 0:
                held.append((index, float(values[index] + shifts[key][index])))
                where.append((row, column))
    impacts = np.zeros((len(indices), len(IMPACTS)))
    converged = np.ones((len(indices), len(IMPACTS)), dtype=bool)
    fits = fits_holding_one(model.backend, model.data, held, values, fit_options=model.fit_options)
    for k, (row, column) in enumerate(where):
        impacts[row, column] = fits.values[k, poi] - values[poi]
        converged[row, column] = bool(fits.converged[k])
    if not converged.all():
        row, column = map(int, np.argwhere(~converged)[0])
        name = model.config.parameter_names[indices[row]]
        raise FitError(f"the impact fit with {name!r} held at its {IMPACTS[column].replace('_', ' ')} value "
                       f"did not converge ({int((~converged).sum())} of {len(held)} fits failed)")
    order = np.argsort(-np.abs(impacts[:, 2:]).max(axis=1), kind="stable")
    names = tuple(model.config.parameter_names[indices[i]] for i in order)
    chosen = np.array(indices, dtype=int)[order]
    return RankingResult(
        poi=model.config.parameter_names[poi], poi_bestfit=float(values[poi]),
        poi_uncertainty=float(sigma[poi]), parameters=names, bestfit=values[chosen],
        uncertainty=sigma[chosen], prefit_centre=prefit.centre[chosen], prefit_width=prefit.width[chosen],
        prefit_up=impacts[order, 0], prefit_down=impacts[order, 1], postfit_up=impacts[order, 2],
        postfit_down=impacts[order, 3], converged=converged[order])
