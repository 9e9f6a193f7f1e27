"""likelihub's simplified likelihoods as spey backends, with the arguments of spey's ``default.*``.

=================================  ================================  =================================
spey backend                       replaces (spey 0.2.7)             likelihub backend
=================================  ================================  =================================
likelihub.correlated_background    default.correlated_background     simplified.correlated_background
likelihub.third_moment_expansion   default.third_moment_expansion    simplified.third_moment_expansion
likelihub.uncorrelated_background  default.uncorrelated_background   simplified.uncorrelated_background
likelihub.effective_sigma          default.effective_sigma           simplified.effective_sigma
likelihub.poisson                  default.poisson                   simplified.poisson
likelihub.normal                   default.normal                    simplified.normal
likelihub.multivariate_normal      default.multivariate_normal       simplified.multivariate_normal
=================================  ================================  =================================

Each takes spey's arguments by spey's names (``signal_yields``, ``background_yields``, ``data``, and
``covariance_matrix``, ``third_moment``, ``absolute_uncertainties``, ``correlation_matrix``,
``absolute_uncertainty_envelops``), spey's own keywords (``analysis``, ``xsection``, ``ntoys``) being
taken by spey. What likelihub's backends do not model is refused, naming the argument: callable
signal yields or uncertainties, ``n_signal_parameters``, ``signal_parameter_bounds``, spey's log-normal
signal ``modifiers`` (likelihub's own ``signal_uncertainties``, additive, may be passed instead), and
``default.poisson``'s ``absolute_uncertainties`` (nuisance parameters without constraint). likelihub's
keywords ``signal_uncertainties``, ``bin_names`` and ``regularize_covariance`` are passed on, and
``likelihub_fits=False`` leaves the fits to spey's optimiser.

As in spey's default backends, the *a-priori* data are the background yields and the Asimov data's
global observables stay nominal. ``likelihub.effective_sigma`` is likelihub's model, Barlow's
variable Gaussian (arXiv:physics/0406120); spey 0.2.7's ``default.effective_sigma`` evaluates its
variable width at theta - b (a nuisance minus a background yield), so the two likelihoods differ.
"""

from __future__ import annotations

import numpy as np

import likelihub
from likelihub.errors import InvalidArgumentError

from .backend import LikelihubBackend, signal_and_background

__all__ = ["CorrelatedBackground", "ThirdMomentExpansion", "UncorrelatedBackground", "EffectiveSigma",
           "Poisson", "Normal", "MultivariateNormal"]


def _numbers(value, argument: str):
    """``value`` unless it is a callable (spey accepts functions of signal parameters; likelihub not)."""
    if callable(value):
        raise InvalidArgumentError("a function of signal parameters is not supported by likelihub's "
                                   "backends: pass the yields as numbers (or use spey's default backend)",
                                   argument=argument)
    return value


def _refuse_spey_only(modifiers=None, n_signal_parameters: int = 0, signal_parameter_bounds=None) -> None:
    if modifiers is not None:
        raise InvalidArgumentError(
            "spey's log-normal signal modifiers are not supported: pass likelihub's additive "
            "signal_uncertainties=[{'type': 'normalisation' | 'shape', 'uncertainties': ...}] instead, "
            "or use spey's default backend", argument="modifiers")
    if n_signal_parameters != 0:
        raise InvalidArgumentError("signal parameters are not supported by likelihub's backends",
                                   argument="n_signal_parameters")
    if signal_parameter_bounds is not None:
        raise InvalidArgumentError("signal parameters are not supported by likelihub's backends",
                                   argument="signal_parameter_bounds")


class _Simplified(LikelihubBackend):
    """A likelihub simplified likelihood (``factory``) with spey's default backends' conventions."""

    factory: str = ""
    global_observables = "nominal"

    def _build(self, signal_yields, background_yields, data, *, likelihub_fits: bool, **arguments) -> None:
        signal_yields = _numbers(signal_yields, "signal_yields")
        model = likelihub.get_backend(self.factory)(signal_yields=signal_yields,
                                                    background_yields=background_yields, data=data,
                                                    **arguments)
        signal, _ = signal_and_background(model)
        poi_low = float(model.config.bounds[model.config.require_poi()][0])
        # spey's a-priori data are the background yields as given (for the third-moment expansion:
        # m1, not the expansion's A)
        self._attach(model, signal=signal, apriori_main=np.asarray(background_yields, dtype=float),
                     poi_low=poi_low, likelihub_fits=likelihub_fits)


class CorrelatedBackground(_Simplified):
    """CMS-NOTE-2017-001: Pois(n | mu s + b + theta), theta ~ MVN(0, covariance_matrix)."""

    name = "likelihub.correlated_background"
    factory = "simplified.correlated_background"

    def __init__(self, signal_yields, background_yields, data, covariance_matrix, modifiers=None,
                 n_signal_parameters: int = 0, signal_parameter_bounds=None, *,
                 likelihub_fits: bool = True, **likelihub_options):
        _refuse_spey_only(modifiers, n_signal_parameters, signal_parameter_bounds)
        self._build(signal_yields, background_yields, data, likelihub_fits=likelihub_fits,
                    covariance_matrix=_numbers(covariance_matrix, "covariance_matrix"), **likelihub_options)


