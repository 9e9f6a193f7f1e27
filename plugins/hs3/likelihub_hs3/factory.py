"""The registered ``hs3`` factory: an HS3 JSON file (or dict) to a ready StatisticalModel.

    import likelihub as lh
    model = lh.get_backend("hs3")("workspace_hs3.json")                  # the observed-data analysis
    model = lh.get_backend("hs3")("workspace_hs3.json", analysis="simPdf_obsData")
    model.cls(1.0)

A likelihood of ``histfactory_dist`` distributions is converted into a pyhf workspace
(:mod:`.hf_convert`) and built by the ``histfactory`` backend (numba kernels, GPU batches): the
model's parameters keep their HS3 names, initial values, bounds and ``const`` flags (the
analysis's parameter point and domains). A likelihood of Gaussian, Poisson and product
distributions is the NumPy :class:`~.generic.GenericBackend`. Mixing the two in one likelihood is
an error, as is any other distribution type (the message names the distribution, its type and the
file).

Conventions where HS3 writers differ (``"auto"`` picks ROOT's for files ROOT wrote, by
``metadata.packages``, the one recorded in ``misc.likelihub`` for files likelihub wrote, and
pyhs3's otherwise; where both are ``"auto"`` and a parameter point gives ROOT's global
observable ``nom_<gamma>`` of a Poisson-constrained gamma (its tau), it must agree with the
model's, else the model is refused):

- ``shapesys_vals``: ``"relative"`` (ROOT: a shapesys's ``vals`` are relative uncertainties) or
  ``"absolute"`` (pyhs3);
- ``staterror_constraint``: the constraint of a staterror that names none, ``"Poisson"``
  (ROOT's default) or ``"Gauss"`` (pyhs3, pyhf).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from likelihub import StatisticalModel
from likelihub.errors import InvalidArgumentError, InvalidModelError
from likelihub.plugin import arguments

from .document import Document
from .generic import GenericBackend
from .hf_convert import Conversion, to_pyhf

__all__ = ["hs3", "hs3_to_pyhf", "SHAPESYS_VALS", "STATERROR_CONSTRAINTS"]

#: What ``shapesys_vals=`` may say.
SHAPESYS_VALS = ("auto", "relative", "absolute")
#: What ``staterror_constraint=`` may say.
STATERROR_CONSTRAINTS = ("auto", "Gauss", "Poisson")
#: Relative agreement required between a file's ``nom_<gamma>`` and the tau computed.
TAU_AGREEMENT = 1e-6


def hs3(source, *, analysis: str | None = None, likelihood=None, poi: str | None = None,
        parameter_point: str | None = None, shapesys_vals: str = "auto", staterror_constraint: str = "auto",
        fit_options: Mapping | None = None, name: str | None = None, device: str = "auto"
        ) -> StatisticalModel:
    """The model of an HS3 likelihood.

    Parameters
    ----------
    source
        An HS3 document: a JSON file or a dict.
    analysis, likelihood
        Which likelihood: an analysis (its likelihood, parameters of interest, domains and parameter
        point) or a likelihood by name, or a struct ``{"distributions": [...], "data": [...]}``
        (for a file without likelihoods). By default the only one, or the one on the observed
        data (a name with ``obsData``).
    poi
        The parameter of interest (default: the analysis's first).
    parameter_point
        The parameter point of the initial values and ``const`` flags (default: the analysis's
        ``init``, else ``default_values``, else the first).
    shapesys_vals, staterror_constraint
        Conventions where HS3 writers differ (module docstring).
    fit_options
        Keywords of every fit (HistFactory models: the histfactory backend's defaults).
    name
        The model's label.
    device
        Where batches of a HistFactory model run (``"auto"``, ``"cpu"``, ``"cuda"``).

    Returns
    -------
    likelihub.StatisticalModel
        A HistFactory model (histfactory_dist likelihoods) or a NumPy model of the other
        distributions, with HS3's parameter names, values, bounds and POIs.

    Raises
    ------
    likelihub.errors.InvalidModelError
        An unreadable file, a reference to nothing, a bin count that does not match, an unknown or
        unsupported distribution, function or modifier type; the message names the file and where.
    likelihub.errors.InvalidArgumentError
        An unknown convention, a ``name`` or ``fit_options`` of the wrong type.

    Examples
    --------
    An HS3 file written by ROOT's ``RooJSONFactoryWSTool`` or pyhs3::

        import likelihub as lh
        model = lh.get_backend("hs3")("workspace_hs3.json", analysis="simPdf_obsData")
        print(model.upper_limit())
    """
    if name is not None and not isinstance(name, str):
        raise InvalidArgumentError(f"must be a name or None, got {type(name).__name__}", argument="name")
    if fit_options is not None and not isinstance(fit_options, Mapping):
        raise InvalidArgumentError(f"must be a mapping of fit keywords, got {type(fit_options).__name__}",
                                   argument="fit_options")
    document, choice, point, pois, histfactory = _read(
        source, analysis, likelihood, poi, parameter_point, shapesys_vals, staterror_constraint)
    if not histfactory:
        return StatisticalModel(GenericBackend(document, choice, point, pois), name=name,
                                fit_options=fit_options)
    conversion = _convert(document, choice, point, pois, shapesys_vals, staterror_constraint)
    import likelihub

    try:
        model = likelihub.get_backend("histfactory")(conversion.workspace, device=device,
                                                     interpolation_codes=conversion.interpolation_codes,
                                                     fit_options=fit_options)
    except InvalidModelError as error:
        if isinstance(error, InvalidArgumentError):
            raise
        raise InvalidModelError(error.reason, **{**error.location, "file": document.file}) from None
    backend = model.backend
    backend.config = _configured(backend.config, conversion, document, choice, point, pois)
    if shapesys_vals == "auto" and staterror_constraint == "auto":
        _check_taus(backend, document)
    return StatisticalModel(backend, name=name, fit_options=model.fit_options)


def hs3_to_pyhf(source, *, analysis: str | None = None, likelihood=None, poi: str | None = None,
                parameter_point: str | None = None, shapesys_vals: str = "auto",
                staterror_constraint: str = "auto") -> Conversion:
    """The pyhf workspace of an HS3 HistFactory likelihood (arguments as :func:`hs3`).

    The workspace (``.workspace``, schema 1.0.0) has the likelihood of :func:`hs3`'s model, its
    measurement the POI and, for each parameter (set) whose every component the parameter point
    values, the initial values, bounds and ``fixed`` flag. Per-bin parameters take pyhf's names
    ``<modifier>[i]``: ``.names`` maps pyhf's names to HS3's. pyhf workspaces have no place for
    interpolation codes: ``.interpolation_codes`` gives them.
    """
    document, choice, point, pois, histfactory = _read(
        source, analysis, likelihood, poi, parameter_point, shapesys_vals, staterror_constraint)
    if not histfactory:
        raise InvalidModelError(f"likelihood {choice.name!r} has no histfactory_dist: it has no pyhf "
                                "workspace", file=document.file)
    return _convert(document, choice, point, pois, shapesys_vals, staterror_constraint)


def _read(source, analysis, likelihood, poi, parameter_point, shapesys_vals, staterror_constraint):
    """The document, the likelihood chosen, its parameter point and POIs, and whether it is a
    HistFactory likelihood (arguments checked)."""
    for value, argument in ((analysis, "analysis"), (poi, "poi"), (parameter_point, "parameter_point")):
        if value is not None and not isinstance(value, str):
            raise InvalidArgumentError(f"must be a name or None, got {type(value).__name__}",
                                       argument=argument)
    arguments.choice(shapesys_vals, argument="shapesys_vals", choices=SHAPESYS_VALS)
    arguments.choice(staterror_constraint, argument="staterror_constraint", choices=STATERROR_CONSTRAINTS)
    document = Document.load(source)
    choice = document.choose(analysis=analysis, likelihood=likelihood)
    point = document.parameter_point(choice, parameter_point)
    pois = [poi] if poi is not None else list(choice.pois)
    types = {document.distribution(d, referrer="the likelihood").get("type")
             for d in choice.likelihood["distributions"]}
    if "histfactory_dist" in types and len(types) > 1:
        others = sorted(types - {"histfactory_dist"})
        raise InvalidModelError(f"likelihood {choice.name!r} mixes histfactory_dist with {others}; this "
                                "reader builds either kind alone", file=document.file)
    return document, choice, point, pois, "histfactory_dist" in types


def _convert(document, choice, point, pois, shapesys_vals: str, staterror_constraint: str) -> Conversion:
    """:func:`.hf_convert.to_pyhf` with the conventions resolved (``"auto"``: module docstring)."""
    if shapesys_vals == "auto":
        shapesys_vals = document.shapesys_convention()
    if staterror_constraint == "auto":
        staterror_constraint = "Poisson" if document.written_by_root else "Gauss"
    return to_pyhf(document, choice, point, shapesys_vals=shapesys_vals,
                   staterror_constraint=staterror_constraint, poi=pois[0] if pois else None)


def _configured(config, conversion, document, choice, point: dict, pois: list):
    """The histfactory model's configuration with HS3's names, values, bounds, const flags, POIs."""
    names = [conversion.names[n] for n in config.parameter_names]
    domain = document.bounds(choice)
    init = np.array(config.init, dtype=float)
    bounds = np.array(config.bounds, dtype=float)
    fixed = np.array(config.fixed, dtype=bool)
    for i, name in enumerate(names):
        if name in domain:
            bounds[i] = domain[name]
        if name in point:
            init[i] = float(point[name]["value"])
            fixed[i] |= bool(point[name].get("const", False))
        fixed[i] |= name in conversion.fixed
        if fixed[i]:
            bounds[i] = (min(bounds[i][0], init[i]), max(bounds[i][1], init[i]))
    indices = [names.index(p) for p in pois]
    for p, i in zip(pois, indices, strict=True):
        if fixed[i]:
            raise InvalidModelError(f"the parameter of interest {p!r} is constant in the parameter point",
                                    file=document.file, argument="poi")
    return config.replace(parameter_names=names, init=init, bounds=bounds, fixed=fixed,
                          poi_index=indices[0] if indices else None, pois=indices or None)


def _check_taus(backend, document) -> None:
    """Where any parameter point gives ROOT's global observable ``nom_<gamma>`` of a
    Poisson-constrained gamma, it equals the model's tau (else the shapesys convention is wrong)."""
    given = {}
    for point in document.index["parameter_points"].values():
        for entry in point.get("parameters", []) or []:
            if isinstance(entry, dict) and str(entry.get("name", "")).startswith("nom_"):
                given.setdefault(entry["name"][4:], entry.get("value"))
    names = backend.config.parameter_names
    for term in backend.constraint_terms():
        name = names[term.parameter]
        if term.kind != "poisson" or name not in given:
            continue
        tau, nominal = float(term.scale), given[name]
        if not abs(tau - float(nominal)) <= TAU_AGREEMENT * abs(tau):
            raise InvalidModelError(
                f"the file's global observable nom_{name} = {nominal} is not the model's tau = {tau:.6g}: "
                "its shapesys or staterror uncertainties follow the other convention (pass "
                "shapesys_vals='relative' or 'absolute', or staterror_constraint)", file=document.file)
