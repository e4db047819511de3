"""Types and value expressions of layer programs as C++ with ``ap_fixed``.

Every sub-expression is written as an explicit construction of the type the simulator gives it
(``program.value_type``): ``T(a + b)`` where ``a + b`` is ap_fixed's full-precision result and
``T(...)`` applies T's quantization and overflow modes, as an HLS assignment does. A fused
inner operation (``Op.dtype`` None) is constructed in its natural type, which holds the exact
result, so the C++ computes what one C++ expression computes. Table look-ups are functions over
ROMs filled with ``fpgalab.sim.tables.table_mantissas`` and indexed by ``table_index``'s formula.
"""

from __future__ import annotations

import math
from dataclasses import replace

from fpgalab.backends.program import Acc, IAdd, IDiv, ILit, IMul, IRead, IVar, Lit, Prev, Valid, op_type, value_type
from fpgalab.backends.program.index import i_rows
from fpgalab.ir import nodes as ir
from fpgalab.ir.types import BOOL, FLOAT32, BoolType, FixedType, FloatType
from fpgalab.sim import tables
from fpgalab.sim.elementwise import rounding_type
from fpgalab.sim.tables import _index_coefficients
from fpgalab.sim.values import constant_value

INT64_MIN_TEXT = "(-9223372036854775807LL - 1)"


def cpp_type_name(dtype) -> str:
    """A readable C++ identifier for a numeric type."""
    if isinstance(dtype, FloatType):
        return "float"
    if isinstance(dtype, BoolType):
        return "bool"
    integer = f"m{-dtype.integer}" if dtype.integer < 0 else str(dtype.integer)
    name = f"{'fixed' if dtype.signed else 'ufixed'}_{dtype.width}_{integer}"
    if dtype.quant != "AP_TRN":
        name += "_" + dtype.quant[3:].lower()
    if dtype.overflow != "AP_WRAP":
        name += "_" + dtype.overflow[3:].lower()
    return name + "_t"


def cpp_type_spelling(dtype) -> str:
    if isinstance(dtype, FixedType):
        kind = "ap_fixed" if dtype.signed else "ap_ufixed"
        return f"{kind}<{dtype.width}, {dtype.integer}, {dtype.quant}, {dtype.overflow}>"
    return cpp_type_name(dtype)


def float_literal(value: float) -> str:
    if math.isnan(value):
        return "NAN"
    if math.isinf(value):
        return "INFINITY" if value > 0 else "-INFINITY"
    return repr(float(value))


def exact_value(mantissa: int, dtype: FixedType) -> float:
    """The value of a mantissa as a double (exact: widths up to 53 bits)."""
    return math.ldexp(int(mantissa), -dtype.frac)


def literal(lit: Lit) -> str:
    """An exact constant as C++ of its type."""
    dtype = lit.dtype
    if isinstance(dtype, FixedType):
        return f"{cpp_type_name(dtype)}({float_literal(exact_value(lit.value, dtype))})"
    if isinstance(dtype, BoolType):
        return "true" if lit.value else "false"
    return f"float({float_literal(lit.value)})"


def raw_int_type(dtype: FixedType) -> str:
    """The C integer type holding a mantissa of ``dtype``."""
    for bits in (8, 16, 32, 64):
        if dtype.width <= bits:
            return f"{'' if dtype.signed else 'u'}int{bits}_t"
    raise ValueError(f"{dtype} is wider than 64 bits")


def int_literal(value: int) -> str:
    if value == -(1 << 63):
        return INT64_MIN_TEXT
    return f"{value}LL"


def index_code(expr, names: dict) -> str:
    """An index expression as C++ over loop variables (``names`` maps loop names to C++ names)."""
    if isinstance(expr, ILit):
        return str(expr.value)
    if isinstance(expr, IVar):
        return names[expr.name]
    if isinstance(expr, IRead):
        return names[expr]  # the clamped id, written by ``CppExpressions.element``
    if isinstance(expr, IAdd):
        text = " + ".join(index_code(t, names) for t in expr.terms)
        return f"({text})".replace("+ -", "- ")
    if isinstance(expr, IMul):
        return f"{index_code(expr.arg, names)} * {expr.factor}"
    if isinstance(expr, IDiv):
        return f"({index_code(expr.arg, names)}) / {expr.divisor}"
    return f"({index_code(expr.arg, names)}) % {expr.divisor}"


