"""HistFactory models with several POIs (``pois=``) and any normalisation factor tested (``with_poi``).

Origin of every number: the same likelihood built another way. A workspace with two signals, each
with its normalisation factor, tested on mu_2 with mu_1 held at 0, is exactly the workspace
without signal 1 tested on mu_2 (signal 1 contributes mu_1 * s_1 = 0): equal to 1e-9 (the same
arithmetic; limits are roots found to 1e-6 relative, the same in both).
"""

from __future__ import annotations

import copy
import json

import numpy as np
import pytest
from click.testing import CliRunner

import likelihub as lh
from likelihub.cli.models import cls_command, limit_command
from likelihub.errors import InvalidArgumentError


def _sample(name, data, modifiers):
    return {"name": name, "data": data, "modifiers": modifiers}


WORKSPACE = {
    "channels": [{"name": "SR", "samples": [
        _sample("signal_1", [3.0, 1.0], [{"name": "mu_1", "type": "normfactor", "data": None}]),
        _sample("signal_2", [1.0, 4.0], [{"name": "mu_2", "type": "normfactor", "data": None}]),
        _sample("background", [20.0, 10.0], [
            {"name": "bkg_norm", "type": "normsys", "data": {"hi": 1.1, "lo": 0.9}},
            {"name": "staterror_SR", "type": "staterror", "data": [1.0, 1.5]}]),
    ]}],
    "observations": [{"name": "SR", "data": [24.0, 13.0]}],
    "measurements": [{"name": "meas", "config": {"poi": "mu_1", "parameters": []}}],
    "version": "1.0.0",
}


def _without_signal_1():
    workspace = copy.deepcopy(WORKSPACE)
    workspace["channels"][0]["samples"].pop(0)
    workspace["measurements"][0]["config"]["poi"] = "mu_2"
    return workspace


def test_pois_lists_the_parameters_of_interest():
    model = lh.get_backend("histfactory")(WORKSPACE, pois=["mu_2", "mu_1"])
    assert model.pois == ("mu_2", "mu_1") and model.config.poi_name == "mu_2"
    assert lh.get_backend("histfactory")(WORKSPACE).pois == ("mu_1",)


def test_a_normfactor_tested_with_the_other_fixed_is_the_model_without_it():
    both = lh.get_backend("histfactory")(WORKSPACE, pois=["mu_1", "mu_2"])
    view = both.with_poi("mu_2", fixed={"mu_1": 0.0})
    alone = lh.get_backend("histfactory")(_without_signal_1())
    names = list(both.config.parameter_names)
    keep = [names.index(n) for n in alone.config.parameter_names]
    for mu in (0.5, 1.0, 2.0):
        assert view.cls(mu).cls_obs == pytest.approx(alone.cls(mu).cls_obs, rel=1e-9)
        np.testing.assert_allclose(view.cls(mu).cls_exp, alone.cls(mu).cls_exp, rtol=1e-9)
    limit_view, limit_alone = view.upper_limit(), alone.upper_limit()
    assert limit_view.observed == pytest.approx(limit_alone.observed, rel=1e-9)
    np.testing.assert_allclose(limit_view.expected, limit_alone.expected, rtol=1e-9)
    np.testing.assert_allclose(view.fit().values[keep], alone.fit().values, rtol=1e-7, atol=1e-8)


def test_a_normfactor_tested_with_the_other_profiled():
    # the view's fits are the model's own: free, and conditional on the new POI with mu_1 floating
    both = lh.get_backend("histfactory")(WORKSPACE, pois=["mu_1", "mu_2"])
    view = both.with_poi("mu_2")
    assert view.config.poi_name == "mu_2" and not view.config.fixed[view.config.index("mu_1")]
    assert view.fit().nll == pytest.approx(both.fit().nll, rel=1e-12)
    assert view.fixed_poi_fit(2.0).nll == pytest.approx(both.fit(fixed={"mu_2": 2.0}).nll, rel=1e-12)


def test_pois_arguments():
    histfactory = lh.get_backend("histfactory")
    with pytest.raises(InvalidArgumentError, match="pois.*names no parameter.*mu_3"):
        histfactory(WORKSPACE, pois=["mu_1", "mu_3"])
    with pytest.raises(InvalidArgumentError, match="pois.*list of parameter names"):
        histfactory(WORKSPACE, pois="mu_1")
    with pytest.raises(InvalidArgumentError, match="pois.*poi 'mu_2' is not the first"):
        histfactory(WORKSPACE, poi="mu_2", pois=["mu_1", "mu_2"])


def test_the_command_line_tests_another_poi(tmp_path):
    path = tmp_path / "two_signals.json"
    path.write_text(json.dumps(WORKSPACE))
    view = lh.get_backend("histfactory")(WORKSPACE).with_poi("mu_2")
    result = CliRunner().invoke(limit_command, [str(path), "--poi", "mu_2"])
    assert result.exit_code == 0, result.output
    limit = json.loads(result.output)
    # the CLI runs the API's computation (1e-9: the same roots)
    assert limit["poi"] == "mu_2"
    assert limit["observed"] == pytest.approx(view.upper_limit().observed, rel=1e-9)
    result = CliRunner().invoke(cls_command, [str(path), "--poi", "mu_3"])
    assert result.exit_code == 1 and len(result.output.strip().splitlines()) == 1
    assert "mu_3" in result.output
