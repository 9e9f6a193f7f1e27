"""Inputs of the conversion tests: synthetic shape cards whose every line has an exact pyhf
equivalent, a pyhf workspace whose every modifier has an exact datacard equivalent, and helpers
that compare the two sides' likelihoods at linked parameter points."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from likelihub_combine.convert import INTERPOLATION_CODES, Histogram, write_histograms

import likelihub as lh

#: Fits to compare: the histfactory backend's tight default (EDM below 1e-10), for both sides.
FIT_OPTIONS = {"edm_max": 1e-10}


def _tilt(values, slope: float, factor: float = 1.0) -> np.ndarray:
    """``values`` tilted linearly by ``slope`` and scaled to ``factor`` times their sum."""
    values = np.asarray(values, float)
    tilted = values * (1.0 + slope * np.linspace(-1.0, 1.0, values.size))
    return tilted * factor * values.sum() / tilted.sum()


def write_shape_card(folder: Path, variant: str) -> Path:
    """A two-channel shape card: a signal region with shape-only morphs (``jes``), a morph with a
    symmetric normalisation effect (``res``: kappas 1.25 and 0.8), an lnN, a rateParam and an
    empty signal bin (Combine floors it); a control region with autoMCStats.

    ``variant`` "lite": every autoMCStats bin Barlow-Beeston-lite (threshold 0, only bkg1 has
    errors); "per_process": threshold 5 and a low-count bin, where bkg1 gets a Poisson count and
    the signal a Gaussian of its own.
    """
    sig = np.array([0.2, 0.5, 0.8, 0.3, 0.0])
    b1, b2 = np.array([40.0, 30.0, 20.0, 10.0, 4.0]), np.full(5, 10.0)
    per_process = variant == "per_process"
    histograms = {
        "sr/data_obs": Histogram.of([45, 44, 41, 22, 5]),
        "sr/sig": Histogram.of(sig),
        "sr/sig_jesUp": Histogram.of(_tilt(sig, 0.1)),
        "sr/sig_jesDown": Histogram.of(_tilt(sig, -0.1)),
        "sr/bkg1": Histogram.of(b1),
        "sr/bkg1_jesUp": Histogram.of(_tilt(b1, 0.05)),
        "sr/bkg1_jesDown": Histogram.of(_tilt(b1, -0.08)),
        "sr/bkg2": Histogram.of(b2),
        "sr/bkg2_resUp": Histogram.of(_tilt(b2, 0.2, 1.25)),
        "sr/bkg2_resDown": Histogram.of(_tilt(b2, -0.1, 0.8)),
        "cr/data_obs": Histogram.of([160, 28, 8]),
        "cr/sig": Histogram.of([0, 0, 6.0], [0, 0, 0.5] if per_process else None),
        "cr/bkg1": Histogram.of([100, 20, 3.0], [5, 2, 2.0] if per_process else [5, 2, 0.3]),
        "cr/bkg2": Histogram.of([50, 10, 1.0]),
    }
    write_histograms(histograms, folder / "shapes.root")
    threshold = 5 if per_process else 0
    card = folder / f"{variant}.txt"
    card.write_text(f"""imax 2
