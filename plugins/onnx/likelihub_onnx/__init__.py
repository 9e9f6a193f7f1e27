"""likelihub-onnx: learned likelihoods (neural networks in ONNX files) as likelihub backends.

Backend (through ``likelihub.get_backend``): ``onnx``, the factory
:func:`likelihub_onnx.factory.onnx_likelihood`: a network that maps a model's parameters (a
DNNLikelihood) or a signal's yields scaled by mu (a recast, SModelS's ML models) to -ln L, ln L or
-2 ln L, evaluated with onnxruntime, with all of likelihub's inference on top. See
``docs/backends/onnx.md``.
"""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__"]
