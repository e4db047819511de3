"""Fixed-point arithmetic as integer operations: one generator, shared by the LLVM and Verilog backends.

A value is an ``Fx``: a two's-complement integer of ``width`` bits (always read as signed; an
``ap_ufixed`` gets one more bit, zero-extended) and ``frac`` fraction bits: its value is
``mantissa * 2**-frac``. The functions here build the operations through an ``IntOps`` object
(``LlvmOps`` emits llvmlite instructions, ``VerilogOps`` emits wires), exactly as
``fpgalab.sim.fixed`` computes them with NumPy:

* ``add``/``mul`` are exact (the result is as wide as it must be, like ap_fixed's operators);
* ``quantize`` assigns to an ``ap_fixed`` type: the quantization mode decides from the dropped
  bits (``floor`` plus an increment: ``rem2 == 2**k`` is a tie, ``> 2**k`` above it, as in
  ``fixed.round_right``), then the overflow mode fits the result (wrap keeps the low bits;
  saturation compares with the limits);
* ``table_index`` is ``fpgalab.sim.tables.table_index``'s integer formula.

``IntOps`` needs: ``const(value, width)``, ``sext(v, width)``, ``zext(v, width)``, ``trunc(v,
width)``, ``add``, ``sub``, ``mul`` (equal widths), ``shl(v, k)``, ``ashr(v, k)`` (constant
shifts), ``lt``/``gt``/``eq``/``ne`` (signed, give a 1-bit value), ``and_``/``or_``/``not_``
on 1-bit values, ``select(c, a, b)``, ``bit(v, k)`` (1-bit) and ``width(v)``.
"""

from __future__ import annotations

from dataclasses import dataclass

from fpgalab.ir.types import FixedType
from fpgalab.sim.tables import _index_coefficients, index_frac


@dataclass(frozen=True)
class Fx:
    value: object
    width: int
    frac: int


def resize(ops, v, width: int):
    have = ops.width(v)
    if width == have:
        return v
    return ops.sext(v, width) if width > have else ops.trunc(v, width)


def extend(ops, fx: Fx, width: int) -> Fx:
    return Fx(resize(ops, fx.value, width), width, fx.frac) if width > fx.width else fx


def from_bits(ops, bits, dtype: FixedType) -> Fx:
    """A stored ``dtype`` bit pattern (``dtype.width`` bits) as an Fx."""
    if dtype.signed:
        return Fx(bits, dtype.width, dtype.frac)
    return Fx(ops.zext(bits, dtype.width + 1), dtype.width + 1, dtype.frac)


def constant(ops, mantissa: int, frac: int) -> Fx:
    width = max(2, int(mantissa).bit_length() + 1)
    return Fx(ops.const(int(mantissa), width), width, frac)


def align(ops, fx: Fx, frac: int) -> Fx:
    """The same value with ``frac`` >= fx.frac fraction bits (exact left shift)."""
    shift = frac - fx.frac
    if shift <= 0:
        return fx
    wide = resize(ops, fx.value, fx.width + shift)
    return Fx(ops.shl(wide, shift), fx.width + shift, frac)


def _common(ops, a: Fx, b: Fx, extra: int = 0) -> tuple[Fx, Fx, int]:
    frac = max(a.frac, b.frac)
    a, b = align(ops, a, frac), align(ops, b, frac)
    width = max(a.width, b.width) + extra
    return Fx(resize(ops, a.value, width), width, frac), Fx(resize(ops, b.value, width), width, frac), width


def add(ops, a: Fx, b: Fx, subtract: bool = False) -> Fx:
    a, b, width = _common(ops, a, b, 1)
    value = ops.sub(a.value, b.value) if subtract else ops.add(a.value, b.value)
    return Fx(value, width, a.frac)


def negate(ops, a: Fx) -> Fx:
    wide = resize(ops, a.value, a.width + 1)
    return Fx(ops.sub(ops.const(0, a.width + 1), wide), a.width + 1, a.frac)


def absolute(ops, a: Fx) -> Fx:
    neg = negate(ops, a)
    wide = resize(ops, a.value, a.width + 1)
    return Fx(ops.select(ops.lt(wide, ops.const(0, a.width + 1)), neg.value, wide), a.width + 1, a.frac)


def mul(ops, a: Fx, b: Fx) -> Fx:
    width = a.width + b.width
    return Fx(ops.mul(resize(ops, a.value, width), resize(ops, b.value, width)), width, a.frac + b.frac)


def compare(ops, a: Fx, b: Fx, op: str):
    a, b, _ = _common(ops, a, b)
    if op == "lt":
        return ops.lt(a.value, b.value)
    if op == "gt":
        return ops.gt(a.value, b.value)
    if op == "le":
        return ops.not_(ops.gt(a.value, b.value))
    if op == "ge":
        return ops.not_(ops.lt(a.value, b.value))
    return ops.eq(a.value, b.value) if op == "eq" else ops.ne(a.value, b.value)


def choose(ops, cond, a: Fx, b: Fx) -> Fx:
    """``cond ? a : b`` on a common format (exact)."""
    a, b, width = _common(ops, a, b)
    return Fx(ops.select(cond, a.value, b.value), width, a.frac)


def maximum(ops, a: Fx, b: Fx, kind: str = "max") -> Fx:
    pick_a = compare(ops, a, b, "gt" if kind == "max" else "lt")
    return choose(ops, pick_a, a, b)


# ---- assignment to a type --------------------------------------------------------------------------


