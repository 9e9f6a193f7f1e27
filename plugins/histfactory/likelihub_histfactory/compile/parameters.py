"""The parameter sets of a HistFactory model, named, ordered and configured as pyhf 0.7.6 does.

One *parameter set* per modifier name: one parameter (``name``) or one per bin (``name[i]``), as
the modifier type says (:mod:`likelihub_histfactory.modifiers`: each type's ``parameter_set``
gives its defaults, constraint and widths). Modifiers of any samples and channels that share a
name share the set. The order of the parameter vector is pyhf's: by modifier type
(:data:`~likelihub_histfactory.modifiers.MODIFIERS`, alphabetical), then by first appearance
walking channels and samples in sorted order, modifiers sorted by name (by name for a type with
``SORTED_BY_NAME``).

The measurement's parameter configurations (``inits``, ``bounds``, ``fixed``, ``auxdata``,
``sigmas``, ``factors``) override the defaults here (:func:`apply_measurement_config`); they must
be finite (bounds may be infinite, never NaN), widths within
:data:`~likelihub_histfactory.modifiers.constraints.RELATIVE_WIDTH_LIMITS`.
"""

from __future__ import annotations

from likelihub.errors import InvalidModelError

from ..modifiers import MODIFIERS
from ..modifiers.base import ParameterSet
from ..modifiers.constraints import check_configured_values

__all__ = ["apply_measurement_config", "collect_parameter_sets"]


def _per_parameter(value, n: int, key: str, name: str, source: str | None) -> list:
    if not isinstance(value, list) or len(value) != n:
        raise InvalidModelError(
            f"measurement parameter configuration {key!r} must list {n} value(s) for this "
            f"parameter set, got {value!r}", file=source, modifier=name, argument=key)
    return list(value)


def apply_measurement_config(paramset: ParameterSet, config: dict, source: str | None = None) -> None:
    """Override a set's defaults with the measurement's configuration of that name (in place)."""
    n, name = paramset.n_parameters, paramset.name
    if "inits" in config:
        paramset.inits = [float(x) for x in _per_parameter(config["inits"], n, "inits", name, source)]
        check_configured_values(paramset, "inits", paramset.inits, source)
    if "bounds" in config:
        bounds = _per_parameter(config["bounds"], n, "bounds", name, source)
        for index, pair in enumerate(bounds):
            if not (isinstance(pair, list) and len(pair) == 2 and pair[0] <= pair[1]):
                nan = isinstance(pair, list) and any(x != x for x in pair)
                raise InvalidModelError(f"bounds must be [low, high] pairs with low <= high"
                                        f"{' (not NaN)' if nan else ''}, got {pair!r}", file=source,
                                        modifier=name, bin=None if paramset.is_scalar else index,
                                        argument="bounds")
        paramset.bounds = [[float(lo), float(hi)] for lo, hi in bounds]
    if "fixed" in config:
        fixed = config["fixed"]
        paramset.fixed = [bool(fixed)] * n if isinstance(fixed, bool) else [
            bool(x) for x in _per_parameter(fixed, n, "fixed", name, source)]
    for key in ("auxdata", "sigmas", "factors"):
        if key not in config:
            continue
        wrong_kind = (paramset.constraint is None or (key == "sigmas" and paramset.constraint != "normal")
                      or (key == "factors" and paramset.constraint != "poisson"))
        if wrong_kind:
            raise InvalidModelError(f"a {paramset.modifier_type} parameter does not use {key!r}",
                                    file=source, modifier=name, argument=key)
        values = [float(x) for x in _per_parameter(config[key], n, key, name, source)]
        check_configured_values(paramset, key, values, source)
        if key == "auxdata":
            paramset.auxdata = values
        else:
            paramset.widths = values
    if paramset.constraint == "normal" and (paramset.auxdata is None or paramset.widths is None):
        raise InvalidModelError(
            "the lumi modifier needs the measurement to configure its 'auxdata' and 'sigmas' "
            "(the luminosity and its uncertainty)", file=source, modifier=name)
    for i, (x, (lo, hi)) in enumerate(zip(paramset.inits, paramset.bounds, strict=True)):
        if not lo <= x <= hi:
            raise InvalidModelError(f"initial value {x} of parameter {i} lies outside its bounds "
                                    f"[{lo}, {hi}]", file=source, modifier=name)


def _check_unique_names(sets: dict, uses: dict, source: str | None) -> None:
    """Parameter names must be unique: a scalar modifier named like a component of a per-bin
    one (a normfactor ``stat[0]`` beside a staterror ``stat``) would be two parameters of one name."""
    owner = {}
    for paramset in sets.values():
        for index, parameter in enumerate(paramset.parameter_names()):
            if parameter not in owner:
                owner[parameter] = (paramset, index)
                continue
            first, first_index = owner[parameter]
            scalar, (binned, component) = ((paramset, (first, first_index)) if paramset.is_scalar
                                           else (first, (paramset, index)))
            c, s, _, _ = uses[(scalar.modifier_type, scalar.name)][0]
            other_c, other_s, _, _ = uses[(binned.modifier_type, binned.name)][0]
            raise InvalidModelError(
                f"parameter name {parameter!r} is taken twice: by this {scalar.modifier_type} and by "
                f"component {component} of the {binned.modifier_type} {binned.name!r} (channel "
                f"{other_c!r}, sample {other_s!r}); rename one of them", file=source, channel=c,
                sample=s, modifier=scalar.name)


def collect_parameter_sets(layout, measurement_parameters: list, source: str | None):
    """The parameter sets of a model, in pyhf's order, configured by the measurement.

    Parameters
    ----------
    layout
        The model's channels, samples and bins (:class:`~.model.Layout`): ``walk()`` gives
        (channel, sample name, sample, modifier) in pyhf's order; ``nominal``, ``bins``,
        ``nbins``, ``n_bins`` and ``source`` as there.
    measurement_parameters
        The measurement's parameter configurations.
    source
        File name to quote in errors.

    Returns
    -------
    (sets, uses)
        The parameter sets by name, and the (channel, sample name, sample, modifier) uses of each
        (modifier type, name).
    """
    uses: dict[tuple[str, str], list] = {}
    for item in layout.walk():
        modifier = item[3]
        uses.setdefault((modifier["type"], modifier["name"]), []).append(item)
    sets: dict[str, ParameterSet] = {}
    for modifier_type, module in MODIFIERS.items():
        keys = [k for k in uses if k[0] == modifier_type]
        if module.SORTED_BY_NAME:
            keys.sort()
        for key in keys:
            name = key[1]
            c, s, _, _ = uses[key][0]
            new = module.parameter_set(name, uses[key], layout, source)
            if name in sets:
                old = sets[name]
                if (old.constraint, old.n_parameters, old.is_scalar) != (
                        new.constraint, new.n_parameters, new.is_scalar):
                    raise InvalidModelError(
                        f"modifiers of types {old.modifier_type} and {modifier_type} share the name "
                        "but not the kind of parameter; use distinct names", file=source,
                        channel=c, sample=s, modifier=name)
                old.shared_types.add(modifier_type)
                continue
            sets[name] = new
    configs = {}
    for config in measurement_parameters or []:
        if config.get("name") in configs:
            raise InvalidModelError("the measurement configures this parameter twice",
                                    file=source, modifier=config.get("name"))
        configs[config.get("name")] = config
    _check_unique_names(sets, uses, source)
    for paramset in sets.values():
        apply_measurement_config(paramset, configs.get(paramset.name, {}), source)
    return sets, uses
