"""ModelConfig validation, the error hierarchy and its location messages, result serialisation."""

import json

import numpy as np
import pytest

import likelihub as lh
from likelihub.errors import InvalidDataError, InvalidModelError, LikelihubError

from .counting import CountingBackend


def test_config_normalises_and_freezes_arrays():
    config = lh.ModelConfig(["mu", "theta"], 0, [1, 0], [(0, 10), (-5, 5)])
    assert config.fixed.tolist() == [False, False]
    assert config.poi_name == "mu" and config.n_parameters == 2
    assert config.parameters({"theta": 0.5}).tolist() == [1.0, 0.5]
    with pytest.raises(ValueError):
        config.init[0] = 3.0  # read-only


@pytest.mark.parametrize("kwargs, message", [
    (dict(init=[1.0]), "init has 1 values for 2 parameters"),
    (dict(bounds=[(0, 10)]), "bounds must be one"),
    (dict(bounds=[(0, 10), (5, -5)]), "argument 'theta': bounds"),
    (dict(init=[11.0, 0.0]), "argument 'mu': initial value 11.0 lies outside"),
    (dict(poi_index=2), "poi_index 2 out of range"),
    (dict(parameter_names=["a", "a"]), "repeated: \\['a'\\]"),
    (dict(init=["1", 0.0]), "argument 'init': must be numbers, got str '1'"),
    (dict(init=[True, 0.0]), "argument 'init': must be numbers, got bool"),
    (dict(poi_index=0.5), "argument 'poi_index': must be an integer or None, got 0.5"),
    (dict(poi_index=True), "argument 'poi_index': must be an integer"),
    (dict(n_main=-1), "argument 'n_main': must be a non-negative integer"),
])
def test_config_errors_name_what_is_wrong(kwargs, message):
    arguments = dict(parameter_names=["mu", "theta"], poi_index=0, init=[1.0, 0.0],
                     bounds=[(0, 10), (-5, 5)])
    arguments.update(kwargs)
    with pytest.raises(InvalidModelError, match=message):
        lh.ModelConfig(**arguments)


def test_error_location_is_written_in_front():
    error = InvalidModelError("negative yield -3.0", file="ws.json", channel="SR", sample="ttbar",
                              bin=2)
    assert str(error) == "file 'ws.json', channel 'SR', sample 'ttbar', bin 2: negative yield -3.0"
    assert isinstance(error, LikelihubError) and isinstance(error, ValueError)


@pytest.mark.parametrize("error, text", [
    (InvalidModelError("a schema error:\n  at /channels/0\n    'data' is required", file="ws.json"),
     "file 'ws.json': a schema error: at /channels/0 'data' is required"),
    (lh.errors.FitError("no minimum at\n [1.0\n  2.0]"), "no minimum at [1.0 2.0]"),
    (lh.errors.LimitError("CLs   stays\tabove"), "CLs stays above"),
])
def test_error_messages_are_one_line(error, text):
    # multi-line texts (schema validators, numpy reprs of arrays) are folded into one line
    assert str(error) == text


def test_data_of_the_wrong_length_is_refused():
    model = lh.StatisticalModel(CountingBackend(10, 5, 8))
    with pytest.raises(InvalidDataError, match="model expects 1 values"):
        model.logpdf([1.0], [1.0, 2.0])
    with pytest.raises(InvalidDataError, match="not finite at entries \\[0\\]"):
        model.fit(data=[np.nan])


def test_non_backends_are_refused():
    with pytest.raises(InvalidModelError, match="lacks \\['config', 'data'"):
        lh.StatisticalModel(object())


def test_results_convert_to_json():
    model = lh.StatisticalModel(CountingBackend(10, 5, 8))
    for result in (model.cls(1.0), model.upper_limit(), model.significance(), model.fit(),
                   model.cls_scan([1.0])):
        text = result.to_json()
        assert json.loads(text) == result.to_dict()
        assert str(result)
