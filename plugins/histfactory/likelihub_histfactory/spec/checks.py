"""What a schema cannot say about HistFactory JSON: bin counts, values, names, the measurement.

    validate(spec, "workspace", file="BkgOnly.json")   # the schema first (:mod:`.schema`)
    check_workspace(spec, file="BkgOnly.json")         # bin counts, values, names
    check_model(spec, measurement, file=...)           # POI and parameter settings of one model

Every failure raises :class:`likelihub.errors.InvalidModelError` naming the file, channel,
sample, modifier and bin at fault, as far as the location is known. ``validate``, ``schema``,
``SCHEMA_NAMES`` and ``SCHEMA_VERSION`` are those of :mod:`.schema`, here too.
"""

from __future__ import annotations

import math
import warnings
from collections import Counter
from collections.abc import Mapping, Sequence

from likelihub.errors import InvalidModelError

from ..modifiers import MODIFIERS
from ..modifiers.base import check_length, check_values
from .schema import SCHEMA_NAMES, SCHEMA_VERSION, schema, validate

__all__ = [
    "SCHEMA_VERSION",
    "SCHEMA_NAMES",
    "UnusedParameterWarning",
    "UNUSED_PARAMETERS",
    "schema",
    "validate",
    "check_workspace",
    "check_channels",
    "check_observations",
    "check_parameter_sharing",
    "check_model",
    "model_parameters",
]

#: What :func:`check_model` may do with settings of parameters the model does not have.
UNUSED_PARAMETERS = ("warn", "error", "ignore")


class UnusedParameterWarning(UserWarning):
    """A measurement configures a parameter that the model does not have (pyhf ignores it)."""


# -- what a schema cannot say -----------------------------------------------------------------
def _duplicates(names) -> list:
    return sorted(n for n, count in Counter(names).items() if count > 1)


def check_channels(channels: Sequence[Mapping], file: str | None = None) -> dict[str, int]:
    """Check channels that passed the schema: names, bin counts, yields, modifier data.

    Returns
    -------
    dict
        The number of bins of each channel.

    Raises
    ------
    InvalidModelError
        For duplicate channel/sample/modifier names, samples or modifier data whose number of
        bins differs from the channel's, non-finite or negative nominal yields, non-finite
        templates, negative or non-finite uncertainties and normsys factors. (Whether modifiers
        may share their parameters is a property of the model: :func:`check_model`.)
    """
    duplicate = _duplicates(c["name"] for c in channels)
    if duplicate:
        raise InvalidModelError(f"channel names used more than once: {duplicate}", file=file,
                                channel=duplicate[0])
    n_bins: dict[str, int] = {}
    for channel in channels:
        name = channel["name"]
        n_bins[name] = bins = len(channel["samples"][0]["data"])
        duplicate = _duplicates(s["name"] for s in channel["samples"])
        if duplicate:
            raise InvalidModelError(f"sample names used more than once in the channel: {duplicate}",
                                    file=file, channel=name, sample=duplicate[0])
        for sample in channel["samples"]:
            location = {"file": file, "channel": name, "sample": sample["name"]}
            check_length(sample["data"], bins, "nominal yields", location,
                          channel["samples"][0]["name"])
            check_values(sample["data"], "nominal yield", location, nonnegative=True)
            keys = [(m["name"], m["type"]) for m in sample["modifiers"]]
            duplicate = _duplicates(keys)
            if duplicate:
                raise InvalidModelError(f"modifier {duplicate[0][1]} appears more than once in "
                                        "the sample", modifier=duplicate[0][0], **location)
            for modifier in sample["modifiers"]:
                where = dict(location, modifier=modifier["name"])
                MODIFIERS[modifier["type"]].check_data(modifier, bins, where)
    return n_bins