def _round_increment(ops, m, k: int, quant: str):
    """The 1-bit increment of ``floor(m / 2**k)`` under ``quant`` (``fixed.round_right``); None for AP_TRN."""
    if quant == "AP_TRN":
        return None
    width = ops.width(m)
    rem = ops.trunc(m, k) if k < width else m
    rem_width = min(k, width)
    rem = ops.zext(rem, rem_width + 1) if k < width else rem
    rem_width = ops.width(rem)
    half = ops.const(1 << (k - 1), rem_width) if k - 1 < rem_width - 1 else None
    neg = ops.bit(m, width - 1)
    if half is None:  # k beyond the width: |m| < 2**(k-1), no tie and never above half
        above, tie = ops.const(0, 1), ops.const(0, 1)
        nonzero = ops.ne(m, ops.const(0, width))
    else:
        above, tie = ops.gt(rem, half), ops.eq(rem, half)
        nonzero = ops.ne(rem, ops.const(0, rem_width))
    if quant == "AP_TRN_ZERO":
        return ops.and_(neg, nonzero)
    if quant == "AP_RND":
        return ops.or_(above, tie)
    if quant == "AP_RND_ZERO":
        return ops.or_(above, ops.and_(tie, neg))
    if quant == "AP_RND_INF":
        return ops.or_(above, ops.and_(tie, ops.not_(neg)))
    if quant == "AP_RND_MIN_INF":
        return above
    if quant == "AP_RND_CONV":
        return None if k >= width else ops.or_(above, ops.and_(tie, ops.bit(m, k)))
    raise ValueError(f"unknown quantization mode {quant!r}")


def _fit(ops, q, t: FixedType):
    """Apply ``t``'s overflow mode to the signed integer ``q``; returns ``t.width`` bits."""
    if t.overflow == "AP_WRAP":
        return resize(ops, q, t.width) if ops.width(q) >= t.width else ops.sext(q, t.width)
    width = max(ops.width(q), t.width + 1)
    q = resize(ops, q, width)
    low = -t.max_int if (t.overflow == "AP_SAT_SYM" and t.signed) else t.min_int
    high = t.max_int
    over, under = ops.gt(q, ops.const(high, width)), ops.lt(q, ops.const(low, width))
    if t.overflow == "AP_SAT_ZERO":
        fitted = ops.select(ops.or_(over, under), ops.const(0, width), q)
    else:
        fitted = ops.select(over, ops.const(high, width), ops.select(under, ops.const(low, width), q))
    return ops.trunc(fitted, t.width)


def quantize(ops, fx: Fx, t: FixedType):
    """The ``t.width``-bit pattern of ``fx`` assigned to ``t`` (``fpgalab.sim.fixed.quantize``)."""
    drop = fx.frac - t.frac
    m = fx.value
    if drop <= 0:
        m = align(ops, fx, t.frac).value
        return _fit(ops, m, t)
    width = fx.width
    if drop >= width:  # keep enough bits for the sign after the shift
        m = resize(ops, m, drop + 2)
        width = drop + 2
    q = ops.ashr(m, drop)
    increment = _round_increment(ops, m, drop, t.quant)
    if t.quant == "AP_RND_CONV" and increment is None:  # shifted past every bit: floor is 0 or -1
        increment = ops.const(0, 1)
    if increment is not None:
        q = resize(ops, q, width + 1)
        q = ops.add(q, ops.zext(increment, width + 1))
    return _fit(ops, q, t)


def to_type(ops, fx: Fx, t: FixedType) -> Fx:
    """``quantize`` and read back as an Fx of ``t``."""
    return from_bits(ops, quantize(ops, fx, t), t)


# ---- table index -----------------------------------------------------------------------------------


def table_index(ops, fx: Fx, spec):
    """``fpgalab.sim.tables.table_index`` of ``fx``: an unsigned index of the table's bits."""
    frac = index_frac(spec, fx.frac)
    value = ops.ashr(fx.value, fx.frac - frac)  # the bits below the index's grid cannot change it
    p, q, r, m_lo, m_hi = _index_coefficients(spec, frac)
    width = max(66, fx.width)  # products are bounded by int64 (``_index_coefficients`` checks), a margin for the sign
    m = resize(ops, value, width)
    lo, hi = ops.const(m_lo, width), ops.const(m_hi, width)
    m = ops.select(ops.lt(m, lo), lo, ops.select(ops.gt(m, hi), hi, m))
    if spec.style == "hls4ml":  # trunc(m * p / r) - q / r: r is a power of two, q a multiple of it
        t = ops.mul(m, ops.const(p, width))
        k = r.bit_length() - 1
        toward_zero = ops.select(ops.lt(t, ops.const(0, width)), ops.add(t, ops.const(r - 1, width)), t)
        index = ops.sub(ops.ashr(toward_zero, k), ops.const(q // r, width))
    elif r & (r - 1) == 0:
        t = ops.sub(ops.mul(m, ops.const(p, width)), ops.const(q, width))
        index = ops.ashr(t, r.bit_length() - 1)
    else:
        t = ops.sub(ops.mul(m, ops.const(p, width)), ops.const(q, width))
        index = ops.floor_div(t, r)
    size = spec.size
    index = ops.select(
        ops.lt(index, ops.const(0, width)),
        ops.const(0, width),
        ops.select(ops.gt(index, ops.const(size - 1, width)), ops.const(size - 1, width), index),
    )
    return ops.trunc(index, max(1, (size - 1).bit_length() + 1))
