"""Per-bin modifiers shared across channels and samples, as pyhf 0.7.6 builds them (issue 11, item 2).

pyhf's rules: a shapefactor of one name couples bin k of every channel it acts on to one
parameter ``name[k]`` (as many parameters as the bins of the first channel, in sorted order); a
staterror has one parameter per bin of each channel it acts on; a shapesys belongs to one sample.
Origins of the numbers: pyhf's ROOT-validated multichannel example
(``validation/data/2bin_2channel_coupledshapefactor.json`` with the expected results of
``tests/test_validation.py`` in scikit-hep/pyhf: CLs_obs 0.5421679124909312, tolerance 2.5e-6
relative there), and pyhf 0.7.6 itself (peers venv, numpy backend) for parameter names, fixed
flags, auxiliary data, expected data and log-likelihoods, which we must reproduce to rounding
(1e-12 relative: the same sums in another order).
"""

from __future__ import annotations

import numpy as np
import pytest

import likelihub
from likelihub.errors import InvalidModelError
from likelihub_histfactory.compile import compile_model
from likelihub_histfactory.factory import build_backend
from likelihub_histfactory.spec.checks import model_parameters

MU = {"name": "mu", "type": "normfactor", "data": None}
SF = {"name": "sf", "type": "shapefactor", "data": None}
SS = {"name": "ss", "type": "shapesys", "data": [0.5, 0.6]}


def _stat(data):
    return {"name": "stat", "type": "staterror", "data": data}


def _sample(name, data, *modifiers):
    return {"name": name, "data": data, "modifiers": list(modifiers)}


def _observations(channels):
    """Observed counts of each channel: 3 + 2k + len(name) in bin k (any numbers serve)."""
    return {c["name"]: [float(3 + 2 * k + len(c["name"])) for k in range(len(c["samples"][0]["data"]))]
            for c in channels}


def _workspace(channels, observations=None, parameters=()):
    observations = observations or _observations(channels)
    return {"version": "1.0.0", "channels": channels,
            "observations": [{"name": name, "data": data} for name, data in observations.items()],
            "measurements": [{"name": "m", "config": {"poi": "mu", "parameters": list(parameters)}}]}


COUPLED_SHAPEFACTOR = [
    {"name": "signal", "samples": [
        _sample("signal", [20.0, 20.0], MU),
        _sample("bkg1", [100.0, 70.0], dict(SF, name="coupled_shapefactor"))]},
    {"name": "control", "samples": [
        _sample("background", [100.0, 100.0], dict(SF, name="coupled_shapefactor"))]},
]
COUPLED_OBSERVATIONS = {"signal": [220.0, 230.0], "control": [200.0, 300.0]}


def test_pyhf_root_validated_coupled_shapefactor():
    model = likelihub.get_backend("histfactory")(_workspace(COUPLED_SHAPEFACTOR, COUPLED_OBSERVATIONS))
    assert model.config.parameter_names == ("mu", "coupled_shapefactor[0]", "coupled_shapefactor[1]")
    # pyhf's tests/test_validation.py (ROOT-validated), test statistic q, tolerance 2.5e-6 relative
    result = model.cls(1.0, test_statistic="q")
    assert result.cls_obs == pytest.approx(0.5421679124909312, rel=2.5e-6)
    expected = [0.013753299929451691, 0.048887400056355966, 0.15555296253957684, 0.4007561343326305,
                0.7357169630955912]
    np.testing.assert_allclose(result.cls_exp, expected, rtol=2.5e-6)
    # pyhf 0.7.6's logpdf at three points (data: control then signal, as pyhf orders channels)
    for pars, expected in (([1.0, 1.0, 1.0], -291.959109405548), ([0.5, 2.1, 2.9], -15.667568639268097),
                           ([0.0, 2.0, 3.0], -16.485841575551717)):
        assert model.logpdf(pars) == pytest.approx(expected, rel=1e-12)


