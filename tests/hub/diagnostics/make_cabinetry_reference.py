"""Produce cabinetry_sbottom.json, cabinetry 0.6.0's diagnostics of the sbottom model (run by hand,
with the peers; the shared data beside the repository):

    /root/.cache/likelihub-peers/bin/python tests/hub/diagnostics/make_cabinetry_reference.py

The model is :mod:`sbottom`'s. cabinetry fits with pyhf 0.7.6 (numpy backend) and MINUIT (numerical
gradients, HESSE after MIGRAD); the tolerance is tightened from iminuit's 0.1 to 1e-6 (MIGRAD stops
at EDM < 2e-9 in units of 2 NLL), so that the reference minimum is as tight as likelihub's.

The nominal fit is made with mu_SIG's bounds widened to [-10, 10]: mu-hat is 0.21, 0.37 sigma from
its lower bound 0, where HESSE (on MINUIT's internal, transformed parameter) gives 0.566 instead of
the 0.581 of the Hessian at the same minimum; with the bound away, the minimum is the same (the
likelihood does not know the bound) and HESSE the Hessian's. The ranking's fits keep the model's
bounds [0, 10] (mu-hat may hit 0 there, as in likelihub's). As a second reference for the
covariance, ``hessian``: the uncertainties and correlations from central second differences of
pyhf's own -log L at cabinetry's minimum (step 1e-4 in every parameter): HESSE's steps are a
fraction of each uncertainty and differ from the exact Hessian by up to 2% where -log L is not
quadratic on that scale (code-4p histosys). Stored:

- ``fit``: best-fit values, uncertainties (HESSE), 2 NLL, in ``labels`` order;
- ``hessian``: uncertainties and correlation matrix from the finite-difference Hessian;
- ``prefit``: cabinetry's pre-fit centres (``model_utils.asimov_parameters``) and widths
  (``model_utils.prefit_uncertainties``, 0 for unconstrained parameters);
- ``correlation``: the fit's correlation matrix, rows and columns in ``labels`` order;
- ``ranking``: ``cabinetry.fit.ranking`` (prefit and postfit up/down impacts on mu_SIG);
- ``yields``: ``model_utils.prediction`` pre-fit and post-fit: yields per channel, sample and bin,
  their standard deviations (the last sample entry is the sum over samples) and per channel; and
  ``postfit_hessian``: ``model_utils.yield_stdev`` with the finite-difference Hessian's covariance;
- ``timing_seconds``: seconds of ``cabinetry.fit.ranking`` (the nominal fit given) at the ranking's
  tolerance (one run) and at cabinetry's default (the median of three), on the machine that ran it.
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import time
from pathlib import Path

import cabinetry
import numpy as np
import pyhf

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from sbottom import PATCH, workspace  # noqa: E402

TOLERANCE = 1e-6
#: The ranking's fits: at 1e-6 one of MINUIT's fits (numerical gradients) ends invalid, at 1e-4
#: (EDM < 2e-7) all converge; mu-hat is then within ~sqrt(2 EDM) sigma_mu ~ 4e-4 of the minimum.
RANKING_TOLERANCE = 1e-4
RUNS = 3


def rounded(values, digits: int = 10):
    return [float(f"{v:.{digits}g}") for v in np.asarray(values, dtype=float).ravel()]


def nested(values, digits: int = 10):
    if isinstance(values, (list, tuple)) or (isinstance(values, np.ndarray) and values.ndim > 0):
        return [nested(v, digits) for v in values]
    return float(f"{float(values):.{digits}g}")


def finite_difference_covariance(model, data, at, step: float = 1e-4):
    """(uncertainties, correlation) from central second differences of pyhf's -log L at ``at``."""
    def nll(x):
        return -float(model.logpdf(np.asarray(x, dtype=float), data)[0])

    n = len(at)
    hessian = np.empty((n, n))
    f0 = nll(at)
    for i in range(n):
        for j in range(i, n):
            if i == j:
                up, down = at.copy(), at.copy()
                up[i] += step
                down[i] -= step
                hessian[i, i] = (nll(up) - 2.0 * f0 + nll(down)) / step**2
                continue
            values = []
            for si, sj in ((1, 1), (1, -1), (-1, 1), (-1, -1)):
                x = at.copy()
                x[i] += si * step
                x[j] += sj * step
                values.append(nll(x))
            hessian[i, j] = hessian[j, i] = (values[0] - values[1] - values[2] + values[3]) / (4 * step**2)
    covariance = np.linalg.inv(hessian)
    sigma = np.sqrt(np.diag(covariance))
    return sigma, covariance / np.outer(sigma, sigma)