class CppExpressions:
    """Writes the value expressions of one layer program; collects the tables it needs."""

    def __init__(
        self,
        program,
        buffer_types: dict,
        buffer_names: dict,
        loop_names: dict,
        ctx,
        types: set,
        tables_needed: dict,
        raw_buffers=frozenset(),
    ):
        self.raw_buffers = raw_buffers  # ROMs stored as integer mantissas
        self.program, self.buffer_types, self.buffer_names = program, buffer_types, buffer_names
        self.loop_names, self.ctx = loop_names, ctx
        self.types = types  # every type used (for typedefs)
        self.tables_needed = tables_needed  # (function, in type, out type) -> C++ function name
        self.prev_type = None

    def type_of(self, expr):
        return value_type(expr, self.program, self.buffer_types, self.ctx, self.prev_type)

    def name(self, dtype) -> str:
        self.types.add(dtype)
        return cpp_type_name(dtype)

    # ---- reads
    def element(self, read) -> str:
        name = self.buffer_names[read.buffer]
        names = dict(self.loop_names)
        for row in (r for ix in read.index for r in i_rows(ix)):
            names[row] = self.row(row)
        code = name + ("".join(f"[{index_code(ix, names)}]" for ix in read.index) or "[0]")  # a scalar: [1]
        if read.buffer in self.raw_buffers:
            return f"fp_from_bits<{self.name(self.buffer_types[read.buffer])}>({code})"
        return code

    def row(self, ix: IRead) -> str:
        """A table row chosen by a value read: its integer part, clamped to the table (XLA's gather)."""
        value = self.read(ix.read)
        dtype = self.type_of(ir.Arg(ix.read))
        whole = f"({value}).to_int()" if isinstance(dtype, FixedType) else f"int({value})"
        return f"fpgalab_row({whole}, {ix.limit})"

    def valid(self, read) -> str:
        parts = []
        for ix, size in read.guards:
            code = index_code(ix, self.loop_names)
            parts.append(f"{code} >= 0 && {code} < {size}")
        return "(" + " && ".join(parts) + ")" if parts else "true"

    def read(self, index: int) -> str:
        read = self.program.reads[index]
        if read.fill is None:
            return self.element(read)
        target = read.fill.dtype
        return (
            f"({self.valid(read)} ? {self.convert(self.element(read), self.buffer_types[read.buffer], target)} : "
            f"{literal(read.fill)})"
        )

    # ---- conversions
    def convert(self, code: str, source, target) -> str:
        if source == target:
            return code
        if isinstance(target, BoolType):
            return f"bool({code} != 0)"
        if isinstance(target, FloatType):
            if isinstance(source, FixedType):
                return f"float({code}.to_double())"
            return f"float({code})"
        if isinstance(source, BoolType):
            return f"{self.name(target)}({self.name(FixedType(1, 1, False))}({code}))"
        return f"{self.name(target)}({code})"

    # ---- expressions
    def code(self, expr) -> str:
        """C++ for ``expr``, whose C++ type is exactly ``self.type_of(expr)``."""
        if isinstance(expr, ir.Arg):
            return self.read(expr.index)
        if isinstance(expr, ir.Const):
            lit = constant_value(expr.value, expr.dtype).array[0]
            value = (
                int(lit)
                if isinstance(expr.dtype, FixedType)
                else bool(lit)
                if isinstance(expr.dtype, BoolType)
                else float(lit)
            )
            self.types.add(expr.dtype)
            return literal(Lit(value, expr.dtype))
        if isinstance(expr, Lit):
            self.types.add(expr.dtype)
            return literal(expr)
        if isinstance(expr, Acc):
            return "acc"
        if isinstance(expr, Prev):
            return "v_prev"
        if isinstance(expr, Valid):
            return self.valid(self.program.reads[expr.index])
        return self.operation(expr)

    def operation(self, expr: ir.Op) -> str:
        arg_types = [self.type_of(a) for a in expr.args]
        args = [self.code(a) for a in expr.args]
        result = op_type(expr, arg_types, self.ctx)
        op = expr.op
        if op.startswith("cmp_"):
            symbol = {"cmp_eq": "==", "cmp_ne": "!=", "cmp_lt": "<", "cmp_le": "<=", "cmp_gt": ">", "cmp_ge": ">="}[op]
            if any(isinstance(t, FloatType) for t in arg_types):
                args = [self.convert(a, t, FLOAT32) for a, t in zip(args, arg_types)]
            return f"({args[0]} {symbol} {args[1]})"
        if op == "convert":
            return self.convert(args[0], arg_types[0], result)
        if op == "select":
            pred = self.convert(args[0], arg_types[0], BOOL)
            return (
                f"({pred} ? {self.convert(args[1], arg_types[1], result)} : "
                f"{self.convert(args[2], arg_types[2], result)})"
            )
        if isinstance(result, FloatType):
            return self.float_operation(op, [self.convert(a, t, FLOAT32) for a, t in zip(args, arg_types)])
        # fixed point: operands in their own fixed types (floats and bools converted to the result type)
        args = [a if isinstance(t, FixedType) else self.convert(a, t, result) for a, t in zip(args, arg_types)]
        arg_types = [t if isinstance(t, FixedType) else result for t in arg_types]
        r = self.name(result)
        if op in ("add", "sub", "mul"):
            symbol = {"add": "+", "sub": "-", "mul": "*"}[op]
            return f"{r}({args[0]} {symbol} {args[1]})"
        if op in ("max", "min"):
            return f"fp_{op}<{r}>({args[0]}, {args[1]})"
        if op == "clamp":
            low, x, high = args
            return f"fp_clamp<{r}>({low}, {x}, {high})"
        if op == "neg":
            return f"{r}(-{args[0]})"
        if op == "abs":
            return f"fp_abs<{r}>({args[0]})"
        if op == "div":
            return self.divide(expr, args, arg_types, result)
        if op in ir.ROUNDING_OPS:
            return self.round_to_integer(op, args[0], arg_types[0], result)
        if op in ir.TABLE_OPS:
            function = self.table(ir.TABLE_OPS[op], arg_types[0], result)
            return f"{function}({args[0]})"
        raise NotImplementedError(f"the C++ backend has no fixed-point form of '{op}'")

    def divide(self, expr, args, arg_types, result) -> str:
        r, table_type = self.name(result), self.ctx.table_type
        divisor = expr.args[1]
        if isinstance(divisor, ir.Const):
            recip = int(constant_value(1.0 / divisor.value, table_type).array[0])
            self.types.add(table_type)
            return f"{r}({args[0]} * {literal(Lit(recip, table_type))})"
        function = self.table("reciprocal", arg_types[1], table_type)
        return f"{r}({args[0]} * {function}({args[1]}))"

    def round_to_integer(self, op: str, x: str, source: FixedType, result) -> str:
        """floor and round: an assignment to an integer type (AP_TRN, AP_RND_CONV); ceil: ``-floor(-x)``."""
        whole = rounding_type(source)
        if op == "round":
            whole = replace(whole, quant="AP_RND_CONV")
        r, w = self.name(result), self.name(whole)
        if op == "ceil":
            return f"{r}(-{w}(-{x}))"
        return f"{r}({w}({x}))"

    @staticmethod
    def float_operation(op: str, args: list[str]) -> str:
        if op in ("add", "sub", "mul", "div"):
            symbol = {"add": "+", "sub": "-", "mul": "*", "div": "/"}[op]
            return f"float({args[0]} {symbol} {args[1]})"
        functions = {
            "exp": "std::exp",
            "tanh": "std::tanh",
            "sqrt": "std::sqrt",
            "neg": "-",
            "abs": "std::fabs",
            "expm1": "std::expm1",
            "log": "std::log",
            "log1p": "std::log1p",
            "erf": "std::erf",
            "floor": "std::floor",
            "ceil": "std::ceil",
            "round": "std::nearbyint",  # ties to even in the default rounding mode
        }
        if op in functions:
            return f"float({functions[op]}({args[0]}))"
        if op == "logistic":
            return f"float(1.0f / (1.0f + std::exp(-{args[0]})))"
        if op == "rsqrt":
            return f"float(1.0f / std::sqrt({args[0]}))"
        if op in ("max", "min"):
            return f"fp_f{op}({args[0]}, {args[1]})"
        if op == "clamp":
            return f"fp_fmin(fp_fmax({args[1]}, {args[0]}), {args[2]})"
        raise NotImplementedError(f"the C++ backend has no float form of '{op}'")

    def table(self, function: str, in_type: FixedType, out_type: FixedType) -> str:
        key = (function, in_type, out_type)
        if key not in self.tables_needed:
            self.types.update((in_type, out_type))
            reduced = tables.index_input_type(self.ctx.tables[function], in_type)
            if reduced is not None:
                self.types.add(reduced)
            self.tables_needed[key] = f"table_{function}_{len(self.tables_needed)}"
        return self.tables_needed[key]


