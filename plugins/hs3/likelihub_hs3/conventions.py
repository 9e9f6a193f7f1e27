"""How HS3 writers spell interpolation codes and constraints, read into pyhf's terms.

Interpolation (``interpolation`` of a ``normsys`` or ``histosys`` modifier, or a
``histfactory_dist``'s ``default_interpolation``) comes in four spellings:

- the HS3 v0.2 names ``lin``, ``log``, ``parabolic``, ``poly6`` (the standard's formulas: piecewise
  linear, exponential, quadratic with linear extrapolation, sixth-order polynomial with linear
  extrapolation);
- pyhs3's ``code0``, ``code1``, ``code2``, ``code4``, ``code4p`` (pyhf's codes);
- ROOT's integer codes (before ROOT 6.38), whose meaning depends on the modifier:
  ``FlexibleInterpVar`` (normsys) 0, 1, 2/3, 4/5 are pyhf's 0, 1, 2, 4, and
  ``PiecewiseInterpolation`` (histosys) 0, 1, 2/3, 4, 5 are pyhf's 0, 1, 2, 4p, 4;
- ROOT's structured ``{"type": "add"|"mult", "in": ..., "out": ...}`` (newer ROOT).

Absent, a modifier takes HistFactory's default: normsys code 4, histosys code 4p (ROOT, pyhs3
and pyhf agree). The histfactory backend supports normsys codes 1 and 4 and histosys codes 0, 2
and 4p, one per modifier type: anything else is refused naming the modifier.
"""

from __future__ import annotations

from likelihub.errors import InvalidModelError

__all__ = ["interpolation_code", "SUPPORTED_CODES", "DEFAULT_CODES", "LEGACY_CONSTRAINTS"]

#: Codes the histfactory backend evaluates, per modifier type.
SUPPORTED_CODES = {"normsys": ("1", "4"), "histosys": ("0", "2", "4p")}

#: HistFactory's default codes (ROOT, pyhf, pyhs3).
DEFAULT_CODES = {"normsys": "4", "histosys": "4p"}

#: Constraint types a modifier may name instead of a constraint distribution.
LEGACY_CONSTRAINTS = ("Gauss", "Poisson", "Const", "Lognormal", "LogNormal")

_NAMES = {"lin": "0", "log": "1", "parabolic": "2", "poly6": "4p"}
_PYHS3 = {"code0": "0", "code1": "1", "code2": "2", "code4": "4", "code4p": "4p"}
_ROOT_INTEGER = {
    "normsys": {0: "0", 1: "1", 2: "2", 3: "2", 4: "4", 5: "4"},
    "histosys": {0: "0", 1: "1", 2: "2", 3: "2", 4: "4p", 5: "4"},
}
_STRUCTURED = {
    ("add", "poly1", None): "0",
    ("mult", "exp", None): "1",
    ("add", "poly2", "poly1"): "2",
    ("mult", "poly6", "exp"): "4",
    ("add", "poly6", "poly1"): "4p",
}


def _read_code(value, modifier_type: str) -> str | None:
    """pyhf's code for one spelling (None where the spelling is not known)."""
    if isinstance(value, dict):
        return _STRUCTURED.get((value.get("type"), value.get("in"), value.get("out")))
    if isinstance(value, bool):
        return None
    if isinstance(value, int) or (isinstance(value, str) and value.strip().isdigit()):
        return _ROOT_INTEGER[modifier_type].get(int(value))
    if isinstance(value, str):
        return _NAMES.get(value) or _PYHS3.get(value)
    return None


def interpolation_code(modifier: dict, modifier_type: str, default, where: dict) -> str:
    """pyhf's interpolation code of a normsys or histosys modifier (``default``: the channel's
    ``default_interpolation``, or None for HistFactory's default), checked against what the
    histfactory backend supports; ``where`` names the file, channel, sample and modifier."""
    value = modifier.get("interpolation", default)
    if value is None:
        return DEFAULT_CODES[modifier_type]
    code = _read_code(value, modifier_type)
    if code is None:
        raise InvalidModelError(f"unknown {modifier_type} interpolation {value!r} (known: the HS3 names "
                                f"{sorted(_NAMES)}, pyhs3's {sorted(_PYHS3)}, ROOT's integer codes and "
                                "{'type', 'in', 'out'} structs)", **where)
    if code not in SUPPORTED_CODES[modifier_type]:
        raise InvalidModelError(f"{modifier_type} interpolation {value!r} is pyhf's code {code}, which the "
                                f"histfactory backend does not evaluate for {modifier_type} (it does codes "
                                f"{list(SUPPORTED_CODES[modifier_type])})", **where)
    return code
