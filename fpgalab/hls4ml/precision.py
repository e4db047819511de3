"""hls4ml's precision strings, read into fpgalab's types and written back as hls4ml writes them.

hls4ml reads AP notation with or without the ``ap_`` prefix (``FPGABackend.convert_precision_string``
in hls4ml/backends/fpga/fpga_backend.py): ``fixed<16,6>``, ``ufixed<8,0>``, ``int<8>``, ``uint<4>``,
``ap_fixed<16,6,AP_RND_CONV,AP_SAT>``, modes with or without ``AP_`` (``fixed<18,8,RND,SAT,0>``, the
form ``str(FixedPrecisionType)`` prints), and ``auto`` where its precision inference has a rule.
"""

from __future__ import annotations

import re

from fpgalab.ir.types import MAX_FIXED_WIDTH, OVERFLOW_MODES, QUANT_MODES, FixedType, parse_type
from fpgalab.options import AUTO, AutoType

_AP_RE = re.compile(r"^(ap_)?(u)?(fixed|int)\s*<\s*([^<>]*)>$")
_HELP = (
    "hls4ml's precision strings are 'fixed<W,I>', 'ufixed<W,I>', 'int<W>', 'uint<W>' (with or without 'ap_'), "
    "optionally with rounding and saturation modes ('fixed<18,8,RND,SAT,0>', 'ap_fixed<16,6,AP_RND_CONV,AP_SAT>'), or 'auto'"
)


def _mode(text: str, allowed: tuple, what: str, where: str) -> str:
    mode = "AP_" + text.strip().upper().removeprefix("AP_")
    if mode not in allowed:
        names = ", ".join(m.removeprefix("AP_") for m in allowed)
        raise ValueError(f"{where}: unknown {what} mode {text.strip()!r}; hls4ml and fpgalab take {names}")
    return mode


def parse_hls4ml_type(text, where: str = "precision") -> FixedType | AutoType:
    """A precision string as hls4ml reads it: a ``FixedType``, or ``AUTO`` for ``"auto"``.

    ``ValueError`` names ``where`` and the forms allowed. Float types (``float``, ``ap_float``) are refused:
    hls4ml's io_parallel and io_stream designs, which fpgalab models, are fixed point."""
    if isinstance(text, (FixedType, AutoType)):
        return text
    if not isinstance(text, str):
        raise ValueError(f"{where}: a precision must be a string, got {text!r}; {_HELP}")
    stripped = text.strip()
    if stripped.lower() == "auto":
        return AUTO
    match = _AP_RE.match(stripped)
    if not match:
        raise ValueError(f"{where}: unknown precision {text!r}; {_HELP}")
    _, unsigned, kind, body = match.groups()
    args = [a.strip() for a in body.split(",")]
    if not all(re.fullmatch(r"[+-]?\d+", a) for a in args[:2]):
        raise ValueError(f"{where}: malformed precision {text!r}: width and integer bits must be whole numbers")
    width = int(args[0])
    if not 1 <= width <= MAX_FIXED_WIDTH:
        raise ValueError(f"{where}: precision {text!r}: width must be 1..{MAX_FIXED_WIDTH} bits")
    if kind == "int":
        if len(args) != 1:
            raise ValueError(f"{where}: malformed precision {text!r}: an integer type takes one argument, its width")
        return parse_type(f"ap_{'u' if unsigned else ''}int<{width}>")
    if not 2 <= len(args) <= 5:
        raise ValueError(f"{where}: malformed precision {text!r}: expected 2 to 5 arguments (W, I[, Q[, O[, N]]])")
    quant = _mode(args[2], QUANT_MODES, "rounding", where) if len(args) > 2 else "AP_TRN"
    overflow = _mode(args[3], OVERFLOW_MODES, "saturation", where) if len(args) > 3 else "AP_WRAP"
    if len(args) == 5 and args[4] != "0":
        raise ValueError(
            f"{where}: precision {text!r}: saturation bits (the 5th argument) other than 0 are not modelled by fpgalab"
        )
    return FixedType(width, int(args[1]), not unsigned, quant, overflow)


def hls4ml_type_text(dtype, given: str | None = None) -> str:
    """``dtype`` as hls4ml writes it: ``given`` itself when it reads as the same type (so ``fixed<16,6>``
    and ``ap_fixed<16,6,AP_RND_CONV,AP_SAT>`` come back as written), else hls4ml's own spelling:
    ``fixed<W,I>`` for the default modes, ``fixed<W,I,RND,SAT,0>`` (``str(FixedPrecisionType)``) otherwise,
    ``int<W>``/``uint<W>`` for integers, ``auto``."""
    if given is not None:
        try:
            if parse_hls4ml_type(given) == dtype:
                return given
        except ValueError:
            pass
    if isinstance(dtype, AutoType):
        return "auto"
    if not isinstance(dtype, FixedType):
        raise ValueError(f"hls4ml configurations hold fixed-point types; this design uses {dtype}")
    sign = "" if dtype.signed else "u"
    if dtype.quant == "AP_TRN" and dtype.overflow == "AP_WRAP":
        if dtype.integer == dtype.width:
            return f"{sign}int<{dtype.width}>"
        return f"{sign}fixed<{dtype.width},{dtype.integer}>"
    quant, overflow = dtype.quant.removeprefix("AP_"), dtype.overflow.removeprefix("AP_")
    return f"{sign}fixed<{dtype.width},{dtype.integer},{quant},{overflow},0>"


def fpgalab_type_text(dtype) -> str:
    """The spelling ``fpgalab.compile``'s ``precision`` option reads (``ap_fixed<...>`` or ``auto``)."""
    return "auto" if isinstance(dtype, AutoType) else str(dtype)
