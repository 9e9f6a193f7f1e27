"""Registration of the simplified backends through the likelihub.backends entry point."""

import pytest

import likelihub as lh

NAMES = ["simplified.poisson", "simplified.normal", "simplified.multivariate_normal",
         "simplified.uncorrelated_background", "simplified.correlated_background",
         "simplified.third_moment_expansion", "simplified.effective_sigma"]


def test_every_backend_is_registered_with_metadata():
    installed = lh.available_backends()
    for name in NAMES:
        assert name in installed
        info = lh.backend_metadata(name)
        assert info.version == "0.1.0"
        assert info.plugin == "simplified"


@pytest.mark.parametrize("name", NAMES)
def test_factory_returns_a_statistical_model(name):
    extra = {
        "simplified.normal": dict(absolute_uncertainties=[1.0, 2.0]),
        "simplified.multivariate_normal": dict(covariance_matrix=[[1.0, 0.2], [0.2, 4.0]]),
        "simplified.uncorrelated_background": dict(absolute_uncertainties=[1.0, 2.0]),
        "simplified.correlated_background": dict(covariance_matrix=[[1.0, 0.2], [0.2, 4.0]]),
        "simplified.third_moment_expansion": dict(covariance_matrix=[[1.0, 0.2], [0.2, 4.0]],
                                                  third_moment=[0.5, 1.0]),
        "simplified.effective_sigma": dict(correlation_matrix=[[1.0, 0.1], [0.1, 1.0]],
                                           absolute_uncertainty_envelopes=[[1.2, 0.8], [2.0, 1.5]]),
    }.get(name, {})
    model = lh.get_backend(name)(signal_yields=[2.0, 3.0], background_yields=[5.0, 6.0], data=[6, 8], **extra)
    assert isinstance(model, lh.StatisticalModel)
    assert model.config.parameter_names[0] == "mu"
    assert isinstance(model.describe(), str)
