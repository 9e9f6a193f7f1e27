"""HS3 generic expressions (HS3 v0.2, "Generic Expressions"), parsed without ``eval``.

    expression = parse("x - 2*y^2 + (a > 0 ? exp(a) : 1)", where={"file": ...})
    expression.names                    # {'x', 'y', 'a'}
    expression.evaluate({"x": 1.0, "y": 2.0, "a": 0.5})

What the standard requires: integer, floating-point and boolean literals (``TRUE``, ``FALSE``),
``PI`` and ``EULER``; ``+ - * / ^``; the comparisons ``== === != !== < <= > >=`` (``==`` and
``!=`` within a few units in the last place); ``! && ||``; brackets; the ternary ``c ? a : b``;
and the functions ``exp log sqrt abs pow min max sin cos tan asin acos atan``. Anything else
(another function, an unknown character) is an error naming the expression. The power operator
binds tighter than a unary minus (``-x^2`` is ``-(x^2)``) and to the right; booleans are 1.0
and 0.0. An expression becomes a tree of closures over a mapping of values.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from likelihub.errors import InvalidModelError

__all__ = ["Expression", "parse", "FUNCTIONS"]

#: The functions of the standard and their arities.
FUNCTIONS: dict[str, tuple[int, Callable]] = {
    "exp": (1, math.exp), "log": (1, math.log), "sqrt": (1, math.sqrt), "abs": (1, abs),
    "pow": (2, math.pow), "min": (2, min), "max": (2, max), "sin": (1, math.sin), "cos": (1, math.cos),
    "tan": (1, math.tan), "asin": (1, math.asin), "acos": (1, math.acos), "atan": (1, math.atan),
}
_CONSTANTS = {"PI": math.pi, "EULER": math.e, "TRUE": 1.0, "FALSE": 0.0}
_TOKEN = re.compile(r"\s*(?:(?P<number>(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)"
                    r"|(?P<name>[A-Za-z_][A-Za-z0-9_.]*)"
                    r"|(?P<op>===|!==|==|!=|<=|>=|&&|\|\||[-+*/^<>!?:(),]))")


def _approx_equal(a: float, b: float) -> bool:
    return a == b or abs(a - b) <= 4 * math.ulp(max(abs(a), abs(b)))


_BINARY: dict[str, tuple[int, bool, Callable]] = {  # operator: (precedence, right-associative, function)
    "||": (1, False, lambda a, b: float(bool(a) or bool(b))),
    "&&": (2, False, lambda a, b: float(bool(a) and bool(b))),
    "==": (3, False, lambda a, b: float(_approx_equal(a, b))),
    "!=": (3, False, lambda a, b: float(not _approx_equal(a, b))),
    "===": (3, False, lambda a, b: float(a == b)),
    "!==": (3, False, lambda a, b: float(a != b)),
    "<": (4, False, lambda a, b: float(a < b)), "<=": (4, False, lambda a, b: float(a <= b)),
    ">": (4, False, lambda a, b: float(a > b)), ">=": (4, False, lambda a, b: float(a >= b)),
    "+": (5, False, lambda a, b: a + b), "-": (5, False, lambda a, b: a - b),
    "*": (6, False, lambda a, b: a * b), "/": (6, False, lambda a, b: a / b),
    "^": (8, True, lambda a, b: a ** b),
}
_UNARY_PRECEDENCE = 7


@dataclass(frozen=True)
class Expression:
    """A parsed expression: the names it reads and a function of a mapping of their values."""

    text: str
    names: frozenset
    function: Callable[[Mapping], float]

    def evaluate(self, values: Mapping) -> float:
        """The expression's value with ``values[name]`` for each name it reads."""
        return float(self.function(values))


class _Parser:
    def __init__(self, text: str, where: dict):
        self.text, self.where = text, where
        self.tokens: list[tuple[str, str]] = []
        position = 0
        while position < len(text):
            match = _TOKEN.match(text, position)
            if match is None or match.end() == position:
                if text[position:].strip() == "":
                    break
                raise self.error(f"unexpected character {text[position:].lstrip()[:1]!r}")
            kind = match.lastgroup
            self.tokens.append((kind, match.group(kind)))
            position = match.end()
        self.position = 0
        self.names: set[str] = set()

    def error(self, message: str) -> InvalidModelError:
        return InvalidModelError(f"expression {self.text!r}: {message}", **self.where)

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.position] if self.position < len(self.tokens) else None

    def take(self, op: str | None = None) -> tuple[str, str]:
        token = self.peek()
        if token is None or (op is not None and token != ("op", op)):
            raise self.error(f"expected {op!r}" if op else "unexpected end")
        self.position += 1
        return token

    def expression(self, minimum: int = 0) -> Callable:
        left = self.unary()
        while (token := self.peek()) is not None and token[0] == "op":
            op = token[1]
            if op == "?" and minimum == 0:
                self.take()
                then = self.expression(0)
                self.take(":")
                otherwise = self.expression(0)
                condition = left
                left = (lambda c, a, b: lambda v: a(v) if c(v) else b(v))(condition, then, otherwise)
                continue
            if op not in _BINARY:
                break
            precedence, right, function = _BINARY[op]
            if precedence < minimum or (precedence == minimum and not right):
                break
            self.take()
            rhs = self.expression(precedence)
            left = (lambda f, a, b: lambda v: f(a(v), b(v)))(function, left, rhs)
        return left

    def unary(self) -> Callable:
        token = self.peek()
        if token in (("op", "-"), ("op", "+"), ("op", "!")):
            self.take()
            operand = self.expression(_UNARY_PRECEDENCE)
            if token[1] == "-":
                return lambda v: -operand(v)
            if token[1] == "!":
                return lambda v: float(not operand(v))
            return operand
        return self.primary()

    def primary(self) -> Callable:
        kind, value = self.take()
        if kind == "number":
            number = float(value)
            return lambda v: number
        if kind == "name":
            if self.peek() == ("op", "("):
                return self.call(value)
            if value in _CONSTANTS:
                constant = _CONSTANTS[value]
                return lambda v: constant
            self.names.add(value)
            return lambda v: v[value]
        if value == "(":
            inner = self.expression(0)
            self.take(")")
            return inner
        raise self.error(f"unexpected {value!r}")

    def call(self, name: str) -> Callable:
        if name not in FUNCTIONS:
            raise self.error(f"unknown function {name!r} (the standard's: {sorted(FUNCTIONS)})")
        arity, function = FUNCTIONS[name]
        self.take("(")
        arguments = [self.expression(0)]
        while self.peek() == ("op", ","):
            self.take()
            arguments.append(self.expression(0))
        self.take(")")
        if len(arguments) != arity:
            raise self.error(f"{name} takes {arity} argument(s), got {len(arguments)}")
        if arity == 1:
            (a,) = arguments
            return lambda v: function(a(v))
        a, b = arguments
        return lambda v: function(a(v), b(v))


def parse(text: str, where: dict | None = None) -> Expression:
    """Parse an HS3 generic expression; ``where`` (file, ...) is named in errors."""
    where = where or {}
    if not isinstance(text, str) or not text.strip():
        raise InvalidModelError(f"an expression must be a non-empty string, got {text!r}", **where)
    parser = _Parser(text, where)
    function = parser.expression(0)
    if parser.peek() is not None:
        raise parser.error(f"unexpected {parser.peek()[1]!r}")
    return Expression(text, frozenset(parser.names), function)
