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
from likelihub.profile_results import ProfileScanResult
from likelihub.registry.hookspecs import hookimpl
from likelihub.registry.plugins import available_backends, backend_metadata, get_backend, refresh_backends
from likelihub.results import CLsResult, CLsScanResult, IntervalResult, SignificanceResult, UpperLimitResult

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
    "IntervalResult",
    "ProfileScanResult",
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


def scan(source, /, *more, kind: str | None = None, mu: float = 1.0, what: str = "cls", executor=None,
         **options):
    """CLs at ``mu`` (or upper limits, ``what="upper_limit"``) of every point of a family of models.

    The family comes from a plugin's point source, found in the registry (as :func:`combine` finds
    its backend): the one named by ``kind`` (``likelihub plugins`` lists them), else the one that
    recognises the inputs. The core scans it (:func:`likelihub.running.scan.scan`): executors
    (local processes, serial, Dask), lock-step fits, progress, incremental output and resume.

        lh.scan("1Lbb.tar.gz", "patchset.json", member="BkgOnly.json")     # histfactory.patchset
        lh.scan("grid.csv", background=b, data=n, covariance=cov)          # simplified.signal_grid

    Parameters
    ----------
    source, *more
        The family's inputs (a background workspace and its patchset; a table of signal yields).
    kind
        The point source's registered name.
    mu, what, executor
        Tested signal strength, ``"cls"`` or ``"upper_limit"``, and where to run the points.
    **options
        ``cl``, ``max_workers``, ``progress``, ``output`` (a ``.csv``, ``.json`` or ``.jsonl``
        file the rows are appended to as they finish), ``resume`` (continue an interrupted scan
        from ``output``), ``connect_timeout``, and the point source's options (see ``docs/scale.md``).

    Returns
    -------
    likelihub.running.scanning.ScanResult
    """
    from likelihub.running.scan import scan as core_scan

    return core_scan(source, *more, kind=kind, mu=mu, what=what, executor=executor, **options)
