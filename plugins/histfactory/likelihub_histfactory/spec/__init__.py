"""The specification layer: HistFactory JSON read, validated and edited, before any compilation.

=======================  ==========================================================================
module                   what it owns
=======================  ==========================================================================
:mod:`.io`               reading JSON from a dict, a file or a member of a HEPData pallet (``.tar.gz``)
:mod:`.schema`           the JSON schemas (package data ``schemas/*.json``, the schema once) and
                         validation against them, with errors that name the place
:mod:`.checks`           what a schema cannot say: bin counts, values, names, the measurement
                         (per modifier type, the rules of :mod:`likelihub_histfactory.modifiers`)
:mod:`.patches`          JSON patches (RFC 6902): reading, applying, digests
:mod:`.workspace`        :class:`~.workspace.Workspace`, an immutable checked workspace
:mod:`.patchset`         :class:`~.patchset.PatchSet`, HEPData patchsets (uses the two above)
:mod:`.model_spec`       :func:`~.model_spec.load_model_spec`: a model's patched specification,
                         observations and measurement in one call (what the factory compiles)
:mod:`.workspace_edit`   pruning and renaming
:mod:`.workspace_combine`  combining two workspaces (pyhf's join modes)
:mod:`.readxml`          HistFactory XML (Combination, Channel) to a workspace, as ``pyhf xml2json``
:mod:`.readxml_root`     the ROOT histograms of that XML, read by uproot (optional dependency)
=======================  ==========================================================================

Imports go one way: ``io`` and ``schema`` <- ``checks`` and ``patches`` <- ``workspace`` <-
``patchset`` <- ``model_spec``; ``readxml_root`` <- ``readxml`` -> ``workspace``; ``checks`` asks
the modifier modules for their rules (:mod:`likelihub_histfactory.modifiers`). Nothing here
imports numba or compiles a model.
"""
