"""likelihub: one API for the likelihoods of particle-physics searches.

    import likelihub as lh
    model = lh.get_backend("simplified.correlated_background")(
        signal_yields=s, background_yields=b, data=n, covariance_matrix=cov)
    model.cls(mu=1.0)              # observed CLs and the expected band
    model.upper_limit(cl=0.95)     # observed and expected upper limits
    lh.combine(model, other).upper_limit()

The core defines the backend contract (:mod:`likelihub.backend.contract`), wraps any backend in a
:class:`StatisticalModel` and does all inference; plugins supply the likelihoods.
"""

from __future__ import annotations

__version__ = "0.1.0"

from likelihub import errors
from likelihub.backend.config import DataLayout, ModelConfig
from likelihub.fits.engine import FitResult
from likelihub.model import StatisticalModel
from likelihub.registry.hookspecs import hookimpl
from likelihub.registry.plugins import available_backends, backend_metadata, get_backend, refresh_backends
from likelihub.results import CLsResult, CLsScanResult, SignificanceResult, UpperLimitResult

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
    "scan",
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


def scan(workspace, patchset, mu: float = 1.0, what: str = "cls", executor=None, **options):
    """CLs at ``mu`` (or upper limits, ``what="upper_limit"``) of every signal point of a patchset.

    A thin call into the HistFactory plugin's :func:`likelihub_histfactory.scan.scan` (as
    :func:`combine` calls the combiner); the engine that spreads points over local processes or a
    Dask cluster is :func:`likelihub.running.scanning.run_scan`.

    Parameters
    ----------
    workspace
        Background-only workspace: dict, JSON path, or HEPData pallet (with ``member=``).
    patchset
        The patchset (path, dict, or a member name of the workspace's pallet).
    mu, what, executor
        Tested signal strength, ``"cls"`` or ``"upper_limit"``, and where to run the points.
    **options
        ``member``, ``patchset_member``, ``cl``, ``max_workers``, ``progress``, ``output`` (a
        ``.csv``, ``.json`` or ``.jsonl`` file the rows are appended to as they finish),
        ``resume`` (continue an interrupted scan from ``output``), ``connect_timeout`` and
        model options (see ``docs/scale.md``).

    Returns
    -------
    likelihub.running.scanning.ScanResult
    """
    try:
        from likelihub_histfactory.scan import scan as histfactory_scan
    except ImportError as error:
        raise errors.UnknownBackendError(
            "likelihub.scan runs patchsets through the histfactory plugin, which is not "
            "installed: pip install likelihub-histfactory") from error
    return histfactory_scan(workspace, patchset, mu=mu, what=what, executor=executor, **options)
