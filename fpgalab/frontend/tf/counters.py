"""The integers of an HLO loop, and the index forms a loop body reads them in.

XLA's loops count with integer scalars in their state tuple. ``integer_run`` evaluates those at
compile time (the condition and the body's integer part), which gives the trip count. Inside the
body, an integer that steps by one each iteration is a ``Counter`` (t + offset): the index of a
``dynamic-slice`` (read x[t]) or ``dynamic-update-slice`` (write y[t], a ``Stacked`` output).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from fpgalab.errors import CompileError
from fpgalab.frontend.lowering import Buffer, Known
from fpgalab.frontend.tf.rules import rule
from fpgalab.ir import nodes as ir

MAX_TRIPS = 1 << 20
INTEGER_TYPES = ("s8", "s16", "s32", "s64", "u8", "u16", "u32", "u64", "pred")


@dataclass(frozen=True)
class Counter:
    """An integer of a loop body that is the step number t plus ``offset`` (0 <= t < trips)."""

    offset: int


@dataclass(frozen=True)
class Stacked:
    """A carried buffer written at index t + ``offset`` along ``axis`` with ``value`` each step."""

    state: str
    value: Buffer
    axis: int
    offset: int


# ---- integers at compile time ----------------------------------------------------------------------

_INT_OPS = {
    "add": lambda a, b: a + b,
    "subtract": lambda a, b: a - b,
    "multiply": lambda a, b: a * b,
    "and": lambda a, b: a and b,
    "or": lambda a, b: a or b,
    "maximum": max,
    "minimum": min,
}
_COMPARE = {
    "LT": lambda a, b: a < b,
    "LE": lambda a, b: a <= b,
    "GT": lambda a, b: a > b,
    "GE": lambda a, b: a >= b,
    "EQ": lambda a, b: a == b,
    "NE": lambda a, b: a != b,
}


def scalar_int(shape) -> bool:
    return shape.dtype in INTEGER_TYPES and not shape.dims


def integer_run(module, comp_name: str, argument):
    """Evaluate the integer scalars of a computation; ``argument`` is the parameter's value as nested
    tuples with ints at integer leaves and None elsewhere. Returns the root's value in that form."""
    comp = module.computations[comp_name]
    by_id = comp.by_id()
    env: dict[int, object] = {}
    for ins in comp.instructions:
        _integer_value(module, ins, by_id, env, argument)
    return env[comp.root]


def _integer_value(module, ins, by_id, env, argument):
    if ins.id in env:
        return env[ins.id]
    args = [_integer_value(module, by_id[o], by_id, env, argument) for o in ins.operands]
    op, value = ins.opcode, None
    if op == "parameter":
        value = argument if ins.attrs["parameter_number"] == 0 else None
    elif op == "tuple":
        value = tuple(args)
    elif op == "get-tuple-element":
        value = args[0][ins.attrs["tuple_index"]] if isinstance(args[0], tuple) else None
    elif op == "call":
        value = integer_run(module, ins.called[0], args[0] if len(args) == 1 else tuple(args))
    elif not scalar_int(ins.shape) or any(a is None for a in args):
        value = None
    elif op == "constant":
        value = int(np.asarray(ins.attrs["literal"]).reshape(-1)[0])
    elif op in ("reshape", "copy", "convert", "bitcast"):
        value = args[0]
    elif op in _INT_OPS:
        value = int(_INT_OPS[op](*args))
    elif op == "not":
        value = int(not args[0])
    elif op == "compare":
        value = int(_COMPARE[ins.attrs["comparison_direction"]](*args))
    env[ins.id] = value
    return value


class Opaque:
    """An integer of the loop state that neither stays constant nor counts steps."""


@dataclass(frozen=True)
class Unusable:
    """A loop output fpgalab cannot build; ``message`` is raised if anything reads it."""

    message: str


# ---- dynamic slices --------------------------------------------------------------------------------


def _indices(lw, ins, values, where):
    """Each start index as an int or a Counter; at most one Counter."""
    starts = []
    for v in values:
        if isinstance(v, Counter):
            starts.append(v)
            continue
        known = lw.known(v)
        if known is None:
            raise CompileError(
                f"{where}: its start index is computed at run time; fpgalab takes constant indices and the "
                "step counter of a loop"
            )
        starts.append(int(np.asarray(known.array).reshape(-1)[0]))
    if sum(isinstance(s, Counter) for s in starts) > 1:
        raise CompileError(f"{where}: indexes more than one dimension by the loop counter; not supported")
    return starts


