"""One HS3 HistFactory modifier read into pyhf's terms: its parameter(s), constraint and data.

What each modifier type becomes in a pyhf workspace (the histfactory backend then builds it):

==============  ===============================================================================
HS3 modifier    pyhf modifier
==============  ===============================================================================
normfactor      ``normfactor``; with a Gaussian constraint (``constraint_name``, or ``constraint``
                naming a ``gaussian_dist``, as ROOT writes the luminosity) ``lumi``, its auxiliary
                datum and width in the measurement
normsys         ``normsys`` (``data.hi``, ``data.lo``), Gaussian constraint
histosys        ``histosys`` (``data.hi.contents``, ``data.lo.contents``: the varied yields)
shapesys        ``Poisson``: ``shapesys`` with absolute uncertainties; ``Gauss``: a ``staterror``
                of its own (the same Gaussian per bin); ``Const``: a fixed ``shapefactor``
shapefactor     ``shapefactor``
staterror       ``staterror`` with the samples' ``data.errors`` (Gaussian); Poisson (ROOT's
                default) only where one sample carries it: a ``shapesys``
==============  ===============================================================================

A ``shapesys``'s ``vals`` are relative uncertainties in files ROOT wrote (ROOT reads and writes
them so: tau = 1 / vals^2) and absolute ones elsewhere (pyhs3: tau = (nominal / vals)^2); the
``shapesys_vals`` argument of the ``hs3`` backend says which where the default guess is wrong.
A Gaussian constraint of a normsys or histosys (or ROOT's named ``gaussian_dist`` on the
parameter) may have another width or centre: pyhf's ``sigmas`` and ``auxdata``.
"""

from __future__ import annotations

import numpy as np

from likelihub.errors import InvalidModelError

from .conventions import LEGACY_CONSTRAINTS
from .document import is_number

__all__ = ["numbers", "scalar_parameter", "bin_parameters", "gaussian_constraint", "constraint_kind",
           "shapesys_uncertainties"]


def numbers(values, n: int | None, what: str, where: dict) -> list[float]:
    """``values`` as a list of finite numbers, ``n`` of them where ``n`` is given."""
    if not isinstance(values, list) or not all(is_number(v) for v in values):
        raise InvalidModelError(f"{what} must be an array of finite numbers, got {values!r:.80}", **where)
    if n is not None and len(values) != n:
        raise InvalidModelError(f"{what} has {len(values)} values for the channel's {n} bins", **where)
    return [float(v) for v in values]


def scalar_parameter(modifier: dict, where: dict) -> str:
    """The one parameter of a normfactor, normsys or histosys: ``parameter``, else ROOT's default
    (the modifier's name for a normfactor, ``alpha_<name>`` for a normsys or histosys)."""
    parameter = modifier.get("parameter")
    if parameter is None:
        name = modifier.get("name")
        if not isinstance(name, str):
            raise InvalidModelError("a modifier needs a 'parameter' (or a 'name')", **where)
        parameter = name if modifier.get("type") == "normfactor" else f"alpha_{name}"
    if not isinstance(parameter, str):
        raise InvalidModelError(f"'parameter' must be a name, got {parameter!r}", **where)
    return parameter


def bin_parameters(modifier: dict, n: int, default_base: str, where: dict) -> tuple[str, ...]:
    """The per-bin parameters of a shapesys, shapefactor or staterror: ``parameters``, else ROOT's
    default ``gamma_<base>_bin_<i>``."""
    parameters = modifier.get("parameters")
    if parameters is None:
        return tuple(f"gamma_{default_base}_bin_{i}" for i in range(n))
    if not isinstance(parameters, list) or not all(isinstance(p, str) for p in parameters):
        raise InvalidModelError(f"'parameters' must be an array of names, got {parameters!r:.80}", **where)
    if len(parameters) != n:
        raise InvalidModelError(f"'parameters' names {len(parameters)} parameters for the channel's {n} "
                                "bins", **where)
    if len(set(parameters)) != n:
        raise InvalidModelError("'parameters' names a parameter twice", **where)
    return tuple(parameters)


def constraint_kind(modifier: dict, default: str, where: dict) -> str | dict:
    """A modifier's constraint: a legacy type (``Gauss``, ``Poisson``, ``Const``, ...) or the name
    of a distribution (returned as ``{"distribution": name}``)."""
    if "constraints" in modifier:
        raise InvalidModelError("per-bin constraint distributions ('constraints') are not supported yet",
                                **where)
    for key in ("constraint_name", "constraint", "constraint_type"):
        value = modifier.get(key)
        if value is None:
            continue
        if not isinstance(value, str):
            raise InvalidModelError(f"{key!r} must be a string, got {value!r}", **where)
        if key != "constraint_name" and value in LEGACY_CONSTRAINTS:
            return "Lognormal" if value == "LogNormal" else value
        if key == "constraint_type":
            raise InvalidModelError(f"unknown constraint type {value!r} (known: {list(LEGACY_CONSTRAINTS)})",
                                    **where)
        return {"distribution": value}
    return default


def _value(reference, point: dict, what: str, where: dict) -> float:
    if is_number(reference):
        return float(reference)
    if isinstance(reference, str) and reference in point:
        return float(point[reference]["value"])
    raise InvalidModelError(f"{what} {reference!r} is neither a number nor a parameter with a value in "
                            "the parameter point", **where)


def gaussian_constraint(document, name: str, parameter: str, point: dict, where: dict
                        ) -> tuple[float, float]:
    """(centre, width) of the ``gaussian_dist`` ``name`` constraining ``parameter``: one of its
    ``x`` and ``mean`` is the parameter, the other a number or a global observable (its value in
    the parameter point), ``sigma`` a number or a constant."""
    dist = document.distribution(name, referrer=f"the constraint of modifier {where.get('modifier')!r}")
    kind = dist.get("type")
    if kind not in ("gaussian_dist", "normal_dist"):
        raise InvalidModelError(f"constraint {name!r} is a {kind!r}; only gaussian_dist constraints are "
                                "supported on this modifier", **where)
    x, mean = dist.get("x"), dist.get("mean")
    if parameter not in (x, mean):
        raise InvalidModelError(f"constraint {name!r} constrains {x!r} around {mean!r}, not the "
                                f"modifier's parameter {parameter!r}", **where)
    other = mean if x == parameter else x
    centre = _value(other, point, f"the centre of constraint {name!r}", where)
    width = _value(dist.get("sigma"), point, f"the width of constraint {name!r}", where)
    if not width > 0:
        raise InvalidModelError(f"constraint {name!r} has width {width}", **where)
    return centre, width


def shapesys_uncertainties(vals: list[float], nominal: list[float], convention: str) -> list[float]:
    """pyhf's absolute shapesys uncertainties from HS3 ``vals`` (``relative``: times the nominal
    yield, as ROOT means them; ``absolute``: as they are, as pyhs3 means them)."""
    if convention == "relative":
        return (np.asarray(vals) * np.asarray(nominal)).tolist()
    return list(vals)
