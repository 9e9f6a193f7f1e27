"""likelihub-histfactory: HistFactory likelihoods from pyhf JSON workspaces, without pyhf.

    import likelihub as lh
    model = lh.get_backend("histfactory")("BkgOnly.json", patches=["patch.json"])
    model.cls(mu=1.0)

The data path reads top-down, each step in its own package and no step reaching back up:

1. **JSON -> checked specification** (:mod:`.spec`): read from a file, a dict or a HEPData
   pallet (:mod:`.spec.io`), validated against the JSON schemas shipped as package data
   (:mod:`.spec.schema`, the schema once) and checked for what a schema cannot say
   (:mod:`.spec.checks`); a :class:`~.spec.workspace.Workspace` with its patches and patchsets
   (:mod:`.spec.patches`, :mod:`.spec.patchset`) gives a model's specification
   (:func:`.spec.model_spec.load_model_spec`).
2. **specification -> dense arrays** (:mod:`.compile`): channels, samples and bins in pyhf's
   order, the parameter sets (:mod:`.compile.parameters`) and each sample's terms
   (:mod:`.compile.sample_terms`), as a :class:`~.compile.CompiledModel`. What a modifier type
   means -- its parameters, constraint, checks and the terms it compiles to -- is its module in
   :mod:`.modifiers` (the registry ``MODIFIERS``); how a term responds to its parameter is its
   interpolation code's module in :mod:`.interpolation` (NumPy reference and scalar functions).
3. **arrays -> likelihood** (:mod:`.kernels`): fused numba kernels for -log L, its gradient and its
   Hessian (:mod:`.kernels.cpu`, :mod:`.kernels.hessian`, :mod:`.kernels.stacked`), the CUDA
   kernel (:mod:`.kernels.cuda`, chosen by :mod:`.devices`), and the NumPy reference they are held
   to (:mod:`.kernels.reference`).
4. **likelihood -> the core**: :class:`~.backend.HistFactoryBackend` (with :mod:`.stacking` for
   scans' lock-step fits), made by the registered factory (:mod:`.factory`); :mod:`.plugin` holds
   the hooks, :mod:`.points` the point source of scans (``histfactory.patchset``; its family of models in
   :mod:`.scan`), :mod:`.example` the example of ``likelihub demo``, :mod:`.cli` the commands.
"""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__"]
