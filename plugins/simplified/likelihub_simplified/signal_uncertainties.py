"""Signal uncertainties of the simplified likelihoods: ``signal_uncertainties`` parsed into
:class:`~likelihub_simplified.counting.SignalNuisances`.

Each entry is a dict: "type" ("normalisation": one nuisance parameter for all bins; "shape": one per
bin), "uncertainties" (absolute, per bin: sigma, or (up, down) pairs), an optional "name", and, with
several signal components, the component(s) it shifts: "component" (a POI name or a list of them,
all shifted by the same nuisance parameter), or "uncertainties" given as a mapping
{poi_name: per-bin uncertainties} (one uncertainty, correlated between those components).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from likelihub.errors import InvalidModelError

from .counting import SignalNuisances
from .validation import as_positive

__all__ = ["SignalUncertainties", "parse_signal_uncertainties"]

SignalUncertainties = Sequence[Mapping] | Mapping | None


def parse_signal_uncertainties(spec: SignalUncertainties, pois: Sequence[str],
                               components: np.ndarray) -> SignalNuisances | None:
    """Parse ``signal_uncertainties``: dicts with "type" (normalisation or shape), "uncertainties", "name",
    and, with several signal components, "component" (a POI name, or a list of them).

    "uncertainties" holds one absolute uncertainty per bin (symmetric) or one (up, down) pair per bin, or
    a mapping {poi_name: those per-bin values} for one uncertainty shared by several components (fully
    correlated between them). The result has shifts of shape (K, C, N).
    """
    if spec is None:
        return None
    items = [spec] if isinstance(spec, Mapping) else list(spec)
    c, n = components.shape
    names, ups, downs = [], [], []
    for k, item in enumerate(items):
        where = f"signal_uncertainties[{k}]"
        if not isinstance(item, Mapping) or "uncertainties" not in item:
            raise InvalidModelError("must be a dict with 'type' and 'uncertainties'", argument=where)
        kind = str(item.get("type", "normalisation")).replace("normalization", "normalisation")
        if kind not in ("normalisation", "shape"):
            raise InvalidModelError(f"type must be 'normalisation' or 'shape', got {item.get('type')!r}",
                                    argument=where)
        up = np.zeros((c, n))
        down = np.zeros((c, n))
        for poi, values in _per_component(item, pois, where).items():
            row = list(pois).index(poi)
            label = where if c == 1 else f"{where}[{poi!r}]"
            up[row], down[row] = _up_down(values, n, label)
        name = str(item.get("name", f"signal_{kind}_{k}"))
        if kind == "normalisation":
            names.append(name)
            ups.append(up)
            downs.append(down)
        else:
            for i in range(n):
                names.append(f"{name}_{i}")
                ups.append(np.where(np.arange(n) == i, up, 0.0))
                downs.append(np.where(np.arange(n) == i, down, 0.0))
    return SignalNuisances(names, np.array(ups), np.array(downs))


def _per_component(item: Mapping, pois: Sequence[str], where: str) -> dict:
    """{poi_name: per-bin values} of one entry: a mapping in "uncertainties", or "component" (which
    may be omitted with a single signal component)."""
    values = item["uncertainties"]
    if isinstance(values, Mapping):
        if "component" in item:
            raise InvalidModelError("give 'component' or a mapping {poi_name: uncertainties}, not both",
                                    argument=where)
        unknown = [poi for poi in values if poi not in pois]
        if unknown or not values:
            raise InvalidModelError(f"unknown signal component(s) {unknown} (the components are "
                                    f"{list(pois)})", argument=where)
        return dict(values)
    chosen = item.get("component", pois if len(pois) == 1 else None)
    if chosen is None:
        raise InvalidModelError(
            f"name the signal component(s) it acts on: 'component' (one of {list(pois)}, or a list), "
            "or 'uncertainties' as a mapping {poi_name: uncertainties}", argument=where)
    chosen = [chosen] if isinstance(chosen, str) else list(chosen)
    unknown = [poi for poi in chosen if poi not in pois]
    if unknown or not chosen:
        raise InvalidModelError(f"unknown signal component(s) {unknown} (the components are "
                                f"{list(pois)})", argument=f"{where}.component")
    return {poi: values for poi in chosen}


def _up_down(values, n: int, where: str) -> tuple[np.ndarray, np.ndarray]:
    """Per-bin (up, down) uncertainties from (N,) symmetric or (N, 2) values."""
    values = np.array(values, dtype=float)
    if values.shape == (n,):
        up = down = as_positive(values, f"{where}.uncertainties", n, allow_zero=True)
        return up, down
    if values.shape == (n, 2):
        up = as_positive(values[:, 0], f"{where}.uncertainties (up)", n, allow_zero=True)
        down = as_positive(values[:, 1], f"{where}.uncertainties (down)", n, allow_zero=True)
        one_sided = (up > 0) != (down > 0)
        if one_sided.any():
            raise InvalidModelError(f"up and down must both be positive or both zero; bins "
                                    f"{np.flatnonzero(one_sided).tolist()}", argument=where)
        return up, down
    raise InvalidModelError(f"uncertainties must have shape ({n},) or ({n}, 2), got {values.shape}",
                            argument=where)
