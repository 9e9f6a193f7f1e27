"""likelihub-simplified: the CMS simplified likelihoods as likelihub backends.

Backends (through ``likelihub.get_backend``): ``simplified.poisson``, ``simplified.normal``,
``simplified.multivariate_normal``, ``simplified.uncorrelated_background``,
``simplified.correlated_background`` (CMS-NOTE-2017-001), ``simplified.third_moment_expansion``
(Buckley et al., arXiv:1809.05548) and ``simplified.effective_sigma`` (Barlow's variable
Gaussian, arXiv:physics/0406120). Helpers for the inputs live in :mod:`likelihub_simplified.moments`.
"""

from __future__ import annotations

__version__ = "0.1.0"

from .moments import (
    correlation_to_covariance,
    covariance_to_correlation,
    merge_bins,
    third_moment_expansion,
    third_moments_from_asymmetric,
)

__all__ = [
    "__version__",
    "correlation_to_covariance",
    "covariance_to_correlation",
    "merge_bins",
    "third_moment_expansion",
    "third_moments_from_asymmetric",
]
