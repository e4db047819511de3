"""Bit-exact Vitis HLS ``ap_fixed`` arithmetic on NumPy ``int64`` mantissa arrays.

A fixed-point value is held as an integer mantissa ``m`` and a number of fractional bits ``frac``;
its value is ``m * 2**-frac``. Every function here is vectorised (no Python loop over elements)
and exact: results are computed with integer shifts and remainder bits, never through floats
that could round.

The rules follow AMD UG1399 (Vitis HLS User Guide), "Arbitrary Precision Fixed-Point Data
Types", section "Quantization Modes" and "Overflow Modes": when a value is assigned to an
``ap_fixed<W, I, Q, O>`` the quantization mode ``Q`` first removes the bits below the type's
LSB, then the overflow mode ``O`` fits the result into ``W`` bits. Where the documentation is
silent (huge doubles, NaN, infinities) the behaviour matches the open-source ``ap_fixed.h``
headers, which ``tests/tools/test_fixed_oracle.py`` compiles with g++ and compares bit for bit.
"""

from __future__ import annotations

import numpy as np

from fpgalab.ir.types import FixedType

INT64_BITS = 63  # magnitude bits of a signed int64
_FLOAT_EXACT = 1 << 53  # integers below this are exact in float64
_MAX_RIGHT = 62  # larger right shifts are folded onto this one (see _assign)


def fits_int64(bound: int, what: str) -> None:
    """Guard: raise ``ValueError`` unless an exact result of magnitude ``<= bound`` fits in int64.

    ``what`` names the operation and its operand widths, e.g. ``"product of 40-bit and 30-bit
    mantissas"``; the message says how many bits the exact result needs.
    """
    if bound >= 1 << INT64_BITS:
        raise ValueError(
            f"{what}: the exact result needs {int(bound).bit_length() + 1} bits (with sign), more than the "
            f"64 of int64; the exact simulator supports types up to 32 bits (narrow the types)"
        )


def _max_abs(a: np.ndarray) -> int:
    """Largest magnitude in ``a`` as a Python int (0 for an empty array); exact for any int64."""
    if a.size == 0:
        return 0
    return max(int(a.max()), -int(a.min()), 0)


def _as_mantissa(mant) -> np.ndarray:
    m = np.asarray(mant)
    if m.dtype.kind not in "iub":
        raise TypeError(f"mantissas must be integers, got dtype {m.dtype}; use from_float for real values")
    return m.astype(np.int64, copy=False)


def _frac_of(t_or_frac) -> int:
    return t_or_frac.frac if isinstance(t_or_frac, FixedType) else int(t_or_frac)


# --------------------------------------------------------------------------- quantization + overflow

def _round_increment(q: np.ndarray, rem2: np.ndarray, one: np.ndarray, neg: np.ndarray, quant: str):
    """The +1 (or 0) a quantization mode adds to the floor ``q`` (UG1399, "Quantization Modes").

    ``rem2 / one`` is twice the dropped fraction of an LSB (0 <= rem2 < 2*one), so ``rem2 == one``
    is an exact tie; ``neg`` is the sign of the source value.
    """
    above, tie = rem2 > one, rem2 == one
    if quant == "AP_TRN":  # truncate: floor, toward -inf
        return np.zeros_like(q)
    if quant == "AP_TRN_ZERO":  # truncate toward zero: negative values with dropped bits move up
        return (neg & (rem2 != 0)).astype(np.int64)
    if quant == "AP_RND":  # round half toward +inf
        return (above | tie).astype(np.int64)
    if quant == "AP_RND_ZERO":  # round half toward zero
        return (above | (tie & neg)).astype(np.int64)
    if quant == "AP_RND_INF":  # round half away from zero
        return (above | (tie & ~neg)).astype(np.int64)
    if quant == "AP_RND_MIN_INF":  # round half toward -inf
        return above.astype(np.int64)
    if quant == "AP_RND_CONV":  # round half to even
        return (above | (tie & ((q & 1) == 1))).astype(np.int64)
    raise ValueError(f"unknown quantization mode {quant!r}")


