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

The measurement's parameter configurations (``inits``, ``bounds``, ``fixed``, ``auxdata``,
``sigmas``, ``factors``) override these defaults.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from likelihub.errors import InvalidModelError

__all__ = ["ParameterSet", "MODIFIER_TYPES", "default_parameter_set", "apply_measurement_config",
           "collect_parameter_sets", "check_yields", "shared_mask"]

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
    if "bounds" in config:
        bounds = _per_parameter(config["bounds"], n, "bounds", name, source)
        for pair in bounds:
            if not (isinstance(pair, list) and len(pair) == 2 and pair[0] <= pair[1]):
                raise InvalidModelError(f"bounds must be [low, high] pairs with low <= high, got {pair!r}",
                                        file=source, modifier=name, argument="bounds")
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
        if key == "auxdata":
            paramset.auxdata = values
        else:
            paramset.widths = values
    if paramset.constraint == "normal" and (paramset.auxdata is None or paramset.widths is None):
        raise InvalidModelError(
            "the lumi modifier needs the measurement to configure its 'auxdata' and 'sigmas' "
            "(the luminosity and its uncertainty)", file=source, modifier=name)
    if paramset.widths is not None and any(w <= 0 for w in paramset.widths):
        raise InvalidModelError(f"constraint widths must be positive, got {paramset.widths}",
                                file=source, modifier=name)
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


def _staterror_widths(layout, uses: list) -> tuple[list[float], list[bool]]:
    """pyhf's staterror widths: sqrt(sum_s delta_s^2) / sum_s nom_s over the modifier's samples."""
    samples = sorted({s for _, s, _, _ in uses})
    total = sum(layout.nominal[s] for s in samples)
    relative_sq = np.zeros(layout.n_bins)
    for c, _, _, modifier in uses:
        where = {"file": layout.source, "channel": c, "sample": _, "modifier": modifier["name"]}
        delta = np.zeros(layout.n_bins)
        delta[layout.bins(c)] = check_yields(modifier.get("data"), layout.nbins[c], where,
                                              "staterror data")
        positive = total > 0
        relative_sq[positive] += (delta[positive] / total[positive]) ** 2
    mask = shared_mask(layout, uses)
    widths = np.sqrt(relative_sq)[mask]
    fixed = widths == 0
    widths[fixed] = 1.0
    return widths.tolist(), fixed.tolist()


def shared_mask(layout, uses: list) -> np.ndarray:
    """Global bins a per-bin modifier acts on; every sample using it must use it on the same bins."""
    masks = {}
    for c, s, _, _ in uses:
        masks.setdefault(s, np.zeros(layout.n_bins, bool))[layout.bins(c)] = True
    first = next(iter(masks.values()))
    for s, mask in masks.items():
        if not np.array_equal(mask, first):
            raise InvalidModelError("the per-bin modifier acts on different channels for different "
                                    "samples", file=layout.source, sample=s, modifier=uses[0][3]["name"])
    return first


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
                nominal = layout.nominal[s][layout.bins(c)]
                valid = (nominal > 0) & (delta > 0)
                widths = np.where(valid, nominal**2 / np.where(valid, delta, 1.0) ** 2, 1.0).tolist()
                fixed = (~valid).tolist()
            elif modifier_type == "staterror":
                widths, fixed = _staterror_widths(layout, uses[key])
                n = len(widths)
            elif modifier_type == "shapefactor":
                n_masked = int(shared_mask(layout, uses[key]).sum())
                if n_masked != n:
                    raise InvalidModelError(f"shapefactor acts on {n_masked} bins but has {n} "
                                            "parameters", file=source, modifier=name)
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
    for paramset in sets.values():
        apply_measurement_config(paramset, configs.get(paramset.name, {}), source)
    return sets, uses
