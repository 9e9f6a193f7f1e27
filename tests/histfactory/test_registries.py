"""The registries of modifier types and interpolation codes: complete, consistent, and each code's
scalar functions equal to its NumPy reference.

Origins: the modifier types are those of the JSON schema (``modifier.schema.json``, the package
data, pyhf specification 1.0.0); the values of the scalar functions are those of each code's NumPy
reference (:func:`evaluate_term`, :func:`term_second_derivative`, the closed forms that
test_interpolation.py checks), to 1e-12 relative: the two evaluate the same polynomials, the
scalar functions by Horner's rule, the references by sums of powers (a few ulps apart).
"""

from __future__ import annotations

import numpy as np
import pytest

from likelihub_histfactory import interpolation
from likelihub_histfactory.modifiers import DEFAULT_INTERPOLATION_CODES, MODIFIERS, constraint_term
from likelihub_histfactory.modifiers.base import ParameterSet
from likelihub_histfactory.spec.schema import schema

REQUIRED = ("NAME", "PER_BIN", "CONSTRAINT", "SHARING_GROUP", "SORTED_BY_NAME", "INTERPOLATION_CODES",
            "check_data", "check_sharing", "n_parameters", "parameter_set")


def test_the_registry_holds_the_schemas_modifier_types():
    assert sorted(MODIFIERS) == sorted(schema("modifier")["properties"]["type"]["enum"])
    assert list(MODIFIERS) == sorted(MODIFIERS)  # pyhf orders the parameters by type, alphabetically


@pytest.mark.parametrize("name", sorted(MODIFIERS))
def test_each_modifier_module_has_what_the_compiler_asks(name):
    module = MODIFIERS[name]
    assert all(hasattr(module, attribute) for attribute in REQUIRED), name
    assert module.NAME == name
    assert module.CONSTRAINT in ("normal", "poisson", None)
    assert constraint_term(name) in ("gaussian", "poisson", "unconstrained")
    assert callable(getattr(module, "bin_parameters", None)) == module.PER_BIN
    if module.INTERPOLATION_CODES:
        assert callable(module.terms)
        assert DEFAULT_INTERPOLATION_CODES[name] in module.INTERPOLATION_CODES
        assert set(module.INTERPOLATION_CODES.values()) <= set(interpolation.KINDS)
    else:
        assert not hasattr(module, "terms")


@pytest.mark.parametrize("name", ["histosys", "lumi", "normfactor", "normsys"])
def test_scalar_modifiers_declare_one_parameter(name):
    paramset = MODIFIERS[name].parameter_set("theta", [], None, "ws.json")
    assert isinstance(paramset, ParameterSet)
    assert (paramset.n_parameters, paramset.is_scalar, paramset.parameter_names()) == (1, True, ["theta"])
    assert MODIFIERS[name].n_parameters({"SR": 3, "CR": 2}) == 1


def test_kinds_multiply_before_they_add():
    additive = [kind for kind, module in interpolation.KINDS.items() if module.ADDITIVE]
    assert additive == list(range(interpolation.FIRST_SHIFT, len(interpolation.KINDS)))
    assert [interpolation.is_shift(kind) for kind in sorted(interpolation.KINDS)] == [
        interpolation.KINDS[kind].ADDITIVE for kind in sorted(interpolation.KINDS)]


def _rows(kind: int, nominal: float, hi: float, lo: float) -> np.ndarray:
    """A one-row array of coefficients of ``kind``, as the modifiers compile it."""
    module = interpolation.KINDS[kind]
    if kind == interpolation.TERM_FACTOR:
        return np.zeros((1, interpolation.N_COEFFICIENTS))
    if module.ADDITIVE:
        return module.coefficient_rows(np.array([nominal]), np.array([hi]), np.array([lo]))
    return module.coefficient_rows(np.array([hi]), np.array([lo]))


@pytest.mark.parametrize("kind", sorted(interpolation.KINDS))
def test_scalar_functions_equal_the_references(kind):
    # compile_terms with the identity for "jit": the scalar functions as Python, as numba's CUDA
    # simulator runs them (the compiled kernels are held to the reference by test_engine_vs_pyhf.py,
    # test_hessian.py and, for CUDA, test_cuda_kernels.py)
    term, term_second, is_shift = interpolation.compile_terms(lambda function: function)
    nominal, hi, lo = (10.0, 12.0, 9.0) if interpolation.KINDS[kind].ADDITIVE else (1.0, 1.3, 0.8)
    rows = _rows(kind, nominal, hi, lo)
    if kind != interpolation.TERM_FACTOR:  # the templates back from the row (a factor has none)
        assert interpolation.term_templates(kind, rows[0], nominal)[1:] == pytest.approx((hi, lo), rel=1e-15)
    for alpha in (-2.3, -1.0, -0.7, -0.2, 0.0, 0.3, 0.9, 1.0, 1.7):
        value, derivative = term(kind, alpha, rows, 0)
        ref_value, ref_derivative = interpolation.evaluate_term(kind, alpha, nominal, hi, lo)
        assert value == pytest.approx(ref_value, rel=1e-12, abs=1e-14)
        assert derivative == pytest.approx(ref_derivative, rel=1e-12, abs=1e-14)
        assert term_second(kind, alpha, rows, 0) == pytest.approx(
            interpolation.term_second_derivative(kind, alpha, nominal, hi, lo), rel=1e-12, abs=1e-14)
    assert is_shift(kind) == interpolation.KINDS[kind].ADDITIVE