def check_parameter_sharing(channels: Sequence[Mapping], file: str | None = None) -> None:
    """Modifiers sharing a parameter name must agree on what the parameter is (pyhf's rules).

    Only normsys and histosys may share a parameter with a modifier of another type; a
    shapesys parameter belongs to one sample; the samples carrying a staterror must carry it in
    the same channels (it has one parameter per bin of each); a shapefactor couples bin k of
    every channel it acts on, so the first of them (in sorted order), whose bins give its number
    of parameters, must have at least as many bins as the others (each type's ``check_sharing``,
    :mod:`likelihub_histfactory.modifiers`).
    """
    uses: dict[str, list[tuple[str, int, Mapping, Mapping, Mapping]]] = {}
    for channel in channels:
        bins = len(channel["samples"][0]["data"])
        for sample in channel["samples"]:
            for modifier in sample["modifiers"]:
                uses.setdefault(modifier["name"], []).append((modifier["type"], bins, channel, sample,
                                                              modifier))

    def where(use) -> dict:
        return {"file": file, "channel": use[2]["name"], "sample": use[3]["name"],
                "modifier": use[4]["name"]}

    for name, entries in uses.items():
        kind = entries[0][0]
        if len(entries) == 1:
            continue
        kinds = {use[0] for use in entries}
        if len({MODIFIERS[k].SHARING_GROUP for k in kinds}) > 1:
            raise InvalidModelError(f"parameter {name!r} is used by modifiers of incompatible types "
                                    f"{sorted(kinds)}; a shared parameter needs compatible modifiers "
                                    "(only normsys and histosys may share)", **where(entries[0]))
        MODIFIERS[kind].check_sharing(name, entries, where)


def check_workspace(spec: Mapping, file: str | None = None) -> dict[str, int]:
    """Check a workspace that passed the schema (see :func:`check_channels`), and its data.

    Observations must exist for every channel with one finite, non-negative count per bin;
    observation, measurement and parameter-setting names must be unique. Observations of
    channels the workspace lacks are allowed (patches may remove channels).

    Returns
    -------
    dict
        The number of bins of each channel.
    """
    n_bins = check_channels(spec["channels"], file)
    check_observations(n_bins, spec["observations"], file)
    duplicate = _duplicates(m["name"] for m in spec["measurements"])
    if duplicate:
        raise InvalidModelError(f"measurement names used more than once: {duplicate}", file=file)
    for measurement in spec["measurements"]:
        duplicate = _duplicates(p["name"] for p in measurement["config"]["parameters"])
        if duplicate:
            raise InvalidModelError(f"measurement {measurement['name']!r} configures parameters "
                                    f"more than once: {duplicate}", file=file)
    return n_bins


def check_observations(n_bins: Mapping[str, int], observations: Sequence[Mapping],
                       file: str | None = None) -> None:
    """Observations must name each channel once, with one finite, non-negative count per bin.

    Parameters
    ----------
    n_bins
        Number of bins of each channel of the model.
    observations
        The workspace's observations (``{"name": channel, "data": counts}``); those of channels
        not in ``n_bins`` are allowed (patches may remove channels).
    """
    duplicate = _duplicates(o["name"] for o in observations)
    if duplicate:
        raise InvalidModelError(f"observations given more than once: {duplicate}", file=file,
                                channel=duplicate[0])
    observed = {o["name"]: o["data"] for o in observations}
    for channel, bins in n_bins.items():
        if channel not in observed:
            raise InvalidModelError("the channel has no observations", file=file, channel=channel)
        location = {"file": file, "channel": channel}
        check_length(observed[channel], bins, "observed data", location)
        check_values(observed[channel], "observed count", location, nonnegative=True)


def model_parameters(channels: Sequence[Mapping]) -> dict[str, tuple[str, int]]:
    """Parameters of a model: name -> (modifier type, number of components), in order of appearance.

    The type of a parameter shared by normsys and histosys is reported as ``"normsys"`` or
    ``"histosys"``, whichever comes first. Binned modifiers have one component per bin: a
    staterror per bin of every channel it acts on, a shapefactor per bin of the first channel (in
    sorted order) it acts on (pyhf's rules: each type's ``n_parameters``,
    :mod:`likelihub_histfactory.modifiers`).
    """
    parameters: dict[str, tuple[str, int]] = {}
    binned: dict[str, dict[str, int]] = {}   # per-bin modifier name -> {channel: bins}
    for channel in channels:
        bins = len(channel["samples"][0]["data"])
        for sample in channel["samples"]:
            for modifier in sample["modifiers"]:
                per_bin = MODIFIERS[modifier["type"]].PER_BIN
                parameters.setdefault(modifier["name"], (modifier["type"], bins if per_bin else 1))
                if per_bin:
                    binned.setdefault(modifier["name"], {})[channel["name"]] = bins
    for name, bins_by_channel in binned.items():
        kind = parameters[name][0]
        if MODIFIERS[kind].PER_BIN:
            parameters[name] = (kind, MODIFIERS[kind].n_parameters(bins_by_channel))
    return parameters


