"""Bit-exact Vitis HLS ``ap_fixed`` arithmetic on NumPy ``int64`` mantissa arrays.

A fixed-point value is held as an integer mantissa ``m`` and a number of fractional bits ``frac``;
its value is ``m * 2**-frac``. Every function here is vectorised (no Python loop over elements)
and exact: results are computed with integer shifts and remainder bits, never through floats
that could round. Where an exact intermediate would not fit in int64 (products and sums of
types wider than 32 bits, up to the 64-bit types a user may give and the wider intermediates of
fused expressions) the arrays become NumPy object arrays of Python integers, which have no
width limit: slower, still exact. A result assigned to a type that fits in int64 is int64 again.

The rules follow AMD UG1399 (Vitis HLS User Guide), "Arbitrary Precision Fixed-Point Data
Types", section "Quantization Modes" and "Overflow Modes": when a value is assigned to an
``ap_fixed<W, I, Q, O>`` the quantization mode ``Q`` first removes the bits below the type's
LSB, then the overflow mode ``O`` fits the result into ``W`` bits. Where the documentation is
silent (huge doubles, NaN, infinities) the behaviour matches the open-source ``ap_fixed.h``
headers, which ``tests/tools/test_fixed_oracle.py`` compiles with g++ and compares bit for bit.
"""

from __future__ import annotations

import contextvars

import numpy as np

from fpgalab.ir.types import FixedType

INT64_BITS = 63  # magnitude bits of a signed int64
_INT64_LIMIT = 1 << INT64_BITS
_FLOAT_EXACT = 1 << 53  # integers below this are exact in float64
_MAX_RIGHT = 62  # larger right shifts are folded onto this one (see _assign)


def is_wide(m) -> bool:
    """True for mantissas held as Python integers (an object array)."""
    return np.asarray(m).dtype == object


def widen(m, bound: int) -> np.ndarray:
    """``m`` as an object array of Python integers when results up to ``bound`` in magnitude would
    not fit in int64, else as it is."""
    m = np.asarray(m)
    if bound >= _INT64_LIMIT and m.dtype != object:
        return m.astype(object)
    return m


def narrow(m: np.ndarray, t: FixedType) -> np.ndarray:
    """Mantissas of type ``t`` back in int64 when ``t``'s range fits there."""
    m = np.asarray(m)
    if m.dtype == object and t.max_int < _INT64_LIMIT and t.min_int >= -_INT64_LIMIT:
        return m.astype(np.int64)
    return m


def max_abs(a: np.ndarray) -> int:
    """Largest magnitude in ``a`` as a Python int (0 for an empty array); exact for int64 and object arrays."""
    a = np.asarray(a)
    if a.size == 0:
        return 0
    return max(int(a.max()), -int(a.min()), 0)


def _as_mantissa(mant) -> np.ndarray:
    m = np.asarray(mant)
    if m.dtype == object:  # Python integers only: a NumPy integer among them would overflow in int64
        return np.asarray(_PYTHON_INT(m), dtype=object) if m.size else m
    if m.dtype.kind not in "iub":
        raise TypeError(f"mantissas must be integers, got dtype {m.dtype}; use from_float for real values")
    if m.dtype == np.uint64 and m.size and m.max() >= _INT64_LIMIT:  # NumPy's type for Python ints in [2**63, 2**64)
        return m.astype(object)
    return m.astype(np.int64, copy=False)


_PYTHON_INT = np.frompyfunc(int, 1, 1)


def _frac_of(t_or_frac) -> int:
    return t_or_frac.frac if isinstance(t_or_frac, FixedType) else int(t_or_frac)


# --------------------------------------------------------------------------- quantization + overflow


