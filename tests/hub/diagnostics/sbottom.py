"""The sbottom model that the cabinetry comparison uses, built the same way by the generator
(the peers' Python) and by the tests: ATLAS-SUSY-2018-31 RegionC, ``BkgOnly.json`` with the patch
``sbottom_1400_1050_60`` (3 channels, 66 parameters), as published.

Why RegionC: in RegionA (and for most points of B) the observed data lie below the background in
the signal region, so that mu-hat sits at its lower bound 0, where MINUIT's uncertainties (of a
bounded parameter, through its transformation) and a Hessian's differ by construction, and the
comparison would say nothing; widening the bound lets MINUIT's ranking fits (numerical gradients,
started at pyhf's initial values) wander into negative expected yields, where they fail. Here
mu-hat is 0.21 +- 0.58, inside the bounds. Only the standard library and jsonpatch (pyhf's
dependency, and the HistFactory plugin's) are used.
"""

from __future__ import annotations

import json
import tarfile
from pathlib import Path

import jsonpatch

ARCHIVE = "histfactory/atlas-susy-2018-31-sbottom.tar.gz"
BACKGROUND = "RegionC/BkgOnly.json"
PATCH = "RegionC/patch.sbottom_1400_1050_60.json"


def workspace(shared_data: Path) -> dict:
    """The patched workspace (a pyhf JSON dictionary)."""
    with tarfile.open(Path(shared_data) / ARCHIVE) as archive:
        spec = json.load(archive.extractfile(BACKGROUND))
        patch = json.load(archive.extractfile(PATCH))
    return jsonpatch.apply_patch(spec, patch)
