"""pyhf JSON workspaces written as HS3 v0.2.

    from likelihub_hs3 import write_hs3
    document = write_hs3("BkgOnly.json", "BkgOnly_hs3.json", patches=["patch.json"])

Each channel becomes a ``histfactory_dist`` named ``model_<channel>`` with one regular axis
``obs_x_<channel>`` (bins of width 1, as ROOT writes pyhf's channels), its observations the
``binned`` data ``obsData_<channel>``; each measurement a likelihood, an analysis (its POI), a
domain (every parameter's bounds) and a parameter point (initial values, ``const`` where fixed),
all named after the measurement (a measurement whose parameter of interest is no parameter, as in a
background-only workspace, has an analysis without one). Parameters keep pyhf's names, the
per-bin ones ``name[i]`` (listed in each modifier's ``parameters``; a staterror acting on several
channels numbers its bins across the channels in sorted order, as pyhf does). Modifiers:

- ``normfactor``, ``normsys`` (``constraint: Gauss``), ``histosys`` (``hi``/``lo`` contents),
  ``shapefactor``: as HS3 spells them; interpolation codes other than pyhf's defaults are
  written as pyhs3 spells them (``code1``, ``code0``, ``code2``);
- ``lumi``: a ``normfactor`` with ``constraint_name`` naming a ``gaussian_dist`` (ROOT's form);
- ``shapesys``: ``Poisson``, its ``vals`` the absolute uncertainties (pyhs3's convention;
  ``shapesys_vals="relative"`` writes ROOT's); the convention is recorded in
  ``misc.likelihub.shapesys_vals``, which the reader follows;
- ``staterror``: ``Gauss``, the uncertainties as the samples' ``data.errors``.

The bounds, initial values and fixed flags are those of the histfactory backend's model of each
measurement (pyhf's defaults, overridden by the measurement's parameter settings).
"""

from __future__ import annotations

import copy
import json
import os
from collections.abc import Mapping, Sequence
from pathlib import Path

from likelihub.errors import InvalidArgumentError, InvalidModelError

from . import __version__

__all__ = ["write_hs3", "read_workspace"]

_NON_DEFAULT_CODES = {"1": "code1", "0": "code0", "2": "code2"}


def read_workspace(workspace, patches: Sequence = ()) -> dict:
    """A pyhf workspace (dict or JSON file) with JSON ``patches`` applied (operation lists, pyhf
    patch objects ``{"patch": [...]}`` or their files)."""
    if isinstance(workspace, (str, os.PathLike)):
        workspace = _json(workspace)
    if not isinstance(workspace, Mapping):
        raise InvalidArgumentError(f"must be a pyhf workspace (a dict) or its JSON file, got "
                                   f"{type(workspace).__name__}", argument="workspace")
    spec = copy.deepcopy(dict(workspace))
    if patches:
        import jsonpatch

        for patch in patches:
            patch = _json(patch) if isinstance(patch, (str, os.PathLike)) else patch
            operations = patch.get("patch") if isinstance(patch, Mapping) else patch
            try:
                spec = jsonpatch.apply_patch(spec, operations)
            except (jsonpatch.JsonPatchException, jsonpatch.JsonPointerException, TypeError) as error:
                raise InvalidModelError(f"a patch does not apply: {error}", argument="patches") from None
    for key in ("channels", "observations", "measurements"):
        if not isinstance(spec.get(key), list) or not spec[key]:
            raise InvalidModelError(f"a pyhf workspace needs a non-empty {key!r} array", argument="workspace")
    return spec


def _json(path) -> dict:
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as error:
        raise InvalidModelError(f"cannot read JSON: {error}", file=str(path)) from None


def _per_bin_names(spec: dict) -> dict[tuple[str, str], list[str]]:
    """The names of the per-bin parameters of each (channel, modifier) as pyhf numbers them."""
    bins = {c["name"]: len(c["samples"][0]["data"]) for c in spec["channels"]}
    channels_of: dict[tuple[str, str], list[str]] = {}
    for channel in spec["channels"]:
        for sample in channel["samples"]:
            for modifier in sample.get("modifiers", []):
                if modifier["type"] in ("staterror", "shapesys", "shapefactor"):
                    key = (modifier["type"], modifier["name"])
                    channels_of.setdefault(key, [])
                    if channel["name"] not in channels_of[key]:
                        channels_of[key].append(channel["name"])
    names = {}
    for (kind, name), channels in channels_of.items():
        offset = 0
        for channel in sorted(channels):
            start = offset if kind == "staterror" else 0
            names[(channel, name)] = [f"{name}[{start + i}]" for i in range(bins[channel])]
            offset += bins[channel]
    return names


