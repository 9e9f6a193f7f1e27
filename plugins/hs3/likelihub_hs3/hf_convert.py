"""HS3 likelihoods of ``histfactory_dist`` distributions as pyhf JSON workspaces.

    conversion = to_pyhf(document, choice, point, shapesys_vals="relative")
    conversion.workspace     # a pyhf workspace (schema 1.0.0): channels, observations, measurement
    conversion.names         # pyhf parameter name -> HS3 parameter name

Each ``histfactory_dist`` of the likelihood becomes a channel of its name, its paired ``binned``
data the channel's observations; modifiers become pyhf's as :mod:`.hf_modifiers` says. Scalar
parameters keep their HS3 names; per-bin parameters (``gamma``s) are grouped by their tuple of
names (samples carrying the same tuple share them, as HS3 says: modifiers are correlated exactly
when they share parameters), each group a pyhf modifier named after the HS3 modifier, and
:attr:`Conversion.names` maps its components ``name[i]`` back to the HS3 names.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from likelihub.errors import InvalidModelError

from .conventions import interpolation_code
from .hf_modifiers import (
    bin_parameters,
    constraint_kind,
    gaussian_constraint,
    numbers,
    scalar_parameter,
    shapesys_uncertainties,
)

__all__ = ["Conversion", "to_pyhf", "axes_bins"]

_SCALAR = ("normfactor", "normsys", "histosys")
_PER_BIN = ("shapesys", "shapefactor", "staterror")
#: pyhf shares a parameter between modifiers of one constraint: normsys and histosys (Gaussian).
_CONSTRAINT_CLASS = {"normfactor": "free", "lumi": "lumi", "normsys": "normal", "histosys": "normal"}


@dataclass
class Conversion:
    """A pyhf workspace with the same likelihood as an HS3 one, and how their parameters map."""

    workspace: dict
    names: dict[str, str]
    interpolation_codes: dict[str, str]
    poi: str | None
    fixed: set[str] = field(default_factory=set)


def axes_bins(axes, where: dict) -> int:
    """The number of bins of binned axes (``nbins``, or ``edges``/``bounds`` of n + 1 values)."""
    if not isinstance(axes, list) or not axes:
        raise InvalidModelError("a binned distribution or data set needs a non-empty 'axes' array", **where)
    total = 1
    for axis in axes:
        if not isinstance(axis, dict):
            raise InvalidModelError(f"axis {axis!r} is not a struct", **where)
        edges = axis.get("edges", axis.get("bounds"))
        n = len(edges) - 1 if isinstance(edges, list) else axis.get("nbins")
        if not isinstance(n, int) or isinstance(n, bool) or n < 1:
            raise InvalidModelError(f"axis {axis.get('name')!r} needs 'nbins' (a positive integer) or "
                                    "'edges'", **where)
        total *= n
    return total


class _Converter:
    def __init__(self, document, point: dict, shapesys_vals: str, staterror_default: str):
        self.document, self.point = document, point
        self.shapesys_vals, self.staterror_default = shapesys_vals, staterror_default
        self.config: dict[str, dict] = {}            # measurement configuration by pyhf name
        self.kinds: dict[str, str] = {}              # scalar HS3 parameter -> pyhf modifier type
        self.lumi: dict[str, tuple] = {}             # constrained normfactor -> (centre, width)
        self.groups: dict[tuple, tuple[str, str]] = {}   # per-bin tuple -> (pyhf name, pyhf type)
        self.owner: dict[str, tuple] = {}            # per-bin HS3 parameter -> its tuple
        self.names: dict[str, str] = {}
        self.codes: dict[str, set] = {"normsys": set(), "histosys": set()}
        self.fixed: set[str] = set()

    def where(self, channel=None, sample=None, modifier=None) -> dict:
        return {"file": self.document.file, "channel": channel, "sample": sample, "modifier": modifier}

    # -- the first pass: which normfactors are constrained (ROOT's luminosity) ---------------------
    def find_constraints(self, dists: list[dict]) -> None:
        for dist in dists:
            for sample in dist.get("samples", []) or []:
                for modifier in sample.get("modifiers", []) or []:
                    if not isinstance(modifier, dict) or modifier.get("type") != "normfactor":
                        continue
                    where = self.where(dist["name"], sample.get("name"), modifier.get("name"))
                    kind = constraint_kind(modifier, None, where)
                    if kind is None:
                        continue
                    if not isinstance(kind, dict):
                        raise InvalidModelError(f"a normfactor constrained by type {kind!r} is not "
                                                "supported (name a gaussian_dist)", **where)
                    parameter = scalar_parameter(modifier, where)
                    found = gaussian_constraint(self.document, kind["distribution"], parameter, self.point,
                                                where)
                    if self.lumi.setdefault(parameter, found) != found:
                        raise InvalidModelError(f"normfactor {parameter!r} has two different constraints",
                                                **where)

    # -- scalar parameters -----------------------------------------------------------------------
    def scalar(self, parameter: str, pyhf_type: str, where: dict, constraint=None) -> str:
        if parameter in self.owner:
            raise InvalidModelError(f"parameter {parameter!r} is used per bin elsewhere and here as the "
                                    f"one parameter of a {pyhf_type}", **where)
        previous = self.kinds.setdefault(parameter, pyhf_type)
        if _CONSTRAINT_CLASS[previous] != _CONSTRAINT_CLASS[pyhf_type]:
            raise InvalidModelError(f"parameter {parameter!r} drives a {previous} and a {pyhf_type}: pyhf "
                                    "gives a parameter one kind of constraint", **where)
        if pyhf_type == "lumi" or parameter == "lumi":
            # pyhf's schema names the luminosity parameter "lumi", and only it
            owner = self.names.setdefault("lumi", parameter)
            if owner != parameter or (pyhf_type == "lumi") != (self.kinds.get(owner) == "lumi"):
                raise InvalidModelError(f"parameters {owner!r} and {parameter!r} would both be pyhf's 'lumi' "
                                        "(one constrained normfactor, named 'lumi' in pyhf)", **where)
            parameter = "lumi"
        else:
            self.names[parameter] = parameter
        if constraint is not None:
            centre, width, defaults = constraint
            entry = {"name": parameter}
            if (centre, width) != defaults or pyhf_type == "lumi":
                entry.update(auxdata=[centre], sigmas=[width])
            if self.config.setdefault(parameter, entry) != entry:
                raise InvalidModelError(f"parameter {parameter!r} has two different constraints", **where)
        return parameter

    def sys_constraint(self, modifier: dict, parameter: str, where: dict) -> tuple:
        kind = constraint_kind(modifier, "Gauss", where)
        if isinstance(kind, dict):
            return (*gaussian_constraint(self.document, kind["distribution"], parameter, self.point, where),
                    (0.0, 1.0))
        if kind != "Gauss":
            raise InvalidModelError(f"a {modifier.get('type')} with a {kind!r} constraint has no pyhf "
                                    "equivalent (pyhf constrains it by a unit Gaussian)", **where)
        nominal = self.point.get(f"nom_{parameter}")
        return (float(nominal["value"]) if nominal else 0.0), 1.0, (0.0, 1.0)

    # -- per-bin parameters ----------------------------------------------------------------------
    def group(self, parameters: tuple, pyhf_type: str, label: str, where: dict) -> str:
        if parameters in self.groups:
            name, previous = self.groups[parameters]
            if previous != pyhf_type:
                raise InvalidModelError(f"parameters {list(parameters)[:3]}... drive a {previous} and a "
                                        f"{pyhf_type}", **where)
            if pyhf_type == "shapesys":
                raise InvalidModelError(f"the shapesys parameters {list(parameters)[:3]}... are shared by "
                                        "two samples, which pyhf forbids", **where)
            return name
        for parameter in parameters:
            if parameter in self.owner or parameter in self.kinds:
                raise InvalidModelError(f"parameter {parameter!r} belongs to two different groups of "
                                        "per-bin parameters (or is also a scalar parameter)", **where)
        taken = set(self.kinds) | set(self.names) | {name for name, _ in self.groups.values()}
        name, k = label, 1
        while name in taken:
            k += 1
            name = f"{label}_{k}"
        self.groups[parameters] = (name, pyhf_type)
        for i, parameter in enumerate(parameters):
            self.owner[parameter] = parameters
            self.names[f"{name}[{i}]"] = parameter
        return name

    # -- one channel -----------------------------------------------------------------------------
    def channel(self, dist: dict, datum, likelihood: str) -> tuple[dict, dict]:
        cname = dist["name"]
        where = self.where(cname)
        if isinstance(datum, str):
            data = self.document.get("data", datum, referrer=f"likelihood {likelihood!r}")
        else:
            raise InvalidModelError(f"histfactory_dist {cname!r} is paired with the number {datum!r}, not "
                                    "with binned data", **where)
        n = axes_bins(dist.get("axes"), where)
        if data.get("type") != "binned":
            raise InvalidModelError(f"histfactory_dist {cname!r} is paired with data {datum!r} of type "
                                    f"{data.get('type')!r}, not 'binned'", **where)
        n_data = axes_bins(data.get("axes"), {**where, "argument": f"data {datum!r}"})
        if n_data != n:
            raise InvalidModelError(f"data {datum!r} has {n_data} bins, the distribution {n}", **where)
        observed = numbers(data.get("contents"), n, f"the contents of data {datum!r}", where)
        samples = dist.get("samples")
        if not isinstance(samples, list) or not samples:
            raise InvalidModelError("a histfactory_dist needs a non-empty 'samples' array", **where)
        stat = dist.get("staterror", {}) or {}
        base = cname[len("model_"):] if cname.startswith("model_") else cname
        out, stat_uses = [], {}
        for position, sample in enumerate(samples):
            sname = sample.get("name", f"sample_{position}") if isinstance(sample, dict) else None
            swhere = self.where(cname, sname)
            if not isinstance(sample, dict) or not isinstance(sample.get("data"), dict):
                raise InvalidModelError("a sample needs a 'data' struct with 'contents'", **swhere)
            nominal = numbers(sample["data"].get("contents"), n, "the sample's contents", swhere)
            errors = sample["data"].get("errors")
            modifiers = []
            for modifier in sample.get("modifiers", []) or []:
                converted = self.modifier(modifier, nominal, errors, n, base, dist, swhere, stat_uses,
                                          len(out))
                if converted is not None:
                    modifiers.append(converted)
            out.append({"name": sname, "data": nominal, "modifiers": modifiers})
        self.staterrors(stat_uses, out, stat, base, self.where(cname))
        return {"name": cname, "samples": out}, {"name": cname, "data": observed}

    def modifier(self, modifier, nominal, errors, n, base, dist, swhere, stat_uses, sample_index):
        if not isinstance(modifier, dict) or not isinstance(modifier.get("type"), str):
            raise InvalidModelError(f"a modifier must be a struct with a 'type', got {modifier!r:.80}",
                                    **swhere)
        kind, label = modifier["type"], modifier.get("name")
        where = {**swhere, "modifier": label or modifier.get("parameter")}
        if kind in _SCALAR:
            parameter = scalar_parameter(modifier, where)
            if kind == "normfactor":
                if parameter in self.lumi:
                    name = self.scalar(parameter, "lumi", where, (*self.lumi[parameter], None))
                    return {"name": name, "type": "lumi", "data": None}
                return {"name": self.scalar(parameter, "normfactor", where), "type": "normfactor",
                        "data": None}
            code = interpolation_code(modifier, kind, dist.get("default_interpolation"), where)
            self.codes[kind].add(code)
            name = self.scalar(parameter, kind, where, self.sys_constraint(modifier, parameter, where))
            data = modifier.get("data")
            if not isinstance(data, dict):
                raise InvalidModelError(f"a {kind} needs a 'data' struct with 'hi' and 'lo'", **where)
            if kind == "normsys":
                hi, lo = (numbers([data.get(k)], 1, f"data.{k}", where)[0] for k in ("hi", "lo"))
                return {"name": name, "type": "normsys", "data": {"hi": hi, "lo": lo}}
            hi, lo = (numbers((data.get(k) or {}).get("contents") if isinstance(data.get(k), dict) else None,
                              n, f"data.{k}.contents", where) for k in ("hi", "lo"))
            return {"name": name, "type": "histosys", "data": {"hi_data": hi, "lo_data": lo}}
        if kind not in _PER_BIN:
            raise InvalidModelError(f"unknown modifier type {kind!r} (known: {list(_SCALAR + _PER_BIN)})",
                                    **where)
        default_base = (f"stat_{base}" if kind == "staterror" else str(label))
        parameters = bin_parameters(modifier, n, default_base, where)
        if kind == "shapefactor":
            return {"name": self.group(parameters, "shapefactor", str(label), where), "type": "shapefactor",
                    "data": None}
        if kind == "staterror":
            data = modifier.get("data") or {}
            uncertainties = data.get("uncertainties", errors) if isinstance(data, dict) else errors
            if uncertainties is None:
                raise InvalidModelError("a staterror needs the sample's 'errors' (or its data's "
                                        "'uncertainties')", **where)
            values = numbers(uncertainties, n, "the staterror's uncertainties", where)
            stat_uses.setdefault(parameters, []).append((sample_index, modifier, values, where))
            return None
        vals = numbers((modifier.get("data") or {}).get("vals"), n, "the shapesys's data.vals", where)
        constraint = constraint_kind(modifier, "Poisson", where)
        uncertainties = shapesys_uncertainties(vals, nominal, self.shapesys_vals)
        if constraint == "Poisson":
            return {"name": self.group(parameters, "shapesys", str(label), where), "type": "shapesys",
                    "data": uncertainties}
        if constraint == "Gauss":
            return {"name": self.group(parameters, "staterror", str(label), where), "type": "staterror",
                    "data": uncertainties}
        if constraint == "Const":
            self.fixed.update(parameters)
            return {"name": self.group(parameters, "shapefactor", str(label), where), "type": "shapefactor",
                    "data": None}
        raise InvalidModelError(f"a shapesys constrained by {constraint!r} has no pyhf equivalent", **where)

    def staterrors(self, uses: dict, samples: list, stat: dict, base: str, where: dict) -> None:
        """The staterror of each tuple of gammas: Gaussian (pyhf's staterror) or Poisson (one sample:
        a shapesys); gammas below the channel's ``relThreshold`` fixed (ROOT)."""
        threshold = stat.get("relThreshold", 0.0) if isinstance(stat, dict) else 0.0
        channel_type = ((stat.get("constraint_type") or stat.get("constraint")) if isinstance(stat, dict)
                        else None)
        for parameters, carriers in uses.items():
            first = carriers[0]
            kind = constraint_kind(first[1], channel_type or self.staterror_default, first[3])
            if kind == "Poisson" and len(carriers) == 1:
                pyhf_type = "shapesys"
            elif kind == "Gauss":
                pyhf_type = "staterror"
            else:
                raise InvalidModelError(
                    f"a staterror with a {kind!r} constraint over {len(carriers)} samples has no pyhf "
                    "equivalent (pyhf's staterror is Gaussian; a Poisson one is a shapesys of one sample); "
                    "files ROOT writes default to Poisson: pass staterror_constraint='Gauss' if the "
                    "model is Gaussian", **first[3])
            name = self.group(parameters, pyhf_type, f"staterror_{base}", first[3])
            for sample_index, _, values, _ in carriers:
                samples[sample_index]["modifiers"].append({"name": name, "type": pyhf_type, "data": values})
            if threshold:
                total = np.sum([samples[i]["data"] for i, *_ in carriers], axis=0)
                error = np.sqrt(np.sum(np.square([v for _, _, v, _ in carriers]), axis=0))
                relative = np.divide(error, total, out=np.zeros_like(total), where=total > 0)
                self.fixed.update(p for p, r in zip(parameters, relative, strict=True) if r < threshold)


