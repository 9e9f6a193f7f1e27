"""HS3 HistFactory likelihoods written as pyhf JSON workspaces.

    from likelihub_hs3 import hs3_to_pyhf
    conversion = hs3_to_pyhf("model_hs3.json")
    conversion.workspace              # a pyhf workspace (schema 1.0.0)
    conversion.names                  # pyhf parameter name -> HS3 name
    conversion.interpolation_codes    # {"normsys": ..., "histosys": ...} to build it with

The workspace has the likelihood of :func:`likelihub_hs3.factory.hs3` for the same file and
arguments (:mod:`.hf_convert`), its measurement the analysis's parameter of interest and, for
each parameter (set) the HS3 file configures whole, the initial values, bounds and ``fixed`` flags
of its parameter point and domains. Per-bin parameters take pyhf's names ``<modifier>[i]``
(``names`` maps them to the HS3 names); pyhf workspaces have no place for interpolation codes,
which the conversion gives beside the workspace.
"""

from __future__ import annotations

import math

from .document import Document
from .factory import SHAPESYS_VALS, STATERROR_CONSTRAINTS
from .hf_convert import to_pyhf

__all__ = ["hs3_to_pyhf"]


def _settings(components: list[str], conversion, point: dict, domain: dict) -> dict:
    """The measurement's settings of one pyhf parameter set from its components' HS3 names:
    initial values and finite bounds where every component has them, ``fixed`` (pyhf's schema:
    one flag for the set) where every component is fixed."""
    hs3 = [conversion.names[c] for c in components]
    entry: dict = {}
    if all(h in point for h in hs3):
        entry["inits"] = [float(point[h]["value"]) for h in hs3]
    if all(h in domain and all(map(math.isfinite, domain[h])) for h in hs3):
        entry["bounds"] = [list(domain[h]) for h in hs3]
    if all(bool(point.get(h, {}).get("const", False)) or h in conversion.fixed for h in hs3):
        entry["fixed"] = True
    return entry


def hs3_to_pyhf(source, *, analysis: str | None = None, likelihood=None, poi: str | None = None,
                parameter_point: str | None = None, shapesys_vals: str = "auto",
                staterror_constraint: str = "auto"):
    """The pyhf workspace of an HS3 HistFactory likelihood (arguments as
    :func:`likelihub_hs3.factory.hs3`): a :class:`~.hf_convert.Conversion`."""
    from likelihub.errors import InvalidModelError
    from likelihub.plugin import arguments

    arguments.choice(shapesys_vals, argument="shapesys_vals", choices=SHAPESYS_VALS)
    arguments.choice(staterror_constraint, argument="staterror_constraint", choices=STATERROR_CONSTRAINTS)
    document = Document.load(source)
    choice = document.choose(analysis=analysis, likelihood=likelihood)
    point = document.parameter_point(choice, parameter_point)
    kinds = {document.distribution(d, referrer="the likelihood").get("type")
             for d in choice.likelihood["distributions"]}
    if kinds != {"histfactory_dist"}:
        raise InvalidModelError(f"only histfactory_dist likelihoods have a pyhf workspace; "
                                f"{choice.name!r} has {sorted(kinds)}", file=document.file)
    pois = [poi] if poi is not None else list(choice.pois)
    conversion = to_pyhf(
        document, choice, point,
        shapesys_vals=document.shapesys_convention() if shapesys_vals == "auto" else shapesys_vals,
        staterror_constraint=(("Poisson" if document.written_by_root else "Gauss")
                              if staterror_constraint == "auto" else staterror_constraint),
        poi=pois[0] if pois else None)
    workspace = conversion.workspace
    domain = document.bounds(choice)
    sets: dict[str, list[str]] = {}
    for component in conversion.names:
        base = component.split("[")[0] if component.endswith("]") else component
        sets.setdefault(base, []).append(component)
    measurement = workspace["measurements"][0]
    configured = {p["name"]: p for p in measurement["config"]["parameters"]}
    for name, components in sets.items():
        settings = _settings(components, conversion, point, domain)
        if settings:
            configured.setdefault(name, {"name": name}).update(settings)
    measurement["config"]["parameters"] = list(configured.values())
    return conversion