def table_function(name: str, function: str, in_type: FixedType, out_type: FixedType, spec) -> list[str]:
    """A ROM of ``table_mantissas`` and the function indexing it by ``table_index``'s integer formula."""
    reduced = tables.index_input_type(spec, in_type)  # the bits the index reads (tables.index_frac)
    p, q, r, m_lo, m_hi = _index_coefficients(spec, (reduced or in_type).frac)
    rom = tables.table_mantissas(spec, out_type)
    out_name, in_name = cpp_type_name(out_type), cpp_type_name(in_type)
    values = [str(int(m)) for m in rom]
    rows = [", ".join(values[k : k + 16]) for k in range(0, len(values), 16)]
    k = r.bit_length() - 1
    if spec.style == "hls4ml":  # hls4ml's index: trunc(x / step) - lo / step, entries at the bins' left edges
        product, division = f"m * {p}LL", f"(t < 0 ? -((-t) >> {k}) : (t >> {k})) - {int_literal(q // r)}"
        comment = "entry i = f(lo + i * step) as hls4ml's init_*_table computes it"
    else:
        product, division = f"m * {p}LL - {int_literal(q)}", f"fp_floor_div(t, {r}LL)" if r & (r - 1) else f"(t >> {k})"
        comment = "entry i = f(lo + (i + 0.5) * step)"
    return [
        f"// {function} over [{spec.lo}, {spec.hi}) in {spec.size} bins: {comment}",
        f"static {out_name} {name}({in_name} x) {{",
        f"  static const {raw_int_type(out_type)} rom[{spec.size}] = {{  // mantissas of {out_type}",
        *[f"    {row}," for row in rows],
        "  };",
        *(
            [f"  {cpp_type_name(reduced)} xr = x;", "  long long m = fp_mantissa(xr);"]
            if reduced
            else ["  long long m = fp_mantissa(x);"]
        ),
        f"  if (m < {int_literal(m_lo)}) m = {int_literal(m_lo)};",
        f"  if (m > {int_literal(m_hi)}) m = {int_literal(m_hi)};",
        f"  long long t = {product};",
        f"  long long i = {division};",
        "  if (i < 0) i = 0;",
        f"  if (i > {spec.size - 1}) i = {spec.size - 1};",
        f"  return fp_from_bits<{out_name}>(rom[i]);",
        "}",
    ]


