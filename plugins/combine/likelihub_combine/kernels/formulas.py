"""Formula rateParams in the kernels: each formula as a postfix program, run by a small numba
interpreter that carries the value, gradient and Hessian over the formula's arguments.

:func:`formula_program` reads the checked Python expression of a
:class:`~likelihub_combine.formula.Formula` (``a[i]``, numbers, ``+ - * / **``, unary minus and
the functions ``f_exp f_log f_sqrt f_abs f_pow f_min f_max``) with Python's own parser, so the
order of operations is exactly that of the NumPy reference, and writes it in postfix order: op
codes, their operands (the argument's index, or the constant's index) and the constants.
:func:`run_formula` evaluates a program on a stack of jets (value, gradient over the A arguments,
Hessian A x A), by the chain rule of each operation: compiled once for every card, no code is
generated per formula. ``min``/``max`` take the jet of the operand they pick (the first where
both are equal), ``abs`` has derivative sign(x) (0 at 0), ``x ** c`` with a constant exponent
the power rule (any sign of x), and ``x ** y`` otherwise ``exp(y log x)``.
"""

from __future__ import annotations

import ast
import math

import numba

from likelihub.errors import InvalidModelError

__all__ = ["formula_program", "run_formula", "OP_ARGUMENT", "OP_CONSTANT"]

(OP_ARGUMENT, OP_CONSTANT, OP_ADD, OP_SUBTRACT, OP_MULTIPLY, OP_DIVIDE, OP_POWER, OP_NEGATE, OP_EXP,
 OP_LOG, OP_SQRT, OP_ABS, OP_MIN, OP_MAX) = range(14)

_BINARY = {ast.Add: OP_ADD, ast.Sub: OP_SUBTRACT, ast.Mult: OP_MULTIPLY, ast.Div: OP_DIVIDE,
           ast.Pow: OP_POWER}
_CALLS = {"f_exp": (OP_EXP, 1), "f_log": (OP_LOG, 1), "f_sqrt": (OP_SQRT, 1), "f_abs": (OP_ABS, 1),
          "f_pow": (OP_POWER, 2), "f_min": (OP_MIN, 2), "f_max": (OP_MAX, 2)}


def formula_program(expression: str) -> tuple[list[int], list[int], list[float]]:
    """The postfix program of a formula's checked expression: (op codes, operands, constants).

    Raises
    ------
    InvalidModelError
        A construct outside the formula subset (a function called with the wrong number of
        arguments, say), naming the expression.
    """
    ops: list[int] = []
    operands: list[int] = []
    constants: list[float] = []

    def refuse(node) -> InvalidModelError:
        return InvalidModelError(f"formula {expression!r}: cannot compile {ast.dump(node)} for the kernels")

    def emit(node) -> None:
        if isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
            emit(node.left)
            emit(node.right)
            ops.append(_BINARY[type(node.op)])
            operands.append(0)
        elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
            emit(node.operand)
            if isinstance(node.op, ast.USub):
                ops.append(OP_NEGATE)
                operands.append(0)
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in _CALLS:
            op, arity = _CALLS[node.func.id]
            if len(node.args) != arity or node.keywords:
                raise refuse(node)
            for argument in node.args:
                emit(argument)
            ops.append(op)
            operands.append(0)
        elif (isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name) and node.value.id == "a"
              and isinstance(node.slice, ast.Constant) and isinstance(node.slice.value, int)):
            ops.append(OP_ARGUMENT)
            operands.append(node.slice.value)
        elif isinstance(node, ast.Constant) and isinstance(node.value, int | float):
            ops.append(OP_CONSTANT)
            operands.append(len(constants))
            constants.append(float(node.value))
        else:
            raise refuse(node)

    emit(ast.parse(expression, mode="eval").body)
    return ops, operands, constants


@numba.njit(error_model="numpy")
def _unary(values, grads, hessians, top, n, order, value, first, second):
    """Replace the jet on top by phi(jet): phi = value, phi' = first, phi'' = second."""
    if order >= 2:
        for a in range(n):
            for b in range(n):
                hessians[top, a, b] = first * hessians[top, a, b] + second * grads[top, a] * grads[top, b]
    if order >= 1:
        for a in range(n):
            grads[top, a] *= first
    values[top] = value


@numba.njit(error_model="numpy")
def _multiply(values, grads, hessians, x, y, n, order):
    """Jet x times jet y, into x."""
    a, b = values[x], values[y]
    if order >= 2:
        for i in range(n):
            for j in range(n):
                hessians[x, i, j] = (a * hessians[y, i, j] + b * hessians[x, i, j]
                                     + grads[x, i] * grads[y, j] + grads[y, i] * grads[x, j])
    if order >= 1:
        for i in range(n):
            grads[x, i] = a * grads[y, i] + b * grads[x, i]
    values[x] = a * b


