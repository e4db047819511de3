"""The statements of a layer program beyond the IR's expressions, and the type of every value."""

from __future__ import annotations

from dataclasses import dataclass

from fpgalab.ir import nodes as ir
from fpgalab.ir.loops import Loop
from fpgalab.ir.types import BOOL, FLOAT32, FloatType
from fpgalab.sim.elementwise import natural_type


@dataclass(frozen=True)
class Acc:
    """The accumulator's value (in the epilogue's first step)."""


@dataclass(frozen=True)
class Prev:
    """The previous epilogue step's stored value."""


@dataclass(frozen=True)
class Lit:
    """An exact constant: a mantissa of a fixed type, a float32 value, or a bool."""

    value: object
    dtype: object


@dataclass(frozen=True)
class Valid:
    """Whether read ``index`` is inside its buffer (a concat's source select)."""

    index: int


@dataclass(frozen=True)
class Read:
    """Element ``index`` of ``buffer`` (a storage buffer). With ``guards`` ((index, size) pairs of
    the logical index) an element outside is not read and ``fill`` (a ``Lit``) stands for it; the
    read's value is then converted to ``fill.dtype``."""

    buffer: str
    index: tuple
    guards: tuple = ()
    fill: Lit | None = None


@dataclass(frozen=True)
class LayerProgram:
    name: str  # the owner node
    nodes: tuple[str, ...]  # owner, then fused nodes
    output: str  # buffer written
    out_type: object
    out_index: tuple
    loops: tuple[Loop, ...]  # trip > 1, spatial first then reductions
    reads: tuple[Read, ...]
    acc_kind: str = ""  # "" | mac | sum | max | min
    acc_type: object = None
    init: object = None  # expression (spatial reads only) giving the accumulator's start
    step: object = None  # expression combined into the accumulator each reduction step
    epilogue: tuple = ()  # (expression, dtype) steps; the last is stored

    @property
    def spatial(self) -> tuple[Loop, ...]:
        return tuple(lp for lp in self.loops if lp.kind == "spatial")

    @property
    def reduction(self) -> tuple[Loop, ...]:
        return tuple(lp for lp in self.loops if lp.kind == "reduce")


class TypeContext:
    """Table type and the simulator's tables, as ``natural_type`` and emitters need them."""

    def __init__(self, tables: dict, table_type):
        self.tables, self.table_type = tables, table_type


def value_type(expr, program: LayerProgram, buffer_types: dict, ctx, prev_type=None):
    """The type of ``expr``'s value, by the simulator's rules (``fpgalab.sim.elementwise``)."""
    if isinstance(expr, ir.Arg):
        read = program.reads[expr.index]
        return read.fill.dtype if read.fill is not None else buffer_types[read.buffer]
    if isinstance(expr, ir.Const):
        return expr.dtype
    if isinstance(expr, Lit):
        return expr.dtype
    if isinstance(expr, Valid):
        return BOOL
    if isinstance(expr, Acc):
        return program.acc_type
    if isinstance(expr, Prev):
        return prev_type
    args = [value_type(a, program, buffer_types, ctx, prev_type) for a in expr.args]
    return op_type(expr, args, ctx)


def op_type(expr: ir.Op, args: list, ctx):
    """The type of one operation given its arguments' types."""
    if expr.op.startswith("cmp_"):
        return BOOL
    if expr.dtype is not None:
        return expr.dtype
    if expr.op == "convert":
        return args[0]
    if any(isinstance(a, FloatType) for a in args):
        return FLOAT32
    return natural_type(expr.op, args, ctx)
