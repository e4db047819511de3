"""Elementwise operations, one row per op name, in float32 and in exact ap_fixed.

In fixed point each operation computes its full-precision result from its operands' exact
values and assigns it to the operation's type (``Op.dtype``). Non-linear functions are table
look-ups (``fpgalab.sim.tables``) whose entries are stored in the operation's type; a division
by a tensor multiplies by a reciprocal table entry (of ``SimContext.table_type``), a division
by a constant multiplies by the constant's reciprocal in that type. ``floor``, ``ceil`` and
``round`` (ties to even, TensorFlow's) are exact rules on the bits: drop the fraction bits
toward -inf, toward +inf (``-floor(-x)``), or to nearest even (``AP_RND_CONV``).

While overflows are counted, the operations inside a ``select``'s branch count only where the
select takes that branch (ELU's ``expm1`` of large positive inputs is computed and thrown away).
"""

from __future__ import annotations

import contextlib
import math

import numpy as np

from fpgalab.ir import nodes as ir
from fpgalab.ir.types import BOOL, FLOAT32, MAX_INTERNAL_WIDTH, BoolType, FixedType, FloatType
from fpgalab.sim import fixed, tables
from fpgalab.sim.values import SimValue, constant_value, convert, to_exact, to_float

_FLOAT_FUNCS = {
    "neg": np.negative,
    "abs": np.abs,
    "exp": np.exp,
    "tanh": np.tanh,
    "sqrt": np.sqrt,
    "logistic": lambda x: (np.float32(1) / (np.float32(1) + np.exp(-x))).astype(np.float32),
    "rsqrt": lambda x: (np.float32(1) / np.sqrt(x)).astype(np.float32),
    "expm1": np.expm1,
    "log": np.log,
    "log1p": np.log1p,
    "erf": lambda x: np.vectorize(math.erf, otypes=[np.float64])(x).astype(np.float32),
    "floor": np.floor,
    "ceil": np.ceil,
    "round": np.rint,  # ties to even, as TensorFlow's round
    "add": np.add,
    "sub": np.subtract,
    "mul": np.multiply,
    "div": np.divide,
    "max": np.maximum,
    "min": np.minimum,
}
_COMPARE = {
    "cmp_eq": np.equal,
    "cmp_ne": np.not_equal,
    "cmp_lt": np.less,
    "cmp_le": np.less_equal,
    "cmp_gt": np.greater,
    "cmp_ge": np.greater_equal,
}


def evaluate_expr(expr, operands: list[SimValue], ctx) -> SimValue:
    if isinstance(expr, ir.Arg):
        return operands[expr.index]
    if isinstance(expr, ir.Const):
        return constant_value(expr.value, getattr(expr, "dtype", FLOAT32))
    if expr.op == "select":  # its branches' overflows count only where it takes them
        args, taken = _select_arguments(expr, operands, ctx)
    elif expr.op == "div" and isinstance(expr.args[1], ir.Const):
        token = fixed.COUNTER.set(None)  # hardware multiplies by 1/c: c is never built, nor counted
        try:
            divisor = evaluate_expr(expr.args[1], operands, ctx)
        finally:
            fixed.COUNTER.reset(token)
        args = [evaluate_expr(expr.args[0], operands, ctx), divisor]
    else:
        args = [evaluate_expr(a, operands, ctx) for a in expr.args]
    if expr.op in _COMPARE:
        return _compare(expr.op, args)
    if expr.dtype is None:  # an inner operation of a fused expression: full precision, as C++ computes it
        if expr.op == "convert":
            return args[0]
        if any(isinstance(a.dtype, FloatType) for a in args):
            expr = ir.Op(expr.op, expr.args, FLOAT32)
        else:
            expr = ir.Op(expr.op, expr.args, natural_type(expr.op, [a.dtype for a in args], ctx))
    if expr.op == "select":
        with _counted_where(taken):
            a = convert(args[1], expr.dtype)
        with _counted_where(~taken):
            b = convert(args[2], expr.dtype)
        return SimValue(np.where(taken, a.array, b.array), expr.dtype)
    if expr.op == "convert":
        return convert(args[0], expr.dtype)
    if isinstance(expr.dtype, FixedType):
        return _fixed_op(expr, args, ctx)
    return _float_op(expr, args)


