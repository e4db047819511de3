"""Full-precision types of fused expressions, bounded (``bound_intermediates``, ``natural_result``).

C++ gives an inner operation of an expression the full (natural) width of its operands; this
module computes those types, and gives a type to any that would pass ``FUSED_WIDTH`` bits.
"""

from __future__ import annotations

from dataclasses import dataclass

from fpgalab.ir import nodes as ir
from fpgalab.ir.types import BOOL, FLOAT32, BoolType, FixedType
from fpgalab.sim.elementwise import natural_bits

FUSED_WIDTH = 64  # widest full-precision intermediate left to C++ inside a fused expression


@dataclass(frozen=True)
class _TableTypes:
    table_type: FixedType


def bound_intermediates(expr, arg_types, table_type: FixedType, limit: int = FUSED_WIDTH):
    """``expr`` with every full-precision inner operation wider than ``limit`` bits given a type.

    C++ gives an inner operation of a fused expression the full width of its operands
    (``natural_type``); in a chain of multiplications (XLA's polynomial for erf, in GELU) that
    width doubles at each step, to hundreds of bits no FPGA should build. Such an operation gets
    ``limit`` bits: its integer bits (so it cannot overflow) and the fraction bits left (AP_TRN),
    as a designer would type it, or, when its integer bits alone pass 3/4 of ``limit`` (the
    worst-case growth of products of wide operands, far beyond real values), 3/4 of ``limit`` of
    integer bits, whose wrap-around the simulation counts like any other. Narrower operations
    stay full precision.
    """
    return _bounded_walk(expr, arg_types, _TableTypes(table_type), limit)[0]


def natural_result(expr, arg_types, table_type: FixedType, limit: int = FUSED_WIDTH):
    """``expr`` with its result given its full-precision type (at most ``limit`` bits), and that type."""
    if not isinstance(expr, ir.Op):
        return expr, arg_types[expr.index] if isinstance(expr, ir.Arg) else expr.dtype
    if isinstance(expr.dtype, BoolType):
        return bound_intermediates(expr, arg_types, table_type, limit), BOOL
    walked, dtype = _bounded_walk(ir.Op(expr.op, expr.args, None), arg_types, _TableTypes(table_type), limit)
    return ir.Op(walked.op, walked.args, dtype), dtype


def _bounded_walk(e, arg_types, ctx, limit):
    if isinstance(e, ir.Arg):
        return e, arg_types[e.index]
    if isinstance(e, ir.Const):
        return e, e.dtype
    parts = [_bounded_walk(a, arg_types, ctx, limit) for a in e.args]
    args, types = tuple(a for a, _ in parts), [t for _, t in parts]
    e = ir.Op(e.op, args, e.dtype)
    if e.dtype is not None:
        return e, e.dtype
    if e.op.startswith("cmp_"):
        return e, BOOL
    if e.op == "convert":
        return e, types[0]
    if not all(isinstance(t, (FixedType, BoolType)) for t in types):
        return e, FLOAT32
    integer, frac, signed = natural_bits(e.op, types, ctx)
    if integer + frac <= limit:
        return e, FixedType(max(1, integer + frac), integer, signed)
    frac = min(frac, max(limit // 4, limit - integer))  # a quarter of the bits at least stay fraction
    bounded = FixedType(limit, limit - frac, signed)
    return ir.Op(e.op, args, bounded), bounded