# pyhf 0.7.6 on the same specifications: par_names, suggested_fixed, auxdata, expected_actualdata and
# logpdf at suggested_init + 0.1 * arange(npars), observed data as _observations.
ACCEPTED = {
    "shapefactor_longer_channel_first": (
        [{"name": "A", "samples": [_sample("signal", [1.0, 1.0, 1.0], MU),
                                   _sample("bkg", [10., 20., 30.], SF)]},
         {"name": "B", "samples": [_sample("bkg2", [5., 6.], SF)]}],
        ["mu", "sf[0]", "sf[1]", "sf[2]"], [], [12.0, 25.0, 40.0, 5.5, 7.199999999999999], -42.3918172811029),
    "shapefactor_two_samples_and_channels": (
        [{"name": "A", "samples": [_sample("signal", [1.0, 1.0], MU), _sample("bkg", [10., 20.], SF),
                                   _sample("bkg2", [1., 2.], SF)]},
         {"name": "B", "samples": [_sample("bkg", [5., 6.], SF)]}],
        ["mu", "sf[0]", "sf[1]"], [], [13.1, 27.4, 5.5, 7.199999999999999], -23.897424558437763),
    "staterror_across_channels": (
        [{"name": "A", "samples": [_sample("signal", [1.0, 1.0], MU),
                                   _sample("bkg", [10., 20.], _stat([1., 2.]))]},
         {"name": "B", "samples": [_sample("bkg", [5., 6., 7.], _stat([.5, .6, .7]))]}],
        ["mu", "stat[0]", "stat[1]", "stat[2]", "stat[3]", "stat[4]"], [1.0] * 5,
        [12.0, 25.0, 6.5, 8.399999999999999, 10.5], -44.78049764014348),
    "staterror_two_samples_across_channels": (
        [{"name": "A", "samples": [_sample("signal", [1.0, 1.0], MU, _stat([0.3, 0.4])),
                                   _sample("bkg", [10., 20.], _stat([1., 2.]))]},
         {"name": "B", "samples": [_sample("signal", [2.0, 1.0, 0.5], MU, _stat([0.2, 0.1, 0.1])),
                                   _sample("bkg", [5., 6., 7.], _stat([.5, .6, .7]))]}],
        ["mu", "stat[0]", "stat[1]", "stat[2]", "stat[3]", "stat[4]"], [1.0] * 5,
        [12.1, 25.2, 9.1, 9.799999999999999, 11.25], -53.81953237945416),
}


@pytest.mark.parametrize("label", sorted(ACCEPTED))
def test_sharings_pyhf_accepts_give_pyhf_numbers(label):
    channels, names, auxdata, expected, logpdf = ACCEPTED[label]
    backend = build_backend(_workspace(channels))
    compiled = backend.compiled
    assert list(compiled.parameter_names) == names
    assert not compiled.fixed.any()  # pyhf: every suggested_fixed is False here
    np.testing.assert_array_equal(backend.data[compiled.n_main:], auxdata)  # exact small integers
    pars = compiled.init + 0.1 * np.arange(compiled.n_parameters)
    np.testing.assert_allclose(backend.expected_main(pars), expected, rtol=1e-12)
    assert backend.logpdf(pars, backend.data) == pytest.approx(logpdf, rel=1e-12)
    # the measurement may configure every component (the component counts the checks use)
    size = model_parameters(channels)[names[-1].split("[")[0]][1]
    assert size == len(names) - 1
    configured = _workspace(channels, parameters=[{"name": names[-1].split("[")[0], "inits": [1.5] * size}])
    assert np.all(build_backend(configured).compiled.init[1:] == 1.5)


REFUSED = {
    # pyhf: AssertionError (a staterror's samples must carry it in the same channels)
    "staterror_different_samples_per_channel": (
        [{"name": "A", "samples": [_sample("signal", [1.0, 1.0], MU),
                                   _sample("bkg", [10., 20.], _stat([1., 2.]))]},
         {"name": "B", "samples": [_sample("bkg2", [5., 6., 7.], _stat([.5, .6, .7]))]}],
        {"channel": "B", "sample": "bkg2", "modifier": "stat"},
        "sample 'bkg' carries 'stat' in ['A'], sample 'bkg2' in ['B']"),
    # pyhf: InvalidModel (shapesys is not shared)
    "shapesys_across_channels": (
        [{"name": "A", "samples": [_sample("signal", [1.0, 1.0], MU), _sample("bkg", [10., 20.], SS)]},
         {"name": "B", "samples": [_sample("bkg", [5., 6.], SS)]}],
        {"channel": "B", "sample": "bkg", "modifier": "ss"}, "belongs to one sample"),
    # pyhf builds it but reads its first parameter (mu) for B's bin 2
    "shapefactor_shorter_channel_first": (
        [{"name": "A", "samples": [_sample("signal", [1.0, 1.0], MU), _sample("bkg", [10., 20.], SF)]},
         {"name": "B", "samples": [_sample("bkg2", [5., 6., 7.], SF)]}],
        {"channel": "B", "sample": "bkg2", "modifier": "sf"}, "there is none for bin 2"),
}


@pytest.mark.parametrize("label", sorted(REFUSED))
def test_sharings_pyhf_refuses_are_refused_with_the_place(label):
    channels, location, reason = REFUSED[label]
    with pytest.raises(InvalidModelError) as caught:
        build_backend(_workspace(channels))
    assert caught.value.location == location
    assert reason in caught.value.reason


@pytest.mark.parametrize("label", ["staterror_different_samples_per_channel",
                                   "shapefactor_shorter_channel_first"])
def test_compile_model_refuses_them_too(label):
    # compile_model is public: called without the workspace checks, it refuses the same models
    channels, location, _ = REFUSED[label]
    with pytest.raises(InvalidModelError) as caught:
        compile_model({"channels": channels}, _observations(channels), "mu")
    assert caught.value.location["sample"] == location["sample"]
    assert caught.value.location["modifier"] == location["modifier"]