def _modifier(modifier: dict, channel: str, sample: dict, per_bin: dict, codes: dict, lumi: dict,
              shapesys_vals: str, errors: dict) -> dict:
    kind, name = modifier["type"], modifier["name"]
    out = {"name": name, "type": kind}
    if kind in ("normfactor", "lumi"):
        out.update(type="normfactor", parameter=name)
        if kind == "lumi":
            out["constraint_name"] = lumi[name]
    elif kind == "normsys":
        out.update(parameter=name, constraint="Gauss",
                   data={"hi": float(modifier["data"]["hi"]), "lo": float(modifier["data"]["lo"])})
        if codes["normsys"] != "4":
            out["interpolation"] = _NON_DEFAULT_CODES[codes["normsys"]]
    elif kind == "histosys":
        out.update(parameter=name, constraint="Gauss",
                   data={"hi": {"contents": list(modifier["data"]["hi_data"])},
                         "lo": {"contents": list(modifier["data"]["lo_data"])}})
        if codes["histosys"] != "4p":
            out["interpolation"] = _NON_DEFAULT_CODES[codes["histosys"]]
    elif kind == "shapesys":
        vals = [float(v) for v in modifier["data"]]
        if shapesys_vals == "relative":
            vals = [v / n if n > 0 else 0.0 for v, n in zip(vals, sample["data"], strict=True)]
        out.update(parameters=per_bin[(channel, name)], constraint="Poisson", data={"vals": vals})
    elif kind == "staterror":
        if sample["name"] in errors:
            raise InvalidModelError("a sample carries two staterrors, which HS3 (one 'errors' per sample) "
                                    "cannot say", channel=channel, sample=sample["name"], modifier=name)
        errors[sample["name"]] = [float(v) for v in modifier["data"]]
        out.update(parameters=per_bin[(channel, name)], constraint="Gauss")
    elif kind == "shapefactor":
        out.update(parameters=per_bin[(channel, name)])
    else:
        raise InvalidModelError(f"unknown modifier type {kind!r}", channel=channel, sample=sample["name"],
                                modifier=name)
    return out


def _lumi_constraints(spec: dict, configs: dict) -> tuple[dict, list]:
    """The gaussian_dist of each lumi parameter (one configuration shared by the measurements)."""
    names = sorted({m["name"] for c in spec["channels"] for s in c["samples"] for m in s.get("modifiers", [])
                    if m["type"] == "lumi"})
    references, dists = {}, []
    for name in names:
        settings = {(tuple(c.get(name, {}).get("auxdata", [])), tuple(c.get(name, {}).get("sigmas", [])))
                    for c in configs.values()}
        if len(settings) != 1:
            raise InvalidModelError("the measurements give the luminosity different auxdata or sigmas, "
                                    "which one HS3 constraint cannot say", modifier=name)
        (aux, sigma), = settings
        if len(aux) != 1 or len(sigma) != 1:
            raise InvalidModelError("the measurement must give the lumi parameter one auxdata and one "
                                    "sigma", modifier=name)
        references[name] = f"{name}Constraint"
        dists.append({"name": references[name], "type": "gaussian_dist", "x": name, "mean": float(aux[0]),
                      "sigma": float(sigma[0])})
    return references, dists


