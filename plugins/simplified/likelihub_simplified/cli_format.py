"""Simplified likelihoods as files of the core's commands ``likelihub cls|limit|fit|inspect FILE``
(and ``significance``).

    likelihub cls CMS-SUS-20-004-eff.json --signal signal.json --mu 1
    likelihub limit CMS-SUS-19-006-agg.json --signal 0.5,1.2,0,...  --model correlated
    likelihub inspect CMS-SUS-20-004-eff.json                 # the bins, and the model chosen

A file is recognised by its content: a JSON object with the keys ``"observed"`` and
``"background"`` (or ``"background_m1"``), see :mod:`likelihub_simplified.cli_inputs` for the
layout. The signal: ``--signal`` (comma-separated yields, a JSON array, or a file), else the
file's own ``"signal"``. The likelihood (``--model``): by default, as spey and SModelS choose,
the third-moment expansion (arXiv:1809.05548) where the file has third moments, else the
correlated background of CMS-NOTE-2017-001 where it has a covariance, else uncorrelated
background uncertainties; ``--model`` names any of :data:`MODELS`. The uncorrelated and normal
models take each bin's uncertainty from the covariance's diagonal where there is one (the files'
``background_uncertainty`` is not always its square root), else from ``background_uncertainty``.
"""

from __future__ import annotations

import json
import re

import click
import numpy as np

import likelihub
from likelihub.errors import InvalidArgumentError, InvalidModelError
from likelihub.plugin import file_head, text_table

from .cli_inputs import SimplifiedFile, check_signal, read_signal, read_simplified_file

__all__ = ["is_simplified", "OPTIONS", "MODELS", "open_simplified", "inspect_simplified", "choose_model"]

#: How much of a file :func:`is_simplified` reads.
HEAD_BYTES = 1 << 20

#: --model's names -> the backend (full backend names and their short forms are taken too).
MODELS = {
    "poisson": "simplified.poisson",
    "normal": "simplified.normal",
    "multivariate_normal": "simplified.multivariate_normal",
    "uncorrelated": "simplified.uncorrelated_background",
    "correlated": "simplified.correlated_background",
    "third_moment": "simplified.third_moment_expansion",
}

#: What each backend needs of the file besides the background and observed counts.
_NEEDS = {"simplified.multivariate_normal": ("covariance",),
          "simplified.correlated_background": ("covariance",),
          "simplified.third_moment_expansion": ("covariance", "third_moment")}
#: Backends that take one uncertainty per bin: sqrt(covariance_ii), else background_uncertainty.
_PER_BIN = ("simplified.normal", "simplified.uncorrelated_background")

_OBSERVED = re.compile(rb'"observed"\s*:')
_BACKGROUND = re.compile(rb'"background(_m1)?"\s*:')


def is_simplified(path: str) -> bool:
    """Whether the file ``path`` holds a simplified likelihood: its first MiB, a JSON object,
    has the keys ``"observed"`` and ``"background"`` (or ``"background_m1"``)."""
    if path == "-":
        return False
    head = file_head(path, HEAD_BYTES)
    return (head.lstrip().startswith(b"{") and _OBSERVED.search(head) is not None
            and _BACKGROUND.search(head) is not None)


#: The options of a simplified likelihood (``likelihub cls --help`` lists them).
OPTIONS = [
    click.Option(["--signal"], default=None, metavar="YIELDS|FILE",
                 help="The signal yields (at mu = 1), one per bin: comma-separated numbers, a JSON array, "
                      "or a file (JSON: a list or {\"signal\": [...]}; CSV: one column or one row); "
                      "default: the file's own \"signal\"."),
    click.Option(["--model"], default=None, metavar="NAME",
                 help="The likelihood: " + ", ".join(MODELS) + " (or a backend's name, "
                      "simplified.correlated_background, ...); default: third_moment where the file has "
                      "third moments, else correlated (a covariance), else uncorrelated."),
]


def _backend_name(model: str) -> str:
    name = str(model).strip()
    if name in MODELS:
        return MODELS[name]
    full = name if name.startswith("simplified.") else f"simplified.{name}"
    if full in MODELS.values():
        return full
    raise InvalidArgumentError(f"{model!r} is not a simplified likelihood; choose one of "
                               f"{', '.join(MODELS)} (or a backend's name, e.g. "
                               "simplified.correlated_background)", argument="model")


def choose_model(inputs: SimplifiedFile, model: str | None = None) -> str:
    """The backend of the file's model: ``model`` (a name of :data:`MODELS` or a backend's),
    else the default (see the module docstring).

    Raises
    ------
    likelihub.errors.InvalidArgumentError
        ``model`` is none of the simplified likelihoods, or needs what the file lacks.
    """
    if model is not None:
        backend = _backend_name(model)
    elif inputs.third_moment is not None:
        backend = MODELS["third_moment"]
    elif inputs.covariance is not None:
        backend = MODELS["correlated"]
    elif inputs.background_uncertainty is not None:
        backend = MODELS["uncorrelated"]
    else:
        raise InvalidModelError("has no covariance, third moments or background_uncertainty: name "
                                "--model poisson for a likelihood without background uncertainties",
                                file=inputs.path)
    missing = [key for key in _NEEDS.get(backend, ()) if getattr(inputs, key) is None]
    if backend in _PER_BIN and inputs.covariance is None and inputs.background_uncertainty is None:
        missing = ["covariance or background_uncertainty"]
    if missing:
        chosen = "--model" if model is not None else "the third moments"
        raise InvalidArgumentError(f"{backend} (chosen by {chosen}) needs {' and '.join(missing)}, which "
                                   f"{inputs.path} does not hold", argument="model")
    return backend


