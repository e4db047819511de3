"""Numeric types of the IR: Vitis HLS ``ap_fixed``/``ap_ufixed``, IEEE float32 and 1-bit predicates.

A type is a frozen dataclass; ``parse_type("ap_fixed<16,6,AP_RND,AP_SAT>")`` reads the C++
spelling a designer writes and ``str(t)`` gives it back. The arithmetic on these types lives
in ``fpgalab.sim.fixed``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

QUANT_MODES = ("AP_TRN", "AP_TRN_ZERO", "AP_RND", "AP_RND_ZERO", "AP_RND_INF", "AP_RND_MIN_INF", "AP_RND_CONV")
OVERFLOW_MODES = ("AP_WRAP", "AP_SAT", "AP_SAT_ZERO", "AP_SAT_SYM")
MAX_FIXED_WIDTH = 64  # widest type a user may give (hls4ml's accumulators reach past 32 bits)
MAX_INTERNAL_WIDTH = 256  # widest intermediate (full-precision C++ expression results inside a fused node)


@dataclass(frozen=True)
class FixedType:
    """``ap_fixed<width, integer, quant, overflow>`` (or ``ap_ufixed`` when ``signed`` is False).

    ``integer`` counts the integer bits including the sign bit, as in Vitis HLS; it may be
    negative or larger than ``width``. The value of a mantissa ``m`` is ``m * 2**-frac``.
    """

    width: int
    integer: int
    signed: bool = True
    quant: str = "AP_TRN"
    overflow: str = "AP_WRAP"

    def __post_init__(self):
        if not 1 <= self.width <= MAX_INTERNAL_WIDTH:
            raise ValueError(f"fixed-point width must be 1..{MAX_INTERNAL_WIDTH} bits, got {self.width}")
        if self.signed and self.width < 2 and self.overflow == "AP_SAT_SYM":
            raise ValueError("AP_SAT_SYM needs a signed type of at least 2 bits")
        if self.quant not in QUANT_MODES:
            raise ValueError(f"unknown quantization mode {self.quant!r}; allowed: {', '.join(QUANT_MODES)}")
        if self.overflow not in OVERFLOW_MODES:
            raise ValueError(f"unknown overflow mode {self.overflow!r}; allowed: {', '.join(OVERFLOW_MODES)}")

    @property
    def frac(self) -> int:
        """Fractional bits: the mantissa is scaled by 2**frac."""
        return self.width - self.integer

    @property
    def min_int(self) -> int:
        """Smallest mantissa the type holds."""
        return -(1 << (self.width - 1)) if self.signed else 0

    @property
    def max_int(self) -> int:
        """Largest mantissa the type holds."""
        return (1 << (self.width - 1)) - 1 if self.signed else (1 << self.width) - 1

    @property
    def lsb(self) -> float:
        return 2.0**-self.frac

    @property
    def min_value(self) -> float:
        return self.min_int * self.lsb

    @property
    def max_value(self) -> float:
        return self.max_int * self.lsb

    @property
    def bits(self) -> int:
        return self.width

    def __str__(self) -> str:
        if self.integer == self.width and self.quant == "AP_TRN" and self.overflow == "AP_WRAP":
            return f"{'ap_int' if self.signed else 'ap_uint'}<{self.width}>"  # the same type, as HLS spells it
        name = "ap_fixed" if self.signed else "ap_ufixed"
        args = [str(self.width), str(self.integer)]
        if self.quant != "AP_TRN" or self.overflow != "AP_WRAP":
            args.append(self.quant)
        if self.overflow != "AP_WRAP":
            args.append(self.overflow)
        return f"{name}<{','.join(args)}>"


@dataclass(frozen=True)
class FloatType:
    """IEEE-754 binary32, the only float format fpgalab simulates (LeFlow's arithmetic)."""

    bits: int = 32

    def __str__(self) -> str:
        return "float32"


@dataclass(frozen=True)
class BoolType:
    """A 1-bit predicate, the result of ``compare`` and the selector of ``select``."""

    bits: int = 1

    def __str__(self) -> str:
        return "bool"


NumType = FixedType | FloatType | BoolType
FLOAT32 = FloatType()
BOOL = BoolType()

_FIXED_RE = re.compile(r"^\s*(ap_u?fixed)\s*<\s*([^<>]*)>\s*$")
_INTEGER_RE = re.compile(r"^\s*(ap_u?int)\s*<\s*(\d+)\s*>\s*$")
_INT_RE = re.compile(r"^[+-]?\d+$")
_PRECISION_HELP = (
    "write 'float32', or 'ap_fixed<W,I>' / 'ap_ufixed<W,I>' with optional quantization and overflow modes, "
    "for example 'ap_fixed<16,6>' or 'ap_fixed<18,8,AP_RND_CONV,AP_SAT>'; integer inputs also take "
    "'ap_int<W>' / 'ap_uint<W>'"
)


def integer_type(width: int, signed: bool = True) -> FixedType:
    """``ap_int<width>`` (``ap_uint`` when not signed): a fixed type with no fraction bits."""
    return FixedType(width, width, signed)


def is_integer_type(dtype) -> bool:
    """Whether ``dtype`` holds whole numbers only (``ap_int``/``ap_uint``, or ``ap_fixed<W,W>``)."""
    return isinstance(dtype, FixedType) and dtype.integer == dtype.width


def parse_type(text: str | NumType) -> NumType:
    """Read a precision string; raises ``ValueError`` saying what was wrong and what is allowed."""
    if isinstance(text, (FixedType, FloatType, BoolType)):
        return text
    if not isinstance(text, str):
        raise ValueError(f"precision must be a string, got {type(text).__name__}; {_PRECISION_HELP}")
    stripped = text.strip()
    if stripped.lower() in ("float32", "float", "f32"):
        return FLOAT32
    integer_match = _INTEGER_RE.match(stripped)
    if integer_match:
        kind, width = integer_match.group(1), int(integer_match.group(2))
        if not 1 <= width <= MAX_FIXED_WIDTH:
            raise ValueError(
                f"precision {text!r}: width must be 1..{MAX_FIXED_WIDTH} bits (the exact simulator's limit)"
            )
        return integer_type(width, kind == "ap_int")
    match = _FIXED_RE.match(stripped)
    if not match:
        raise ValueError(f"malformed precision {text!r}: {_PRECISION_HELP}")
    kind, body = match.groups()
    parts = [p.strip() for p in body.split(",")]
    if len(parts) < 2 or len(parts) > 5:
        raise ValueError(
            f"malformed precision {text!r}: expected 2 to 5 template arguments (W, I[, Q[, O[, 0]]]); {_PRECISION_HELP}"
        )
    if not (_INT_RE.match(parts[0]) and _INT_RE.match(parts[1])):
        raise ValueError(
            f"malformed precision {text!r}: width and integer bits must be whole numbers; {_PRECISION_HELP}"
        )
    width, integer = int(parts[0]), int(parts[1])
    quant = parts[2] if len(parts) > 2 else "AP_TRN"
    overflow = parts[3] if len(parts) > 3 else "AP_WRAP"
    if len(parts) == 5 and parts[4] != "0":
        raise ValueError(f"precision {text!r}: saturation bits (the 5th argument) are not supported; only 0 is allowed")
    if not 1 <= width <= MAX_FIXED_WIDTH:
        raise ValueError(f"precision {text!r}: width must be 1..{MAX_FIXED_WIDTH} bits (the exact simulator's limit)")
    try:
        return FixedType(width, integer, kind == "ap_fixed", quant, overflow)
    except ValueError as err:
        raise ValueError(f"precision {text!r}: {err}") from None