def median_seconds(call) -> float | str:
    """The median of RUNS runs of ``call``, or why it failed (a MINUIT fit may end invalid)."""
    times = []
    for _ in range(RUNS):
        start = time.perf_counter()
        try:
            call()
        except Exception as error:  # pyhf's FailedMinimization: the timing is not comparable
            return f"failed: {type(error).__name__}"
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    shared = Path(os.environ.get("LIKELIHUB_SHARED_DATA") or HERE.parents[3] / "shared" / "data")
    pyhf.set_backend("numpy")
    model, data = cabinetry.model_utils.model_and_data(workspace(shared))
    wide = model.config.suggested_bounds()
    wide[model.config.poi_index] = (-10.0, 10.0)
    fit = cabinetry.fit.fit(model, data, tolerance=TOLERANCE, par_bounds=wide)
    labels = list(fit.labels)
    start = time.perf_counter()
    ranking = cabinetry.fit.ranking(model, data, fit_results=fit, tolerance=RANKING_TOLERANCE)
    reference_seconds = time.perf_counter() - start
    prefit = cabinetry.model_utils.prediction(model)
    postfit = cabinetry.model_utils.prediction(model, fit_results=fit)
    sigma, correlation = finite_difference_covariance(model, data, np.array(fit.bestfit, dtype=float))
    hessian_bins, hessian_channels = cabinetry.model_utils.yield_stdev(
        model, np.array(fit.bestfit, dtype=float), sigma, correlation)
    out = {
        "origin": f"cabinetry {cabinetry.__version__}, pyhf {pyhf.__version__}, numpy backend; "
                  f"tests/hub/diagnostics/make_cabinetry_reference.py; model: sbottom {PATCH}",
        "tolerance": TOLERANCE, "ranking_tolerance": RANKING_TOLERANCE,
        "labels": labels,
        "fit": {"bestfit": rounded(fit.bestfit), "uncertainty": rounded(fit.uncertainty),
                "twice_nll": float(fit.best_twice_nll)},
        "prefit": {"centre": rounded(cabinetry.model_utils.asimov_parameters(model)),
                   "width": rounded(cabinetry.model_utils.prefit_uncertainties(model))},
        "correlation": [rounded(row, 8) for row in fit.corr_mat],
        "hessian": {"uncertainty": rounded(sigma), "correlation": [rounded(row, 8) for row in correlation]},
        "ranking": {"labels": list(ranking.labels), "prefit_up": rounded(ranking.prefit_up),
                    "prefit_down": rounded(ranking.prefit_down), "postfit_up": rounded(ranking.postfit_up),
                    "postfit_down": rounded(ranking.postfit_down)},
        "yields": {
            "channels": list(model.config.channels), "samples": list(model.config.samples),
            **{label: {"yields": nested(p.model_yields), "stdev_bins": nested(p.total_stdev_model_bins),
                       "stdev_channels": nested(p.total_stdev_model_channels)}
               for label, p in (("prefit", prefit), ("postfit", postfit))},
            "postfit_hessian": {"stdev_bins": nested(hessian_bins),
                                "stdev_channels": nested(hessian_channels)}},
    }
    path = HERE / "cabinetry_sbottom.json"
    path.write_text(json.dumps(out, indent=None, separators=(",", ":")) + "\n")
    print(f"wrote {path} ({path.stat().st_size} bytes)")
    out["timing_seconds"] = {"ranking_tolerance_1e-4 (one run)": reference_seconds,
                             "ranking_default_tolerance (median)": median_seconds(
                                 lambda: cabinetry.fit.ranking(model, data, fit_results=fit))}
    path.write_text(json.dumps(out, indent=None, separators=(",", ":")) + "\n")
    print(f"timings {out['timing_seconds']}")


if __name__ == "__main__":
    main()