jmax 2
kmax *
shapes * * shapes.root $CHANNEL/$PROCESS $CHANNEL/$PROCESS_$SYSTEMATIC
bin sr cr
observation -1 -1
bin     sr   sr   sr   cr   cr   cr
process sig  bkg1 bkg2 sig  bkg1 bkg2
process 0    1    2    0    1    2
rate    -1   -1   -1   -1   -1   -1
lumi lnN 1.025 1.025 - - 1.025 -
jes shape 1 1 - - - -
res shape - - 1 - - -
xs lnN 0.9/1.1111111111111112 - - - - -
nbkg2 rateParam * bkg2 1 [0,5]
cr autoMCStats {threshold}
""")
    return card


def workspace() -> dict:
    """A pyhf workspace of the modifiers a datacard holds exactly (under normsys code 1): symmetric
    normsys, a shape-only histosys, normfactors, lumi, a staterror on one unmorphed background and
    a one-bin shapesys of integer tau (25)."""
    lumi = {"name": "lumi", "type": "lumi", "data": None}
    jes = {"name": "jes", "type": "normsys", "data": {"hi": 1.05, "lo": 1 / 1.05}}
    sr_bkg, w_bkg = [30.0, 20.0, 10.0], [8.0, 5.0, 3.0]
    return {
        "version": "1.0.0",
        "channels": [
            {
                "name": "SR",
                "samples": [
                    {
                        "name": "signal",
                        "data": [1.0, 3.0, 2.0],
                        "modifiers": [
                            {"name": "mu", "type": "normfactor", "data": None},
                            lumi,
                            {"name": "theory", "type": "normsys", "data": {"hi": 1.1, "lo": 1 / 1.1}},
                        ],
                    },
                    {
                        "name": "ttbar",
                        "data": sr_bkg,
                        "modifiers": [
                            lumi,
                            jes,
                            {"name": "staterror_SR", "type": "staterror", "data": [1.5, 1.0, 0.8]},
                        ],
                    },
                    {
                        "name": "wjets",
                        "data": w_bkg,
                        "modifiers": [
                            {"name": "k_w", "type": "normfactor", "data": None},
                            {
                                "name": "shape_sys",
                                "type": "histosys",
                                "data": {
                                    "hi_data": list(_tilt(w_bkg, 0.1)),
                                    "lo_data": list(_tilt(w_bkg, -0.15)),
                                },
                            },
                        ],
                    },
                ],
            },
            {
                "name": "CR",
                "samples": [
                    {"name": "ttbar", "data": [100.0], "modifiers": [lumi, jes]},
                    {
                        "name": "wjets",
                        "data": [50.0],
                        "modifiers": [
                            {"name": "k_w", "type": "normfactor", "data": None},
                            {"name": "cr_stat", "type": "shapesys", "data": [10.0]},
                        ],
                    },
                ],
            },
        ],
        "observations": [{"name": "SR", "data": [38, 30, 17]}, {"name": "CR", "data": [160]}],
        "measurements": [
            {
                "name": "meas",
                "config": {
                    "poi": "mu",
                    "parameters": [
                        {
                            "name": "lumi",
                            "auxdata": [1.0],
                            "sigmas": [0.02],
                            "bounds": [[0.9, 1.1]],
                            "inits": [1.0],
                        },
                        {"name": "mu", "bounds": [[0.0, 5.0]]},
                        {"name": "k_w", "bounds": [[0.0, 4.0]]},
                    ],
                },
            }
        ],
    }


def histfactory(spec) -> lh.StatisticalModel:
    """The histfactory model of ``spec`` under the codes of Combine's lnN and shape lines."""
    return lh.get_backend("histfactory")(spec, interpolation_codes=INTERPOLATION_CODES)


def combine(card, **options) -> lh.StatisticalModel:
    return lh.get_backend("combine.datacard")(card, fit_options=FIT_OPTIONS, **options)


def points(model, count: int, seed: int) -> list[dict[str, float]]:
    """The initial point and ``count`` random points within +-1 of it (inside the bounds)."""
    rng = np.random.default_rng(seed)
    config = model.config
    result = [dict(zip(config.parameter_names, config.init, strict=True))]
    for _ in range(count):
        point = {}
        for name, (low, high), init, fixed in zip(
            config.parameter_names, config.bounds, config.init, config.fixed, strict=True
        ):
            point[name] = init if fixed else rng.uniform(max(low, init - 1.0), min(high, init + 1.0))
        result.append(point)
    return result


def vector(model, values: dict[str, float]) -> np.ndarray:
    """``values`` (by name) as ``model``'s parameter vector; parameters not named keep their init."""
    names = model.config.parameter_names
    return np.array([values.get(name, init) for name, init in zip(names, model.config.init, strict=True)])
