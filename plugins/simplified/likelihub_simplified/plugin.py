"""The plugin module named by the ``likelihub.backends`` entry point: hooks only, imports nothing heavy."""

from __future__ import annotations

import likelihub

from . import __version__

__all__ = ["likelihub_register_backends", "likelihub_register_point_sources", "likelihub_register_formats",
           "BACKENDS"]

#: name -> (factory function in likelihub_simplified.factories, description, references)
BACKENDS = {
    "simplified.poisson": ("poisson", "prod Pois(n | mu s + b), no nuisance parameters", []),
    "simplified.normal": ("normal", "prod N(n | mu s + b, sigma), no nuisance parameters", []),
    "simplified.multivariate_normal": ("multivariate_normal", "MVN(n | mu s + b, Sigma)", []),
    "simplified.uncorrelated_background": (
        "uncorrelated_background", "prod Pois(n | mu s + b + sigma theta) N(theta | 0, 1)", []),
    "simplified.correlated_background": (
        "correlated_background", "CMS simplified likelihood: Pois(n | mu s + b + theta),"
        " theta ~ MVN(0, Sigma)",
        ["CMS-NOTE-2017-001", "arXiv:1809.05548"]),
    "simplified.third_moment_expansion": (
        "third_moment_expansion_model", "simplified likelihood with third moments (Buckley et al.)",
        ["arXiv:1809.05548"]),
    "simplified.effective_sigma": (
        "effective_sigma", "asymmetric background uncertainties, Barlow's variable Gaussian",
        ["arXiv:physics/0406120"]),
}


@likelihub.hookimpl
def likelihub_register_backends(register):
    """Register the simplified-likelihood backends (factories imported on first use)."""
    for name, (function, description, references) in BACKENDS.items():
        register(
            name,
            f"likelihub_simplified.factories:{function}",
            version=__version__,
            author="likelihub developers",
            description=description,
            references=references,
            core_versions=">=0.1,<0.2",
        )


@likelihub.hookimpl
def likelihub_register_point_sources(register):
    """Register ``simplified.signal_grid``: a table of signal yields, one model per point."""
    register("simplified.signal_grid", "likelihub_simplified.grid:SignalGridSource", version=__version__,
             description="a table of signal yields (JSON or CSV) with a shared background, data and "
                         "covariance: one simplified likelihood per point",
             core_versions=">=0.1,<0.2")


@likelihub.hookimpl
def likelihub_register_formats(register):
    """Register simplified likelihoods' JSON files (observed, background, covariance, third moments)
    as files of ``likelihub cls|limit|fit|significance|inspect``, recognised by their keys."""
    register("simplified", backend="simplified.correlated_background",
             detect="likelihub_simplified.cli_format:is_simplified",
             options="likelihub_simplified.cli_format:OPTIONS",
             open="likelihub_simplified.cli_format:open_simplified",
             inspect="likelihub_simplified.cli_format:inspect_simplified",
             summary="likelihub_simplified.cli_format:summarise_simplified",
             label="simplified likelihoods", version=__version__,
             description="a JSON object with observed, background, covariance, third_moment (or null), "
                         "region_names and optionally signal (the SModelS/CMS layout)",
             core_versions=">=0.1,<0.2")
