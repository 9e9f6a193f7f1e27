"""Each parameter's pre-fit centre and width, from the constraint terms a backend declares
(``constraint_terms()``, :mod:`likelihub.backend.constraints`), and the best fit the diagnostics
start from.

- a Gaussian constraint (``"normal"``): centre the observed auxiliary datum ``a``, width sigma
  (bifurcated: the mean of its two widths);
- a Poisson constraint (``"poisson"``, HistFactory's shapesys, mean ``tau theta``): centre
  ``a / tau``, width ``sqrt(a) / tau`` (with ``a = tau``, pyhf's and cabinetry's ``1 / sqrt(tau)``);
- an unconstrained parameter (a normfactor, a rateParam, the POI, or every parameter of a backend
  without the capability): centre its initial value, no width (0, as cabinetry's
  ``prefit_uncertainties``); fixed parameters have width 0 too.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from likelihub.backend.capabilities import capabilities
from likelihub.errors import InvalidArgumentError

__all__ = ["PrefitParameters", "prefit_parameters", "best_fit"]


@dataclass(frozen=True)
class PrefitParameters:
    """Pre-fit centres and widths of every parameter (:func:`prefit_parameters`).

    Attributes
    ----------
    centre
        (P,) the constraint's centre, or the initial value of an unconstrained parameter.
    width
        (P,) the constraint's width; 0 for unconstrained and fixed parameters.
    constrained
        (P,) True where the parameter has a constraint term.
    """

    centre: np.ndarray
    width: np.ndarray
    constrained: np.ndarray


def prefit_parameters(backend) -> PrefitParameters:
    """Pre-fit centres and widths of ``backend``'s parameters (see the module docstring)."""
    config = backend.config
    centre = np.array(config.init, dtype=float)
    width = np.zeros(config.n_parameters)
    constrained = np.zeros(config.n_parameters, dtype=bool)
    if capabilities(backend).constraint_terms:
        data = np.asarray(backend.data, dtype=float)
        for term in backend.constraint_terms():
            datum = float(data[term.datum])
            if term.kind == "normal":
                centre[term.parameter] = datum
                width[term.parameter] = 0.5 * (term.width + term.width_low)
            else:
                centre[term.parameter] = datum / term.scale
                width[term.parameter] = np.sqrt(max(datum, 0.0)) / term.scale
            constrained[term.parameter] = True
    width[np.asarray(config.fixed, dtype=bool)] = 0.0
    return PrefitParameters(centre, width, constrained)


def best_fit(model, fit=None):
    """``fit`` checked (a converged FitResult of ``model`` with its covariance), or the model's
    best fit with uncertainties."""
    if fit is None:
        fit = model.fit(uncertainties=True)
    if getattr(fit, "covariance", None) is None or fit.uncertainties is None:
        raise InvalidArgumentError("must be a FitResult with uncertainties (model.fit(uncertainties=True))",
                                   argument="fit")
    if tuple(fit.parameter_names) != tuple(model.config.parameter_names):
        raise InvalidArgumentError("is the fit of a model with other parameters", argument="fit")
    return fit
