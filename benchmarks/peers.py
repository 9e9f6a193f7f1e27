"""What the benchmarks share: where the project, ``../shared/data`` and the peers' venv are,
:func:`median_time`, and the peer scripts (each runs in the peers' venv as ``python -c SCRIPT``).

A benchmark imports them with ``from peers import ...`` (a script's own folder is on ``sys.path``).

``PYHF_PALLET_MODEL`` opens a HEPData pallet given as ``sys.argv[1]``, applies the patch named
``sys.argv[2]`` of its patchset to ``BkgOnly.json`` and leaves pyhf's ``ws``, ``model`` and
``data``; a benchmark appends what it times.
"""

import os
import statistics
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("LIKELIHUB_SHARED_DATA", ROOT.parent / "shared" / "data"))
#: The peers' venv, made by ../shared/tools/peers-venv.sh.
PEERS = Path("/root/.cache/likelihub-peers/bin/python")


def median_time(function, repeat: int, warm_up: bool = False) -> tuple[float, object]:
    """The median wall time of ``repeat`` calls of ``function`` and its last result (after one
    untimed call with ``warm_up``)."""
    if warm_up:
        function()
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = function()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


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
