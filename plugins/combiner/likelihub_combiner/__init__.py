"""likelihub-combiner: the product of uncorrelated likelihoods sharing one signal strength.

    import likelihub as lh
    combined = lh.combine(atlas_model, cms_model, names=["atlas", "cms"])
    combined.upper_limit()

or, equivalently, ``lh.get_backend("combiner.uncorrelated")(models=[...], names=[...])``.
Components that share parameters (``lh.combine(a, b, correlate="names")``, ``combiner.correlated``):
:class:`likelihub_combiner.correlated.CorrelatedCombination`.
See :class:`likelihub_combiner.backend.UncorrelatedCombination` for the parameters and the
layout of the combined data.
"""

__version__ = "0.1.0"

__all__ = ["__version__"]
