"""HS3 files written by ROOT and by pyhs3's authors (../shared/data/hs3) against the pyhf JSON of
the same likelihood.

Origins: each ``*_hs3.json`` is published beside a ``*_hifa.json`` (pyhf JSON) of the same
likelihood (pyhs3's test suite, shared/data/hs3/README.md); the histfactory backend's model of the
pyhf JSON is the reference (held to pyhf 0.7.6 in tests/histfactory). The HS3 model has one more
parameter, ROOT's ``Lumi`` normfactor, constant at 1: it is set there. -log L agrees to rounding
(1e-10 relative) at several points, CLs at mu = 1 to 1e-8 (the same fits).

ROOT's file (ROOT 6.40 from the PyPI ``root`` 0.1a12 wheel) has no pyhf pair; its README gives
the model (signal 5, 10 with mu; background 50, 60 with a Poisson shapesys of vals 5, 12; data
55, 65; a Gaussian luminosity constraint of width 0.1 on the constant ``Lumi``). ROOT reads a
shapesys's vals as relative uncertainties: tau = 1 / vals^2, which is what ROOT wrote as the
global observables nom_gamma (0.04 and 1/144) in the file's ``NominalParamValues``. The pair is
that model in pyhf JSON: shapesys uncertainties vals * nominal = 250, 720, and ``lumi`` with
auxdata 1 and sigma 0.1 (fixed, as ``Lumi`` is constant).
"""

from __future__ import annotations

import json

import numpy as np
import pytest

import likelihub

PAIRS = {
    "simplemodel_uncorrelated-background": {"mu": "mu", "uncorr_bkguncrt_0": "uncorr_bkguncrt[0]",
                                            "uncorr_bkguncrt_1": "uncorr_bkguncrt[1]"},
    "simplemodel_correlated-background": {"mu": "mu",
                                          "alpha_correlated_bkg_uncertainty": "correlated_bkg_uncertainty"},
}
ROOT_FILE = "root_0.1a12_export_example_hs3.json"
ROOT_PAIR = {
    "version": "1.0.0",
    "channels": [{"name": "singlechannel", "samples": [
        {"name": "signal", "data": [5.0, 10.0], "modifiers": [
            {"name": "mu", "type": "normfactor", "data": None},
            {"name": "lumi", "type": "lumi", "data": None}]},
        {"name": "background", "data": [50.0, 60.0], "modifiers": [
            {"name": "lumi", "type": "lumi", "data": None},
            {"name": "uncorr_bkguncrt", "type": "shapesys", "data": [250.0, 720.0]}]}]}],
    "observations": [{"name": "singlechannel", "data": [55.0, 65.0]}],
    "measurements": [{"name": "meas", "config": {"poi": "mu", "parameters": [
        {"name": "lumi", "auxdata": [1.0], "sigmas": [0.1], "fixed": True}]}}],
}
ROOT_NAMES = {"mu": "mu", "Lumi": "lumi", "gamma_uncorr_bkguncrt_bin_0": "uncorr_bkguncrt[0]",
              "gamma_uncorr_bkguncrt_bin_1": "uncorr_bkguncrt[1]"}


def _compare(hs3_model, pyhf_model, names: dict, points: int = 4) -> None:
    """-log L at the initial point and random points mapped by name; CLs at mu = 1."""
    rng = np.random.default_rng(7)
    ours, theirs = hs3_model.config, pyhf_model.config
    for k in range(points):
        values = {n: x for n, x in zip(theirs.parameter_names, theirs.init, strict=True)}
        if k:
            values = {n: x + rng.normal(0.0, 0.1) for n, x in values.items()}
        pars = ours.parameters({h: values[p] for h, p in names.items()})
        expected = pyhf_model.logpdf(theirs.parameters({names[h]: pars[ours.index(h)] for h in names}))
        assert hs3_model.logpdf(pars) == pytest.approx(expected, rel=1e-10)
    a, b = hs3_model.cls(1.0), pyhf_model.cls(1.0)
    assert a.cls_obs == pytest.approx(b.cls_obs, rel=1e-8)
    np.testing.assert_allclose(a.cls_exp, b.cls_exp, rtol=1e-8)


@pytest.mark.parametrize("base", sorted(PAIRS))
def test_pyhs3_files_equal_their_pyhf_pairs(shared_data, base):
    folder = shared_data / "hs3"
    model = likelihub.get_backend("hs3")(folder / f"{base}_hs3.json")
    reference = likelihub.get_backend("histfactory")(folder / f"{base}_hifa.json")
    assert model.config.poi_name == "mu"
    assert model.config.fixed[model.config.index("Lumi")]
    _compare(model, reference, PAIRS[base])


@pytest.mark.parametrize("base, pyhs3_logpdf", [
    # pyhs3 0.4.2 (peers venv): Workspace.model(analysis "simPdf_obsData", parameter point
    # "default_values").log_prob compiled by pytensor, evaluated at the point's values
    ("simplemodel_uncorrelated-background", -15.387627173157313),
    ("simplemodel_correlated-background", -9.64813426184306),
])
def test_pyhs3_reads_the_same_number(shared_data, base, pyhs3_logpdf):
    model = likelihub.get_backend("hs3")(shared_data / "hs3" / f"{base}_hs3.json",
                                         parameter_point="default_values")
    # another implementation (pytensor) of the same sums: rounding, 1e-12 relative
    assert model.logpdf(model.config.init) == pytest.approx(pyhs3_logpdf, rel=1e-12)


def test_root_file(shared_data):
    path = shared_data / "hs3" / ROOT_FILE
    model = likelihub.get_backend("hs3")(path)
    assert model.config.parameter_names == ("Lumi", "mu", "gamma_uncorr_bkguncrt_bin_0",
                                            "gamma_uncorr_bkguncrt_bin_1")
    assert list(model.config.fixed) == [True, False, False, False]
    # the domain of the analysis: gamma in [0, 1 + 5 vals] (ROOT), mu in [0, 10]
    np.testing.assert_array_equal(model.config.bounds, [[0, 10], [0, 10], [0, 26], [0, 61]])
    # observed data, then the auxiliary data: lumi 1 and tau = 1 / vals^2
    np.testing.assert_allclose(model.data, [55, 65, 1.0, 1 / 25, 1 / 144], rtol=1e-15)
    fit = model.fit()
    assert np.isfinite(fit.nll) and 0 <= fit.values[1] <= 10
    reference = likelihub.get_backend("histfactory")(ROOT_PAIR)
    _compare(model, reference, ROOT_NAMES)


def test_root_conventions_are_checked(shared_data):
    path = shared_data / "hs3" / ROOT_FILE
    document = json.loads(path.read_text())
    # pyhs3's reading (absolute uncertainties, tau = (nominal / vals)^2 = 100, 25) contradicts the
    # file's global observables: refused when the convention is guessed ...
    document["metadata"]["packages"] = []
    with pytest.raises(likelihub.errors.InvalidModelError, match=r"nom_gamma_uncorr_bkguncrt_bin_0 = 0\.04"):
        likelihub.get_backend("hs3")(document)
    # ... and taken as asked when it is given
    model = likelihub.get_backend("hs3")(document, shapesys_vals="absolute")
    np.testing.assert_allclose(model.data[2:], [1.0, 100.0, 25.0], rtol=1e-15)
