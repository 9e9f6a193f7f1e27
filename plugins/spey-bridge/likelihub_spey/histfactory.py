"""``likelihub.histfactory``: a pyhf JSON workspace and a signal patch, as spey-pyhf's ``pyhf``.

spey-pyhf's backend takes a background-only workspace and a signal patch::

    spey.get_backend("pyhf")(background_only_model=bkg, signal_patch=patch)

and so does this one, with likelihub's HistFactory likelihood (its numba kernels, analytic gradient
and Hessian) and fits::

    spey.get_backend("likelihub.histfactory")(background_only_model=bkg, signal_patch=patch)

``background_only_model`` is a workspace dictionary or a JSON file (likelihub also reads a HEPData
pallet ``.tar.gz`` with ``member=``); ``signal_patch`` a list of JSON-patch operations (spey-pyhf's
form) or a pyhf patch object (``{"metadata": ..., "patch": [...]}``). Other keywords go to likelihub's
``histfactory`` factory (``member``, ``measurement``, ``poi``, ``interpolation_codes``,
``fit_options``, ``device``, ...); ``likelihub_fits=False`` leaves the fits to spey's optimiser.

As spey-pyhf does, the interpolation codes are 4 (normsys) and 4p (histosys), pyhf's defaults; the
*a-priori* data are the background-only prediction (every parameter at its initial value, the POI
at 0: the sum of the background samples) with the nominal global observables; Asimov data take
the fitted global observables (pyhf's convention); and with ``allow_negative_signal`` the POI may
go down to max(-min(b / s), -10) over bins with signal.
"""

from __future__ import annotations

import numpy as np

import likelihub

from .backend import LikelihubBackend, signal_and_background

__all__ = ["HistFactory"]

#: The lowest POI of spey-pyhf's fits with ``allow_negative_signal``, where -min(b / s) is lower.
LOWEST_POI = -10.0


class HistFactory(LikelihubBackend):
    """A HistFactory likelihood from a background-only workspace and a signal patch."""

    name = "likelihub.histfactory"
    global_observables = "fitted"
    doi = ["10.5281/zenodo.1169739", "10.21105/joss.02823"]

    def __init__(self, signal_patch, background_only_model, *, likelihub_fits: bool = True,
                 **likelihub_options):
        patches = [] if signal_patch is None else [signal_patch]
        model = likelihub.get_backend("histfactory")(background_only_model, patches, **likelihub_options)
        signal, background = signal_and_background(model)
        with_signal = signal > 0
        lowest = -float(np.min(background[with_signal] / signal[with_signal])) if with_signal.any() \
            else -np.inf
        self._attach(model, signal=signal, apriori_main=background, poi_low=max(lowest, LOWEST_POI),
                     likelihub_fits=likelihub_fits)