def _select_arguments(expr: ir.Op, operands, ctx) -> tuple[list[SimValue], np.ndarray]:
    """A select's predicate and branches, each branch's overflows counted only where it is taken;
    and where the predicate holds."""
    pred = evaluate_expr(expr.args[0], operands, ctx)
    taken = np.asarray(convert(pred, BOOL).array)
    args = [pred]
    for branch, live in ((expr.args[1], taken), (expr.args[2], ~taken)):
        with _counted_where(live):
            args.append(evaluate_expr(branch, operands, ctx))
    return args, taken


@contextlib.contextmanager
def _counted_where(live: np.ndarray):
    counter = fixed.COUNTER.get()
    if counter is None:
        yield
        return

    def masked(mask, needed_bits, kind):
        mask = np.asarray(mask)
        try:
            kept = mask & live
        except ValueError:  # shapes that do not line up: count every value, as without the select
            kept = mask
        if kept.any():
            counter(kept, needed_bits, kind)

    token = fixed.COUNTER.set(masked)
    try:
        yield
    finally:
        fixed.COUNTER.reset(token)


def rounding_type(t: FixedType) -> FixedType:
    """An integer type that holds floor, ceil and round of every ``t`` value, and of ``-x`` (ceil's
    ``-floor(-x)``): two integer bits more than ``t`` (at most the simulator's widest), signed, no
    fraction bits."""
    integer = min(max(t.integer + 2, 2), MAX_INTERNAL_WIDTH)
    return FixedType(integer, integer, True)


def round_to_integer(op: str, mant: np.ndarray, frac: int) -> tuple[np.ndarray, int]:
    """floor, ceil or round (ties to even) of ``mant * 2**-frac``, exactly: ``(mantissa, frac)``."""
    if frac <= 0:  # already an integer
        return mant, frac
    if op == "floor":
        return mant >> frac, 0
    if op == "ceil":
        return -((-mant) >> frac), 0
    return fixed.round_right(mant, frac, "AP_RND_CONV"), 0


def natural_type(op: str, types, ctx) -> FixedType:
    """The type C++ gives ``op`` on ap_fixed operands before any assignment (UG1399 operator widths).

    The quantize pass gives a type to any inner operation wider than 64 bits
    (``passes.natural.bound_intermediates``), so the limit here is only met by hand-made IR.
    """
    integer, frac, signed = natural_bits(op, types, ctx)
    width = integer + frac
    if width > MAX_INTERNAL_WIDTH:
        raise ValueError(
            f"a fused '{op}' needs a {width}-bit intermediate, wider than the {MAX_INTERNAL_WIDTH} bits "
            "the exact simulator holds; narrow the types or disable elementwise fusion"
        )
    return FixedType(max(width, 1), integer, signed)


def natural_bits(op: str, types, ctx) -> tuple[int, int, bool]:
    """``(integer bits, fraction bits, signed)`` of ``natural_type``, however wide."""
    types = [FixedType(1, 1, False) if isinstance(t, BoolType) else t for t in types]
    if op in ir.ROUNDING_OPS or (op in ir.TABLE_OPS and op != "div"):
        t = rounding_type(types[0]) if op in ir.ROUNDING_OPS else ctx.table_type
        return t.integer, t.frac, t.signed
    if op == "div":  # a times a reciprocal of the table type
        types = [types[0], ctx.table_type]
        op = "mul"
    signed = any(t.signed for t in types) or op in ("sub", "neg")
    mixed = len({t.signed for t in types}) > 1
    frac = max(t.frac for t in types)
    if op == "mul":
        integer, frac = sum(t.integer for t in types), sum(t.frac for t in types)
    elif op in ("add", "sub"):
        integer = max(t.integer for t in types) + 1 + int(mixed)
    elif op in ("neg", "abs"):
        integer = types[0].integer + 1 + int(not types[0].signed)
    else:  # max, min, clamp, select: the common type of the operands
        integer = max(t.integer for t in types) + int(mixed)
    return integer, frac, signed