SUPPORT_HEADER = r"""// Helpers of fpgalab's generated kernels (fixed boilerplate).
#ifndef FPGALAB_SUPPORT_H
#define FPGALAB_SUPPORT_H
#include <cmath>
#include <stdint.h>
#include "ap_fixed.h"

// The signed mantissa of an ap_fixed / ap_ufixed value (its bits as an integer).
template <int W, int I, ap_q_mode Q, ap_o_mode O, int N>
long long fp_mantissa(const ap_fixed<W, I, Q, O, N>& v) {
  unsigned long long u = v.range(W - 1, 0).to_uint64();
  long long m = (long long)u;
  if ((u >> (W - 1)) & 1) m -= (long long)(1ULL << (W - 1)) * 2;
  return m;
}
template <int W, int I, ap_q_mode Q, ap_o_mode O, int N>
long long fp_mantissa(const ap_ufixed<W, I, Q, O, N>& v) {
  return (long long)v.range(W - 1, 0).to_uint64();
}
// A value from its stored bits: ROMs hold mantissas as plain integers (fast to compile, same hardware).
template <class T> T fp_from_bits(long long bits) {
  T v;
  v.range(T::width - 1, 0) = bits;
  return v;
}
// The table row an id names, clamped to the table as XLA clamps a gather's index (Embedding).
static inline int fpgalab_row(long long id, int rows) { return id < 0 ? 0 : id >= rows ? rows - 1 : (int)id; }
static inline long long fp_floor_div(long long a, long long b) {
  long long q = a / b;
  return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}
// max/min/abs/clamp choose an operand first, then convert it: R(max(a, b)) exactly.
template <class R, class A, class B> R fp_max(const A& a, const B& b) { return a > b ? R(a) : R(b); }
template <class R, class A, class B> R fp_min(const A& a, const B& b) { return a < b ? R(a) : R(b); }
template <class R, class A> R fp_abs(const A& a) { return a < 0 ? R(-a) : R(a); }
template <class R, class L, class X, class H> R fp_clamp(const L& lo, const X& x, const H& hi) {
  if (x < lo) return lo > hi ? R(hi) : R(lo);
  return x > hi ? R(hi) : R(x);
}
static inline float fp_fmax(float a, float b) { return (a != a || b != b) ? NAN : (a > b ? a : b); }
static inline float fp_fmin(float a, float b) { return (a != a || b != b) ? NAN : (a < b ? a : b); }
#endif
"""