def check_model(spec: Mapping, measurement: Mapping, file: str | None = None,
                unused_parameters: str = "warn") -> None:
    """Check the measurement chosen for a model against the model's parameters.

    Parameters
    ----------
    spec
        A checked workspace (after patches).
    measurement
        The measurement the model is built for.
    file
        Named in errors.
    unused_parameters
        What to do with settings of parameters the model does not have: ``"warn"`` (default,
        an :class:`UnusedParameterWarning`; pyhf ignores them silently), ``"error"`` or ``"ignore"``.

    Raises
    ------
    InvalidModelError
        When the POI is not a parameter of the model or has several components, when a
        setting has the wrong number of values for its parameter, a bound with lower > upper,
        or (with ``unused_parameters="error"``) a setting names no parameter of the model; and
        for modifiers sharing a parameter incompatibly (:func:`check_parameter_sharing`).
    """
    if unused_parameters not in UNUSED_PARAMETERS:
        raise ValueError(f"unused_parameters must be one of {UNUSED_PARAMETERS}, got {unused_parameters!r}")
    check_parameter_sharing(spec["channels"], file)
    parameters = model_parameters(spec["channels"])
    label = f"measurement {measurement['name']!r}"
    poi = measurement["config"]["poi"]
    if poi not in parameters:
        raise InvalidModelError(f"{label}: the parameter of interest {poi!r} is not a parameter of "
                                f"the model (no modifier has that name)", file=file)
    if parameters[poi][1] != 1:
        raise InvalidModelError(f"{label}: the parameter of interest {poi!r} is a "
                                f"{parameters[poi][0]} with {parameters[poi][1]} components; "
                                "it must be a single parameter", file=file)
    unused = []
    for setting in measurement["config"]["parameters"]:
        name = setting["name"]
        if name not in parameters:
            unused.append(name)
            continue
        size = parameters[name][1]
        for key in ("inits", "bounds", "auxdata", "sigmas", "factors"):
            if key in setting and len(setting[key]) != size:
                raise InvalidModelError(f"{label}: parameter {name!r} has {size} component(s) but "
                                        f"{key} has {len(setting[key])} values", file=file)
        for index, (low, high) in enumerate(setting.get("bounds", ())):
            if not low <= high:
                reason = "not a number" if math.isnan(low) or math.isnan(high) else "lower above upper"
                raise InvalidModelError(f"{label}: parameter {name!r} has bounds [{low}, {high}] "
                                        f"({reason}) for component {index}", file=file, modifier=name,
                                        bin=index if size > 1 else None, argument="bounds")
    if unused and unused_parameters == "error":
        raise InvalidModelError(f"{label} configures parameters the model does not have: {unused}",
                                file=file)
    if unused and unused_parameters == "warn":
        where = f"{file}: " if file else ""
        warnings.warn(f"{where}{label} configures parameters the model does not have: {unused} "
                      "(ignored)", UnusedParameterWarning, stacklevel=3)


def check_patched_channels(channels: Sequence[Mapping], original: Mapping[str, Mapping],
                           file: str | None = None) -> None:
    """:func:`check_channels` for a patched model whose unpatched channels were checked already.

    ``original`` maps channel names to the checked channels. A new channel is checked whole; of a
    changed one, only its new or changed samples, against its first sample's bin count (a scan
    adds one signal sample to each channel of a large background model, 125 times).
    """
    for channel in channels:
        before = original.get(channel["name"])
        if before is None:
            check_channels([channel], file)
            continue
        if before == channel:
            continue
        known = {s["name"]: s for s in before["samples"]}
        samples = channel["samples"]
        names = _duplicates(s["name"] for s in samples)
        if names:
            raise InvalidModelError(f"sample names used more than once in the channel: {names}",
                                    file=file, channel=channel["name"], sample=names[0])
        fresh = [s for s in samples[1:] if known.get(s["name"]) != s]
        check_channels([{**channel, "samples": [samples[0], *fresh]}], file)