def round_right(m: np.ndarray, k, quant: str) -> np.ndarray:
    """``m / 2**k`` (0 <= k <= 62, scalar or array) quantized to an integer (UG1399 "Quantization Modes").

    ``q = floor(m / 2**k)`` plus the mode's increment, decided from the dropped bits: ``rem2``
    is twice the remainder, so ``rem2 == 2**k`` is an exact tie and ``rem2 > 2**k`` is above it.
    """
    q = m >> k
    if quant == "AP_TRN":  # truncate: floor, toward -inf
        return q
    rem2 = (m - (q << k)) << 1
    one = (1 << k) if np.ndim(k) == 0 and m.dtype == object else np.left_shift(1, k)
    above, tie, neg = rem2 > one, rem2 == one, m < 0
    if quant == "AP_TRN_ZERO":  # truncate toward zero: negative values with dropped bits move up
        inc = neg & (rem2 != 0)
    elif quant == "AP_RND":  # round half toward +inf
        inc = above | tie
    elif quant == "AP_RND_ZERO":  # round half toward zero
        inc = above | (tie & neg)
    elif quant == "AP_RND_INF":  # round half away from zero
        inc = above | (tie & ~neg)
    elif quant == "AP_RND_MIN_INF":  # round half toward -inf
        inc = above
    elif quant == "AP_RND_CONV":  # round half to even
        inc = above | (tie & ((q & 1) == 1))
    else:
        raise ValueError(f"unknown quantization mode {quant!r}")
    if np.asarray(q).dtype == object:  # a NumPy bool added to a Python integer would go through int64
        return q + np.asarray(inc).astype(object)
    return q + inc


def _fold_far(m: np.ndarray, k):
    """Right shifts beyond 62 bits: for |m| < 2**62 the value lies strictly between -1/2 and 1/2
    LSB (and is not a tie), so ``(sign(m), 62)`` quantizes identically and shifts safely."""
    far = k > _MAX_RIGHT
    return np.where(far, np.sign(m), m), np.where(far, _MAX_RIGHT, k)


def _left_stand_in(m: np.ndarray, s, t: FixedType) -> np.ndarray:
    """An int64 that ``_fit`` maps to the same result as the exact ``m * 2**s`` (s >= 0).

    ``m << s`` may not fit in int64: for AP_WRAP only the low ``t.width`` bits matter; for the
    saturating modes, comparing ``m`` with the limits shifted right tells overflow exactly, and an
    overflowing value is replaced by ``max + 1`` or ``min - 1``.
    """
    if m.dtype == object:  # Python integers shift without loss
        return m << s
    s = np.minimum(s, INT64_BITS)
    if t.overflow == "AP_WRAP":
        return (m & ((1 << t.width) - 1)) << np.minimum(s, t.width)
    over, under = m > (t.max_int >> s), m < -((-t.min_int) >> s)
    return np.where(over, t.max_int + 1, np.where(under, t.min_int - 1, m << s))


# While a simulation counts overflows (``fpgalab.sim.overflow``): called with (mask of the values out of
# range, the bits the largest of them needs as a signed magnitude, the type) for every assignment that
# wraps or saturates. A context variable, so simulations in other threads count their own.
COUNTER: contextvars.ContextVar = contextvars.ContextVar("fpgalab_overflow_counter", default=None)


def _fit(q: np.ndarray, t: FixedType) -> np.ndarray:
    """Apply ``t``'s overflow mode to integers ``q`` (UG1399 "Overflow Modes")."""
    lo, hi = t.min_int, t.max_int
    if t.overflow == "AP_WRAP":  # keep the low width bits; two's complement for signed types
        if not t.signed:
            return q & ((1 << t.width) - 1)
        half = 1 << (t.width - 1)  # (q + half) mod 2**width - half: int64 wrap-around keeps the low bits right
        return ((q + half) & ((1 << t.width) - 1)) - half
    if t.overflow == "AP_SAT_ZERO":
        return np.where((q > hi) | (q < lo), 0, q)
    if t.overflow == "AP_SAT_SYM" and t.signed:  # symmetric: -max replaces min, also min itself
        return np.clip(q, -hi, hi)
    return np.clip(q, lo, hi)  # AP_SAT (and AP_SAT_SYM of unsigned types)


