"""Errors of the ``onnx`` backend: each a likelihub.errors class naming the file, the input, the
output or the argument that is wrong, and what is missing where a capability is absent."""

import numpy as np
import pytest

import likelihub as lh
from likelihub.errors import CapabilityError, InvalidArgumentError, InvalidDataError, InvalidModelError

from . import networks

make = lh.get_backend("onnx")
GAUSSIAN = networks.gaussian(1.2, 0.8)


def test_a_missing_file_is_named(tmp_path):
    path = tmp_path / "absent.onnx"
    with pytest.raises(InvalidModelError, match=f"file '{path}': no such file"):
        make(path, output="nll", parameters=["mu"])


def test_a_file_that_is_no_onnx_model_is_named(tmp_path):
    path = tmp_path / "model.onnx"
    path.write_bytes(b"\x00\xffnot a protobuf message at all\x13")
    with pytest.raises(InvalidModelError, match=f"file '{path}'"):
        make(path, output="nll", parameters=["mu"])


def test_an_input_of_another_size_is_named():
    with pytest.raises(InvalidModelError, match=r"argument 'signal_yields': input 'x' of .* takes 1 value"):
        make(GAUSSIAN, output="nll", signal_yields=[1.0, 2.0])
    with pytest.raises(InvalidModelError, match=r"argument 'parameters': input 'x' .* the 2 parameters"):
        make(GAUSSIAN, output="nll", parameters=["mu", "theta"])
    with pytest.raises(InvalidModelError, match=r"argument 'expected': input 'x' .* takes 1 value"):
        make(networks.gaussian_2d([0, 0], np.eye(2)), output="nll", parameters=["a", "b"], expected=GAUSSIAN)


def test_output_kinds_and_outputs_are_checked():
    with pytest.raises(InvalidArgumentError, match="argument 'output': must be one of 'nll', 'logL'"):
        make(GAUSSIAN, output="chi2", parameters=["mu"])
    with pytest.raises(InvalidArgumentError, match="argument 'output': say what the output"):
        make(GAUSSIAN, parameters=["mu"])
    with pytest.raises(InvalidModelError,
                       match="argument 'observed': .* has no output 'll'; its outputs: \\['nll'\\]"):
        make(GAUSSIAN, output="nll", parameters=["mu"], observed="ll")
    with pytest.raises(InvalidModelError, match="argument 'asimov': column 2 of output 'nll'"):
        make(GAUSSIAN, output="nll", parameters=["mu"], asimov=2)
    with pytest.raises(InvalidArgumentError, match="argument 'observed': unknown keys \\['offset'\\]"):
        make(GAUSSIAN, output="nll", parameters=["mu"], observed={"offset": 1.0})
    # The derivative output must hold one value per input: 'nll' of a 2-input network holds one.
    with pytest.raises(InvalidModelError,
                       match="argument \"observed\\['gradient'\\]\": output 'nll' .* 1 values"):
        make(networks.gaussian_2d([0, 0], np.eye(2)), output="nll", parameters=["a", "b"],
             observed={"output": "nll", "gradient": "nll"})


def test_the_inputs_must_be_said():
    with pytest.raises(InvalidArgumentError, match="argument 'parameters': say what the inputs"):
        make(GAUSSIAN, output="nll")
    with pytest.raises(InvalidArgumentError, match="argument 'signal_yields': .* not both"):
        make(GAUSSIAN, output="nll", parameters=["mu"], signal_yields=[1.0])
    with pytest.raises(InvalidArgumentError, match="argument 'signal_yields': no signal"):
        make(GAUSSIAN, output="nll", signal_yields=[0.0])
    with pytest.raises(InvalidArgumentError, match="argument 'signal_yields': .* needs the inputs' names"):
        make(GAUSSIAN, output="nll", signal_yields={"SR1": 1.0})
    with pytest.raises(InvalidArgumentError, match="argument 'signal_yields': no inputs called \\['SR2'\\]"):
        make(GAUSSIAN, output="nll", signal_yields={"SR2": 1.0}, bins=["SR1"])
    with pytest.raises(InvalidArgumentError, match="argument 'poi': 'nu' is not among the parameters"):
        make(GAUSSIAN, output="nll", parameters=["mu"], poi="nu")
    with pytest.raises(InvalidArgumentError, match="argument 'parameters\\[0\\]': unknown keys \\['low'\\]"):
        make(GAUSSIAN, output="nll", parameters=[{"name": "mu", "low": 0}])
    with pytest.raises(InvalidArgumentError, match="argument 'precision'"):
        make(GAUSSIAN, output="nll", parameters=["mu"], precision="float16")


def test_what_a_learned_likelihood_lacks_is_named():
    observed_only = make(GAUSSIAN, output="nll", parameters=["mu"], poi="mu")
    with pytest.raises(CapabilityError,
                       match="<ModelProto> has no likelihood of the expected .*expected=\\.\\.\\."):
        observed_only.cls(1.0)
    with_expected = make(GAUSSIAN, output="nll", parameters=["mu"], poi="mu",
                         expected=networks.gaussian(0.0, 0.8))
    with pytest.raises(CapabilityError, match="OnnxLikelihood has neither"):  # the core's message
        with_expected.cls(1.0, calculator="toys", ntoys=10)
    with pytest.raises(CapabilityError,
                       match="background-only Asimov data \\(mu = 0\\) only; none for .* mu = 1"):
        with_expected.significance()
    with pytest.raises(InvalidDataError, match="argument 'data': \\[0.5, 0.0\\] is no data label"):
        with_expected.logpdf([1.0], [0.5, 0.0])


def test_the_smodels_layout_needs_its_metadata():
    with pytest.raises(InvalidModelError,
                       match="metadata 'bkg_yields' is missing: not an SModelS ML likelihood"):
        make(GAUSSIAN, layout="smodels", signal_yields=[1.0])
    with pytest.raises(InvalidArgumentError, match="argument 'layout'"):
        make(GAUSSIAN, layout="spey", signal_yields=[1.0])