def write_hs3(workspace, path=None, *, patches: Sequence = (), interpolation_codes: Mapping | None = None,
              shapesys_vals: str = "absolute", indent: int | None = 1) -> dict:
    """Write a pyhf workspace as an HS3 v0.2 document (module docstring).

    Parameters
    ----------
    workspace
        A pyhf workspace: a dict or its JSON file.
    path
        Where to write the document (JSON); None: only return it.
    patches
        JSON patches to apply first (operation lists, pyhf patch objects, or their files).
    interpolation_codes
        The workspace's codes, ``{"normsys": "1"|"4", "histosys": "0"|"2"|"4p"}`` (pyhf's
        defaults 4 and 4p); others are written on each modifier.
    shapesys_vals
        ``"absolute"`` (pyhs3's convention) or ``"relative"`` (ROOT's).
    indent
        JSON indentation of the file.

    Returns
    -------
    dict
        The HS3 document.
    """
    import likelihub

    if shapesys_vals not in ("absolute", "relative"):
        raise InvalidArgumentError(f"must be 'absolute' or 'relative', got {shapesys_vals!r}",
                                   argument="shapesys_vals")
    spec = read_workspace(workspace, patches)
    codes = {"normsys": "4", "histosys": "4p", **dict(interpolation_codes or {})}
    factory = likelihub.get_backend("histfactory")
    modifiers = [m["name"] for c in spec["channels"] for s in c["samples"] for m in s.get("modifiers", [])
                 if m["type"] in ("normfactor", "normsys", "histosys", "lumi")]
    models, pois = {}, {}
    for measurement in spec["measurements"]:
        mname, poi = measurement["name"], measurement["config"].get("poi")
        built = spec
        if poi not in modifiers and modifiers:
            # a background-only workspace's POI is no parameter: built around another, written without
            built = copy.deepcopy(spec)
            next(m for m in built["measurements"] if m["name"] == mname)["config"]["poi"] = modifiers[0]
        models[mname] = factory(built, measurement=mname, interpolation_codes=codes,
                                unused_parameters="ignore")
        pois[mname] = list(models[mname].config.poi_names) if built is spec else []
    configs = {m["name"]: {p["name"]: p for p in m["config"].get("parameters", [])}
               for m in spec["measurements"]}
    lumi, lumi_dists = _lumi_constraints(spec, configs)
    per_bin = _per_bin_names(spec)
    observations = {o["name"]: o["data"] for o in spec["observations"]}
    distributions, data = [], []
    for channel in spec["channels"]:
        cname, n = channel["name"], len(channel["samples"][0]["data"])
        axes = [{"name": f"obs_x_{cname}", "min": 0.0, "max": float(n), "nbins": n}]
        errors: dict[str, list] = {}
        samples = []
        for sample in channel["samples"]:
            modifiers = [_modifier(m, cname, sample, per_bin, codes, lumi, shapesys_vals, errors)
                         for m in sample.get("modifiers", [])]
            samples.append({"name": sample["name"], "data": {"contents": [float(v) for v in sample["data"]]},
                            "modifiers": modifiers})
            if sample["name"] in errors:
                samples[-1]["data"]["errors"] = errors[sample["name"]]
        distributions.append({"name": f"model_{cname}", "type": "histfactory_dist", "axes": axes,
                              "samples": samples})
        if cname not in observations:
            raise InvalidModelError("the channel has no observations", channel=cname)
        data.append({"name": f"obsData_{cname}", "type": "binned", "axes": axes,
                     "contents": [float(v) for v in observations[cname]]})
    document = {"metadata": {"hs3_version": "0.2", "packages": [{"name": "likelihub-hs3",
                                                                 "version": __version__}]},
                "distributions": distributions + lumi_dists, "data": data,
                "likelihoods": [], "domains": [], "parameter_points": [], "analyses": [],
                "misc": {"likelihub": {"shapesys_vals": shapesys_vals}}}
    for mname, model in models.items():
        config = model.config
        document["likelihoods"].append({"name": mname, "distributions": [d["name"] for d in distributions],
                                        "data": [d["name"] for d in data]})
        document["domains"].append({"name": f"{mname}_domain", "type": "product_domain", "axes": [
            {"name": p, "min": float(lo), "max": float(hi)}
            for p, (lo, hi) in zip(config.parameter_names, config.bounds, strict=True)]})
        document["parameter_points"].append({"name": f"{mname}_init", "parameters": [
            {"name": p, "value": float(x), **({"const": True} if f else {})}
            for p, x, f in zip(config.parameter_names, config.init, config.fixed, strict=True)]})
        document["analyses"].append({"name": mname, "likelihood": mname,
                                     "parameters_of_interest": pois[mname],
                                     "domains": [f"{mname}_domain"], "init": f"{mname}_init"})
    if path is not None:
        text = json.dumps(document, indent=indent) + "\n"
        try:
            Path(path).write_text(text, encoding="utf-8")
        except OSError as error:
            raise InvalidModelError(f"cannot write the file: {error.strerror or error}",
                                    file=str(path)) from None
    return document
