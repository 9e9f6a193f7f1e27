"""Registration of the ``onnx`` backend through the likelihub.backends entry point."""

import likelihub as lh

from . import networks


def test_the_backend_is_registered_with_metadata():
    assert "onnx" in lh.available_backends()
    info = lh.backend_metadata("onnx")
    assert info.plugin == "onnx" and info.version == "0.1.0"
    assert "arXiv:1911.03305" in info.references  # the DNNLikelihood


def test_the_factory_returns_a_statistical_model():
    model = lh.get_backend("onnx")(networks.gaussian(1.0, 1.0), output="nll", parameters=["mu"], poi="mu")
    assert isinstance(model, lh.StatisticalModel)
    assert model.config.parameter_names == ("mu",)
    assert "ONNX likelihood" in model.describe()
