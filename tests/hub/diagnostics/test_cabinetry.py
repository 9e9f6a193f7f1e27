"""The diagnostics of ATLAS sbottom RegionC (sbottom.py: 3 channels, 66 parameters) against
cabinetry 0.6.0's on the same workspace (cabinetry_sbottom.json, written by
make_cabinetry_reference.py with the peers' Python; origin and settings stated there).

Tolerances, by origin:
- best fit and pulls: both minima are tight (cabinetry's MIGRAD at tolerance 1e-6, EDM < 2e-9;
  likelihub's Newton at EDM < 1e-10): 2e-4 absolute on values and pulls of order 1 (seen 4e-5).
- uncertainties, constraints, correlations: likelihub's are the exact Hessian's. The reference for
  those is the Hessian of pyhf's own -log L by central second differences at cabinetry's minimum
  (step 1e-4: truncation ~1e-8, rounding ~1e-6 relative): 1e-4 relative (uncertainties) and 1e-4
  absolute (correlations). MINUIT's HESSE, whose steps are a fraction of each uncertainty, differs
  from the exact Hessian where -log L is not quadratic on that scale (code-4p histosys of the JER
  parameters): 3% relative and 0.03 absolute against cabinetry's own numbers (seen 1.7%).
- ranking with cabinetry's fit (the same held values theta-hat +- sigma): each conditional mu-hat
  of cabinetry is within ~sqrt(2 EDM) sigma_mu of its minimum at its ranking tolerance 1e-4
  (EDM < 2e-7): 1e-3 absolute on impacts up to 0.16 (seen 1.2e-4). With likelihub's own fit the
  post-fit shifts are the Hessian's sigma, up to 1.7% away from HESSE's: 3% relative plus 1e-3
  absolute (seen 1.8e-3 on an impact of 0.155).
- yields: pre-fit yields and bands involve no fit (the same +-1 sigma variations of the same
  model): 1e-8 relative (seen 4e-10). Post-fit with cabinetry's fit (values, HESSE uncertainties
  and correlations) given: the same arithmetic on the same inputs, 1e-8 relative (seen 3e-9).
  Post-fit with likelihub's fit: its minimum is within 2e-5 of cabinetry's, which moves a small
  sample's yield by up to 4e-4 of itself: 1e-4 of the bin's total (seen 6e-6); its bands against
  cabinetry's yield_stdev with the finite-difference covariance: 1e-3 relative (seen 6e-5), and
  against cabinetry's own (HESSE): 3% relative (seen 0.9%).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

import likelihub as lh
from likelihub import diagnostics
from likelihub.fits.result import FitResult

from .sbottom import workspace

pytest.importorskip("likelihub_histfactory")

REFERENCE = json.loads((Path(__file__).parent / "cabinetry_sbottom.json").read_text())
LABELS = REFERENCE["labels"]


@pytest.fixture(scope="module")
def model(shared_data):
    return lh.get_backend("histfactory")(workspace(shared_data))


@pytest.fixture(scope="module")
def fit(model):
    return model.fit()


def in_reference_order(model, values):
    names = list(model.config.parameter_names)
    return np.asarray(values)[[names.index(label) for label in LABELS]]


def cabinetry_fit(model) -> FitResult:
    """cabinetry's best fit as a likelihub FitResult (values, HESSE uncertainties and correlations)."""
    names = list(model.config.parameter_names)
    order = [LABELS.index(name) for name in names]
    sigma = np.array(REFERENCE["fit"]["uncertainty"])[order]
    correlation = np.array(REFERENCE["correlation"])[np.ix_(order, order)]
    return FitResult(values=np.array(REFERENCE["fit"]["bestfit"])[order], uncertainties=sigma,
                     nll=REFERENCE["fit"]["twice_nll"] / 2, converged=True, edm=0.0, n_evaluations=0,
                     parameter_names=tuple(names), fixed=np.zeros(len(names), bool), method="cabinetry",
                     covariance=correlation * np.outer(sigma, sigma))


def test_best_fit_and_pulls(model, fit):
    np.testing.assert_allclose(in_reference_order(model, fit.values), REFERENCE["fit"]["bestfit"], atol=2e-4)
    result = diagnostics.pulls(model, fit)
    centre, width = np.array(REFERENCE["prefit"]["centre"]), np.array(REFERENCE["prefit"]["width"])
    np.testing.assert_allclose(in_reference_order(model, result.prefit_centre), centre, atol=1e-12)
    np.testing.assert_allclose(in_reference_order(model, result.prefit_width), width, rtol=1e-9)
    constrained = width > 0
    expected = (np.array(REFERENCE["fit"]["bestfit"]) - centre)[constrained] / width[constrained]
    np.testing.assert_allclose(in_reference_order(model, result.pull)[constrained], expected, atol=2e-4)
    assert np.isnan(in_reference_order(model, result.pull)[~constrained]).all()  # mu_SIG, mu_ttbar, mu_z


