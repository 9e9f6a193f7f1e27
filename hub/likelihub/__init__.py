"""likelihub: one API for the likelihoods of particle-physics searches.

    import likelihub as lh
    model = lh.get_backend("simplified.correlated_background")(
        signal_yields=s, background_yields=b, data=n, covariance_matrix=cov)
    model.cls(mu=1.0)              # observed CLs and the expected band
    model.upper_limit(cl=0.95)     # observed and expected upper limits
    lh.combine(model, other).upper_limit()

The core defines the backend contract (:mod:`likelihub.contract`), wraps any backend in a
:class:`StatisticalModel` and does all inference; plugins supply the likelihoods.
"""

from __future__ import annotations

__version__ = "0.1.0"

from . import errors
from .config import DataLayout, ModelConfig
from .hookspecs import hookimpl
from .model import StatisticalModel
from .optimize import FitResult
from .registry import available_backends, backend_metadata, get_backend, refresh_backends
from .results import CLsResult, CLsScanResult, SignificanceResult, UpperLimitResult

__all__ = [
    "__version__",
    "errors",
    "DataLayout",
    "ModelConfig",
    "StatisticalModel",
    "FitResult",
    "CLsResult",
    "CLsScanResult",
    "SignificanceResult",
    "UpperLimitResult",
    "hookimpl",
    "get_backend",
    "available_backends",
    "backend_metadata",
    "refresh_backends",
    "combine",
]


def combine(*models: StatisticalModel, names=None, **options) -> StatisticalModel:
    """The product of uncorrelated likelihoods sharing one POI (the ``combiner.uncorrelated`` backend).

    Parameters
    ----------
    *models
        The component models.
    names
        A name per component (prefixes of their parameter names).
    **options
        Passed on to the combiner backend (e.g. ``signal_scales``).
    """
    return get_backend("combiner.uncorrelated")(models=list(models), names=names, **options)