def _assign(m: np.ndarray, drop, t: FixedType) -> np.ndarray:
    """Assign the exact value ``m * 2**-(t.frac + drop)`` to ``t``; ``drop`` may be an array.

    ``drop > 0`` bits below the target LSB are removed by the quantization mode, then the
    overflow mode applies; ``drop <= 0`` is an exact left shift, only the overflow mode applies.
    """
    counter = COUNTER.get()
    if t.width >= INT64_BITS and m.dtype != object:  # 63- and 64-bit types: limits and masks beyond int64
        m = m.astype(object)
    if np.ndim(drop) == 0:  # one shift for all elements (quantize)
        drop = int(drop)
        if drop <= 0:
            if counter is not None:
                _count(counter, _left_out_of_range(m, -drop, t), m, -drop, t)
            return narrow(_fit(_left_stand_in(m, -drop, t), t), t)
        mr, k = _fold_far(m, drop) if drop > _MAX_RIGHT and m.dtype != object else (m, drop)
        q = round_right(mr, k, t.quant)
        if counter is not None:
            _count(counter, (q > t.max_int) | (q < t.min_int), q, 0, t)
        return narrow(_fit(q, t), t)
    m, drop = np.broadcast_arrays(m, np.asarray(drop, dtype=np.int64))  # per-element shifts (from_float)
    mr, k = _fold_far(m, np.maximum(drop, 0))
    left = np.maximum(-drop, 0)
    right = round_right(mr, k, t.quant)
    if counter is not None:
        shifted = np.where(drop > 0, right, m)
        out = np.where(drop > 0, (right > t.max_int) | (right < t.min_int), _left_out_of_range(m, left, t))
        _count(counter, out, shifted, left, t)
    q = np.where(drop > 0, right, _left_stand_in(m, left, t))
    return _fit(q, t)


def _left_out_of_range(m: np.ndarray, s, t: FixedType) -> np.ndarray:
    """Which exact values ``m * 2**s`` (s >= 0) lie outside ``t``'s range, without forming them."""
    s = s if m.dtype == object else np.minimum(s, INT64_BITS)
    return (m > (t.max_int >> s)) | (m < -((-t.min_int) >> s))


def _count(counter, out_of_range: np.ndarray, m: np.ndarray, s, t: FixedType) -> None:
    """Tell the counter about the values ``m * 2**s`` that do not fit ``t`` (if any)."""
    if not out_of_range.any():
        return
    magnitude = np.abs(np.asarray(m, dtype=np.float64)[out_of_range])
    exponent = np.frexp(magnitude)[1] + np.broadcast_to(s, out_of_range.shape)[out_of_range]
    counter(out_of_range, int(np.max(exponent)) + (1 if t.signed else 0), t)


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
    if a.dtype in (np.float16, np.float32) and a.size:
        fast = _from_single(a, t)
        if fast is not None:
            return fast
    bits = np.array(a, dtype=np.float64, order="C").view(np.uint64)  # keeps 0-d shape
    negative = (bits >> np.uint64(63)) != 0
    exponent = ((bits >> np.uint64(52)) & np.uint64(0x7FF)).astype(np.int64)
    significand = (bits & np.uint64((1 << 52) - 1)).astype(np.int64) | (1 << 52)
    significand = np.where(negative, -significand, significand)
    significand = np.where((bits << np.uint64(1)) == 0, 0, significand)  # +-0.0
    # value = significand * 2**(exponent - 1075), i.e. frac = 1075 - exponent
    return _assign(significand, (1075 - exponent) - t.frac, t)


def _from_single(a: np.ndarray, t: FixedType) -> np.ndarray | None:
    """``from_float`` for finite float32/float16 values whose scaled magnitude is below 2**52, in float64.

    ``v = a * 2**t.frac`` is exact in float64 (24 significant bits, an exponent well inside
    float64's range), and so are ``floor(v)`` and ``v - floor(v)``: the quantization mode decides
    from that remainder as ``round_right`` does from the dropped bits. None for other inputs
    (infinities, NaN, larger values), which take the exact bit-level path.
    """
    v = np.ldexp(a.astype(np.float64), t.frac)
    if not np.isfinite(v).all() or np.abs(v).max() >= 1 << 52:
        return None
    q = np.floor(v)
    quant = t.quant
    if quant != "AP_TRN":
        rem = v - q
        above, tie, neg = rem > 0.5, rem == 0.5, v < 0
        if quant == "AP_TRN_ZERO":
            inc = neg & (rem != 0)
        elif quant == "AP_RND":
            inc = above | tie
        elif quant == "AP_RND_ZERO":
            inc = above | (tie & neg)
        elif quant == "AP_RND_INF":
            inc = above | (tie & ~neg)
        elif quant == "AP_RND_MIN_INF":
            inc = above
        else:  # AP_RND_CONV: half to even
            inc = above | (tie & (np.fmod(q, 2) != 0))
        q = q + inc
    q = q.astype(np.int64) if t.width < INT64_BITS else q.astype(np.int64).astype(object)
    counter = COUNTER.get()
    if counter is not None:
        _count(counter, (q > t.max_int) | (q < t.min_int), q, 0, t)
    return narrow(_fit(q, t), t)


