"""likelihub-hs3: HS3 (HEP Statistics Serialization Standard, v0.2) likelihoods for likelihub.

    import likelihub as lh
    model = lh.get_backend("hs3")("workspace_hs3.json")     # HistFactory models: the histfactory engine
    model.cls(1.0)

    from likelihub_hs3 import write_hs3
    write_hs3("BkgOnly.json", "BkgOnly_hs3.json")              # a pyhf workspace written as HS3

The reading path: :mod:`.document` (the file, its components by name, which likelihood),
:mod:`.hf_convert` with :mod:`.hf_modifiers` and :mod:`.conventions` (``histfactory_dist`` to a
pyhf workspace, built by the ``histfactory`` backend), :mod:`.generic` with :mod:`.functions`
and :mod:`.expressions` (Gaussian, Poisson and product distributions in NumPy); :mod:`.factory`
is the registered ``hs3`` factory (and ``hs3_to_pyhf``). :mod:`.writer` writes pyhf workspaces
as HS3; :mod:`.cli` the commands ``likelihub pyhf2hs3`` and ``likelihub hs32pyhf``;
:mod:`.cli_format` the file format.
"""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__", "write_hs3", "hs3_to_pyhf"]


def __getattr__(name: str):
    # imported on first use: discovering the plugin imports nothing heavy
    if name == "write_hs3":
        from .writer import write_hs3

        return write_hs3
    if name == "hs3_to_pyhf":
        from .factory import hs3_to_pyhf

        return hs3_to_pyhf
    raise AttributeError(name)
