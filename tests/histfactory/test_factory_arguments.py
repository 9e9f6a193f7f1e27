"""Arguments of the ``histfactory`` factory, and a measurement that fixes the POI (issue 11).

Arguments of the wrong type are refused before any file is read, by an InvalidArgumentError
naming the argument (``patch_name=100`` was a TypeError "'int' object is not iterable").
A measurement with ``{"name": "mu", "fixed": true}`` builds (fits are meaningful), but CLs and
limits refuse it: computed with mu-hat pinned they gave CLs 0.519 instead of 0.428.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

import likelihub
from likelihub.errors import InvalidArgumentError, InvalidModelError

DATA = Path(__file__).parent / "data"
BACKGROUND = DATA / "two_bin_background.json"
POINTS = DATA / "two_bin_signal_points.json"


def build(*args, **kwargs):
    return likelihub.get_backend("histfactory")(*args, **kwargs)


BAD = [
    (dict(patchset=POINTS, patch_name=100), "patch_name", "got int 100"),
    (dict(patchset=POINTS, patch_name=[True, 10]), "patch_name", "tuple of its label values"),
    (dict(measurement=5), "measurement", "must be a name"),
    (dict(member=3), "member", "must be a name"),
    (dict(poi=1.0), "poi", "must be a name"),
    (dict(patches=5), "patches", "got int 5"),
    (dict(interpolation_codes=["4"]), "interpolation_codes", "must be a mapping"),
    (dict(unused_parameters="bogus"), "unused_parameters", "'warn', 'error', 'ignore'"),
    (dict(device="tpu"), "device", "'auto', 'cpu', 'cuda'"),
]


@pytest.mark.parametrize("kwargs, argument, message", BAD, ids=[b[1] for b in BAD])
def test_arguments_of_the_wrong_type_are_named(kwargs, argument, message):
    with pytest.raises(InvalidArgumentError, match=f"^argument '{argument}': .*{message}"):
        build(BACKGROUND, **kwargs)


def test_fit_options_of_the_wrong_type_are_named():
    # the plugin's own factory (the registry's wrapper merges fit_options after it returns)
    from likelihub_histfactory.factory import build_model

    with pytest.raises(InvalidArgumentError, match="^argument 'fit_options': must be a mapping"):
        build_model(BACKGROUND, fit_options=[1])


def test_patch_names_and_label_values_still_work():
    by_name = build(BACKGROUND, patchset=POINTS, patch_name="signal_300_10")
    by_values = build(BACKGROUND, patchset=POINTS, patch_name=(300, 10))
    assert by_name.logpdf(by_name.config.init) == by_values.logpdf(by_values.config.init)


def excess_workspace(fixed_poi: bool) -> dict:
    spec = json.loads(BACKGROUND.read_text())
    spec["observations"][0]["data"] = [60.0, 62.0]  # an excess: mu-hat 0.86
    if fixed_poi:
        spec["measurements"][0]["config"]["parameters"] = [{"name": "mu", "fixed": True}]
    return spec


def test_a_poi_fixed_by_the_measurement_is_refused_for_inference():
    patch = json.loads((DATA / "two_bin_signal_patch.json").read_text())
    free = build(excess_workspace(False), patches=[patch])
    # pyhf 0.7.6: hypotest(1.0, data, model, test_stat="qtilde") = 0.4278611987697064 on this
    # workspace; its SLSQP stops ~1e-7 from the minimum, hence the tolerance
    assert free.cls(1.0).cls_obs == pytest.approx(0.4278611987697064, rel=1e-6)
    pinned = build(copy.deepcopy(excess_workspace(True)), patches=[patch])
    assert pinned.config.fixed[pinned.config.poi_index]
    # pyhf 0.7.6 refuses too: "POI at index [0] is set as fixed, which makes profile likelihood
    # ratio based inference impossible"
    for call in (lambda: pinned.cls(1.0), lambda: pinned.upper_limit(),
                 lambda: pinned.significance()):
        with pytest.raises(InvalidModelError, match="the parameter of interest 'mu' is fixed by "
                                                    "the model's configuration .* drop \"fixed\": "
                                                    "true of 'mu' from the measurement"):
            call()
    assert pinned.fit()["mu"] == 1.0  # fits hold it where the measurement says
