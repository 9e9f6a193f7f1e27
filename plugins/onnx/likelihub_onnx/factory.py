"""The ``onnx`` backend's factory: read the network(s), resolve the arguments (given, or from the
file's metadata), build :class:`~likelihub_onnx.backend.OnnxLikelihood` and wrap it.

Every argument may instead be stored in the ONNX file's ``metadata_props`` under the key
``likelihub.<argument>`` (a JSON value: ``likelihub.output = "nll"``, ``likelihub.parameters =
[{"name": "mu", "bounds": [0, 10]}, "theta"]``, ``likelihub.poi = "mu"``, ``likelihub.asimov =
{"output": "nll", "column": 1}``, ...); an argument given to the factory wins over the file's.
``layout="smodels"`` reads the metadata of SModelS's ML likelihoods instead
(:mod:`likelihub_onnx.smodels`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from likelihub.errors import InvalidArgumentError, InvalidModelError
from likelihub.plugin import ModelConfig, StatisticalModel
from likelihub.plugin import arguments as check

from .backend import KINDS, Head, OnnxLikelihood
from .network import PRECISIONS, Network
from .smodels import DATA_SETS, smodels_defaults

__all__ = ["onnx_likelihood", "METADATA_KEYS", "LAYOUTS"]

#: The arguments a file's metadata may hold, as ``likelihub.<name>``.
METADATA_KEYS = ("output", "parameters", "poi", "bins", "background_yields", "input_mean",
                 "input_std", "observed", "asimov", "poi_bounds")
LAYOUTS = (None, "smodels")
_HEAD_KEYS = ("output", "column", "scale", "shift", "gradient")


def onnx_likelihood(model, *, output: str | None = None, parameters: Sequence | None = None,
                    poi: str | None = None, signal_yields=None, background_yields=None,
                    bins: Sequence[str] | None = None, poi_bounds: Sequence[float] | None = None,
                    observed=None, asimov=None, expected=None, input_mean=None, input_std=None,
                    layout: str | None = None, data: str = "observed", precision: str = "auto",
                    step: float | None = None, threads: int = 1) -> StatisticalModel:
    """A learned likelihood: a network (ONNX file) that computes -ln L, ln L or -2 ln L.

    Parameters
    ----------
    model
        The ``.onnx`` file (a path), its bytes, or an ``onnx.ModelProto``.
    output
        What the network's output is: ``"nll"`` (-ln L), ``"logL"``, ``"-2lnL"`` or ``"-2dlnL"``
        (-2 ln L/L_max). Required (here or in the metadata): a wrong guess flips the likelihood.
    parameters
        *The network's inputs are the model's parameters* (a DNNLikelihood): one entry per input,
        a name or ``{"name": ..., "bounds": [low, high], "init": ...}`` (bounds default to
        (-inf, inf), init to 0 moved into the bounds).
    poi
        The parameter of interest: a name among ``parameters`` (None: no POI, fits only), or the
        name of the signal strength with ``signal_yields`` (default ``"mu"``).
    signal_yields
        *The network's inputs are yields* (a recast): the signal per input, a sequence or a mapping
        ``{bin: yield}`` over ``bins``; the input is ``mu * signal + background``, mu the only
        parameter.
    background_yields
        Added to ``mu * signal`` where the network takes total yields (zero by default).
    bins
        Names of the inputs, for a mapping of signal yields.
    poi_bounds
        (low, high) of the POI; with ``signal_yields`` the default is ``-min(b/s)`` (yields stay
        non-negative) to ``10 * max(sum b, 1) / sum s``.
    observed, asimov
        The observed data's likelihood and the background-only Asimov data's: an output name, a
        column of the first output, or ``{"output", "column", "scale", "shift", "gradient"}``
        (``value = raw * scale + shift``; ``gradient``: the output holding the derivative of the
        column with respect to the network's input). ``observed`` defaults to column 0 of the first
        output; without ``asimov`` or ``expected`` the model has no expected data (no CLs).
    expected
        A second network (path, bytes, ModelProto) of the same inputs: the likelihood of the
        background-only Asimov data (column 0 of its first output, unless ``asimov`` says otherwise).
    input_mean, input_std
        The standardisation of the inputs: ``(input - mean) / std`` (std 0: no division).
    layout
        ``"smodels"``: read SModelS's ML likelihood metadata (:mod:`likelihub_onnx.smodels`).
    data
        With ``layout="smodels"``: ``"observed"`` or ``"apriori"`` (the a-priori expected data).
    precision
        ``"auto"`` (a float32 network computed in float64 where onnxruntime runs the conversion, as
        stored otherwise), ``"float64"`` (the conversion required) or ``"native"`` (as stored); see
        :mod:`likelihub_onnx.network`.
    step
        Relative finite-difference step of the gradient (default eps^(1/3) of the network's type).
    threads
        onnxruntime's threads per network.

    Returns
    -------
    likelihub.StatisticalModel
        The learned likelihood (an :class:`~likelihub_onnx.backend.OnnxLikelihood` backend).

    Raises
    ------
    likelihub.errors.InvalidArgumentError
        An unknown choice, an output or input that the network does not have, inputs given both as
        parameters and as yields, or neither; a network whose output kind is not said.
    likelihub.errors.InvalidModelError
        An unreadable ONNX file or a network whose inputs do not match.

    Examples
    --------
    A network of two parameters ``(mu, theta)`` that computes -ln L::

        import likelihub as lh
        model = lh.get_backend("onnx")("likelihood.onnx", output="nll",
                                       parameters=["mu", {"name": "theta", "bounds": [-5, 5]}],
                                       poi="mu")
        print(model.fit())

    SModelS's ML models (observed and expected networks, their metadata)::

        model = lh.get_backend("onnx")("model.onnx", layout="smodels", signal_yields=yields)
    """
    precision = check.choice(precision, argument="precision", choices=PRECISIONS)
    if layout not in LAYOUTS:
        raise InvalidArgumentError(f"must be None or 'smodels', got {layout!r}", argument="layout")
    data = check.choice(data, argument="data", choices=tuple(DATA_SETS))
    threads = check.whole_number(threads, argument="threads")
    step = None if step is None else check.positive(step, argument="step")
    network = Network(model, precision=precision, threads=threads, argument="model")
    given = dict(output=output, parameters=parameters, poi=poi, bins=bins,
                 background_yields=background_yields, input_mean=input_mean, input_std=input_std,
                 observed=observed, asimov=asimov, poi_bounds=poi_bounds)
    defaults = smodels_defaults(network, data) if layout == "smodels" else {
        key: network.metadata_json(f"likelihub.{key}", text=key in ("output", "poi"))
        for key in METADATA_KEYS}
    args = {key: defaults.get(key) if value is None else value for key, value in given.items()}
    if args["output"] is None:
        raise InvalidArgumentError(f"say what the output of {network.label} is, one of {list(KINDS)} "
                                   "(or store it as metadata 'likelihub.output')", argument="output")
    kind = check.choice(args["output"], argument="output", choices=tuple(KINDS))
    if signal_yields is not None and parameters is not None:
        raise InvalidArgumentError("give parameters (the inputs are parameters) or signal_yields "
                                   "(the inputs are yields), not both", argument="signal_yields")
    if signal_yields is not None:
        config, matrix, offset = _yields_mode(signal_yields, args, network)
    elif args["parameters"] is not None:
        config, matrix, offset = _parameters_mode(args, network)
    else:
        raise InvalidArgumentError(f"say what the inputs of {network.label} are: parameters=[names] "
                                   "or signal_yields=[...] (or metadata 'likelihub.parameters')",
                                   argument="parameters")
    k = matrix.shape[0]
    mean = _vector(args["input_mean"], k, "input_mean", default=0.0)
    std = _vector(args["input_std"], k, "input_std", default=1.0)
    if np.any(std < 0):
        raise InvalidArgumentError("must be non-negative", argument="input_std")
    observed_head = _head(args["observed"], network, k, "observed")
    asimov_head = None
    if expected is not None:
        second = Network(expected, precision=precision, threads=threads, argument="expected")
        second.check_input_size(k, f"the {k} inputs of {network.label}", argument="expected")
        asimov_head = _head(args["asimov"] if asimov is not None else None, second, k, "asimov")
    elif args["asimov"] is not None:
        asimov_head = _head(args["asimov"], network, k, "asimov")
    backend = OnnxLikelihood(config=config, kind=kind, observed=observed_head, asimov=asimov_head,
                             matrix=matrix, offset=offset, mean=mean, std=std, step=step)
    return StatisticalModel(backend)


def _vector(values, size: int, argument: str, default: float | None = None) -> np.ndarray:
    if values is None and default is not None:
        return np.full(size, default)
    array = check.numbers_array(values, argument=argument).reshape(-1)
    if array.shape != (size,):
        raise InvalidArgumentError(f"has {array.size} values for {size} inputs", argument=argument)
    if not np.all(np.isfinite(array)):
        raise InvalidArgumentError("must be finite", argument=argument)
    return array


def _head(spec, network: Network, k: int, argument: str) -> Head:
    """A :class:`Head` of ``network`` from an output name, a column of the first output, or a mapping."""
    first = next(iter(network.outputs))
    if spec is None or isinstance(spec, str):
        spec = {"output": spec or first}
    elif isinstance(spec, (int, np.integer)) and not isinstance(spec, bool):
        spec = {"output": first, "column": int(spec)}
    if not isinstance(spec, Mapping):
        raise InvalidArgumentError(f"must be an output name, a column or a mapping with keys "
                                   f"{list(_HEAD_KEYS)}, got {type(spec).__name__}", argument=argument)
    unknown = sorted(set(spec) - set(_HEAD_KEYS))
    if unknown:
        raise InvalidArgumentError(f"unknown keys {unknown}; known: {list(_HEAD_KEYS)}", argument=argument)
    name = spec.get("output", first)
    column = check.whole_number(spec.get("column", 0), argument=f"{argument}['column']",
                                minimum=-(2**31))
    network.check_output(name, column, argument)
    scale = check.real(spec.get("scale", 1.0), argument=f"{argument}['scale']")
    if scale == 0:
        raise InvalidArgumentError("must not be 0", argument=f"{argument}['scale']")
    gradient = spec.get("gradient")
    if gradient is not None:
        network.check_output(gradient, 0, f"{argument}['gradient']")
        width = network.outputs[gradient]
        if width is not None and width != k:
            raise InvalidModelError(f"output {gradient!r} of {network.label} has {width} values per row; "
                                    f"the derivative in the {k} inputs has {k}",
                                    argument=f"{argument}['gradient']")
    return Head(network=network, output=name, column=column, scale=scale,
                shift=check.real(spec.get("shift", 0.0), argument=f"{argument}['shift']"),
                gradient=gradient)


def _poi_bounds(value, default: tuple[float, float]) -> tuple[float, float]:
    if value is None:
        return default
    pair = check.numbers_array(value, argument="poi_bounds").reshape(-1)
    if pair.shape != (2,) or np.isnan(pair).any() or not pair[0] < pair[1]:
        raise InvalidArgumentError(f"must be an ordered (low, high) pair, got {pair.tolist()}",
                                   argument="poi_bounds")
    return float(pair[0]), float(pair[1])


def _yields_mode(signal_yields, args: dict, network: Network):
    """(config, matrix, offset) of a network of yields: the input is mu * signal + background."""
    bins = args["bins"]
    if isinstance(signal_yields, Mapping):
        if bins is None:
            raise InvalidArgumentError("a mapping of signal yields needs the inputs' names (bins=...)",
                                       argument="signal_yields")
        # SModelS names its regions "SR-0" in the networks and "SR" in its database: both are taken.
        aliases = {name[:-2]: name for name in bins if name.endswith("-0") and name[:-2] not in bins}
        aliases.update({name: name for name in bins})
        unknown = sorted(set(signal_yields) - set(aliases))
        if unknown:
            raise InvalidArgumentError(f"no inputs called {unknown}; the inputs: {list(bins)}",
                                       argument="signal_yields")
        given = {aliases[name]: value for name, value in signal_yields.items()}
        if len(given) < len(signal_yields):
            raise InvalidArgumentError("names one input twice (as 'SR' and 'SR-0')", argument="signal_yields")
        signal_yields = [given.get(name, 0.0) for name in bins]
    signal = check.numbers_array(signal_yields, argument="signal_yields").reshape(-1)
    k = signal.size
    if not np.all(np.isfinite(signal)):
        raise InvalidArgumentError("must be finite", argument="signal_yields")
    if not np.any(signal > 0):
        raise InvalidArgumentError("no signal: at least one yield must be positive", argument="signal_yields")
    network.check_input_size(k, f"the {k} signal yields", argument="signal_yields")
    background = _vector(args["background_yields"], k, "background_yields", default=0.0)
    positive = signal > 0
    low = min(0.0, -float(np.min(background[positive] / signal[positive])))
    total = float(np.sum(signal[positive]))
    high = 10.0 * max(float(np.sum(np.abs(background))), total, 1.0) / total
    low, high = _poi_bounds(args["poi_bounds"], (low, high))
    name = args["poi"] or "mu"
    config = ModelConfig(parameter_names=[name], poi_index=0, init=[float(np.clip(0.0, low, high))],
                         bounds=[(low, high)])
    return config, signal[:, None], background


def _parameters_mode(args: dict, network: Network):
    """(config, matrix, offset) of a network of the parameters: the identity map."""
    specs = args["parameters"]
    if isinstance(specs, (str, Mapping)) or not isinstance(specs, Sequence) or not specs:
        raise InvalidArgumentError("must be a non-empty list of names or {'name', 'bounds', 'init'} "
                                   "mappings", argument="parameters")
    names, bounds, init = [], [], []
    for i, spec in enumerate(specs):
        spec = {"name": spec} if isinstance(spec, str) else spec
        where = f"parameters[{i}]"
        if not isinstance(spec, Mapping) or not isinstance(spec.get("name"), str):
            raise InvalidArgumentError("must be a name or a mapping with a 'name'", argument=where)
        unknown = sorted(set(spec) - {"name", "bounds", "init"})
        if unknown:
            raise InvalidArgumentError(f"unknown keys {unknown}", argument=where)
        pair = check.numbers_array(spec.get("bounds", (-np.inf, np.inf)), argument=f"{where}['bounds']")
        if pair.shape != (2,):
            raise InvalidArgumentError("must be a (low, high) pair", argument=f"{where}['bounds']")
        names.append(spec["name"])
        bounds.append(pair)
        value = spec.get("init")
        init.append(float(np.clip(0.0, *pair)) if value is None
                    else check.real(value, argument=f"{where}['init']"))
    network.check_input_size(len(names), f"the {len(names)} parameters", argument="parameters")
    poi = args["poi"]
    if poi is not None and poi not in names:
        raise InvalidArgumentError(f"{poi!r} is not among the parameters {names}", argument="poi")
    index = None if poi is None else names.index(poi)
    if index is not None:
        bounds[index] = np.array(_poi_bounds(args["poi_bounds"], tuple(bounds[index])))
        if "init" not in (specs[index] if isinstance(specs[index], Mapping) else {}):
            init[index] = float(np.clip(0.0, *bounds[index]))
    elif args["poi_bounds"] is not None:
        raise InvalidArgumentError("there is no POI (poi=None) to bound", argument="poi_bounds")
    config = ModelConfig(parameter_names=names, poi_index=index, init=init, bounds=bounds)
    n = len(names)
    return config, np.eye(n), np.zeros(n)
