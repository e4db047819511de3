"""Look-up tables through which the hardware computes non-linear functions in fixed point.

As in hls4ml, a function ``f`` over an input range ``[lo, hi)`` is tabulated at ``size`` bins;
the input's value selects a bin and the ROM entry is the (already quantized) output. The
simulator and the C++ backend must agree on every entry and every index, so both are defined
here exactly, in integers.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from fpgalab.ir.types import FixedType
from fpgalab.sim.fixed import COUNTER, INT64_BITS, from_float, quantize
from fpgalab.sim.hls4ml_entries import hls4ml_entries

FUNCTIONS = ("exp", "tanh", "sigmoid", "reciprocal", "rsqrt", "sqrt", "expm1", "log", "log1p", "erf")
# Functions that keep changing beyond their table's range: an input outside it reads an edge entry
# far from the true value, so the simulation counts it as an overflow of the table's input
# (tanh, sigmoid and erf are flat there, and exp below the range is ~0, expm1 ~-1: those clamps
# are what the hardware means to do). log and log1p fall to -inf at the low end of their domain
# and keep growing above it.
UNBOUNDED_ABOVE = ("exp", "reciprocal", "rsqrt", "sqrt", "expm1", "log", "log1p")
UNBOUNDED_BELOW = ("reciprocal", "rsqrt", "sqrt", "log", "log1p")
STYLES = ("fpgalab", "hls4ml")  # bin-centred entries and floor indexing; hls4ml's (see TableSpec)
_DOMAIN_START = {"rsqrt": 0.0, "sqrt": 0.0, "log": 0.0, "log1p": -1.0}


@dataclass(frozen=True)
class TableSpec:
    """A ROM of ``size`` entries tabulating ``function`` over ``[lo, hi)``.

    With ``step = (hi - lo) / size``, entry ``i`` holds ``f(lo + (i + 0.5) * step)``, ``f`` at the
    centre of bin ``i`` evaluated in float64 (``reference_function``), then converted to the
    output type exactly like the ``ap_fixed`` constructor from a double (``from_float``: the
    type's quantization and overflow modes; values beyond the range, and inf, saturate or wrap
    per the type). Bin centres are never 0 for the default tables, so 1/x and 1/sqrt(x) are
    finite there; ``sqrt``, ``rsqrt`` and ``log`` tables must have ``lo >= 0``, ``log1p`` tables
    ``lo >= -1`` (a bin centre is then inside the domain, so every entry is finite).

    The index of input ``x`` is ``floor((x - lo) / step)`` clamped to ``[0, size - 1]``: inputs
    below ``lo`` read entry 0, inputs at or above ``hi`` read the last entry (see
    ``table_index`` for the integer formula).

    ``size`` is a power of two >= 2; ``lo < hi`` are finite floats (every float is a dyadic
    rational, so the index formula is exact).

    hls4ml's tables (``style="hls4ml"``, ``fpgalab.sim.hls4ml_tables`` builds them) differ in three
    ways: the index truncates toward zero instead of flooring (``trunc((x - lo) / step)`` taken
    as ``trunc(x / step) - lo / step``, ``lo / step`` a whole number), entry ``i`` holds ``f`` at the
    bin's left edge ``lo + i * step`` computed in float32 as hls4ml's ``init_*_table`` functions
    do, and each entry is first stored in ``word`` (hls4ml's ``table_t``) and then converted to the
    operation's type.
    """

    function: str
    size: int
    lo: float
    hi: float
    style: str = "fpgalab"
    word: FixedType | None = None

    def __post_init__(self):
        if self.function not in FUNCTIONS:
            raise ValueError(f"unknown table function {self.function!r}; allowed: {', '.join(FUNCTIONS)}")
        if (
            isinstance(self.size, bool)
            or not isinstance(self.size, int)
            or self.size < 2
            or self.size & (self.size - 1)
        ):
            raise ValueError(f"table size must be a power of two >= 2, got {self.size!r}")
        if not (math.isfinite(self.lo) and math.isfinite(self.hi) and self.lo < self.hi):
            raise ValueError(f"table range needs finite lo < hi, got [{self.lo}, {self.hi})")
        if self.style not in STYLES:
            raise ValueError(f"table style must be one of {', '.join(STYLES)}, got {self.style!r}")
        span = Fraction(self.hi) - Fraction(self.lo)
        if self.style == "hls4ml" and (
            Fraction(self.lo) / Fraction(self.step) % 1
            or span.numerator & (span.numerator - 1)
            or span.denominator & (span.denominator - 1)
        ):
            raise ValueError(
                f"an hls4ml-style table needs hi - lo a power of two and lo a whole number of steps, got [{self.lo}, {self.hi})"
            )
        start = _DOMAIN_START.get(self.function)
        if start is not None and self.lo < start:
            raise ValueError(f"{self.function} table range must start at lo >= {start:g}, got {self.lo}")

    @property
    def step(self) -> float:
        return (self.hi - self.lo) / self.size


DEFAULT_TABLES: dict[str, TableSpec] = {
    "exp": TableSpec("exp", 1024, -8.0, 8.0),
    "tanh": TableSpec("tanh", 1024, -4.0, 4.0),
    "sigmoid": TableSpec("sigmoid", 1024, -8.0, 8.0),
    "reciprocal": TableSpec("reciprocal", 1024, 0.0, 64.0),
    "rsqrt": TableSpec("rsqrt", 1024, 0.0, 64.0),
    "sqrt": TableSpec("sqrt", 1024, 0.0, 64.0),
    # expm1 has exp's shape (flat at -1 below the range, ELU's negative side); erf is flat at +-1
    # beyond +-4 like tanh; log is steep near 0 and slow above, so its range is short (steps of
    # 1/64, the first bin reads log(1/128)) and covers a softmax's sum of up to 16 classes;
    # log1p is the same table moved to its domain (-1, ...).
    "expm1": TableSpec("expm1", 1024, -8.0, 8.0),
    "log": TableSpec("log", 1024, 0.0, 16.0),
    "log1p": TableSpec("log1p", 1024, -1.0, 15.0),
    "erf": TableSpec("erf", 1024, -4.0, 4.0),
}


def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def _reciprocal(x):
    return 1.0 / x


def _rsqrt(x):
    return 1.0 / np.sqrt(x)


def _erf(x):
    return np.vectorize(math.erf, otypes=[np.float64])(x)


_REFERENCE = {
    "exp": np.exp,
    "tanh": np.tanh,
    "sigmoid": _sigmoid,
    "reciprocal": _reciprocal,
    "rsqrt": _rsqrt,
    "sqrt": np.sqrt,
    "expm1": np.expm1,
    "log": np.log,
    "log1p": np.log1p,
    "erf": _erf,
}


def reference_function(name: str):
    """The float64 NumPy function a table approximates (sigmoid is ``1 / (1 + exp(-x))``)."""
    try:
        return _REFERENCE[name]
    except KeyError:
        raise ValueError(f"unknown table function {name!r}; allowed: {', '.join(FUNCTIONS)}") from None


def bin_centres(spec: TableSpec) -> np.ndarray:
    """``lo + (i + 0.5) * step`` for every entry, in float64 (exact for dyadic ranges)."""
    return spec.lo + (np.arange(spec.size, dtype=np.float64) + 0.5) * spec.step


def _entry_values(spec: TableSpec) -> np.ndarray:
    if spec.style == "hls4ml":
        return hls4ml_entries(spec)
    with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
        return reference_function(spec.function)(bin_centres(spec))


@functools.lru_cache(maxsize=256)
def table_mantissas(spec: TableSpec, out_type: FixedType) -> np.ndarray:
    """The ROM contents: int64 mantissas of ``out_type`` (read-only, cached per spec and type).

    The C++ backend emits exactly these values.
    """
    values = _entry_values(spec)
    token = COUNTER.set(None)  # the ROM is built once and cached: its saturated entries are no run's overflow
    try:
        if spec.word is not None:  # stored in hls4ml's table_t first, then converted
            rom = quantize(from_float(values, spec.word), spec.word.frac, out_type)
        else:
            rom = from_float(values, out_type)
    finally:
        COUNTER.reset(token)
    rom.setflags(write=False)
    return rom


def index_frac(spec: TableSpec, frac: int) -> int:
    """Fraction bits of the input that the index reads: ``frac``, or fewer when the bits below the grid
    of ``lo`` and ``step`` cannot change ``floor((x - lo) / step)``.

    Both are dyadic (floats), so on the grid of ``2**-g`` (``g`` the finer of their two exponents)
    ``x - lo`` and ``step`` are whole multiples ``u`` and ``S``; the floor of ``x`` to that grid
    moves ``(x - lo) / step`` within ``[u / S, (u + 1) / S)``, which has one floor. So an input
    with more fraction bits is first shifted right (floor) to ``g``: the same index from narrow
    integers, in the simulator and in every backend (the hardware drops those wires).
    """
    if spec.style == "hls4ml":  # truncation toward zero reads every bit (a floor to the grid would move it)
        return int(frac)
    grid = max(0, (Fraction(spec.lo).denominator.bit_length() - 1), (Fraction(spec.step).denominator.bit_length() - 1))
    return min(int(frac), grid)


def index_input_type(spec: TableSpec, in_type: FixedType) -> FixedType | None:
    """The type a backend converts a table's input to before indexing (floor to ``index_frac`` bits,
    saturating to a range that still covers ``[lo, hi]``), or None when ``in_type`` is already narrow.

    Saturating keeps every input beyond ``lo`` or ``hi`` beyond it, so the index clamps the same.
    """
    frac = index_frac(spec, in_type.frac)
    if frac == in_type.frac and in_type.width <= 48:
        return None
    integer = max(abs(math.floor(spec.lo)), abs(math.ceil(spec.hi))).bit_length() + 2
    return FixedType(integer + frac, integer, True, "AP_TRN", "AP_SAT")


@functools.lru_cache(maxsize=1024)
def _index_coefficients(spec: TableSpec, frac: int) -> tuple[int, int, int, int, int]:
    """``(P, Q, R, m_lo, m_hi)`` of ``table_index`` for inputs with ``frac`` fractional bits."""
    lo, hi = Fraction(spec.lo), Fraction(spec.hi)
    scale = Fraction(spec.size) / ((hi - lo) * Fraction(2) ** frac)  # index per mantissa unit
    offset = lo * spec.size / (hi - lo)  # index of x = 0 is -offset
    r = math.lcm(scale.denominator, offset.denominator)
    p, q = int(scale * r), int(offset * r)
    int64_lo, int64_hi = -(1 << INT64_BITS), (1 << INT64_BITS) - 1
    m_lo = max(int64_lo, math.floor(lo * Fraction(2) ** frac))  # index(m_lo) <= 0
    m_hi = min(int64_hi, math.ceil(hi * Fraction(2) ** frac))  # index(m_hi) >= size
    bound = max(abs(m_lo * p), abs(m_hi * p), abs(q), abs(m_lo * p - q), abs(m_hi * p - q), r)
    if bound > int64_hi:
        raise ValueError(
            f"table index of {spec.function} over [{spec.lo}, {spec.hi}) for inputs with {frac} "
            f"fractional bits needs {bound.bit_length() + 1}-bit integers, more than int64"
        )
    return p, q, r, m_lo, m_hi


def table_index(mant, frac: int, spec: TableSpec) -> np.ndarray:
    """Exact ROM index of inputs ``x = mant * 2**-frac``: ``floor((x - lo) / step)`` in ``[0, size-1]``.

    Integer formula (for a C++ emitter): with the exact rationals
    ``scale = size / ((hi - lo) * 2**frac)`` and ``offset = lo * size / (hi - lo)``, let ``R`` be
    the least common denominator of both, ``P = scale * R`` and ``Q = offset * R`` (integers).
    Then ``index = clamp(floor_div(clamp(mant, m_lo, m_hi) * P - Q, R), 0, size - 1)`` where
    ``m_lo = floor(lo * 2**frac)`` and ``m_hi = ceil(hi * 2**frac)``; the first clamp only keeps
    the products small (it cannot change the clamped index). ``floor_div`` rounds toward -inf
    (when ``R`` is a power of two it is an arithmetic right shift). For the default tables the
    step is a power of two, so ``P`` or ``R`` is 1. All intermediates fit in int64, else
    ``ValueError``.
    """
    m, reduced = np.asarray(mant), index_frac(spec, frac)
    m = m if m.dtype == object else m.astype(np.int64)
    if reduced < frac:
        m, frac = m >> (int(frac) - reduced), reduced
    p, q, r, m_lo, m_hi = _index_coefficients(spec, int(frac))
    unclipped = m
    m = np.clip(m, m_lo, m_hi).astype(np.int64) if m.dtype == object else np.clip(m, m_lo, m_hi)
    if spec.style == "hls4ml":  # trunc(x / step) - lo / step; q is a multiple of r
        t = m * p
        raw = np.where(t < 0, -((-t) // r), t // r) - q // r
    else:
        raw = (m * p - q) // r
    counter = COUNTER.get()
    if counter is not None:
        beyond = np.zeros(raw.shape, dtype=bool)
        if spec.function in UNBOUNDED_ABOVE:
            beyond |= raw >= spec.size
        if spec.function in UNBOUNDED_BELOW:  # m_lo itself may read entry 0 (lo on the input's grid)
            beyond |= (raw < 0) | (unclipped < m_lo)
        if beyond.any():
            counter(beyond, 0, spec)
    return np.clip(raw, 0, spec.size - 1)


def lookup(mant, frac: int, spec: TableSpec, out_type: FixedType) -> np.ndarray:
    """The ROM entries (mantissas of ``out_type``) read for inputs ``mant * 2**-frac``."""
    return table_mantissas(spec, out_type)[table_index(mant, frac, spec)]
