"""combine.datacard on shape cards (TH1 templates read with uproot): Combine's FitDiagnostics
numbers from its long exercise (../shared/data/datacards/combine_docs/longexercise_part2_shape).

Combine's minimiser stops at its tolerance (Minuit2, tolerance 0.1: an EDM ~1e-3), so its best
fit lies within a few 1e-3 of the exact minimum likelihub finds, and its HESSE errors, computed
there and printed with three digits, within a few per cent: hence abs 0.005 on values and rel
0.03 on uncertainties.
"""

from __future__ import annotations

import json

import pytest

import likelihub as lh

VALUES, ERRORS = 0.005, 0.03


def model(shared_data, card):
    folder = shared_data / "datacards" / "combine_docs" / "longexercise_part2_shape"
    return folder, lh.get_backend("combine.datacard")(folder / card, mass="800", r_range=(-20, 20))


def test_fitdiagnostics_signal_fit_of_the_shape_card(shared_data):
    # Reference: docs/part5/longexercise.md, the fit_s RooFitResult (shape morphing of five
    # shape systematics, lnN, $MASS patterns); `combine -M FitDiagnostics --rMin -20 --rMax 20`.
    folder, card = model(shared_data, "datacard_part2_shapes.txt")
    reference = json.loads((folder / "references.json").read_text())["results"][0]
    fit = card.fit()
    names = card.config.parameter_names
    expected = reference["fit_s (RooFitResult, HESSE)"]
    assert sorted(names) == sorted(expected)  # Combine's names, nothing more
    for name, (value, error) in expected.items():
        index = names.index(name)
        assert fit.values[index] == pytest.approx(value, abs=VALUES), name
        assert fit.uncertainties[index] == pytest.approx(error, rel=ERRORS), name


def test_fitdiagnostics_best_fit_with_automcstats(shared_data):
    # Reference: docs/part5/longexerciseanswers.md: r = -3.07825 with autoMCStats (threshold 0:
    # one Barlow-Beeston-lite parameter per bin, named prop_bin<channel>_bin<j>).
    _, card = model(shared_data, "datacard_part2_shapes_autoMCStats.txt")
    fit = card.fit()
    assert fit.values[0] == pytest.approx(-3.07825, abs=VALUES)
    assert any(name.startswith("prop_binsignal_region_bin") for name in card.config.parameter_names)
