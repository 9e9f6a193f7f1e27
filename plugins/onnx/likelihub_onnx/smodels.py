"""The layout of SModelS's machine-learned likelihoods (``layout="smodels"``).

As SModelS's ``smodels/statistics/nnAdapter.py`` reads them, and as the networks' author's
``evaluation/predict.py`` (github.com/Rav2/MLlikelihoods) runs them, such a network takes the
*total* yields (background + signal) of every region of the analysis, standardised, and gives four
standardised differences of -ln L, each profiled over the nuisance parameters, relative to its value
without signal. Its ``metadata_props`` hold:

- ``bkg_yields``: a Python list of ``(region, background)`` pairs, in the order of the inputs;
- ``standardization_mean``, ``standardization_std``: JSON lists of the inputs' means and standard
  deviations followed by those of the four outputs (an input with std 0 only has its mean removed);
- ``nLL_exp_mu0``, ``nLL_obs_mu0``, ``nLLA_exp_mu0``, ``nLLA_obs_mu0``: -ln L without signal.

The four outputs are the last four columns of the first output, in the order of those keys:
``exp`` (the a-priori expected data: the observed counts replaced by the background), ``obs`` (the
observed data) and the Asimov data of each (``A``). So ``data="observed"`` takes the ``obs`` column
as the observed data and ``obsA`` as its background-only Asimov data (the a-posteriori expected
band); ``data="apriori"`` takes ``exp`` and ``expA`` (SModelS's a-priori expected results: the
"observed" CLs is then the median expected one).

SModelS replaces the background of a control region by its observed count; that choice is in
SModelS's database, not in the file: pass ``background_yields`` to make it. The later "joaquin"
variant (keys ``rafal::...``, log transforms of inputs and outputs) is not read.
"""

from __future__ import annotations

import ast
import json

import numpy as np

from likelihub.errors import InvalidModelError

from .network import Network

__all__ = ["smodels_defaults", "DATA_SETS"]

#: The column (of the first output) and offset key of each data set, and what ``data`` picks.
_COLUMNS = {"exp": (-4, "nLL_exp_mu0"), "obs": (-3, "nLL_obs_mu0"),
            "expA": (-2, "nLLA_exp_mu0"), "obsA": (-1, "nLLA_obs_mu0")}
DATA_SETS = {"observed": ("obs", "obsA"), "apriori": ("exp", "expA")}


def _entry(network: Network, key: str, parse):
    if key not in network.metadata:
        raise InvalidModelError(f"metadata {key!r} is missing: not an SModelS ML likelihood "
                                f"(layout='smodels')", file=network.label)
    try:
        return parse(network.metadata[key])
    except (ValueError, SyntaxError, TypeError) as exc:
        raise InvalidModelError(f"metadata {key!r} cannot be read ({exc})", file=network.label) from None


def _number(text: str) -> float:
    value = json.loads(text)
    value = value[0] if isinstance(value, list) and len(value) == 1 else value
    return float(value)


def smodels_defaults(network: Network, data: str) -> dict:
    """The factory's arguments that an SModelS ML likelihood's metadata give (see the module docstring)."""
    if any("::" in key for key in network.metadata):
        raise InvalidModelError("metadata keys with '::' (SModelS's 'joaquin' networks, with log "
                                "transforms of inputs and outputs) are not read by layout='smodels'",
                                file=network.label)
    pairs = _entry(network, "bkg_yields", ast.literal_eval)
    if not (isinstance(pairs, (list, tuple)) and all(isinstance(p, (list, tuple)) and len(p) == 2
                                                     for p in pairs)):
        raise InvalidModelError("metadata 'bkg_yields' must list (region, background) pairs",
                                file=network.label)
    mean = np.asarray(_entry(network, "standardization_mean", json.loads), dtype=float)
    std = np.asarray(_entry(network, "standardization_std", json.loads), dtype=float)
    k = len(pairs)
    if mean.shape != (k + 4,) or std.shape != (k + 4,):
        raise InvalidModelError(f"metadata 'standardization_mean' and 'standardization_std' have "
                                f"{mean.size} and {std.size} entries; {k} regions and 4 outputs make "
                                f"{k + 4}", file=network.label)
    output = next(iter(network.outputs))

    def head(name: str) -> dict:
        column, key = _COLUMNS[name]
        return {"output": output, "column": column, "scale": float(std[column]),
                "shift": float(mean[column]) + _entry(network, key, _number)}

    observed, asimov = DATA_SETS[data]
    return {"output": "nll", "bins": [str(p[0]) for p in pairs],
            "background_yields": [float(p[1]) for p in pairs],
            "input_mean": mean[:k].tolist(), "input_std": std[:k].tolist(),
            "observed": head(observed), "asimov": head(asimov)}
