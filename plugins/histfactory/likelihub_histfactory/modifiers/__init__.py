"""HistFactory modifier types: one module per type, and the registry :data:`MODIFIERS`.

=====================  ============  ==============  =========================================
type (module)          parameters    constraint      terms
=====================  ============  ==============  =========================================
:mod:`.histosys`       one           Gaussian        additive, interpolation code 0, 2, 4p
:mod:`.lumi`           one           Gaussian (set   factor
                                     by measurement)
:mod:`.normfactor`     one           none            factor
:mod:`.normsys`        one           Gaussian        multiplicative, interpolation code 1, 4
:mod:`.shapefactor`    one per bin   none            factor
:mod:`.shapesys`       one per bin   Poisson         factor
:mod:`.staterror`      one per bin   Gaussian        factor
=====================  ============  ==============  =========================================

A modifier module says everything about its type that the spec layer and the compiler ask:

``NAME``, ``PER_BIN``, ``CONSTRAINT`` (``"normal"``, ``"poisson"`` or None), ``SHARING_GROUP``
    its JSON ``type``; one parameter per bin (``name[k]``) or one; the constraint of its
    parameters; modifiers of types in one sharing group may share a parameter by name.
``SORTED_BY_NAME``
    its parameter sets are ordered by name, not by first appearance (pyhf's staterror).
``INTERPOLATION_CODES``, ``DEFAULT_CODE``
    the codes it accepts (code -> term kind of :mod:`likelihub_histfactory.interpolation`), or
    None: its terms are plain factors, the parameter itself.
``check_data(modifier, n_bins, location)``
    what the schema cannot say about its ``data`` (:mod:`likelihub_histfactory.spec.checks`).
``check_sharing(name, uses, where)``
    its rules for one name used several times (uses: type, bins, channel, sample, modifier).
``n_parameters(bins_by_channel)``
    how many parameters one name has, from the bins of the channels it acts on.
``parameter_set(name, uses, layout, source)``
    its :class:`~.base.ParameterSet` (inits, bounds, constraint and widths) before the
    measurement's settings (:mod:`likelihub_histfactory.compile.parameters`).
``bin_parameters(layout, uses, start)`` (per-bin types)
    the parameter index of each bin of the model.
``terms(modifiers, layout, c, s, code, source)`` (types with interpolation codes)
    the term kind and rows of coefficients of its modifiers on one sample
    (:mod:`likelihub_histfactory.compile.sample_terms`).

Adding a modifier type is adding a module with these and one line to :data:`MODIFIERS` (and its
data to the JSON schema, ``spec/schemas/modifier.schema.json``). The order of :data:`MODIFIERS` is
the order of the parameter vector (pyhf's: by type, alphabetically).
"""

from __future__ import annotations

from types import ModuleType

from . import histosys, lumi, normfactor, normsys, shapefactor, shapesys, staterror

__all__ = ["MODIFIERS", "MODIFIER_TYPES", "INTERPOLATED", "DEFAULT_INTERPOLATION_CODES", "constraint_term"]

#: The modifier modules by type name, in the order of the parameter vector (pyhf's).
MODIFIERS: dict[str, ModuleType] = {
    "histosys": histosys,
    "lumi": lumi,
    "normfactor": normfactor,
    "normsys": normsys,
    "shapefactor": shapefactor,
    "shapesys": shapesys,
    "staterror": staterror,
}

#: The modifier types, in the order pyhf registers their parameters.
MODIFIER_TYPES = tuple(MODIFIERS)

#: The types whose terms are interpolated, and pyhf's default code of each.
INTERPOLATED = {name: module for name, module in MODIFIERS.items() if module.INTERPOLATION_CODES}
DEFAULT_INTERPOLATION_CODES = {name: module.DEFAULT_CODE for name, module in INTERPOLATED.items()}

_CONSTRAINT_TERMS = {"normal": "gaussian", "poisson": "poisson", None: "unconstrained"}


def constraint_term(modifier_type: str) -> str:
    """``"gaussian"``, ``"poisson"`` or ``"unconstrained"``: the constraint of a type's parameters."""
    return _CONSTRAINT_TERMS[MODIFIERS[modifier_type].CONSTRAINT]
