"""The fixed-point datapath of a layer program's expressions, shared by the LLVM and Verilog backends.

``ExprValues`` evaluates a program's value expressions to ``Value``s (an ``fixplan.Fx`` for fixed
types, a bool, or a float32 where the backend has floats), each with the type the simulator gives
it (``program.value_type``), so both backends compute exactly the simulator's bits. The integer
operations come from the backend's ``fixplan.IntOps`` (``kernel_builder.int_ops()``: llvmlite
instructions or Verilog wires); the float32 operations are hooks that only the LLVM backend fills.
"""

from __future__ import annotations

from dataclasses import dataclass

from fpgalab.backends import fixplan as fp
from fpgalab.backends.program import Acc, Lit, Prev, Valid, op_type
from fpgalab.ir import nodes as ir
from fpgalab.ir.types import BOOL, FLOAT32, MAX_INTERNAL_WIDTH, BoolType, FixedType, FloatType
from fpgalab.sim import tables
from fpgalab.sim.values import constant_value


@dataclass(frozen=True)
class Value:
    payload: object  # Fx (fixed), the backend's float (float32), its 1-bit value (bool)
    dtype: object


class ExprValues:
    """Evaluates one program's value expressions at the backend's current insertion point.

    ``kernel_builder`` provides ``int_ops()`` (a ``fixplan.IntOps``), ``table_lookup(function,
    spec, out_type, index) -> bits``, ``read_valid(read)`` and ``ctx``. A backend with float32
    values subclasses this and implements the ``float_*`` hooks."""

    backend = "Verilog"

    def __init__(self, kernel_builder, program, read_value):
        self.kb = kernel_builder  # module-level helpers (tables, intrinsics)
        self.program = program
        self.read_value = read_value  # read index -> Value
        self.ops = kernel_builder.int_ops()
        self.acc: Value | None = None
        self.prev: Value | None = None

    # ---- conversions
    def convert(self, v: Value, target) -> Value:
        source = v.dtype
        if source == target:
            return v
        if isinstance(target, BoolType):
            if isinstance(source, BoolType):
                return v
            if isinstance(source, FloatType):
                return Value(self.float_to_bool(v.payload), BOOL)
            fx = v.payload
            return Value(self.ops.ne(fx.value, self.ops.const(0, fx.width)), BOOL)
        if isinstance(target, FloatType):
            if isinstance(source, BoolType):
                return Value(self.bool_to_float(v.payload), FLOAT32)
            return Value(self.fixed_to_float(v.payload), FLOAT32)
        if isinstance(source, FloatType):
            raise NotImplementedError(
                f"the {self.backend} backend does not convert float32 to ap_fixed inside a "
                "kernel; use one precision family for the whole design (the HLS C++ backend can)"
            )
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
        return Value(self.float_literal(float(value)), FLOAT32)

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
        if op in ir.ROUNDING_OPS:
            return round_to_integer(ops, op, fxs[0])
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
        raise NotImplementedError(f"the {self.backend} backend has no fixed-point form of '{op}'")

    def lookup(self, function: str, fx: fp.Fx, out_type: FixedType) -> fp.Fx:
        spec = self.kb.ctx.tables[function]
        index = fp.table_index(self.ops, fx, spec)
        bits = self.kb.table_lookup(function, spec, out_type, index)
        return fp.from_bits(self.ops, bits, out_type)

    def compare(self, op: str, args) -> Value:
        a, c = args
        if isinstance(a.dtype, FloatType) or isinstance(c.dtype, FloatType):
            x, y = self.convert(a, FLOAT32).payload, self.convert(c, FLOAT32).payload
            return Value(self.float_compare(op, x, y), BOOL)
        return Value(fp.compare(self.ops, self.fixed(a), self.fixed(c), op), BOOL)

    # ---- float32 hooks (a backend without floats refuses float designs before it gets here)
    def _no_floats(self):
        raise NotImplementedError(f"the {self.backend} backend has no float32 datapath; use an ap_fixed precision")

    def float_to_bool(self, x):
        self._no_floats()

    def bool_to_float(self, bit):
        self._no_floats()

    def fixed_to_float(self, fx: fp.Fx):
        self._no_floats()

    def float_literal(self, value: float):
        self._no_floats()

    def float_compare(self, op: str, x, y):
        self._no_floats()

    def float_operation(self, op: str, args):
        self._no_floats()


def round_to_integer(ops, op: str, fx: fp.Fx) -> fp.Fx:
    """floor and round: an assignment to an integer type (AP_TRN, AP_RND_CONV); ceil: ``-floor(-x)``
    (``fpgalab.sim.elementwise.round_to_integer``)."""
    if fx.frac <= 0:
        return fx
    integer = min(max(fx.width - fx.frac + 2, 2), MAX_INTERNAL_WIDTH)
    whole = FixedType(integer, integer, True, "AP_RND_CONV" if op == "round" else "AP_TRN")
    if op == "ceil":
        return fp.negate(ops, fp.to_type(ops, fp.negate(ops, fx), whole))
    return fp.to_type(ops, fx, whole)


def table_words(function: str, spec, out_type: FixedType) -> list[int]:
    """The ROM of ``function`` as ``out_type`` mantissas (``tables.table_mantissas``)."""
    return [int(m) for m in tables.table_mantissas(spec, out_type)]
