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

import logging as _logging

from likelihub import errors
from likelihub.backend.config import DataLayout, ModelConfig
from likelihub.fits.engine import FitResult
from likelihub.model import StatisticalModel
from likelihub.profile_results import ProfileScanResult
from likelihub.registry.hookspecs import hookimpl
from likelihub.registry.plugins import available_backends, backend_metadata, get_backend, refresh_backends
from likelihub.results import CLsResult, CLsScanResult, IntervalResult, SignificanceResult, UpperLimitResult

# Library convention: likelihub's loggers (``likelihub.*``) print nothing unless the application
# configures logging (the command line does, for -v/--verbose: likelihub.cli.verbosity).
_logging.getLogger(__name__).addHandler(_logging.NullHandler())

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


def combine(*models: StatisticalModel, names=None, correlate=None, shared_poi: bool = True,
            correlation=None, **options) -> StatisticalModel:
    """The product of likelihoods sharing one POI: uncorrelated (``combiner.uncorrelated``, the
    default), or sharing parameters (``combiner.correlated``, where ``correlate``, ``correlation``
    or ``shared_poi=False`` is given).

    Parameters
    ----------
    *models
        The component models.
    names
        A name per component (prefixes of their parameter names).
    correlate
        Which parameters are one parameter, its constraint counted once: ``"names"`` (equal
        names, as pyhf's ``Workspace.combine`` and Combine's ``combineCards.py``), a list of names,
        or a mapping across components ``{"atlas/lumi": "cms/lumi"}``. None: nothing shared.
    shared_poi
        True: the POIs are one: ``mu`` for an uncorrelated combination; with ``correlate`` or
        ``correlation``, the components' common POI name where they share one (``r``, ``mu_SIG``:
        a workspace split and recombined by name is the original), else ``mu``. False: the first
        component's POI is the combination's, the others' are ordinary parameters.
    correlation
        ``{("atlas/jes", "cms/jes"): 0.5}`` or ``[("atlas/jes", "cms/jes", 0.5)]``: Gaussian
        constraints made one bivariate normal.
    **options
        Passed on to the combiner backend (e.g. ``signal_scales``).
    """
    from likelihub.arguments import flag

    shared_poi = flag(shared_poi, argument="shared_poi")
    if correlate is None and correlation is None and shared_poi:
        return get_backend("combiner.uncorrelated")(models=list(models), names=names, **options)
    return get_backend("combiner.correlated")(models=list(models), names=names, correlate=correlate,
                                              shared_poi=shared_poi, correlation=correlation, **options)


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
