"""The formulas of formula rateParams (``(@0*@1/@2)*@3``), compiled to numpy functions.

Combine hands them to RooFormulaVar (TFormula syntax). The subset cards use is accepted: numbers,
``@i`` (the i-th argument), ``+ - * /``, ``^`` and ``**`` (powers), parentheses and the functions
``exp``, ``log``, ``sqrt``, ``pow``, ``abs``, ``min``, ``max`` (also as ``TMath::Exp`` and the like).
Anything else is an error naming the line, never evaluated.

A compiled :class:`Formula` is called with the argument values (the NumPy reference of the
likelihood does so); its ``expression``, the checked Python expression, is what the numba kernels
compile to their own program (:mod:`likelihub_combine.kernels.formulas`).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from likelihub.errors import InvalidModelError

__all__ = ["Formula", "compile_formula"]

_FUNCTIONS = {
    "exp": np.exp,
    "log": np.log,
    "sqrt": np.sqrt,
    "pow": np.power,
    "abs": np.abs,
    "min": np.minimum,
    "max": np.maximum,
}
_TOKEN = re.compile(
    r"\s*(?:(?P<number>\d+\.?\d*(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?)"
    r"|(?P<argument>@\d+)|(?P<name>(?:TMath::)?[A-Za-z_]\w*)|(?P<operator>\*\*|[-+*/^(),]))"
)


@dataclass(frozen=True)
class Formula:
    """A compiled formula: ``formula(values)`` computes it from the argument values (a 1-d array).

    Attributes
    ----------
    text
        The formula as the card writes it.
    expression
        The checked Python expression: ``a[i]`` the i-th argument, ``f_exp`` ... the functions.
    n_arguments
        The number of arguments.
    function
        The expression compiled to a Python function of the argument values (NumPy functions).
    """

    text: str
    expression: str
    n_arguments: int
    function: Callable[[np.ndarray], float]

    def __call__(self, values: np.ndarray) -> float:
        return self.function(values)


def compile_formula(formula: str, n_arguments: int, *, where: str, name: str) -> Formula:
    """The :class:`Formula` computing ``formula`` from the argument values (a 1-d array).

    Raises
    ------
    InvalidModelError
        A token outside the accepted subset, an argument index beyond ``n_arguments``, or a
        formula that does not evaluate (a syntax error).
    """
    pieces = []
    position = 0
    text = formula.strip()
    while position < len(text):
        match = _TOKEN.match(text, position)
        if not match or match.end() == position:
            raise InvalidModelError(
                f"formula {formula!r}: cannot read {text[position:]!r} (accepted: numbers, "
                "@i, + - * / ^, parentheses, exp log sqrt pow abs min max)",
                file=where,
                modifier=name,
            )
        position = match.end()
        if match["number"]:
            pieces.append(match["number"])
        elif match["argument"]:
            index = int(match["argument"][1:])
            if index >= n_arguments:
                raise InvalidModelError(
                    f"formula {formula!r} uses @{index} but names {n_arguments} arguments",
                    file=where,
                    modifier=name,
                )
            pieces.append(f"a[{index}]")
        elif match["name"]:
            function = match["name"].removeprefix("TMath::").lower()
            if function not in _FUNCTIONS:
                raise InvalidModelError(
                    f"formula {formula!r}: unknown function {match['name']!r}", file=where, modifier=name
                )
            pieces.append(f"f_{function}")
        else:
            operator = match["operator"]
            pieces.append("**" if operator == "^" else operator)
    source = " ".join(pieces)
    namespace = {f"f_{key}": value for key, value in _FUNCTIONS.items()}
    try:
        code = compile(f"lambda a: {source}", "<formula>", "eval")
        # the functions in the globals: a lambda's body does not see eval's locals
        function = eval(code, {"__builtins__": {}, **namespace})  # only the tokens checked above
        with np.errstate(all="ignore"):
            float(function(np.ones(n_arguments)))  # a syntax or arity error shows here
    except (SyntaxError, TypeError, ValueError, ZeroDivisionError) as error:
        raise InvalidModelError(
            f"formula {formula!r} is not a valid expression ({type(error).__name__})",
            file=where,
            modifier=name,
        ) from None
    return Formula(formula, source, n_arguments, function)