def test_uncertainties_constraints_and_correlations(model, fit):
    exact = np.array(REFERENCE["hessian"]["uncertainty"])
    np.testing.assert_allclose(in_reference_order(model, fit.uncertainties), exact, rtol=1e-4)
    hesse = np.array(REFERENCE["fit"]["uncertainty"])
    np.testing.assert_allclose(in_reference_order(model, fit.uncertainties), hesse, rtol=3e-2)
    result = diagnostics.correlations(model, fit)
    order = [result.parameters.index(label) for label in LABELS]
    matrix = result.matrix[np.ix_(order, order)]
    np.testing.assert_allclose(matrix, REFERENCE["hessian"]["correlation"], atol=1e-4)
    np.testing.assert_allclose(matrix, REFERENCE["correlation"], atol=3e-2)


def _impacts(result, reference_names):
    return np.array([[result.impact(name)[key] for key in ("prefit_up", "prefit_down", "postfit_up",
                                                            "postfit_down")] for name in reference_names])


def _reference_impacts():
    ranking = REFERENCE["ranking"]
    return ranking["labels"], np.array([ranking["prefit_up"], ranking["prefit_down"], ranking["postfit_up"],
                                        ranking["postfit_down"]]).T


def test_ranking_from_cabinetry_fit_matches_cabinetry(model):
    names, expected = _reference_impacts()
    result = diagnostics.ranking(model, cabinetry_fit(model))
    assert sorted(result.parameters) == sorted(names)
    np.testing.assert_allclose(_impacts(result, names), expected, atol=1e-3)


def test_ranking_from_likelihubs_fit(model, fit):
    names, expected = _reference_impacts()
    result = diagnostics.ranking(model, fit)
    np.testing.assert_allclose(_impacts(result, names), expected, rtol=3e-2, atol=1e-3)
    biggest = names[int(np.argmax(np.abs(expected[:, 2:]).max(axis=1)))]
    assert result.parameters[0] == biggest  # the same parameter ranks first


def test_impact_fits_in_lock_step_equal_fits_made_alone(model, fit):
    # the masked lock-step fits against model.fit with the parameter fixed: the same minimum
    result = diagnostics.ranking(model, fit, parameters=["JET_JER_EffectiveNP_3", "mu_z", "lumi"])
    poi = model.config.poi_index
    for name in result.parameters:
        i = model.config.parameter_names.index(name)
        alone = model.fit(fixed={name: fit.values[i] + fit.uncertainties[i]}, uncertainties=False)
        shift = alone.values[poi] - fit.values[poi]
        assert result.impact(name)["postfit_up"] == pytest.approx(shift, abs=1e-6)


def _yields_in_reference_layout(result):
    assert list(result.channels) == REFERENCE["yields"]["channels"]
    assert list(result.samples) == REFERENCE["yields"]["samples"]
    slices = result.layout.slices()
    yields = [result.yields[:, slices[c]] for c in result.channels]
    stdev = [np.vstack([result.stdev[:, slices[c]], result.total_stdev[None, slices[c]]])
             for c in result.channels]
    per_channel = np.vstack([result.channel_stdev, result.channel_total_stdev[None, :]]).T
    totals = [result.total[slices[c]] for c in result.channels]
    return yields, stdev, per_channel, totals


def _compare(ours, theirs, **close):
    for mine, reference in zip(ours, theirs, strict=True):
        np.testing.assert_allclose(mine, reference, **close)


@pytest.mark.parametrize("label", ["prefit", "postfit"])
def test_yields_and_bands_as_cabinetrys(model, label):
    # pre-fit, and post-fit from cabinetry's own fit: the same inputs, the same arithmetic
    reference = REFERENCE["yields"][label]
    result = (diagnostics.yields(model, prefit=True) if label == "prefit"
              else diagnostics.yields(model, cabinetry_fit(model)))
    yields, stdev, per_channel, _ = _yields_in_reference_layout(result)
    _compare(yields, reference["yields"], rtol=1e-8, atol=1e-12)
    _compare(stdev, reference["stdev_bins"], rtol=1e-8, atol=1e-12)
    np.testing.assert_allclose(per_channel, reference["stdev_channels"], rtol=1e-8)


def test_postfit_yields_and_bands_of_likelihubs_fit(model, fit):
    reference = REFERENCE["yields"]["postfit"]
    yields, stdev, per_channel, totals = _yields_in_reference_layout(diagnostics.yields(model, fit))
    for mine, theirs, total in zip(yields, reference["yields"], totals, strict=True):
        np.testing.assert_allclose(mine, theirs, rtol=0, atol=1e-4 * float(total.max()))
    exact = REFERENCE["yields"]["postfit_hessian"]
    _compare(stdev, exact["stdev_bins"], rtol=1e-3, atol=1e-12)
    np.testing.assert_allclose(per_channel, exact["stdev_channels"], rtol=1e-3)
    _compare(stdev, reference["stdev_bins"], rtol=3e-2, atol=1e-12)