def _compare(op: str, args: list[SimValue]) -> SimValue:
    a, b = args
    if isinstance(a.dtype, FixedType) and isinstance(b.dtype, FixedType):
        frac = max(a.dtype.frac, b.dtype.frac)
        left, right = fixed.align(a.array, a.dtype.frac, frac), fixed.align(b.array, b.dtype.frac, frac)
    elif isinstance(a.dtype, BoolType) and isinstance(b.dtype, BoolType):
        left, right = a.array, b.array
    else:
        left, right = to_exact(a), to_exact(b)
    return SimValue(_COMPARE[op](left, right), BOOL)


def _float_op(expr: ir.Op, args: list[SimValue]) -> SimValue:
    floats = [to_float(a) for a in args]
    if expr.op == "clamp":
        low, x, high = floats
        out = np.minimum(np.maximum(x, low), high)
    else:
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            out = _FLOAT_FUNCS[expr.op](*floats)
    return convert(SimValue(np.asarray(out, dtype=np.float32), FLOAT32), expr.dtype)


def _exact(value: SimValue, dtype: FixedType) -> tuple[np.ndarray, int]:
    if isinstance(value.dtype, FixedType):
        return value.array, value.dtype.frac
    return convert(value, dtype).array, dtype.frac


def _fixed_op(expr: ir.Op, args: list[SimValue], ctx) -> SimValue:
    dtype: FixedType = expr.dtype
    exact = [_exact(a, dtype) for a in args]
    op = expr.op
    if op in ("add", "sub"):
        (a, fa), (b, fb) = exact
        mant, frac = fixed.add(a, fa, -b if op == "sub" else b, fb)
    elif op == "mul":
        (a, fa), (b, fb) = exact
        mant, frac = fixed.mul(a, fa, b, fb)
    elif op in ("max", "min", "clamp"):
        frac = max(f for _, f in exact)
        aligned = [fixed.align(m, f, frac) for m, f in exact]
        if op == "clamp":
            low, x, high = aligned
            mant = np.minimum(np.maximum(x, low), high)
        else:
            mant = (np.maximum if op == "max" else np.minimum)(*aligned)
    elif op in ("neg", "abs"):
        ((a, frac),) = exact
        mant = -a if op == "neg" else np.abs(a)
    elif op in ir.ROUNDING_OPS:
        ((a, fa),) = exact
        mant, frac = round_to_integer(op, a, fa)
    elif op == "div":
        return _fixed_divide(expr, args, exact, ctx)
    elif op in ir.TABLE_OPS:
        ((a, fa),) = exact
        spec = ctx.tables[ir.TABLE_OPS[op]]
        return SimValue(tables.lookup(a, fa, spec, dtype), dtype)
    else:
        raise NotImplementedError(f"no fixed-point row for elementwise op '{op}'")
    return SimValue(fixed.quantize(mant, frac, dtype), dtype)


def _fixed_divide(expr: ir.Op, args, exact, ctx) -> SimValue:
    """a / b as hardware does it: a times the reciprocal of b (a ROM constant, or a table look-up)."""
    dtype: FixedType = expr.dtype
    (a, fa), (b, fb) = exact
    divisor = expr.args[1]
    if isinstance(divisor, ir.Const):
        reciprocal = constant_value(1.0 / divisor.value, ctx.table_type)
        recip, frac_r = reciprocal.array, ctx.table_type.frac
    else:
        recip = tables.lookup(b, fb, ctx.tables["reciprocal"], ctx.table_type)
        frac_r = ctx.table_type.frac
    mant, frac = fixed.mul(a, fa, recip, frac_r)
    return SimValue(fixed.quantize(mant, frac, dtype), dtype)
