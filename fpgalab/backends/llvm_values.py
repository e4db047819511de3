"""Value expressions of layer programs as llvmlite instructions (fixed point through ``fixplan``).

``LlvmOps`` is ``fixplan``'s ``IntOps`` on an llvmlite ``IRBuilder``; ``LlvmValues`` evaluates a
program's expressions to ``Value``s: an ``Fx`` for fixed types, a float for float32, an i1 for
bool, each with the type the simulator gives it (``program.value_type``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from llvmlite import ir as ll

from ..ir import nodes as ir
from ..ir.types import BOOL, FLOAT32, BoolType, FixedType, FloatType
from ..sim import tables
from ..sim.functional import constant_value
from . import fixplan as fp
from .program import Acc, Lit, Prev, Valid, op_type

F32 = ll.FloatType()
F64 = ll.DoubleType()
I1 = ll.IntType(1)


def container_bits(dtype) -> int:
    """Bits of the memory word holding one element (``int8/16/32/64``; float32; bool as int8)."""
    if isinstance(dtype, FixedType):
        for bits in (8, 16, 32, 64):
            if dtype.width <= bits:
                return bits
        raise ValueError(f"{dtype} is wider than 64 bits")
    return 8 if isinstance(dtype, BoolType) else 32


def memory_type(dtype):
    return F32 if isinstance(dtype, FloatType) else ll.IntType(container_bits(dtype))


class LlvmOps:
    """``fixplan.IntOps`` on an llvmlite builder."""

    def __init__(self, builder: ll.IRBuilder):
        self.b = builder

    def const(self, value: int, width: int):
        return ll.Constant(ll.IntType(width), int(value) & ((1 << width) - 1))

    def width(self, v) -> int:
        return v.type.width

    def sext(self, v, width):
        return self.b.sext(v, ll.IntType(width)) if width > v.type.width else v

    def zext(self, v, width):
        return self.b.zext(v, ll.IntType(width)) if width > v.type.width else v

    def trunc(self, v, width):
        return self.b.trunc(v, ll.IntType(width)) if width < v.type.width else v

    def add(self, a, b):
        return self.b.add(a, b)

    def sub(self, a, b):
        return self.b.sub(a, b)

    def mul(self, a, b):
        return self.b.mul(a, b)

    def shl(self, v, k: int):
        return self.b.shl(v, self.const(k, v.type.width)) if k else v

    def ashr(self, v, k: int):
        return self.b.ashr(v, self.const(k, v.type.width)) if k else v

    def lt(self, a, b):
        return self.b.icmp_signed("<", a, b)

    def gt(self, a, b):
        return self.b.icmp_signed(">", a, b)

    def eq(self, a, b):
        return self.b.icmp_signed("==", a, b)

    def ne(self, a, b):
        return self.b.icmp_signed("!=", a, b)

    def and_(self, a, b):
        return self.b.and_(a, b)

    def or_(self, a, b):
        return self.b.or_(a, b)

    def not_(self, a):
        return self.b.not_(a)

    def select(self, c, a, b):
        return self.b.select(c, a, b)

    def bit(self, v, k: int):
        return self.b.trunc(self.b.lshr(v, self.const(k, v.type.width)), I1) if k else self.b.trunc(v, I1)

    def floor_div(self, t, r: int):
        width = t.type.width
        q = self.b.sdiv(t, self.const(r, width))
        rem = self.b.srem(t, self.const(r, width))
        adjust = self.b.and_(self.ne(rem, self.const(0, width)), self.lt(t, self.const(0, width)))
        return self.b.sub(q, self.b.zext(adjust, t.type))


@dataclass(frozen=True)
class Value:
    payload: object  # Fx (fixed), ll float (float32), ll i1 (bool)
    dtype: object


class LlvmValues:
    """Evaluates one program's value expressions at the current insertion point.

    The fixed-point part is backend-neutral: ``kernel_builder`` provides ``int_ops()`` (a
    ``fixplan.IntOps``), ``table_lookup(function, spec, out_type, index) -> bits``,
    ``read_valid(read)`` and ``ctx``; the Verilog backend uses this class with its own builder
    (float32 operations need the LLVM builder and raise there)."""

    def __init__(self, kernel_builder, program, read_value):
        self.kb = kernel_builder          # module-level helpers (tables, intrinsics)
        self.program = program
        self.read_value = read_value      # read index -> Value
        self.ops = kernel_builder.int_ops()
        self.b = getattr(kernel_builder, "builder", None)  # llvmlite builder (float operations only)
        self.acc: Value | None = None
        self.prev: Value | None = None

    # ---- conversions
    def convert(self, v: Value, target) -> Value:
        source = v.dtype
        if source == target:
            return v
        b = self.b
        if isinstance(target, BoolType):
            if isinstance(source, BoolType):
                return v
            if isinstance(source, FloatType):
                return Value(b.fcmp_unordered("!=", v.payload, ll.Constant(F32, 0.0)), BOOL)
            fx = v.payload
            return Value(self.ops.ne(fx.value, self.ops.const(0, fx.width)), BOOL)
        if isinstance(target, FloatType):
            if isinstance(source, BoolType):
                return Value(b.uitofp(v.payload, F32), FLOAT32)
            fx = v.payload
            wide = fp.resize(self.ops, fx.value, 64)
            as_double = b.fmul(b.sitofp(wide, F64), ll.Constant(F64, math.ldexp(1.0, -fx.frac)))
            return Value(b.fptrunc(as_double, F32), FLOAT32)
        if isinstance(source, FloatType):
            raise NotImplementedError("the LLVM backend does not convert float32 to ap_fixed inside a kernel; "
                                      "use one precision family for the whole design (the HLS C++ backend can)")
        return Value(fp.to_type(self.ops, self.fixed(v), target), target)

    def fixed(self, v: Value) -> fp.Fx:
        if isinstance(v.dtype, BoolType):
            return fp.Fx(self.ops.zext(v.payload, 2), 2, 0)
        return v.payload

    def literal(self, value, dtype) -> Value:
        if isinstance(dtype, FixedType):
            bits = self.ops.const(int(value), dtype.width)
            return Value(fp.from_bits(self.ops, bits, dtype), dtype)
        if isinstance(dtype, BoolType):
            return Value(self.ops.const(int(bool(value)), 1), BOOL)
        return Value(ll.Constant(F32, float(value)), FLOAT32)

    # ---- expressions
    def value(self, expr) -> Value:
        if isinstance(expr, ir.Arg):
            return self.read_value(expr.index)
        if isinstance(expr, ir.Const):
            raw = constant_value(expr.value, expr.dtype).array[0]
            return self.literal(int(raw) if isinstance(expr.dtype, FixedType) else raw, expr.dtype)
        if isinstance(expr, Lit):
            return self.literal(expr.value, expr.dtype)
        if isinstance(expr, Acc):
            return self.acc
        if isinstance(expr, Prev):
            return self.prev
        if isinstance(expr, Valid):
            return Value(self.kb.read_valid(self.program.reads[expr.index]), BOOL)
        return self.operation(expr)

    def operation(self, expr: ir.Op) -> Value:
        args = [self.value(a) for a in expr.args]
        result = op_type(expr, [a.dtype for a in args], self.kb.ctx)
        op = expr.op
        if op.startswith("cmp_"):
            return self.compare(op[4:], args)
        if op == "convert":
            return self.convert(args[0], result)
        if op == "select":
            pred = self.convert(args[0], BOOL).payload
            a, c = self.convert(args[1], result), self.convert(args[2], result)
            if isinstance(result, FixedType):
                chosen = fp.choose(self.ops, pred, a.payload, c.payload)
                return Value(fp.to_type(self.ops, chosen, result), result)
            return Value(self.ops.select(pred, a.payload, c.payload), result)
        if isinstance(result, FloatType):
            return Value(self.float_operation(op, [self.convert(a, FLOAT32).payload for a in args]), FLOAT32)
        fxs = [self.fixed(a) if not isinstance(a.dtype, FloatType) else self.convert(a, result).payload for a in args]
        exact = self.fixed_operation(expr, op, fxs, [a.dtype for a in args], result)
        if isinstance(exact, Value):
            return exact
        return Value(fp.to_type(self.ops, exact, result), result)

    def fixed_operation(self, expr, op, fxs, arg_types, result):
        ops = self.ops
        if op in ("add", "sub"):
            return fp.add(ops, fxs[0], fxs[1], subtract=op == "sub")
        if op == "mul":
            return fp.mul(ops, fxs[0], fxs[1])
        if op in ("max", "min"):
            return fp.maximum(ops, fxs[0], fxs[1], op)
        if op == "clamp":
            low, x, high = fxs
            return fp.maximum(ops, fp.maximum(ops, x, low, "max"), high, "min")
        if op == "neg":
            return fp.negate(ops, fxs[0])
        if op == "abs":
            return fp.absolute(ops, fxs[0])
        table_type = self.kb.ctx.table_type
        if op == "div":
            divisor = expr.args[1]
            if isinstance(divisor, ir.Const):
                recip = self.literal(int(constant_value(1.0 / divisor.value, table_type).array[0]), table_type).payload
            else:
                recip = self.lookup("reciprocal", fxs[1], table_type)
            return fp.mul(ops, fxs[0], recip)
        if op in ir.TABLE_OPS:
            return Value(self.lookup(ir.TABLE_OPS[op], fxs[0], result), result)
        raise NotImplementedError(f"the LLVM backend has no fixed-point form of '{op}'")

    def lookup(self, function: str, fx: fp.Fx, out_type: FixedType) -> fp.Fx:
        spec = self.kb.ctx.tables[function]
        index = fp.table_index(self.ops, fx, spec)
        bits = self.kb.table_lookup(function, spec, out_type, index)
        return fp.from_bits(self.ops, bits, out_type)

    def compare(self, op: str, args) -> Value:
        a, c = args
        if isinstance(a.dtype, FloatType) or isinstance(c.dtype, FloatType):
            x, y = self.convert(a, FLOAT32).payload, self.convert(c, FLOAT32).payload
            symbol = {"eq": "==", "ne": "!=", "lt": "<", "le": "<=", "gt": ">", "ge": ">="}[op]
            return Value(self.b.fcmp_ordered(symbol, x, y) if op != "ne" else self.b.fcmp_unordered(symbol, x, y), BOOL)
        return Value(fp.compare(self.ops, self.fixed(a), self.fixed(c), op), BOOL)

    def float_operation(self, op: str, args):
        b = self.b
        if op in ("add", "sub", "mul", "div"):
            return {"add": b.fadd, "sub": b.fsub, "mul": b.fmul, "div": b.fdiv}[op](args[0], args[1])
        one = ll.Constant(F32, 1.0)
        if op == "neg":
            return b.fneg(args[0])
        if op in ("exp", "sqrt", "abs"):
            return b.call(self.kb.intrinsic({"exp": "llvm.exp.f32", "sqrt": "llvm.sqrt.f32", "abs": "llvm.fabs.f32"}[op]),
                          [args[0]])
        if op == "tanh":
            return b.call(self.kb.libm("tanhf"), [args[0]])
        if op == "logistic":
            e = b.call(self.kb.intrinsic("llvm.exp.f32"), [b.fneg(args[0])])
            return b.fdiv(one, b.fadd(one, e))
        if op == "rsqrt":
            return b.fdiv(one, b.call(self.kb.intrinsic("llvm.sqrt.f32"), [args[0]]))
        if op in ("max", "min"):
            return self.float_minmax(op, args[0], args[1])
        if op == "clamp":
            return self.float_minmax("min", self.float_minmax("max", args[1], args[0]), args[2])
        raise NotImplementedError(f"the LLVM backend has no float form of '{op}'")

    def float_minmax(self, op, x, y):
        b = self.b
        pick = b.fcmp_ordered(">" if op == "max" else "<", x, y)
        chosen = b.select(pick, x, y)
        nan = b.fcmp_unordered("uno", x, y)
        return b.select(nan, ll.Constant(F32, float("nan")), chosen)


def table_words(function: str, spec, out_type: FixedType) -> list[int]:
    """The ROM of ``function`` as ``out_type`` mantissas (``tables.table_mantissas``)."""
    return [int(m) for m in tables.table_mantissas(spec, out_type)]
