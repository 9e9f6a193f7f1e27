"""One line on what a HistFactory file holds (the format's ``summary``, used by ``likelihub fetch``).

    HistFactory workspace: 4 channels, 12 bins, 6 samples, 45 parameters; measurement meas (POI mu_SIG)
    HistFactory patchset: 125 patches (e.g. ERJR_100p0_20p0), labels m1, m2: "signal patches of ..."
"""

from __future__ import annotations

import json
from pathlib import Path

from likelihub.errors import LikelihubError

__all__ = ["summarise"]


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def _workspace(spec: dict, path: str) -> str:
    from .spec.workspace import Workspace

    ws = Workspace(spec, file=path)
    bins = sum(ws.channel_nbins.values())
    measurements = "; ".join(f"measurement {m['name']} (POI {m['config']['poi']})" for m in ws.measurements)
    return (f"HistFactory workspace: {_plural(len(ws.channels), 'channel')}, {_plural(bins, 'bin')}, "
            f"{_plural(len(ws.samples), 'sample')}, {_plural(len(ws.parameters), 'parameter')}; "
            f"{measurements or 'no measurement'}")


def _shortened(text: str, width: int = 60) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= width else text[:width - 3] + "..."


def _patchset(spec: dict) -> str:
    from .spec.patchset import PatchSet

    patchset = PatchSet(spec)
    first = f" (e.g. {patchset.names[0]})" if len(patchset) else ""
    patches = f"{len(patchset)} patch{'' if len(patchset) == 1 else 'es'}"
    return (f"HistFactory patchset: {patches}{first}, "
            f"labels {', '.join(patchset.labels) or '-'}: {_shortened(patchset.description)!r}")


def summarise(path: str) -> str | None:
    """One line on the workspace or patchset ``path``; None for any other file (another JSON, a
    pallet: the caller lists an archive's members itself)."""
    if str(path).lower().endswith((".tar.gz", ".tgz", ".tar")) or not Path(path).is_file():
        return None
    try:
        spec = json.loads(Path(path).read_text())
    except (OSError, UnicodeDecodeError, ValueError):
        return None
    if not isinstance(spec, dict):
        return None
    try:
        if "channels" in spec and "measurements" in spec:
            return _workspace(spec, str(path))
        if "patches" in spec and "labels" in spec.get("metadata", {}):
            return _patchset(spec)
    except LikelihubError as error:
        kind = "workspace" if "channels" in spec else "patchset"
        return f"HistFactory {kind}, invalid: {error}"
    return None
