"""The parameter sets of a HistFactory model, named, ordered and configured as pyhf 0.7.6 does.

One *parameter set* per modifier name: one parameter (``name``) for normfactor, lumi, normsys and
histosys; one per bin (``name[i]``) for shapefactor, shapesys and staterror. Modifiers of any
samples and channels that share a name share the set. The order of the parameter vector is
pyhf's: by modifier type (histosys, lumi, normfactor, normsys, shapefactor, shapesys, staterror),
then by first appearance walking channels and samples in sorted order, modifiers sorted by name.

Constraints (what the auxiliary data measure):

- normsys, histosys: Gaussian, auxiliary datum 0, width 1;
- lumi: Gaussian with the measurement's ``auxdata`` and ``sigmas`` (both required);
- staterror: Gaussian around 1 with width ``sqrt(sum_s delta_s^2) / sum_s nom_s`` per bin, summed
  over the samples of the modifier; bins of zero width are fixed (and given width 1, as pyhf);
- shapesys: Poisson with ``tau = (nom / delta)^2`` (auxiliary datum tau, rate ``gamma tau``); bins
  whose yield or uncertainty is not positive are fixed with tau 1, as pyhf;
- normfactor, shapefactor: unconstrained.

Widths that are not zero must lie within :data:`.constraints.RELATIVE_WIDTH_LIMITS` (see
:mod:`.constraints`). The measurement's parameter configurations (``inits``, ``bounds``,
``fixed``, ``auxdata``, ``sigmas``, ``factors``) override these defaults; they must be finite
(bounds may be infinite, never NaN).

Per-bin parameters shared by name (pyhf's rules): a staterror has one parameter per bin of every
channel it acts on (all its samples must carry it in the same channels); a shapefactor couples
bin k of every channel it acts on to one parameter ``name[k]``, with as many parameters as the
bins of the first channel (in sorted order) it acts on, which must have at least as many bins as
the others (pyhf reads a wrong parameter otherwise); a shapesys belongs to one sample.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from likelihub.errors import InvalidModelError

from ..modifiers.constraints import check_configured_values, shapesys_scales, staterror_widths

__all__ = ["ParameterSet", "MODIFIER_TYPES", "default_parameter_set", "apply_measurement_config",
           "collect_parameter_sets", "check_yields", "shared_mask", "bin_parameters"]

#: The modifier types, in the order pyhf registers their parameters.
MODIFIER_TYPES = ("histosys", "lumi", "normfactor", "normsys", "shapefactor", "shapesys", "staterror")

_CONSTRAINT = {"histosys": "normal", "normsys": "normal", "lumi": "normal", "staterror": "normal",
               "shapesys": "poisson", "normfactor": None, "shapefactor": None}


@dataclass
class ParameterSet:
    """One named set of parameters (one modifier name).

    Attributes
    ----------
    name
        The modifier name (parameters are ``name`` or ``name[i]``).
    modifier_type
        Type of the modifier that first declared it.
    n_parameters
        Number of parameters (1, or the number of bins it acts on).
    constraint
        ``"normal"``, ``"poisson"`` or None (unconstrained).
    inits, bounds, fixed
        Per parameter.
    auxdata
        Auxiliary data (constrained sets only).
    widths
        Gaussian widths (sigmas) or Poisson scale factors (tau), per parameter.
    """

    name: str
    modifier_type: str
    n_parameters: int
    constraint: str | None
    inits: list[float]
    bounds: list[list[float]]
    fixed: list[bool]
    auxdata: list[float] | None = None
    widths: list[float] | None = None
    shared_types: set[str] = field(default_factory=set)

    @property
    def is_scalar(self) -> bool:
        """True for a one-parameter set named without an index."""
        return self.modifier_type in ("normfactor", "lumi", "normsys", "histosys")

    def parameter_names(self) -> list[str]:
        """``name`` for a scalar set, ``name[i]`` for each bin otherwise."""
        if self.is_scalar:
            return [self.name]
        return [f"{self.name}[{i}]" for i in range(self.n_parameters)]


def default_parameter_set(name: str, modifier_type: str, n_parameters: int,
                          widths: list[float] | None = None, fixed: list[bool] | None = None
                          ) -> ParameterSet:
    """The parameter set a modifier implies before the measurement configuration."""
    n = n_parameters
    constraint = _CONSTRAINT[modifier_type]
    if modifier_type in ("normsys", "histosys"):
        return ParameterSet(name, modifier_type, 1, constraint, [0.0], [[-5.0, 5.0]], [False],
                            auxdata=[0.0], widths=[1.0])
    if modifier_type == "normfactor":
        return ParameterSet(name, modifier_type, 1, None, [1.0], [[0.0, 10.0]], [False])
    if modifier_type == "shapefactor":
        return ParameterSet(name, modifier_type, n, None, [1.0] * n, [[0.0, 10.0]] * n, [False] * n)
    if modifier_type == "lumi":
        # pyhf requires the measurement to configure lumi (auxdata, sigmas, inits, bounds).
        return ParameterSet(name, modifier_type, 1, constraint, [1.0], [[0.0, 10.0]], [False],
                            auxdata=None, widths=None)
    if modifier_type == "shapesys":
        return ParameterSet(name, modifier_type, n, constraint, [1.0] * n, [[1e-10, 10.0]] * n,
                            list(fixed), auxdata=list(widths), widths=list(widths))
    if modifier_type == "staterror":
        return ParameterSet(name, modifier_type, n, constraint, [1.0] * n, [[1e-10, 10.0]] * n,
                            list(fixed), auxdata=[1.0] * n, widths=list(widths))
    raise InvalidModelError(f"unknown modifier type {modifier_type!r}", modifier=name)


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


def check_yields(values, n: int, where: dict, what: str) -> np.ndarray:
    """``values`` as an array of ``n`` finite, non-negative yields; errors name ``where``."""
    array = np.asarray(values, dtype=float) if isinstance(values, list) else None
    if array is None or array.ndim != 1:
        raise InvalidModelError(f"{what} must be a list of numbers", **where)
    if array.size != n:
        raise InvalidModelError(f"{what} has {array.size} bins, the channel has {n}", **where)
    bad = np.flatnonzero(~np.isfinite(array) | (array < 0))
    if bad.size:
        raise InvalidModelError(f"{what} is {array[bad[0]]!r}: yields must be finite and "
                                "non-negative", bin=int(bad[0]), **where)
    return array


def shared_mask(layout, uses: list) -> np.ndarray:
    """Global bins a staterror acts on; every sample carrying it must carry it in the same channels
    (pyhf asserts as much)."""
    masks, channels = {}, {}
    for c, s, _, _ in uses:
        masks.setdefault(s, np.zeros(layout.n_bins, bool))[layout.bins(c)] = True
        channels.setdefault(s, []).append(c)
    first_sample, first = next(iter(masks.items()))
    for s, mask in masks.items():
        if not np.array_equal(mask, first):
            raise InvalidModelError(
                f"a {uses[0][3]['type']} shared by samples must act on the same channels for each (as "
                f"pyhf requires): sample {first_sample!r} carries it in {channels[first_sample]}, sample "
                f"{s!r} in {channels[s]}", file=layout.source, sample=s, modifier=uses[0][3]["name"])
    return first


def bin_parameters(layout, modifier_type: str, uses: list, start: int) -> np.ndarray:
    """The parameter index of each global bin (-1 where none) of a per-bin modifier whose
    parameters start at ``start``: one per masked bin for staterror and shapesys; for shapefactor
    ``start + k`` in bin k of every channel it acts on (pyhf's coupling)."""
    index = np.full(layout.n_bins, -1)
    if modifier_type == "shapefactor":
        for c, _, _, _ in uses:
            index[layout.bins(c)] = start + np.arange(layout.nbins[c])
        return index
    mask = shared_mask(layout, uses)
    index[mask] = start + np.arange(int(mask.sum()))
    return index


def _shapefactor_size(layout, uses: list, source: str | None) -> int:
    """Parameters of a shapefactor: the bins of the first channel it acts on (pyhf), which must
    have at least as many bins as every other (pyhf reads parameter 0 of the model otherwise)."""
    c, _, _, modifier = uses[0]
    n = layout.nbins[c]
    for other, s, _, _ in uses[1:]:
        if layout.nbins[other] > n:
            raise InvalidModelError(
                f"shapefactor {modifier['name']!r} has {n} parameters, the bins of channel {c!r} (the "
                f"first channel it acts on), but channel {other!r} has {layout.nbins[other]} bins: bin k "
                f"of every channel is coupled to parameter k, and there is none for bin {n} (pyhf would "
                "use the model's first parameter there); name the channels so that the one with the "
                "most bins sorts first, or give the shapefactors distinct names", file=source,
                channel=other, sample=s, modifier=modifier["name"])
    return n


def _staterror(layout, uses: list) -> tuple[list[float], list[bool]]:
    """Widths and fixed flags of a staterror (:func:`.constraints.staterror_widths`)."""
    deltas = np.zeros((len(uses), layout.n_bins))
    for row, (c, s, _, modifier) in enumerate(uses):
        where = {"file": layout.source, "channel": c, "sample": s, "modifier": modifier["name"]}
        deltas[row, layout.bins(c)] = check_yields(modifier.get("data"), layout.nbins[c], where,
                                                   "staterror data")
    return staterror_widths(layout, uses, deltas, shared_mask(layout, uses))


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
        The model's channels, samples and bins (``compile._Layout``): ``walk()`` gives
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
    for modifier_type in MODIFIER_TYPES:
        keys = [k for k in uses if k[0] == modifier_type]
        if modifier_type == "staterror":
            keys.sort()
        for key in keys:
            name, first = key[1], uses[key][0]
            c, s, sample, modifier = first
            widths = fixed = None
            n = layout.nbins[c]
            if modifier_type == "shapesys":
                if len(uses[key]) > 1:
                    raise InvalidModelError("a shapesys modifier cannot be shared by name (pyhf "
                                            "forbids it)", file=source, channel=uses[key][1][0],
                                            sample=uses[key][1][1], modifier=name)
                where = {"file": source, "channel": c, "sample": s, "modifier": name}
                delta = check_yields(modifier.get("data"), n, where, "shapesys data")
                widths, fixed = shapesys_scales(layout.nominal[s][layout.bins(c)], delta, where)
            elif modifier_type == "staterror":
                widths, fixed = _staterror(layout, uses[key])
                n = len(widths)
            elif modifier_type == "shapefactor":
                n = _shapefactor_size(layout, uses[key], source)
            new = default_parameter_set(name, modifier_type, n, widths, fixed)
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
