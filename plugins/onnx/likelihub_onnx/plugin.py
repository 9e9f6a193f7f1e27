"""The plugin module named by the ``likelihub.backends`` entry point: hooks only, imports nothing heavy."""

from __future__ import annotations

import likelihub

from . import __version__

__all__ = ["likelihub_register_backends"]


@likelihub.hookimpl
def likelihub_register_backends(register):
    """Register the ``onnx`` backend (onnxruntime imported on first use)."""
    register(
        "onnx",
        "likelihub_onnx.factory:onnx_likelihood",
        version=__version__,
        author="likelihub developers",
        description="learned likelihoods: a neural network (ONNX file) mapping parameters or signal "
                    "yields to -log L, log L or -2 ln L, evaluated with onnxruntime",
        references=["arXiv:1911.03305"],
        core_versions=">=0.1,<0.2",
    )