def _clamped(start: int, size: int, full: int) -> int:
    return min(max(start, 0), full - size)  # HLO clamps a start index so the slice stays inside


@rule("dynamic-slice")
def _dynamic_slice(lw, ins, args):
    where = f"'dynamic-slice' ({ins.op_name or ins.name})"
    starts = _indices(lw, ins, args[1:], where)
    operand, sizes = args[0], ins.shape.dims
    full = lw.known(operand).array.shape if lw.known(operand) is not None else operand.shape
    counter_axes = [d for d, s in enumerate(starts) if isinstance(s, Counter)]
    if not counter_axes:
        begin = [_clamped(s, n, f) for s, n, f in zip(starts, sizes, full)]
        node = ir.Slice(
            lw.fresh(ins.name),
            (lw.buffer(operand, ins.name + "_src", ins.op_name).name,),
            tuple(sizes),
            **lw.common(ins),
            starts=tuple(begin),
            limits=tuple(b + n for b, n in zip(begin, sizes)),
            strides=(1,) * len(sizes),
        )
        return lw.fold_or_add(node, [operand])
    axis = counter_axes[0]
    if lw.loop_body is None or sizes[axis] != 1:
        raise CompileError(f"{where}: a slice at the loop counter must be one index wide, inside a loop body")
    whole = [d for d in range(len(sizes)) if d != axis and (starts[d] != 0 or sizes[d] != full[d])]
    if whole:
        raise CompileError(f"{where}: at the loop counter, fpgalab takes slices whole in every other dimension")
    return lw.loop_body.step_input(operand, axis, starts[axis].offset, sizes)


@rule("dynamic-update-slice")
def _dynamic_update_slice(lw, ins, args):
    where = f"'dynamic-update-slice' ({ins.op_name or ins.name})"
    starts = _indices(lw, ins, args[2:], where)
    target, update = args[0], args[1]
    full = ins.shape.dims
    sizes = lw.known(update).array.shape if lw.known(update) is not None else update.shape
    counter_axes = [d for d, s in enumerate(starts) if isinstance(s, Counter)]
    if not counter_axes:
        if tuple(sizes) == tuple(full):
            return update  # the update covers the whole buffer
        raise CompileError(f"{where}: a partial update at constant indices is not supported; only at a loop counter")
    axis = counter_axes[0]
    others_whole = all(sizes[d] == full[d] for d in range(len(full)) if d != axis)
    if lw.loop_body is None or sizes[axis] != 1 or not others_whole or not isinstance(target, Buffer):
        raise CompileError(
            f"{where}: fpgalab takes a write of one index at the loop counter into a buffer the loop carries"
        )
    value = lw.buffer(update, ins.name + "_value", ins.op_name)
    return Stacked(target.name, value, axis, starts[axis].offset)


COUNTER_READERS = ("tuple", "get-tuple-element", "call", "dynamic-slice", "dynamic-update-slice")


def counter_arithmetic(ins, args):
    """An HLO instruction inside a loop body that reads a ``Counter`` (or another state integer)."""
    where = f"'{ins.opcode}' ({ins.op_name or ins.name})"
    if ins.opcode in ("reshape", "copy", "convert", "bitcast") and scalar_int(ins.shape):
        return args[0]
    constants = [a for a in args if isinstance(a, Known)]
    counters = [a for a in args if isinstance(a, Counter)]
    if ins.opcode in ("add", "subtract") and len(counters) == 1 and len(constants) == 1:
        step = int(np.asarray(constants[0].array).reshape(-1)[0])
        if ins.opcode == "add":
            return Counter(counters[0].offset + step)
        if args[0] is counters[0]:
            return Counter(counters[0].offset - step)
    if scalar_int(ins.shape):
        return Opaque()  # an integer fpgalab does not need unless an index reads it
    raise CompileError(
        f"{where}: computes array values from the loop counter; fpgalab takes the counter only as the "
        "index of a dynamic-slice or dynamic-update-slice"
    )
