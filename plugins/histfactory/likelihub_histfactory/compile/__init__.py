"""Compiling a HistFactory specification into the dense arrays the likelihood kernels read.

    compiled = compile_model(spec, observations, poi="mu")   # a CompiledModel
    cache = SampleCache()                                   # a scan: background samples once

=======================  ==========================================================================
module                   what it owns
=======================  ==========================================================================
:mod:`.model`            :class:`CompiledModel` (the arrays, see there for their layout) and
                         :func:`compile_model`; the channels, samples and bins in pyhf's order
:mod:`.parameters`       the parameter sets, named, ordered and configured as pyhf 0.7.6 does
:mod:`.sample_terms`     the terms of one sample in one channel, and :class:`SampleCache`
=======================  ==========================================================================
"""

from .model import DEFAULT_INTERPOLATION_CODES, CompiledModel, compile_model
from .sample_terms import SampleCache

__all__ = ["CompiledModel", "compile_model", "SampleCache", "DEFAULT_INTERPOLATION_CODES"]