def _assign(m: np.ndarray, drop, t: FixedType) -> np.ndarray:
    """Assign the exact value ``m * 2**-(t.frac + drop)`` to type ``t``; ``drop`` may be an array.

    ``drop > 0`` bits below the target LSB are removed by the quantization mode; ``drop < 0``
    means the value is an exact left shift of ``m`` (which may not fit in int64, so overflow is
    decided by comparing ``m`` with shifted limits, and wrapping uses only ``m``'s low bits).
    """
    m, drop = np.broadcast_arrays(m, np.asarray(drop, dtype=np.int64))
    width, lo, hi = t.width, t.min_int, t.max_int
    mask = (1 << width) - 1
    neg = m < 0

    # Right shift by k with the dropped bits kept as a remainder. For k > 62 and |m| < 2**62 the
    # value lies strictly between -1/2 and 1/2 LSB, so (sign(m), 62) rounds identically.
    far = drop > _MAX_RIGHT
    k = np.where(far, _MAX_RIGHT, np.clip(drop, 0, _MAX_RIGHT))
    mr = np.where(far, np.sign(m), m)
    q = mr >> k
    rem = mr - (q << k)
    q = q + _round_increment(q, rem << 1, np.left_shift(1, k), neg, t.quant)

    # Left shift by s: compare m with the limits scaled down instead of forming m << s.
    left = drop < 0
    s = np.clip(-drop, 0, INT64_BITS)
    over = np.where(left, m > (hi >> s), q > hi)
    under = np.where(left, m < -((-lo) >> s), q < lo)
    low_bits = np.where(left, (m & mask) << np.minimum(s, width), q) & mask  # value mod 2**width

    wrapped = np.where(low_bits > hi, low_bits - (1 << width), low_bits)  # two's complement (signed)
    if t.overflow == "AP_WRAP":
        return wrapped
    if t.overflow == "AP_SAT_ZERO":
        return np.where(over | under, 0, wrapped)
    floor_value = lo
    if t.overflow == "AP_SAT_SYM" and t.signed:  # symmetric: -max replaces min, also for min itself
        floor_value = -hi
        under = under | (wrapped == lo)
    return np.where(over, hi, np.where(under, floor_value, wrapped))


def quantize(mant, frac: int, t: FixedType) -> np.ndarray:
    """Assign the exact value ``mant * 2**-frac`` to ``t`` as Vitis HLS assigns a wider ``ap_fixed``.

    First the quantization mode removes the bits below ``2**-t.frac`` (UG1399 "Quantization
    Modes": AP_TRN floor, AP_TRN_ZERO toward zero, AP_RND half up, AP_RND_ZERO half toward zero,
    AP_RND_INF half away from zero, AP_RND_MIN_INF half down, AP_RND_CONV half to even), then
    the overflow mode fits the result in ``t.width`` bits (UG1399 "Overflow Modes": AP_WRAP keeps
    the low bits, two's complement for ``ap_fixed``; AP_SAT clamps to [min, max]; AP_SAT_ZERO
    gives 0 on overflow; AP_SAT_SYM clamps signed types to [-max, max], so min itself becomes
    -max). A rounding carry that overflows (max + 1/2 LSB with AP_RND) saturates or wraps.

    ``frac`` may be negative or larger or smaller than ``t.frac``. Exact for int64 ``mant``
    with ``|mant| < 2**62``. Returns the int64 mantissas of ``t``.
    """
    return _assign(_as_mantissa(mant), int(frac) - t.frac, t)


def from_float(x, t: FixedType) -> np.ndarray:
    """Mantissas of ``t`` for float32/float64 ``x``, like the ``ap_fixed`` constructor from a double.

    The double is decoded exactly from its IEEE bits as ``ap_fixed.h`` does (a float32 is first
    widened to double, which is exact) and then assigned with ``t``'s quantization and overflow
    modes, so values far beyond the range saturate (AP_SAT*) or keep their true low bits
    (AP_WRAP: e.g. 1e30 wraps to the bits of 1e30 * 2**frac mod 2**width, which is 0 once the
    double's lowest set bit is above the type's MSB). Special values follow ``ap_fixed.h``:
    +-0.0 gives 0; +-inf is taken as +-2**1024 (saturates to max/min, wraps to 0); NaN is taken
    as +-(1.payload) * 2**1024 with the sign bit of the NaN (a NaN with the sign bit clear
    saturates to max, one with the sign bit set to min; AP_WRAP gives 0). Subnormal doubles are
    decoded as ``ap_fixed.h`` decodes them (implicit leading 1, exponent -1023), which only
    matters for types with more than ~1000 fractional bits.
    """
    a = np.asarray(x)
    if a.dtype.kind not in "fiub":
        raise TypeError(f"from_float expects real numbers, got dtype {a.dtype}")
    bits = np.ascontiguousarray(a, dtype=np.float64).view(np.uint64)
    negative = (bits >> np.uint64(63)) != 0
    exponent = ((bits >> np.uint64(52)) & np.uint64(0x7FF)).astype(np.int64)
    significand = (bits & np.uint64((1 << 52) - 1)).astype(np.int64) | (1 << 52)
    significand = np.where(negative, -significand, significand)
    significand = np.where((bits << np.uint64(1)) == 0, 0, significand)  # +-0.0
    # value = significand * 2**(exponent - 1075), i.e. frac = 1075 - exponent
    return _assign(significand, (1075 - exponent) - t.frac, t)


