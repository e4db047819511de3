"""Lowering rules for functions that hardware computes otherwise than HLO spells them.

``power``: a constant small integer exponent becomes multiplies (exact, as ``x * x * x`` written
by hand: each product is assigned the layer's type), 0.5 a square root, -0.5 a reciprocal square
root, -1 a reciprocal, any other exponent (constant or a tensor) ``exp(y * log(x))`` through the
exp and log tables, which, as TensorFlow's ``pow`` for a non-integer exponent, needs ``x > 0``.

Expanded TensorFlow ops: the tf2xla bridge writes some TF ops as a polynomial of many HLO
instructions, each tagged with the TF op's type and name (``Erfc``, exact GELU's
``erfc(-x / sqrt(2))``: about 70 multiplies, adds, a division and an exponential). In fixed
point such a polynomial needs products far wider than its operands, and its division of two
small values runs out of any table, so the whole group is lowered as the function it computes,
one table read: ``erfc(x) = 1 - erf(x)``. ``Softplus`` (``x`` beyond a threshold, else
``log1p(exp(x))``) reads exp at inputs up to the threshold, 13.9, far beyond what a fixed-point
exp table holds; it is lowered as ``max(x, 0) + log1p(exp(-|x|))``, whose tables see ``-|x| <= 0``
and ``exp(-|x|)`` in (0, 1].
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from fpgalab.frontend.lowering import Known
from fpgalab.frontend.tf.hlo import Computation, Instruction
from fpgalab.frontend.tf.rules import elementwise, rule

MAX_MULTIPLY_EXPONENT = 16  # x**n with |n| up to this is a chain of multiplies (at most 2 log2 n of them)


def _unary(lw, ins, op: str, value):
    return elementwise(lw, ins, op, [value])


def _integer_power(lw, ins, x, n: int):
    """``x**n`` (n >= 1) by square-and-multiply."""
    result, square = None, x
    while True:
        if n & 1:
            result = square if result is None else elementwise(lw, ins, "mul", [result, square])
        n >>= 1
        if not n:
            return result
        square = elementwise(lw, ins, "mul", [square, square])


def _reciprocal(lw, ins, value):
    return elementwise(lw, ins, "div", [_scalar(1.0), value])


@rule("power")
def _power(lw, ins, args):
    x, y = args
    known = lw.known(y)
    values = None if known is None else np.unique(known.array)
    if values is None or values.size != 1:
        return _exp_of_log(lw, ins, x, y)
    exponent = float(values[0])
    if exponent == 0.5:
        return _unary(lw, ins, "sqrt", x)
    if exponent == -0.5:
        return _unary(lw, ins, "rsqrt", x)
    if exponent.is_integer() and 0 < abs(exponent) <= MAX_MULTIPLY_EXPONENT:
        power = _integer_power(lw, ins, x, int(abs(exponent)))
        return power if exponent > 0 else _reciprocal(lw, ins, power)
    if exponent == 0:  # x**0 is 1 for every x, 0 included
        return Known(np.ones(ins.shape.dims, np.float32), lw.fresh(ins.name))
    return _exp_of_log(lw, ins, x, _scalar(exponent))


def _scalar(value: float) -> Known:
    return Known(np.float32(value).reshape(()), "")


def _exp_of_log(lw, ins, x, y):
    log = _unary(lw, ins, "log", x)
    return _unary(lw, ins, "exp", elementwise(lw, ins, "mul", [y, log]))


# ---- TF ops the bridge expands ---------------------------------------------------------------------


def _erfc(lw, ins, x):
    return elementwise(lw, ins, "sub", [_scalar(1.0), _unary(lw, ins, "erf", x)])


def _softplus(lw, ins, x):
    relu = elementwise(lw, ins, "max", [x, _scalar(0.0)])
    decay = _unary(lw, ins, "exp", _unary(lw, ins, "neg", _unary(lw, ins, "abs", x)))
    return elementwise(lw, ins, "add", [relu, _unary(lw, ins, "log1p", decay)])


EXPANDED_TF_OPS = {"Erfc": _erfc, "Softplus": _softplus}


@dataclass(frozen=True)
class Expanded:
    """One expanded TF op in a computation: its instructions, its run-time input and its output."""

    members: frozenset[int]
    input: int
    output: int
    build: object  # (lowering, output instruction, input value) -> value


def expanded_ops(comp: Computation) -> dict[int, Expanded]:
    """The expanded TF ops of ``comp`` hardware computes as a function, by the id of each member.

    A group is the instructions of one TF op (same ``op_type`` in ``EXPANDED_TF_OPS`` and same
    ``op_name``); it is taken when exactly one instruction outside it feeds it (constants inside
    it are its own) and exactly one of its instructions is used outside it, of the same shape.
    """
    groups: dict[tuple[str, str], list[Instruction]] = {}
    for ins in comp.instructions:
        if ins.op_type in EXPANDED_TF_OPS and ins.op_name:
            groups.setdefault((ins.op_type, ins.op_name), []).append(ins)
    users: dict[int, set[int]] = {}
    for ins in comp.instructions:
        for o in ins.operands:
            users.setdefault(o, set()).add(ins.id)
    by_id = comp.by_id()
    found: dict[int, Expanded] = {}
    for (op_type, _name), members in groups.items():
        ids = frozenset(i.id for i in members)
        inputs = {o for i in members for o in i.operands if o not in ids}
        outputs = [i.id for i in members if i.id == comp.root or users.get(i.id, set()) - ids]
        if len(inputs) != 1 or len(outputs) != 1:
            continue
        (source,) = inputs
        if by_id[source].shape != by_id[outputs[0]].shape:
            continue
        group = Expanded(ids, source, outputs[0], EXPANDED_TF_OPS[op_type])
        found.update({i: group for i in ids})
    return found
