"""What the benchmarks' peer scripts share (each runs in the peers' venv as ``python -c SCRIPT``).

``PYHF_PALLET_MODEL`` opens a HEPData pallet given as ``sys.argv[1]``, applies the patch named
``sys.argv[2]`` of its patchset to ``BkgOnly.json`` and leaves pyhf's ``ws``, ``model`` and
``data``; a benchmark appends what it times.
"""

PYHF_PALLET_MODEL = r"""
import json, sys, tarfile, time
import numpy as np
import pyhf
archive, name = sys.argv[1:3]
with tarfile.open(archive) as tar:
    spec = json.load(tar.extractfile("BkgOnly.json"))
    patchset = json.load(tar.extractfile("patchset.json"))
patch = next(p["patch"] for p in patchset["patches"] if p["metadata"]["name"] == name)
ws = pyhf.Workspace(spec); model = ws.model(patches=[patch]); data = ws.data(model)
"""