@numba.njit(cache=True, error_model="numpy")
def run_formula(ops, operands, constants, arguments, n, order, values, grads, hessians):
    """Evaluate a program at the ``n`` argument values ``arguments``; the jet is left in row 0 of
    ``values`` (S,), ``grads`` (S, A), ``hessians`` (S, A, A) (scratch, S the program's length):
    the gradient where ``order >= 1``, the Hessian where ``order >= 2`` (below, ``hessians`` is
    never touched and may be empty)."""
    top = -1
    for i in range(ops.size):
        op = ops[i]
        if op == OP_ARGUMENT or op == OP_CONSTANT:
            top += 1
            if order >= 1:
                for a in range(n):
                    grads[top, a] = 0.0
            if order >= 2:
                for a in range(n):
                    for b in range(n):
                        hessians[top, a, b] = 0.0
            if op == OP_ARGUMENT:
                values[top] = arguments[operands[i]]
                if order >= 1:
                    grads[top, operands[i]] = 1.0
            else:
                values[top] = constants[operands[i]]
            continue
        if op >= OP_NEGATE and op <= OP_ABS:
            x = values[top]
            if op == OP_NEGATE:
                _unary(values, grads, hessians, top, n, order, -x, -1.0, 0.0)
            elif op == OP_EXP:
                e = math.exp(x)
                _unary(values, grads, hessians, top, n, order, e, e, e)
            elif op == OP_LOG:
                _unary(values, grads, hessians, top, n, order, math.log(x) if x > 0.0 else
                       (-math.inf if x == 0.0 else math.nan), 1.0 / x, -1.0 / (x * x))
            elif op == OP_SQRT:
                r = math.sqrt(x) if x >= 0.0 else math.nan
                _unary(values, grads, hessians, top, n, order, r, 0.5 / r, -0.25 / (r * x))
            else:
                sign = 1.0 if x > 0.0 else (-1.0 if x < 0.0 else 0.0)
                _unary(values, grads, hessians, top, n, order, abs(x), sign, 0.0)
            continue
        top -= 1
        x, y = top, top + 1
        if op == OP_ADD or op == OP_SUBTRACT:
            sign = 1.0 if op == OP_ADD else -1.0
            if order >= 2:
                for a in range(n):
                    for b in range(n):
                        hessians[x, a, b] += sign * hessians[y, a, b]
            if order >= 1:
                for a in range(n):
                    grads[x, a] += sign * grads[y, a]
            values[x] += sign * values[y]
        elif op == OP_MULTIPLY:
            _multiply(values, grads, hessians, x, y, n, order)
        elif op == OP_DIVIDE:
            q = values[x] / values[y]
            d = values[y]
            if order >= 1:
                for a in range(n):
                    grads[x, a] = (grads[x, a] - q * grads[y, a]) / d
            if order >= 2:
                for a in range(n):
                    for b in range(n):
                        cross = grads[x, a] * grads[y, b] + grads[y, a] * grads[x, b]
                        hessians[x, a, b] = (hessians[x, a, b] - q * hessians[y, a, b] - cross) / d
            values[x] = q
        elif op == OP_POWER:
            constant = True
            for a in range(n):
                if order >= 1 and grads[y, a] != 0.0:
                    constant = False
                for b in range(n):
                    if order >= 2 and hessians[y, a, b] != 0.0:
                        constant = False
            base, exponent = values[x], values[y]
            power = base**exponent
            if constant:
                first = 0.0 if exponent == 0.0 else exponent * base ** (exponent - 1.0)
                curvature = exponent * (exponent - 1.0)
                second = 0.0 if curvature == 0.0 else curvature * base ** (exponent - 2.0)
                _unary(values, grads, hessians, x, n, order, power, first, second)
            else:  # exp(y log x), its value x ** y as the reference computes it
                _unary(values, grads, hessians, x, n, order, math.log(base) if base > 0.0 else math.nan,
                       1.0 / base, -1.0 / (base * base))
                _multiply(values, grads, hessians, x, y, n, order)
                _unary(values, grads, hessians, x, n, order, power, power, power)
        else:  # OP_MIN, OP_MAX: the operand picked, its jet
            pick_y = values[y] < values[x] if op == OP_MIN else values[y] > values[x]
            if pick_y:
                values[x] = values[y]
                for a in range(n if order >= 1 else 0):
                    grads[x, a] = grads[y, a]
                    for b in range(n if order >= 2 else 0):  # empty below order 2
                        hessians[x, a, b] = hessians[y, a, b]
    return values[0]