def to_float(mant, t_or_frac) -> np.ndarray:
    """The float64 value ``mant * 2**-frac`` (``t_or_frac``: a FixedType or a fractional-bit count).

    Exact for every mantissa below 2**53 in magnitude (all mantissas of types up to 53 bits);
    wider mantissas are rounded to nearest when converted to float64.
    """
    return np.ldexp(_as_mantissa(mant).astype(np.float64), -_frac_of(t_or_frac))


# --------------------------------------------------------------------------- exact helpers

def align(mant, frac_from: int, frac_to: int) -> np.ndarray:
    """Re-express mantissas with ``frac_to`` fractional bits, exactly.

    A left shift (``frac_to > frac_from``) must fit in int64; a right shift is allowed only when
    the dropped bits are all zero. Otherwise ``ValueError`` (use ``quantize`` to drop bits).
    """
    m = _as_mantissa(mant)
    shift = int(frac_to) - int(frac_from)
    if shift >= 0:
        fits_int64(_max_abs(m) << shift, f"aligning {_max_abs(m).bit_length()}-bit mantissas by {shift} bits")
        return m << shift
    drop = min(-shift, INT64_BITS)
    if np.any(m & ((1 << drop) - 1)):
        raise ValueError(f"aligning from {frac_from} to {frac_to} fractional bits would drop non-zero bits; "
                         f"use quantize() to round them")
    return m >> drop


def add(a, fa: int, b, fb: int) -> tuple[np.ndarray, int]:
    """Exact full-precision sum of ``a * 2**-fa`` and ``b * 2**-fb``: ``(mantissa, frac)``.

    Like ``ap_fixed`` ``+``, whose result type holds every bit of both operands (UG1399).
    """
    a, b = _as_mantissa(a), _as_mantissa(b)
    f = max(int(fa), int(fb))
    a2, b2 = align(a, fa, f), align(b, fb, f)
    ba, bb = _max_abs(a2), _max_abs(b2)
    fits_int64(ba + bb, f"sum of {ba.bit_length()}-bit and {bb.bit_length()}-bit aligned mantissas")
    return a2 + b2, f


def mul(a, fa: int, b, fb: int) -> tuple[np.ndarray, int]:
    """Exact full-precision product of ``a * 2**-fa`` and ``b * 2**-fb``: ``(mantissa, fa + fb)``.

    Like ``ap_fixed`` ``*``, whose result is ``ap_fixed<W1+W2, I1+I2>`` (UG1399).
    """
    a, b = _as_mantissa(a), _as_mantissa(b)
    ba, bb = _max_abs(a), _max_abs(b)
    fits_int64(ba * bb, f"product of {ba.bit_length()}-bit and {bb.bit_length()}-bit mantissas")
    return a * b, int(fa) + int(fb)


def exact_matmul(a_mant, b_mant) -> np.ndarray:
    """Exact integer ``np.matmul`` of two mantissa arrays (same shape rules as ``np.matmul``).

    When ``max|a| * max|b| * K < 2**53`` (K the contracted length) every product and partial sum
    is an integer float64 holds exactly, so the product runs as a float64 BLAS matmul; else as
    an int64 matmul when the bound is below 2**63; else ``ValueError``.
    """
    a, b = _as_mantissa(a_mant), _as_mantissa(b_mant)
    k = a.shape[-1] if a.ndim else 1
    bound = _max_abs(a) * _max_abs(b) * k
    if bound < _FLOAT_EXACT:
        return np.matmul(a.astype(np.float64), b.astype(np.float64)).astype(np.int64)
    fits_int64(bound, f"matmul of {_max_abs(a).bit_length()}-bit by {_max_abs(b).bit_length()}-bit "
                      f"mantissas over {k} terms")
    return np.matmul(a, b)