def to_pyhf(document, choice, point: dict, *, shapesys_vals: str, staterror_constraint: str,
            poi: str | None) -> Conversion:
    """The pyhf workspace of ``choice``'s likelihood (every distribution a ``histfactory_dist``)."""
    likelihood = choice.likelihood
    dists = [document.distribution(name, referrer=f"likelihood {choice.name!r}")
             for name in likelihood["distributions"]]
    converter = _Converter(document, point, shapesys_vals, staterror_constraint)
    converter.find_constraints(dists)
    channels, observations = [], []
    for dist, datum in zip(dists, likelihood["data"], strict=True):
        channel, observation = converter.channel(dist, datum, choice.name)
        channels.append(channel)
        observations.append(observation)
    codes = {}
    for kind, found in converter.codes.items():
        if len(found) > 1:
            raise InvalidModelError(f"the {kind} modifiers use several interpolation codes {sorted(found)}; "
                                    "the histfactory backend takes one per modifier type",
                                    file=document.file)
        codes[kind] = found.pop() if found else {"normsys": "4", "histosys": "4p"}[kind]
    scalars = list(converter.kinds)
    if poi is not None and poi not in converter.names.values():
        raise InvalidModelError(f"the parameter of interest {poi!r} is not a parameter of the model "
                                f"(its parameters include {sorted(converter.names.values())[:8]})",
                                file=document.file, argument="poi")
    if poi is not None and poi not in scalars:
        raise InvalidModelError(f"the parameter of interest {poi!r} is a per-bin parameter",
                                file=document.file, argument="poi")
    measurement_poi = poi if poi is not None else (scalars[0] if scalars else None)
    if measurement_poi is not None and converter.names.get("lumi") == measurement_poi:
        measurement_poi = "lumi"
    if measurement_poi is None:
        raise InvalidModelError("the model has no scalar parameter (a normfactor, normsys or histosys) "
                                "to be its parameter of interest", file=document.file)
    conversion = Conversion({}, converter.names, codes, poi, converter.fixed)
    configured = converter.config
    sets: dict[str, list[str]] = {}
    for component in converter.names:
        base = component.split("[")[0] if component.endswith("]") else component
        sets.setdefault(base, []).append(component)
    domain = document.bounds(choice)
    for name, components in sets.items():
        settings = _settings(components, conversion, point, domain)
        if settings:
            configured.setdefault(name, {"name": name}).update(settings)
    conversion.workspace = {
        "channels": channels, "observations": observations, "version": "1.0.0",
        "measurements": [{"name": choice.name, "config": {
            "poi": measurement_poi, "parameters": list(configured.values())}}],
    }
    return conversion


def _settings(components: list[str], conversion: Conversion, point: dict, domain: dict) -> dict:
    """The measurement's settings of one pyhf parameter set from its components' HS3 names: where
    the parameter point gives every component's value, those initial values, the domains' bounds
    (if finite for all) and ``fixed`` (pyhf's schema: one flag per set) where every one is fixed."""
    hs3 = [conversion.names[c] for c in components]
    if not all(h in point for h in hs3):
        return {}
    entry: dict = {"inits": [float(point[h]["value"]) for h in hs3]}
    if all(h in domain and all(map(math.isfinite, domain[h])) for h in hs3):
        entry["bounds"] = [list(domain[h]) for h in hs3]
    if all(bool(point[h].get("const", False)) or h in conversion.fixed for h in hs3):
        entry["fixed"] = True
    return entry
