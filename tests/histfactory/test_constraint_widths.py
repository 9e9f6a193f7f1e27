"""Degenerate constraint widths and the errors that name their place (issue 11, items 1 and 3).

The rule (``constraints``): a zero uncertainty fixes its parameter, as pyhf does; any other
relative width (staterror sigma, shapesys 1 / sqrt(tau), a measurement's sigmas and factors) must
lie within ``RELATIVE_WIDTH_LIMITS`` = (1e-100, 1e100), else the model is refused with an error
naming file, channel, sample, modifier and bin (or the measurement's parameter setting and
component). Every way a width can be degenerate is covered: zero, below and above the limits,
squares that underflow or overflow, not finite; at the limits themselves the model builds and
every kernel stays finite over the parameters' bounds.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from likelihub.errors import InvalidModelError
from likelihub_histfactory.factory import build_backend
from likelihub_histfactory.modifiers.constraints import RELATIVE_WIDTH_LIMITS

LOW, HIGH = RELATIVE_WIDTH_LIMITS


def workspace(background=(4.0, 5.0), staterror=(1.0, 1.0), shapesys=(1.0, 1.0), lumi_sigma=0.02,
              extra_parameters=()):
    """SR (2 bins): a signal with mu; a background with a staterror, a shapesys and lumi."""
    return {"version": "1.0.0",
            "channels": [{"name": "SR", "samples": [
                {"name": "signal", "data": [1.0, 1.0],
                 "modifiers": [{"name": "mu", "type": "normfactor", "data": None}]},
                {"name": "background", "data": list(background), "modifiers": [
                    {"name": "stat", "type": "staterror", "data": list(staterror)},
                    {"name": "syst", "type": "shapesys", "data": list(shapesys)},
                    {"name": "lumi", "type": "lumi", "data": None}]}]}],
            "observations": [{"name": "SR", "data": [4.0, 5.0]}],
            "measurements": [{"name": "m", "config": {"poi": "mu", "parameters": [
                {"name": "lumi", "auxdata": [1.0], "sigmas": [lumi_sigma], "bounds": [[0.5, 1.5]]},
                *extra_parameters]}}]}


def error_of(spec, tmp_path=None) -> InvalidModelError:
    source = spec
    if tmp_path is not None:
        source = tmp_path / "ws.json"
        source.write_text(json.dumps(spec))
    with pytest.raises(InvalidModelError) as caught:
        build_backend(source)
    return caught.value


def _finite_everywhere(backend):
    # -log L, its gradient and Hessian are finite for the observed data at the initial parameters,
    # and for the expected data (a point of non-zero probability) at the initial parameters and at
    # the lower and upper corners of the box of bounds
    c = backend.compiled
    cases = [(c.init, backend.data)] + [(pars, backend.expected_data(pars))
                                        for pars in (c.init, c.bounds[:, 0], c.bounds[:, 1])]
    for pars, data in cases:
        value, grad, hessian = backend.value_grad_and_hessian(pars, data)
        assert math.isfinite(value) and np.all(np.isfinite(grad)) and np.all(np.isfinite(hessian))


# -- zero uncertainties: fixed, as pyhf ----------------------------------------------------------
def test_zero_uncertainties_fix_their_parameters_as_pyhf():
    spec = workspace(background=(0.0, 5.0), staterror=(0.0, 1.0), shapesys=(1.0, 0.0))
    spec["observations"][0]["data"] = [1.0, 5.0]
    backend = build_backend(spec)
    c = backend.compiled
    fixed = dict(zip(c.parameter_names, c.fixed, strict=True))
    # pyhf 0.7.6: staterror bin of zero width (and of zero total yield) fixed; shapesys bins with a
    # non-positive yield or uncertainty fixed (tau 1)
    assert fixed["stat[0]"] and not fixed["stat[1]"]
    assert fixed["syst[0]"] and fixed["syst[1]"]
    _finite_everywhere(backend)


def test_a_sample_of_zero_yields_with_a_staterror():
    spec = workspace()
    spec["channels"][0]["samples"].append({"name": "empty", "data": [0.0, 0.0], "modifiers": [
        {"name": "stat_empty", "type": "staterror", "data": [0.5, 0.0]}]})
    backend = build_backend(spec)
    c = backend.compiled
    fixed = dict(zip(c.parameter_names, c.fixed, strict=True))
    assert fixed["stat_empty[0]"] and fixed["stat_empty[1]"]  # no yield: nothing to constrain (pyhf)
    _finite_everywhere(backend)


# -- widths at the limits build, and the likelihood is finite over the bounds ---------------------
def test_widths_at_the_limits_build_and_stay_finite():
    at_low = workspace(staterror=(4.0 * LOW, 1.0), shapesys=(4.0 * LOW, 5.0 * HIGH), lumi_sigma=LOW)
    _finite_everywhere(build_backend(at_low))
    at_high = workspace(staterror=(4.0 * HIGH, 1.0), shapesys=(4.0 * HIGH, 1.0), lumi_sigma=HIGH)
    _finite_everywhere(build_backend(at_high))


# -- every way a width computed from the workspace can be degenerate: refused, place named --------
@pytest.mark.parametrize("modifier, values, bin_, reason", [
    ("staterror", (4.0 * LOW / 2, 1.0), 0, "below 1e-100"),
    ("staterror", (1.0, 5.0 * HIGH * 2), 1, "above 1e+100"),
    ("staterror", (1e-200, 1.0), 0, "below 1e-100"),         # its square underflows to zero
    ("staterror", (1e200, 1.0), 0, "above 1e+100"),           # its square overflows
    ("staterror", (1.0, 5e-320), 1, "below 1e-100"),          # subnormal
    ("shapesys", (4.0 * LOW / 2, 1.0), 0, "below 1e-100"),
    ("shapesys", (1.0, 5.0 * HIGH * 2), 1, "above 1e+100"),
    ("shapesys", (1e-200, 1.0), 0, "below 1e-100"),           # tau overflows
    ("shapesys", (1e200, 1.0), 0, "above 1e+100"),            # tau underflows to zero
], ids=lambda v: str(v))
def test_degenerate_widths_are_refused_naming_the_bin(tmp_path, modifier, values, bin_, reason):
    spec = workspace(**{"staterror" if modifier == "staterror" else "shapesys": values})
    error = error_of(spec, tmp_path)
    name = "stat" if modifier == "staterror" else "syst"
    assert error.location == {"file": str(tmp_path / "ws.json"), "channel": "SR", "sample": "background",
                              "modifier": name, "bin": bin_}
    assert reason in error.reason and modifier in error.reason


@pytest.mark.parametrize("setting, location, reason", [
    ({"name": "lumi", "sigmas": [0.0]}, {"modifier": "lumi", "argument": "sigmas"}, "within"),
    ({"name": "lumi", "sigmas": [LOW / 10]}, {"modifier": "lumi", "argument": "sigmas"}, "within"),
    ({"name": "lumi", "sigmas": [HIGH * 10]}, {"modifier": "lumi", "argument": "sigmas"}, "within"),
    ({"name": "lumi", "sigmas": [math.inf]}, {"modifier": "lumi", "argument": "sigmas"}, "finite"),
    ({"name": "lumi", "sigmas": [math.nan]}, {"modifier": "lumi", "argument": "sigmas"}, "finite"),
    ({"name": "lumi", "auxdata": [math.nan]}, {"modifier": "lumi", "argument": "auxdata"}, "finite"),
    ({"name": "lumi", "inits": [math.nan]}, {"modifier": "lumi", "argument": "inits"}, "finite"),
    ({"name": "lumi", "bounds": [[math.nan, 2.0]]}, {"modifier": "lumi", "argument": "bounds"},
     "not a number"),
    ({"name": "stat", "auxdata": [1.0, math.nan]}, {"modifier": "stat", "bin": 1, "argument": "auxdata"},
     "finite"),
    ({"name": "stat", "sigmas": [0.1, 0.0]}, {"modifier": "stat", "bin": 1, "argument": "sigmas"}, "within"),
    ({"name": "syst", "factors": [0.0, 25.0]}, {"modifier": "syst", "bin": 0, "argument": "factors"},
     "within"),
    ({"name": "syst", "factors": [16.0, 1e201]}, {"modifier": "syst", "bin": 1, "argument": "factors"},
     "within"),
    ({"name": "syst", "auxdata": [16.0, -1.0]}, {"modifier": "syst", "bin": 1, "argument": "auxdata"},
     "negative"),
    ({"name": "syst", "auxdata": [math.inf, 25.0]}, {"modifier": "syst", "bin": 0, "argument": "auxdata"},
     "finite"),
], ids=lambda v: str(v))
def test_degenerate_measurement_settings_are_refused_naming_them(tmp_path, setting, location, reason):
    spec = workspace()
    parameters = spec["measurements"][0]["config"]["parameters"]
    lumi = parameters[0]
    if setting["name"] == "lumi":
        lumi.update(setting)
    else:
        parameters.append(setting)
    error = error_of(spec, tmp_path)
    assert {k: v for k, v in error.location.items() if k != "file"} == location
    assert error.location["file"] == str(tmp_path / "ws.json")
    assert reason in error.reason


# -- the misreported cases (item 3) -----------------------------------------------------------
def test_overflowing_shapesys_tau_names_its_place_not_the_data(tmp_path):
    # was: "observed data is not finite at entries [3]" (tau = (1e200 / 1e-200)^2 = inf as auxdata)
    error = error_of(workspace(background=(1e200, 5.0), shapesys=(1e-200, 1.0)), tmp_path)
    assert error.location == {"file": str(tmp_path / "ws.json"), "channel": "SR", "sample": "background",
                              "modifier": "syst", "bin": 0}
    assert "observed data" not in str(error)


def test_overflowing_staterror_names_its_place(tmp_path):
    # was: accepted with an infinite width (log L = -inf everywhere): sum of squares of 1e300 overflows
    spec = workspace(staterror=(1e300, 1.0))
    spec["channels"][0]["samples"][0]["modifiers"].append(
        {"name": "stat", "type": "staterror", "data": [1e300, 1.0]})
    error = error_of(spec, tmp_path)
    assert error.location["modifier"] == "stat" and error.location["bin"] == 0
    assert error.location["channel"] == "SR" and error.location["sample"] in ("signal", "background")


def test_huge_shapesys_uncertainty_names_its_bin(tmp_path):
    # was: "modifier 'syst': constraint widths must be positive, got [0.0, 25.0]"
    error = error_of(workspace(shapesys=(1e200, 1.0)), tmp_path)
    assert error.location == {"file": str(tmp_path / "ws.json"), "channel": "SR", "sample": "background",
                              "modifier": "syst", "bin": 0}
    assert "must be positive" not in error.reason


def test_nan_auxdata_names_the_measurement_setting(tmp_path):
    # was: "argument 'data': observed data is not finite at entries [5]"
    spec = workspace(extra_parameters=[{"name": "stat", "auxdata": [math.nan, 1.0]}])
    error = error_of(spec, tmp_path)
    assert error.location == {"file": str(tmp_path / "ws.json"), "modifier": "stat", "bin": 0,
                              "argument": "auxdata"}


def test_normfactor_named_like_a_staterror_component_names_both(tmp_path):
    # was: "parameter names must be unique, repeated: ['stat[0]']" with no place
    spec = workspace()
    spec["channels"][0]["samples"][0]["modifiers"].append({"name": "stat[0]", "type": "normfactor",
                                                           "data": None})
    error = error_of(spec, tmp_path)
    assert error.location == {"file": str(tmp_path / "ws.json"), "channel": "SR", "sample": "signal",
                              "modifier": "stat[0]"}
    assert "component 0 of the staterror 'stat' (channel 'SR', sample 'background')" in error.reason


def test_yields_that_add_up_to_infinity_name_their_bin(tmp_path):
    spec = workspace(background=(1.0, 1e308))
    spec["channels"][0]["samples"][0]["data"] = [1.0, 1e308]
    spec["channels"][0]["samples"][1]["modifiers"] = []
    spec["measurements"][0]["config"]["parameters"] = []
    error = error_of(spec, tmp_path)
    assert error.location["channel"] == "SR" and error.location["bin"] == 1
    assert "add up to more than the largest" in error.reason
