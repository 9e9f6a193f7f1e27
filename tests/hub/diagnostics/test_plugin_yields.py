"""The yields capability of the bundled plugins (``yield_layout``/``expected_yields``).

- HistFactory: the samples add up to the kernel's expected counts (the same entries summed, 1e-12
  relative); per-sample values against pyhf are in test_cabinetry.py.
- Combine: the processes (and the autoMCStats lite terms) add up to the likelihood's expected bins
  (1e-12 relative); at the nominal parameters each process's yield is the card's ``rate`` line
  (realistic-multi-channel.txt: higgs 0.34, ZTT 190, QCD 327 in e_tau, ...), and its pre-fit band
  is the lnN closed form: the yield scales by kappa^theta, so +-1 sigma changes it by
  rate (kappa - 1/kappa) / 2, added in quadrature over the card's lnN lines (1e-12 relative).
"""

from __future__ import annotations

import json

import numpy as np
import pytest

import likelihub as lh
from likelihub import diagnostics


def random_points(model, n=3, seed=1):
    rng = np.random.default_rng(seed)
    free = ~np.array(model.config.fixed, dtype=bool)
    for _ in range(n):
        pars = np.array(model.config.init) + 0.3 * rng.standard_normal(model.config.n_parameters) * free
        yield np.clip(pars, model.config.bounds[:, 0], model.config.bounds[:, 1])


def test_histfactory_samples_add_up_to_the_expected_counts():
    pytest.importorskip("likelihub_histfactory")
    from likelihub_histfactory.example import EXAMPLE_WORKSPACE

    model = lh.get_backend("histfactory")(json.loads(EXAMPLE_WORKSPACE.read_text()))
    layout = model.backend.yield_layout()
    assert layout.channels == ("CR", "SR") and layout.samples == ("signal", "ttbar", "wjets")
    for pars in random_points(model):
        yields = model.backend.expected_yields(pars)
        np.testing.assert_allclose(yields.sum(axis=0), model.backend.expected_main(pars), rtol=1e-12)
        assert not yields[0, layout.slices()["CR"]].any()  # no signal in the control region


@pytest.mark.parametrize("card, mass", [
    ("combine_tutorials/realistic-multi-channel.txt", None),
    ("combine_docs/longexercise_part3_combined/datacard_part3.txt", 200),  # autoMCStats (lite)
])
def test_combine_processes_add_up_to_the_expected_bins(shared_data, card, mass):
    pytest.importorskip("likelihub_combine")
    options = {} if mass is None else {"mass": mass}
    model = lh.get_backend("combine.datacard")(str(shared_data / "datacards" / card), **options)
    for pars in random_points(model):
        yields = model.backend.expected_yields(pars)
        np.testing.assert_allclose(yields.sum(axis=0), model.backend.expected_main(pars), rtol=1e-12)


def test_combine_prefit_yields_are_the_rate_line_with_lnN_bands(shared_data):
    pytest.importorskip("likelihub_combine")
    path = shared_data / "datacards" / "combine_tutorials" / "realistic-multi-channel.txt"
    result = diagnostics.yields(lh.get_backend("combine.datacard")(str(path)), prefit=True)
    assert result.channels == ("e_tau", "mu_tau", "e_mu")
    assert result.samples == ("higgs", "ZTT", "QCD", "other")
    e_tau = result.channel("e_tau")["samples"]
    assert [e_tau[s]["yields"][0] for s in ("higgs", "ZTT", "QCD", "other")] == \
        pytest.approx([0.34, 190.0, 327.0, 0.0], rel=1e-12)

    def change(kappa):
        return (kappa - 1.0 / kappa) / 2.0

    # ZTT in e_tau: tauid 1.23, ZtoLL 1.04, effic 1.04 (the card's lnN lines on that column)
    expected = 190.0 * np.sqrt(change(1.23) ** 2 + 2 * change(1.04) ** 2)
    assert e_tau["ZTT"]["stdev"][0] == pytest.approx(expected, rel=1e-12)
