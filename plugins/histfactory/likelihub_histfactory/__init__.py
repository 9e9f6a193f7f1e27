"""likelihub-histfactory: HistFactory likelihoods from pyhf JSON workspaces, without pyhf.

    import likelihub as lh
    model = lh.get_backend("histfactory")("BkgOnly.json", patches=["patch.json"])
    model.cls(mu=1.0)

The data path reads top-down: JSON workspace -> validated specification (:mod:`.workspace`)
-> compiled dense arrays (:mod:`.compile`) -> likelihood kernels (:mod:`.kernels`, with the
NumPy reference in :mod:`.reference`) -> backend (:mod:`.backend`) -> the core's StatisticalModel.
"""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__"]
