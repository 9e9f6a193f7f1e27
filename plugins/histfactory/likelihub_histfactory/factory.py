"""The registered ``histfactory`` factory: from what the user passes to a ready StatisticalModel.

    import likelihub as lh
    model = lh.get_backend("histfactory")(
        "atlas-susy-2019-08-1Lbb.tar.gz", member="BkgOnly.json",
        patchset="patchset.json", patch_name="C1N2_Wh_hbb_900_250")

:func:`build_backend` reads and validates the workspace, its patches and patchset (digests
verified) and the measurement (:func:`.spec.model_spec.load_model_spec`), compiles the model
(:mod:`.compile`) and returns a :class:`~.backend.HistFactoryBackend`; :func:`build_model` wraps it
in a :class:`likelihub.StatisticalModel` with tight fits.

A measurement that configures a parameter no modifier has (the published 3L eRJR workspace sets
``mu_BG``) gives an :class:`~.spec.checks.UnusedParameterWarning` and is otherwise ignored, as pyhf
ignores it; ``unused_parameters="ignore"`` silences it and ``"error"`` refuses the model.

To build many models from one background-only workspace (a scan), pass a
:class:`~.spec.workspace.Workspace`: it was validated when it was made and is not validated again;
only the patches and the patched model are checked for each model.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence

from likelihub import StatisticalModel
from likelihub.errors import InvalidArgumentError
from likelihub.plugin import arguments

from .backend import HistFactoryBackend
from .compile import SampleCache, compile_model
from .devices import DEVICES
from .spec.model_spec import load_model_spec

__all__ = ["build_model", "build_backend", "FIT_OPTIONS", "UNUSED_PARAMETERS"]

#: What ``unused_parameters=`` may say.
UNUSED_PARAMETERS = ("warn", "error", "ignore")

#: Fit options of the models :func:`build_model` returns. The core's default EDM bound (1e-8)
#: leaves the Asimov data's nuisance parameters ~1e-4 sigma from the conditional minimum, which
#: moves expected CLs by up to ~1e-5 on the ATLAS likelihoods; 1e-10 costs no extra time here.
FIT_OPTIONS = {"edm_max": 1e-10}


def build_model(workspace, patches: Sequence = (), measurement: str | None = None, *,
                patchset=None, patch_name: str | None = None,
                interpolation_codes: Mapping[str, str] | None = None, member: str | None = None,
                poi: str | None = None, pois: Sequence[str] | None = None,
                unused_parameters: str = "warn", device: str = "auto",
                sample_cache: SampleCache | None = None,
                fit_options: Mapping | None = None) -> StatisticalModel:
    """The HistFactory model of a pyhf JSON workspace, ready for inference (the registered factory).

    Parameters
    ----------
    workspace
        A workspace dictionary, a JSON file, a HEPData pallet (``.tar.gz``) with ``member``, or a
        :class:`~.spec.workspace.Workspace` (already validated: not validated again).
    patches
        JSON patches to apply in order: lists of operations, pyhf patch objects
        (``{"metadata": ..., "patch": [...]}``), :class:`~.spec.patches.Patch` objects, or paths
        (members of the same pallet where ``workspace`` is one).
    measurement
        Name of the measurement (the first one by default).
    patchset
        A pyhf patchset (dictionary, path, member of the pallet, or :class:`~.spec.patchset.PatchSet`);
        its digests must match the background-only workspace.
    patch_name
        The name (or tuple of label values) of the patchset's patch to apply.
    interpolation_codes
        ``{"normsys": "1" | "4", "histosys": "0" | "2" | "4p"}``; pyhf's defaults are 4 and 4p.
    member
        The workspace's member name in a pallet archive.
    poi
        Override the measurement's parameter of interest.
    pois
        Several parameters of interest, e.g. ``["mu_ggH", "mu_VBF"]``: the first is the tested
        one; the others are POIs too (``model.pois``; ``model.with_poi(name)`` tests one).
    unused_parameters
        Settings of parameters the model does not have: ``"warn"`` (default), ``"ignore"`` or
        ``"error"``.
    device
        Where batched evaluations (toys, scans) run: ``"auto"`` (a GPU if there is one), ``"cpu"``
        or ``"cuda"``.
    sample_cache
        Keeps what was compiled of each sample for the next model built from the same
        :class:`~.spec.workspace.Workspace` (a scan: only the signal samples are compiled anew).
    fit_options
        Keywords for every fit (defaults :data:`FIT_OPTIONS`, see :func:`likelihub.fits.engine.fit`).

    Returns
    -------
    likelihub.StatisticalModel
        The model; its backend is a :class:`~.backend.HistFactoryBackend`.

    Raises
    ------
    likelihub.errors.InvalidArgumentError
        An argument of the wrong type or an unknown choice, before any file is read.
    likelihub.errors.InvalidModelError
        For an unreadable or invalid workspace, a patch that does not apply, an unknown patch or
        measurement, a patchset made for another workspace, or an invalid patched model; the
        message names the file, channel, sample, modifier and bin at fault.

    Examples
    --------
    >>> import likelihub as lh
    >>> from likelihub_histfactory.example import EXAMPLE_WORKSPACE
    >>> model = lh.get_backend("histfactory")(str(EXAMPLE_WORKSPACE))
    >>> model.config.poi_name
    'mu'

    A signal point of a HEPData pallet::

        model = lh.get_backend("histfactory")(
            "atlas-susy-2019-08-1Lbb.tar.gz", member="BkgOnly.json",
            patchset="patchset.json", patch_name="C1N2_Wh_hbb_900_250")
    """
    if fit_options is not None and not isinstance(fit_options, Mapping):
        raise InvalidArgumentError(f"must be a mapping of fit keywords, got "
                                   f"{type(fit_options).__name__}", argument="fit_options")
    backend = build_backend(workspace, patches, measurement, patchset=patchset, patch_name=patch_name,
                            interpolation_codes=interpolation_codes, member=member, poi=poi, pois=pois,
                            unused_parameters=unused_parameters, device=device,
                            sample_cache=sample_cache)
    return StatisticalModel(backend, fit_options={**FIT_OPTIONS, **(fit_options or {})})


def build_backend(workspace, patches: Sequence = (), measurement: str | None = None, *,
                  patchset=None, patch_name: str | None = None,
                  interpolation_codes: Mapping[str, str] | None = None, member: str | None = None,
                  poi: str | None = None, pois: Sequence[str] | None = None,
                  unused_parameters: str = "warn", device: str = "auto",
                  sample_cache: SampleCache | None = None, **options) -> HistFactoryBackend:
    """Build the HistFactory backend of a pyhf JSON workspace (the backend that
    :func:`build_model` wraps in a StatisticalModel).

    Parameters
    ----------
    workspace, patches, measurement
        As :func:`build_model`'s, and so is every keyword (all of ``build_model``'s but
        ``fit_options``).
    options
        None are accepted yet; an unknown keyword is an error.

    Raises
    ------
    likelihub.errors.InvalidModelError
        For an unreadable or invalid workspace, a patch that does not apply, an unknown patch or
        measurement, a patchset made for another workspace, or an invalid patched model; the
        message names the file, channel, sample, modifier and bin at fault.
    """
    if options:
        raise TypeError(f"unexpected keyword arguments {sorted(options)}")
    patches = _check_arguments(patches=patches, measurement=measurement, patch_name=patch_name,
                               interpolation_codes=interpolation_codes, member=member, poi=poi,
                               unused_parameters=unused_parameters, device=device)
    pois = _poi_names(pois, poi)
    poi = pois[0] if pois else poi
    spec, observations, measurement_config, source = load_model_spec(
        workspace, patches=patches, measurement=measurement, member=member, patchset=patchset,
        patch_name=patch_name, unused_parameters=unused_parameters)
    compiled = compile_model(spec, observations, measurement_config.get("poi") if poi is None else poi,
                             interpolation_codes=interpolation_codes, source=source,
                             cache=sample_cache)
    backend = HistFactoryBackend(compiled, device=device)
    if pois:
        names = list(compiled.parameter_names)
        missing = [name for name in pois if name not in names]
        if missing:
            raise InvalidArgumentError(f"names no parameter of the model: {missing} (its parameters "
                                       f"include {names[:8]})", argument="pois")
        backend.config = backend.config.replace(pois=[names.index(name) for name in pois])
    return backend


def _poi_names(pois, poi) -> list[str]:
    """``pois`` as a list of distinct names, the first agreeing with ``poi`` where both are given."""
    if pois is None:
        return []
    if isinstance(pois, str) or not isinstance(pois, Iterable):
        raise InvalidArgumentError(f"must be a list of parameter names, got {type(pois).__name__} "
                                   f"{pois!r}", argument="pois")
    pois = list(pois)
    if not pois or not all(isinstance(name, str) for name in pois) or len(set(pois)) != len(pois):
        raise InvalidArgumentError(f"must be a non-empty list of distinct names, got {pois!r}",
                                   argument="pois")
    if poi is not None and poi != pois[0]:
        raise InvalidArgumentError(f"poi {poi!r} is not the first of pois {pois}: the first is tested",
                                   argument="pois")
    return pois


def _optional_name(value, argument: str) -> None:
    if value is not None and not isinstance(value, str):
        raise InvalidArgumentError(f"must be a name (a string) or None, got "
                                   f"{type(value).__name__} {value!r}", argument=argument)


def _check_arguments(*, patches, measurement, patch_name, interpolation_codes, member, poi,
                     unused_parameters, device):
    """Refuse arguments of the wrong type at once (an InvalidArgumentError naming the argument),
    before any file is read; returns ``patches`` (None: no patch)."""
    for value, argument in ((measurement, "measurement"), (member, "member"), (poi, "poi")):
        _optional_name(value, argument)
    if patches is None:
        patches = ()
    elif not isinstance(patches, (str, os.PathLike, Mapping, Iterable)):
        raise InvalidArgumentError(
            f"must be a patch or a list of patches (operation lists, patch objects or paths), "
            f"got {type(patches).__name__} {patches!r}", argument="patches")
    if patch_name is not None:
        values = list(patch_name) if isinstance(patch_name, (tuple, list)) else None
        label_values_ok = values is not None and all(
            isinstance(v, (str, int, float)) and not isinstance(v, bool) for v in values)
        if not isinstance(patch_name, str) and not label_values_ok:
            raise InvalidArgumentError(
                f"must be the name of a patch (a string) or a tuple of its label values, got "
                f"{type(patch_name).__name__} {patch_name!r}", argument="patch_name")
    if interpolation_codes is not None and not isinstance(interpolation_codes, Mapping):
        raise InvalidArgumentError(
            f"must be a mapping such as {{'normsys': '4', 'histosys': '4p'}}, got "
            f"{type(interpolation_codes).__name__}", argument="interpolation_codes")
    arguments.choice(unused_parameters, argument="unused_parameters", choices=UNUSED_PARAMETERS)
    arguments.choice(device, argument="device", choices=DEVICES)
    return patches
