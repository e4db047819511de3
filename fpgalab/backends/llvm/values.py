"""Values of layer programs as llvmlite instructions.

``LlvmOps`` is ``fixplan``'s ``IntOps`` on an llvmlite ``IRBuilder``; ``LlvmValues`` is the shared
fixed-point datapath (``fpgalab.backends.datapath``) with the float32 operations LLVM has.
"""

from __future__ import annotations

import math

from llvmlite import ir as ll

from fpgalab.backends import fixplan as fp
from fpgalab.backends.datapath import ExprValues, Value
from fpgalab.ir.types import BOOL, BoolType, FixedType, FloatType

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


class LlvmValues(ExprValues):
    """``ExprValues`` on an llvmlite builder, with float32 operations (libm and LLVM intrinsics)."""

    backend = "LLVM"

    def __init__(self, kernel_builder, program, read_value):
        super().__init__(kernel_builder, program, read_value)
        self.b = kernel_builder.builder

    def float_to_bool(self, x):
        return self.b.fcmp_unordered("!=", x, ll.Constant(F32, 0.0))

    def bool_to_float(self, bit):
        return self.b.uitofp(bit, F32)

    def fixed_to_float(self, fx: fp.Fx):
        b = self.b
        wide = fp.resize(self.ops, fx.value, 64)
        as_double = b.fmul(b.sitofp(wide, F64), ll.Constant(F64, math.ldexp(1.0, -fx.frac)))
        return b.fptrunc(as_double, F32)

    def float_literal(self, value: float):
        return ll.Constant(F32, value)

    def float_compare(self, op: str, x, y):
        symbol = {"eq": "==", "ne": "!=", "lt": "<", "le": "<=", "gt": ">", "ge": ">="}[op]
        return self.b.fcmp_ordered(symbol, x, y) if op != "ne" else self.b.fcmp_unordered(symbol, x, y)

    def float_operation(self, op: str, args):
        b = self.b
        if op in ("add", "sub", "mul", "div"):
            return {"add": b.fadd, "sub": b.fsub, "mul": b.fmul, "div": b.fdiv}[op](args[0], args[1])
        one = ll.Constant(F32, 1.0)
        if op == "neg":
            return b.fneg(args[0])
        if op in ("exp", "sqrt", "abs"):
            return b.call(
                self.kb.intrinsic({"exp": "llvm.exp.f32", "sqrt": "llvm.sqrt.f32", "abs": "llvm.fabs.f32"}[op]),
                [args[0]],
            )
        if op == "tanh":
            return b.call(self.kb.libm("tanhf"), [args[0]])
        if op in ("expm1", "log", "log1p", "erf"):
            return b.call(self.kb.libm(f"{op}f"), [args[0]])
        if op in ("floor", "ceil", "round"):
            name = {"floor": "llvm.floor.f32", "ceil": "llvm.ceil.f32", "round": "llvm.roundeven.f32"}[op]
            return b.call(self.kb.intrinsic(name), [args[0]])
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


def word_value(word, dtype, ops) -> Value:
    """The value of a memory word of a buffer of type ``dtype``."""
    if isinstance(dtype, FixedType):
        return Value(fp.from_bits(ops, ops.trunc(word, dtype.width), dtype), dtype)
    if isinstance(dtype, FloatType):
        return Value(word, dtype)
    return Value(ops.trunc(word, 1), BOOL)


def clamped_row(b: ll.IRBuilder, values: LlvmValues, ix) -> ll.Value:
    """The table row an id names (``IRead``): the id's integer part, clamped to ``0 .. limit-1``
    as XLA clamps a gather's index; an i32."""
    i64 = ll.IntType(64)
    value = values.read_value(ix.read)
    if isinstance(value.dtype, FixedType):
        fx = values.fixed(value)
        whole = fp.resize(values.ops, fx.value, 64)
        whole = b.ashr(whole, ll.Constant(i64, fx.frac)) if fx.frac > 0 else b.shl(whole, ll.Constant(i64, -fx.frac))
    else:
        whole = b.fptosi(value.payload, i64)
    low, high = ll.Constant(i64, 0), ll.Constant(i64, ix.limit - 1)
    whole = b.select(b.icmp_signed("<", whole, low), low, whole)
    whole = b.select(b.icmp_signed(">", whole, high), high, whole)
    return b.trunc(whole, ll.IntType(32))