def to_float(mant, t_or_frac) -> np.ndarray:
    """The float64 value ``mant * 2**-frac`` (``t_or_frac``: a FixedType or a fractional-bit count).

    Exact for every mantissa below 2**53 in magnitude (all mantissas of types up to 53 bits);
    wider mantissas are rounded to nearest when converted to float64.
    """
    return np.ldexp(_as_mantissa(mant).astype(np.float64), -_frac_of(t_or_frac))


# --------------------------------------------------------------------------- exact helpers


def align(mant, frac_from: int, frac_to: int) -> np.ndarray:
    """Re-express mantissas with ``frac_to`` fractional bits, exactly.

    A right shift is allowed only when the dropped bits are all zero, else ``ValueError`` (use
    ``quantize`` to drop bits); a left shift beyond int64 gives Python integers.
    """
    m = _as_mantissa(mant)
    shift = int(frac_to) - int(frac_from)
    if shift >= 0:
        return widen(m, max_abs(m) << shift) << shift
    drop = -shift if m.dtype == object else min(-shift, INT64_BITS)
    if np.any(m & ((1 << drop) - 1)):
        raise ValueError(
            f"aligning from {frac_from} to {frac_to} fractional bits would drop non-zero bits; "
            f"use quantize() to round them"
        )
    return m >> drop


def add(a, fa: int, b, fb: int) -> tuple[np.ndarray, int]:
    """Exact full-precision sum of ``a * 2**-fa`` and ``b * 2**-fb``: ``(mantissa, frac)``.

    Like ``ap_fixed`` ``+``, whose result type holds every bit of both operands (UG1399).
    """
    a, b = _as_mantissa(a), _as_mantissa(b)
    f = max(int(fa), int(fb))
    a2, b2 = align(a, fa, f), align(b, fb, f)
    bound = max_abs(a2) + max_abs(b2)
    return widen(a2, bound) + widen(b2, bound), f


def mul(a, fa: int, b, fb: int) -> tuple[np.ndarray, int]:
    """Exact full-precision product of ``a * 2**-fa`` and ``b * 2**-fb``: ``(mantissa, fa + fb)``.

    Like ``ap_fixed`` ``*``, whose result is ``ap_fixed<W1+W2, I1+I2>`` (UG1399).
    """
    a, b = _as_mantissa(a), _as_mantissa(b)
    bound = max_abs(a) * max_abs(b)
    return widen(a, bound) * widen(b, bound), int(fa) + int(fb)


def exact_matmul(a_mant, b_mant) -> np.ndarray:
    """Exact integer ``np.matmul`` of two mantissa arrays (same shape rules as ``np.matmul``).

    When ``max|a| * max|b| * K < 2**53`` (K the contracted length) every product and partial sum
    is an integer float64 holds exactly, so the product runs as a float64 BLAS matmul; else as
    an int64 matmul when the bound is below 2**63; else on Python integers.
    """
    a, b = _as_mantissa(a_mant), _as_mantissa(b_mant)
    k = a.shape[-1] if a.ndim else 1
    bound = max_abs(a) * max_abs(b) * k
    if bound < _FLOAT_EXACT:
        return np.matmul(a.astype(np.float64), b.astype(np.float64)).astype(np.int64)
    return np.matmul(widen(a, bound), widen(b, bound))
