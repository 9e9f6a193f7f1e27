"""likelihub-spey: likelihub's likelihoods as spey backends.

Installed, it registers in spey's entry-point group ``spey.backend.plugins``:

- ``likelihub.histfactory``: a pyhf JSON workspace and a signal patch, with the arguments of
  spey-pyhf's ``pyhf`` backend (``background_only_model``, ``signal_patch``);
- ``likelihub.correlated_background``, ``likelihub.third_moment_expansion``,
  ``likelihub.uncorrelated_background``, ``likelihub.effective_sigma``, ``likelihub.poisson``,
  ``likelihub.normal``, ``likelihub.multivariate_normal``: likelihub's simplified likelihoods,
  with the arguments of spey's ``default.*`` backends of the same names.

so that a program written for spey (SModelS, MadAnalysis 5) changes only the backend's name::

    import spey
    model = spey.get_backend("likelihub.histfactory")(
        background_only_model=bkg_workspace, signal_patch=patch, analysis="1Lbb")
    model.exclusion_confidence_level(), model.poi_upper_limit()

spey's hypothesis tests then run on likelihub's likelihood, its gradient and Hessian, and on
likelihub's fits (see :mod:`likelihub_spey.backend`). Importing this package imports neither spey
nor the backends; spey imports the modules named by the entry points when a backend is asked for.
"""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__", "BACKENDS"]

#: spey backend name -> the spey backend whose arguments it takes (spey 0.2.7, spey-pyhf 0.2.2).
BACKENDS = {
    "likelihub.histfactory": "pyhf",
    "likelihub.correlated_background": "default.correlated_background",
    "likelihub.third_moment_expansion": "default.third_moment_expansion",
    "likelihub.uncorrelated_background": "default.uncorrelated_background",
    "likelihub.effective_sigma": "default.effective_sigma",
    "likelihub.poisson": "default.poisson",
    "likelihub.normal": "default.normal",
    "likelihub.multivariate_normal": "default.multivariate_normal",
}