def _uncertainties(inputs: SimplifiedFile):
    if inputs.covariance is not None:
        return np.sqrt(np.clip(np.diag(np.asarray(inputs.covariance, dtype=float)), 0.0, None)).tolist()
    return inputs.background_uncertainty


def _arguments(backend: str, inputs: SimplifiedFile) -> dict:
    """The factory's arguments besides the signal, from the file."""
    arguments = {"background_yields": inputs.background, "data": inputs.observed}
    if backend in _PER_BIN:
        arguments["absolute_uncertainties"] = _uncertainties(inputs)
    if backend in _NEEDS:
        arguments["covariance_matrix"] = inputs.covariance
    if backend == "simplified.third_moment_expansion":
        arguments["third_moment"] = inputs.third_moment
    if inputs.region_names is not None and backend not in (
            "simplified.normal", "simplified.multivariate_normal"):
        arguments["bin_names"] = inputs.region_names
    return arguments


#: The factories' arguments -> the file's input they come from.
_INPUT_OF_ARGUMENT = {"background_yields": "background", "data": "observed",
                      "covariance_matrix": "covariance", "third_moment": "third_moment",
                      "bin_names": "region_names"}


def _located(error: InvalidModelError, inputs: SimplifiedFile, source: str) -> InvalidModelError:
    """The factory's error, naming the file and its key (or the signal's source)."""
    argument = str(error.location.get("argument", ""))
    if argument.startswith("signal_yields"):
        return type(error)(error.reason, file=None if source == "--signal" else source, argument="signal")
    if argument == "absolute_uncertainties":
        key = ("the square root of the covariance's diagonal" if inputs.covariance is not None
               else "background_uncertainty")
        return type(error)(error.reason, file=inputs.path, argument=key)
    name = _INPUT_OF_ARGUMENT.get(argument)
    if name is None:
        return type(error)(error.reason, file=inputs.path, **{k: v for k, v in error.location.items()
                                                               if k != "file"})
    return type(error)(error.reason, file=inputs.path, argument=inputs.keys.get(name, name))


def open_simplified(path: str, *, signal: str | None = None, model: str | None = None):
    """The simplified likelihood of the file ``path`` with the signal ``signal`` (as ``--signal``
    takes it; by default the file's ``"signal"``) and the likelihood ``model`` (see
    :func:`choose_model`).

    Raises
    ------
    likelihub.errors.InvalidArgumentError
        No signal, a signal of the wrong length or with a negative or non-finite yield (naming
        the bin), or a ``model`` the file cannot give.
    likelihub.errors.InvalidModelError
        The file is not a simplified likelihood, or an input of it is wrong (naming the key).
    """
    inputs = read_simplified_file(path)
    if signal is not None:
        yields, source = read_signal(signal)
    elif inputs.signal is not None:
        yields, source = inputs.signal, inputs.path
    else:
        raise InvalidArgumentError(f"{inputs.path} holds no \"signal\": give one with --signal "
                                   "(comma-separated yields, or a file)", argument="signal")
    backend = choose_model(inputs, model)
    check_signal(yields, inputs, source)
    try:
        return likelihub.get_backend(backend)(yields, **_arguments(backend, inputs))
    except InvalidModelError as error:
        raise _located(error, inputs, source) from None


def inspect_simplified(path: str, *, as_json: bool = False, signal: str | None = None,
                       model: str | None = None) -> str:
    """The file's bins (name, observed, background, uncertainty, third moment, signal) and the
    likelihood ``--model`` chooses: a table, or one JSON object. Needs no signal."""
    inputs = read_simplified_file(path)
    backend = choose_model(inputs, model)
    yields = None
    if signal is not None:
        yields, source = read_signal(signal)
        check_signal(yields, inputs, source)
    elif inputs.signal is not None:
        yields = inputs.signal
    sigma = _uncertainties(inputs)
    columns = {"bin": [inputs.bin_label(i) for i in range(inputs.n_bins)], "observed": inputs.observed,
               "background": inputs.background, "uncertainty": sigma, "third_moment": inputs.third_moment}
    if isinstance(yields, dict):  # several components: one column each, named by its POI
        columns.update({f"signal {name}": list(values) for name, values in yields.items()})
    elif isinstance(yields, list):
        columns["signal"] = yields
    columns = {name: values for name, values in columns.items() if values is not None}
    if as_json:
        return json.dumps({"file": inputs.path, "model": backend, "bins": inputs.n_bins,
                           "keys": inputs.keys, **columns}, indent=1)
    rows = [[columns[name][i] if name == "bin" else f"{float(columns[name][i]):g}" for name in columns]
            for i in range(inputs.n_bins)]
    lines = [f"Simplified likelihood {inputs.path}: {inputs.n_bins} bins, model {backend}", ""]
    return "\n".join(lines + text_table(rows, list(columns)))


def summarise_simplified(path: str) -> str | None:
    """One line on what the simplified likelihood's file ``path`` holds (``likelihub fetch``):
    its bins, the inputs it has and the model ``likelihub cls`` would choose; None where it is no
    such file."""
    if not is_simplified(path):
        return None
    try:
        inputs = read_simplified_file(path)
    except InvalidModelError:
        return None
    has = [name.replace("_", " ") for name in ("covariance", "third_moment", "signal")
           if getattr(inputs, name) is not None]
    return (f"simplified likelihood: {inputs.n_bins} bins, observed and background"
            f"{''.join(', ' + name for name in has)}; model {choose_model(inputs)}")
