"""The plugin module named by the ``likelihub.backends`` entry point: hooks only, imports nothing heavy."""

from __future__ import annotations

import likelihub

from . import __version__

__all__ = ["likelihub_register_backends", "likelihub_register_formats", "BACKENDS"]


#: (name, factory, description) of each backend of the distribution.
BACKENDS = (
    ("combiner.uncorrelated", "likelihub_combiner.backend:combine_uncorrelated",
     "Product of likelihoods from different experiments that share one signal strength and no "
     "nuisance parameters; any backends as components."),
    ("combiner.correlated", "likelihub_combiner.correlated:combine_correlated",
     "Product of likelihoods that share parameters (by name or by an explicit map), each shared "
     "constraint counted once; partially correlated Gaussian constraints."),
)


@likelihub.hookimpl
def likelihub_register_backends(register):
    """Register the ``combiner.uncorrelated`` and ``combiner.correlated`` backends (factories imported
    on first use)."""
    for name, factory, description in BACKENDS:
        register(name, factory, version=__version__, author="likelihub developers", description=description,
                 references=["ATL-PHYS-PUB-2011-011", "CMS-NOTE-2011-005", "arXiv:1007.1727"],
                 core_versions=">=0.1,<0.2")


@likelihub.hookimpl
def likelihub_register_formats(register):
    """Register combination files (components, names, correlations in a small JSON file) as files of
    ``likelihub cls|limit|fit|significance|inspect``, recognised by their ``"components"``."""
    register("combiner", backend="combiner.correlated",
             detect="likelihub_combiner.cli_format:is_combination",
             options="likelihub_combiner.cli_format:OPTIONS",
             open="likelihub_combiner.cli_format:open_combination",
             label="combination files", version=__version__,
             description="a JSON object listing component files (each read by its format, with its "
                         "options), names and correlations, as likelihub.combine takes them",
             core_versions=">=0.1,<0.2")
