"""HS3 generic expressions against the same arithmetic in Python (the standard's operators,
precedence, ternary, comparisons and functions)."""

from __future__ import annotations

import math

import pytest

from likelihub_hs3.expressions import parse

VALUES = {"x": 1.5, "y": -2.0, "z": 0.25}


@pytest.mark.parametrize("text, expected", [
    ("x - 2*y + z", 1.5 + 4.0 + 0.25),
    ("-x^2", -(1.5 ** 2)),
    ("2^3^2", 2.0 ** 9),
    ("x/y/z", 1.5 / -2.0 / 0.25),
    ("2/3", 2 / 3),
    ("(x + y) * z", (1.5 - 2.0) * 0.25),
    ("x > 1 ? exp(z) : log(x)", math.exp(0.25)),
    ("x < 1 ? 1 : y < 0 ? 2 : 3", 2.0),
    ("x >= 1.5 && y != -2 || z == 0.25", 1.0),
    ("!(x > 2)", 1.0),
    ("0.1 + 0.2 == 0.3", 1.0),          # approximately equal
    ("0.1 + 0.2 === 0.3", 0.0),         # exactly equal
    ("pow(x, 2) + sqrt(z) + abs(y) + min(x, y) + max(x, y)", 2.25 + 0.5 + 2.0 - 2.0 + 1.5),
    ("sin(PI/2) + cos(0) + tan(0) + asin(1) + acos(1) + atan(1)", 2.0 + math.pi / 2 + math.pi / 4),
    ("EULER + TRUE + FALSE + 1.234e2 + 1.5E-1", math.e + 1 + 123.4 + 0.15),
])
def test_expression(text, expected):
    expression = parse(text)
    assert expression.names <= set(VALUES)
    assert expression.evaluate(VALUES) == pytest.approx(expected, rel=1e-15, abs=1e-15)


def test_names_read():
    assert parse("a*exp(b_1) + PI - c.d").names == {"a", "b_1", "c.d"}