class ThirdMomentExpansion(_Simplified):
    """arXiv:1809.05548: Pois(n | mu s + A + B theta + C theta^2), theta ~ MVN(0, rho)."""

    name = "likelihub.third_moment_expansion"
    factory = "simplified.third_moment_expansion"
    doi = ["10.1007/JHEP04(2019)064"]
    arXiv = ["1809.05548"]

    def __init__(self, signal_yields, background_yields, data, covariance_matrix, third_moment,
                 modifiers=None, n_signal_parameters: int = 0, signal_parameter_bounds=None, *,
                 likelihub_fits: bool = True, **likelihub_options):
        _refuse_spey_only(modifiers, n_signal_parameters, signal_parameter_bounds)
        self._build(signal_yields, background_yields, data, likelihub_fits=likelihub_fits,
                    covariance_matrix=_numbers(covariance_matrix, "covariance_matrix"),
                    third_moment=_numbers(third_moment, "third_moment"), **likelihub_options)


class UncorrelatedBackground(_Simplified):
    """prod_i Pois(n_i | mu s_i + b_i + sigma_i theta_i) N(theta_i | 0, 1)."""

    name = "likelihub.uncorrelated_background"
    factory = "simplified.uncorrelated_background"

    def __init__(self, signal_yields, background_yields, data, absolute_uncertainties, modifiers=None,
                 n_signal_parameters: int = 0, signal_parameter_bounds=None, *,
                 likelihub_fits: bool = True, **likelihub_options):
        _refuse_spey_only(modifiers, n_signal_parameters, signal_parameter_bounds)
        self._build(signal_yields, background_yields, data, likelihub_fits=likelihub_fits,
                    absolute_uncertainties=_numbers(absolute_uncertainties, "absolute_uncertainties"),
                    **likelihub_options)


class EffectiveSigma(_Simplified):
    """Asymmetric background uncertainties, Barlow's variable Gaussian (likelihub's model)."""

    name = "likelihub.effective_sigma"
    factory = "simplified.effective_sigma"
    doi = ["10.1142/9781860948985_0013"]
    arXiv = ["physics/0406120"]

    def __init__(self, signal_yields, background_yields, data, correlation_matrix,
                 absolute_uncertainty_envelops, modifiers=None, n_signal_parameters: int = 0,
                 signal_parameter_bounds=None, *, likelihub_fits: bool = True, **likelihub_options):
        _refuse_spey_only(modifiers, n_signal_parameters, signal_parameter_bounds)
        envelopes = _numbers(absolute_uncertainty_envelops, "absolute_uncertainty_envelops")
        try:  # spey takes (upper, lower) pairs and their absolute values
            envelopes = np.abs(np.asarray(envelopes, dtype=float))
        except (TypeError, ValueError) as error:
            raise InvalidArgumentError(f"must be one (upper, lower) pair of numbers per bin: {error}",
                                       argument="absolute_uncertainty_envelops") from None
        self._build(signal_yields, background_yields, data, likelihub_fits=likelihub_fits,
                    correlation_matrix=_numbers(correlation_matrix, "correlation_matrix"),
                    absolute_uncertainty_envelopes=envelopes, **likelihub_options)


class Poisson(_Simplified):
    """prod_i Pois(n_i | mu s_i + b_i): no nuisance parameters."""

    name = "likelihub.poisson"
    factory = "simplified.poisson"

    def __init__(self, signal_yields, background_yields, data, absolute_uncertainties=None, *,
                 likelihub_fits: bool = True, **likelihub_options):
        if absolute_uncertainties is not None:
            raise InvalidArgumentError(
                "spey's Poisson backend leaves these nuisance parameters without constraint; use "
                "likelihub.uncorrelated_background for background uncertainties",
                argument="absolute_uncertainties")
        self._build(signal_yields, background_yields, data, likelihub_fits=likelihub_fits,
                    **likelihub_options)


class Normal(_Simplified):
    """prod_i N(n_i | mu s_i + b_i, sigma_i)."""

    name = "likelihub.normal"
    factory = "simplified.normal"

    def __init__(self, signal_yields, background_yields, data, absolute_uncertainties,
                 n_signal_parameters: int = 0, signal_parameter_bounds=None, *,
                 likelihub_fits: bool = True, **likelihub_options):
        _refuse_spey_only(None, n_signal_parameters, signal_parameter_bounds)
        self._build(signal_yields, background_yields, data, likelihub_fits=likelihub_fits,
                    absolute_uncertainties=_numbers(absolute_uncertainties, "absolute_uncertainties"),
                    **likelihub_options)


class MultivariateNormal(_Simplified):
    """MVN(n | mu s + b, covariance_matrix)."""

    name = "likelihub.multivariate_normal"
    factory = "simplified.multivariate_normal"

    def __init__(self, signal_yields, background_yields, data, covariance_matrix,
                 n_signal_parameters: int = 0, signal_parameter_bounds=None, *,
                 likelihub_fits: bool = True, **likelihub_options):
        _refuse_spey_only(None, n_signal_parameters, signal_parameter_bounds)
        self._build(signal_yields, background_yields, data, likelihub_fits=likelihub_fits,
                    covariance_matrix=_numbers(covariance_matrix, "covariance_matrix"),
                    **likelihub_options)
