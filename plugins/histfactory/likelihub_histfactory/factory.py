"""The registered ``histfactory`` factory: from what the user passes to a ready StatisticalModel.

    import likelihub as lh
    model = lh.get_backend("histfactory")(
        "atlas-susy-2019-08-1Lbb.tar.gz", member="BkgOnly.json",
        patchset="patchset.json", patch_name="C1N2_Wh_hbb_900_250")

:func:`build_backend` reads the workspace and its patches (:mod:`.specification`), compiles the
model (:mod:`.compile`) and returns a :class:`~.backend.HistFactoryBackend`; :func:`build_model`
wraps it in a :class:`likelihub.StatisticalModel` with tight fits.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from likelihub import StatisticalModel

from .backend import HistFactoryBackend
from .compile import compile_model
from .specification import model_specification

__all__ = ["build_model", "build_backend", "FIT_OPTIONS"]

#: Fit options of the models :func:`build_model` returns. The core's default EDM bound (1e-8)
#: leaves the Asimov data's nuisance parameters ~1e-4 sigma from the conditional minimum, which
#: moves expected CLs by up to ~1e-5 on the ATLAS likelihoods; 1e-10 costs no extra time here.
FIT_OPTIONS = {"edm_max": 1e-10}


def build_model(workspace, patches: Sequence = (), measurement: str | None = None, *,
                fit_options: Mapping | None = None, **options) -> StatisticalModel:
    """The HistFactory model of a pyhf JSON workspace, ready for inference (the registered factory).

    Takes the arguments of :func:`build_backend`, and ``fit_options`` for every fit (defaults
    :data:`FIT_OPTIONS`, see :func:`likelihub.optimize.fit`).
    """
    backend = build_backend(workspace, patches, measurement, **options)
    return StatisticalModel(backend, fit_options={**FIT_OPTIONS, **(fit_options or {})})


def build_backend(workspace, patches: Sequence = (), measurement: str | None = None, *,
                  patchset=None, patch_name: str | None = None,
                  interpolation_codes: Mapping[str, str] | None = None, member: str | None = None,
                  poi: str | None = None, **options) -> HistFactoryBackend:
    """Build the HistFactory backend of a pyhf JSON workspace.

    Parameters
    ----------
    workspace
        A workspace dictionary, a JSON file, or a HEPData pallet (``.tar.gz``) with ``member``.
    patches
        JSON patches to apply: lists of operations, pyhf patch objects, or paths (members of the
        same pallet where ``workspace`` is one).
    measurement
        Name of the measurement (the first one by default).
    patchset, patch_name
        A pyhf patchset (dictionary or path) and the name of the patch of it to apply.
    interpolation_codes
        ``{"normsys": "1" | "4", "histosys": "0" | "2" | "4p"}``; pyhf's defaults are 4 and 4p.
    member
        The workspace's member name in a pallet archive.
    poi
        Override the measurement's parameter of interest.
    options
        None are accepted yet; an unknown keyword is an error.
    """
    if options:
        raise TypeError(f"unexpected keyword arguments {sorted(options)}")
    spec, observations, measurement_config, source = model_specification(
        workspace, patches=patches, measurement=measurement, patchset=patchset,
        patch_name=patch_name, member=member)
    compiled = compile_model(spec, observations, measurement_config.get("poi") if poi is None else poi,
                             interpolation_codes=interpolation_codes, source=source)
    return HistFactoryBackend(compiled)
