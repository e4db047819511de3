"""QONNX's quantizers: ``Quant``, ``BipolarQuant`` and ``Trunc`` set the arithmetic of what they produce.

QONNX defines them on floats (``qonnx.custom_op.general``): ``Quant`` gives
``(clip(round(x / scale + zeropt), lo, hi) - zeropt) * scale`` with ``lo``/``hi`` from the bit width,
``signed`` and ``narrow``; ``BipolarQuant`` gives ``±scale`` by the sign of ``x``; ``Trunc`` drops
low bits of an already quantized value. In hardware such a tensor is a fixed-point number:

- A power-of-two scale ``2**-F`` with zero point 0 is exactly ``ap_fixed<bits, bits - F>`` (``ap_ufixed``
  when unsigned), its rounding mode an ``ap_fixed`` quantization mode (``ROUNDING``) and its clip a
  saturation (``AP_SAT``; ``AP_SAT_SYM`` for signed narrow range). The node becomes an elementwise
  node of that type marked ``given_type``: precision assignment keeps it, and ``passes.merge_quant``
  gives it to the layer that produces its input, as hls4ml gives a Quant's type to the layer before.
- Any other scale or zero point: the integer ``clip(round(x * (1/scale) + zeropt))`` in an ``ap_int``
  of the node's width (given type), then ``(q - zeropt) * scale``, an explicit multiply by a constant
  in the design's precision, costed as one.
- On weights (an initializer), the node runs now, as QONNX computes it; with power-of-two scales the
  values keep the exact type they have (the integers they are, times the scale), so the ROM stores
  ``bits``-wide words and the multiplier sees narrow operands.
"""

from __future__ import annotations

import math

import numpy as np

from fpgalab.errors import CompileError
from fpgalab.frontend.lowering import Known, ScaledIntegers, View
from fpgalab.frontend.onnx.rules import known_input, rule, shape_of
from fpgalab.frontend.tf.rules import elementwise
from fpgalab.ir import nodes as ir
from fpgalab.ir.types import BOOL, MAX_FIXED_WIDTH, FixedType
from fpgalab.options import DEFAULT_PRECISION

# A QONNX model's precision when none is given: inputs as the default design's, every other role
# "auto" (the type its operands imply: fpgalab.passes.auto_precision), so that only Quants round
QONNX_PRECISION = {"input": "ap_fixed<16,6>", "weight": "auto", "bias": "auto", "result": "auto"}


def model_precision(kernel: ir.Kernel):
    """The precision a lowered ONNX model gets when the user gives none: ``QONNX_PRECISION`` when
    its Quant nodes gave types, else the default."""
    given = any(n.given_type for n in kernel.nodes) or any(c.given_type for c in kernel.constants)
    return dict(QONNX_PRECISION) if given else DEFAULT_PRECISION  # the options' default


# QONNX rounding mode -> the ap_fixed quantization mode that rounds the same way (None: built from ceil)
ROUNDING = {
    "ROUND": "AP_RND_CONV",  # numpy's round: half to even
    "HALF_EVEN": "AP_RND_CONV",
    "FLOOR": "AP_TRN",
    "DOWN": "AP_TRN_ZERO",  # toward zero
    "HALF_UP": "AP_RND_INF",  # half away from zero
    "HALF_DOWN": "AP_RND_ZERO",  # half toward zero
    "CEIL": None,
    "UP": None,  # away from zero
}


def _mode(site, default: str) -> str:
    mode = str(site.attr("rounding_mode", default)).upper()
    if mode not in ROUNDING:
        raise CompileError(
            f"{site.where()}: rounding_mode {mode!r} is not one QONNX defines; allowed: {', '.join(ROUNDING)}"
        )
    return mode


def int_range(signed: bool, narrow: bool, bits: int) -> tuple[int, int]:
    """The integers a QONNX quantizer of ``bits`` bits clips to."""
    if signed:
        return -(1 << (bits - 1)) + int(narrow), (1 << (bits - 1)) - 1
    return 0, (1 << bits) - 1 - int(narrow)


def round_values(values: np.ndarray, mode: str) -> np.ndarray:
    """QONNX's rounding functions on float arrays."""
    if mode in ("ROUND", "HALF_EVEN"):
        return np.round(values)
    magnitude = np.abs(values)
    return {
        "CEIL": np.ceil,
        "FLOOR": np.floor,
        "DOWN": np.trunc,
        "UP": lambda v: np.sign(v) * np.ceil(magnitude),
        "HALF_UP": lambda v: np.sign(v) * np.floor(magnitude + 0.5),
        "HALF_DOWN": lambda v: np.sign(v) * np.ceil(magnitude - 0.5),
    }[mode](values)


def _bit_width(site, array, what: str = "bit width") -> int:
    flat = np.asarray(array).reshape(-1)
    if flat.size != 1 or flat[0] != int(flat[0]) or not 1 <= int(flat[0]) <= MAX_FIXED_WIDTH:
        raise CompileError(
            f"{site.where()}: its {what} must be one whole number from 1 to {MAX_FIXED_WIDTH}, got {flat.tolist()}"
        )
    return int(flat[0])


def power_of_two(array) -> np.ndarray | None:
    """The exponents ``e`` with ``array == 2**e`` elementwise (None unless every element is one)."""
    values = np.asarray(array, dtype=np.float64)
    if values.size == 0 or np.any(values <= 0):
        return None
    exponents = np.round(np.log2(values))
    return exponents.astype(int) if np.array_equal(np.exp2(exponents), values) else None


def quantized_type(bits: int, exponents: np.ndarray, signed: bool) -> FixedType:
    """The type that holds ``bits``-bit integers times ``2**e`` for every ``e`` in ``exponents`` exactly."""
    low, high = int(np.min(exponents)), int(np.max(exponents))
    width = bits + (high - low)
    if width > MAX_FIXED_WIDTH:
        raise ValueError(f"scales from 2**{low} to 2**{high} need {width} bits, more than {MAX_FIXED_WIDTH}")
    return FixedType(width, width + low, signed)


def _signs_type(exponents: np.ndarray) -> FixedType:
    """The type of ``±2**e`` for every ``e`` in ``exponents``."""
    low, high = int(np.min(exponents)), int(np.max(exponents))
    return FixedType(2 + high - low, 2 + high, True)


def _given(lw, site, x, expr, dtype: FixedType):
    """An elementwise node over ``x`` whose type is the model's own (kept by precision assignment)."""
    shape = shape_of(x)
    buffer = lw.buffer(x, site.name + "_in", site.op_name)
    node = ir.Elementwise(
        lw.fresh(site.name),
        (buffer.name,),
        shape,
        dtype,
        expr=expr,
        in_dims=(tuple(range(len(shape))),),
        given_type=True,
        **lw.common(site),
    )
    return lw.add_node(node)


def _exact_const(value: float) -> ir.Const:
    """A power of two, zero or small integer as a constant of the type that holds it exactly."""
    if value == 0:
        return ir.Const(0.0, FixedType(1, 1, True))
    exponent = math.frexp(abs(value))[1]
    mantissa = abs(value) * 2.0 ** (20 - exponent)
    if mantissa != int(mantissa):
        raise ValueError(f"constant {value} has no short exact fixed-point form")
    return ir.Const(float(value), FixedType(22, exponent + 1, True))


def _rounded(x_expr, mode: str, frac: int, dtype: FixedType):
    """``x`` rounded to the grid ``2**-frac`` by ``mode`` and converted (saturated) to ``dtype``.

    Modes with an ap_fixed equivalent are the conversion itself; ``CEIL`` is ``ceil(x * 2**frac) *
    2**-frac``, ``UP`` (away from zero) picks ceil or floor by the sign, both of full precision inside."""
    if ROUNDING[mode] is not None:
        return x_expr if isinstance(x_expr, ir.Arg) else ir.Op(x_expr.op, x_expr.args, dtype)

    def on_grid(op: str):
        scaled = ir.Op("mul", (x_expr, _exact_const(2.0**frac)), None)
        return ir.Op("mul", (ir.Op(op, (scaled,), None), _exact_const(2.0**-frac)), None)

    if mode == "CEIL":
        root = on_grid("ceil")
    else:
        positive = ir.Op("cmp_ge", (x_expr, _exact_const(0.0)), BOOL)
        root = ir.Op("select", (positive, on_grid("ceil"), on_grid("floor")), None)
    return ir.Op(root.op, root.args, dtype)


def _activation_type(bits: int, frac: int, signed: bool, narrow: bool, mode: str) -> FixedType:
    overflow = "AP_SAT_SYM" if signed and narrow and bits >= 2 else "AP_SAT"
    return FixedType(bits, bits - frac, signed, ROUNDING[mode] or "AP_TRN", overflow)


def _quantize(lw, site, x, bits: int, frac: int, signed: bool, narrow: bool, mode: str):
    """``x`` quantized to ``bits``-bit integers times ``2**-frac`` (QONNX's clip, then rounding)."""
    dtype = _activation_type(bits, frac, signed, narrow, mode)
    expr = ir.Arg(0)
    if narrow and not signed:  # the top code is left out: no ap_fixed saturation mode clips there
        expr = ir.Op("min", (expr, _exact_const(((1 << bits) - 2) * 2.0**-frac)), None)
    return _given(lw, site, x, _rounded(expr, mode, frac, dtype), dtype)


def _bipolar(lw, site, x, scale: np.ndarray):
    """``+scale`` where ``x >= 0``, else ``-scale``: a power-of-two ``scale`` directly, other scales as
    ``±1`` (``ap_int<2>``) times ``scale``."""
    exponents = power_of_two(scale)
    unit = 0 if exponents is None or exponents.size != 1 else int(exponents.reshape(-1)[0])
    dtype = FixedType(2, 2 + unit, True)
    step = 2.0**unit
    positive = ir.Op("cmp_ge", (ir.Arg(0), _exact_const(0.0)), BOOL)
    expr = ir.Op("select", (positive, _exact_const(step), _exact_const(-step)), dtype)
    signs = _given(lw, site, x, expr, dtype)
    if exponents is not None and exponents.size == 1:
        return signs
    return _times(lw, site, signs, scale)


def _times(lw, site, value, constant: np.ndarray):
    shape = shape_of(value)
    array = np.broadcast_to(np.asarray(constant, np.float32), np.broadcast_shapes(np.shape(constant), shape))
    factor = Known(np.ascontiguousarray(array).reshape(shape), lw.fresh(site.name + "_scale"))
    if factor.array.size == 1 or np.all(factor.array == factor.array.reshape(-1)[0]):
        factor = View(Known(factor.array.reshape(-1)[:1].reshape(()), factor.name), (), shape)
    return elementwise(lw, site.at(shape), "mul", [value, factor])


def quant_values(x, scale, zeropt, bits: int, signed: bool, narrow: bool, mode: str) -> np.ndarray:
    """QONNX's Quant on a float array (in float32, as its executor computes)."""
    scaled = np.asarray(x, np.float32) / np.float32(scale) + np.float32(zeropt)
    if bits == 1 and signed:
        integers = np.where(scaled >= 0, np.float32(1), np.float32(-1))
    else:
        low, high = int_range(signed, narrow, bits)
        integers = round_values(np.clip(scaled, low, high), mode)
    return ((integers - np.float32(zeropt)) * np.float32(scale)).astype(np.float32)


@rule("Quant")
def _quant(lw, site, args):
    scale, zeropt = (known_input(lw, site, args, k, what) for k, what in ((1, "scale"), (2, "zero point")))
    if scale is None or zeropt is None or len(args) < 4:
        raise CompileError(f"{site.where()}: Quant takes x, scale, zero point and bit width (4 inputs)")
    bits = _bit_width(site, known_input(lw, site, args, 3, "bit width"))
    signed, narrow = bool(int(site.attr("signed", 1))), bool(int(site.attr("narrow", 0)))
    mode = _mode(site, "ROUND")
    if np.any(np.asarray(scale) <= 0):
        raise CompileError(f"{site.where()}: its scale must be positive")
    exponents = power_of_two(scale)
    plain = exponents is not None and not np.any(np.asarray(zeropt))
    known = lw.known(args[0])
    if known is not None:  # weights: quantized now, stored as the integers they are
        values = quant_values(known.array, scale, zeropt, bits, signed, narrow, mode)
        if plain:
            dtype = _signs_type(exponents) if bits == 1 and signed else quantized_type(bits, exponents, signed)
        elif not np.any(np.asarray(zeropt)):  # integers times a scale the layer applies to its result
            full = np.broadcast_to(np.asarray(scale, np.float32), values.shape)
            dtype = ScaledIntegers(FixedType(2, 2) if bits == 1 and signed else FixedType(bits, bits, signed), full)
        else:
            dtype = None  # a zero point: the values, in the design's weight type
        return Known(values, lw.fresh(site.name), dtype)
    if bits == 1 and signed:
        return _bipolar(lw, site, args[0], scale)
    if plain and exponents.size == 1:
        return _quantize(lw, site, args[0], bits, -int(exponents.reshape(-1)[0]), signed, narrow, mode)
    shape = shape_of(args[0])
    shifted = _times(lw, site, args[0], 1.0 / np.asarray(scale, np.float64))
    if np.any(np.asarray(zeropt)):
        shifted = elementwise(lw, site.at(shape), "add", [shifted, _broadcast(lw, site, zeropt, shape)])
    integers = _quantize(lw, site, shifted, bits, 0, signed, narrow, mode)
    if np.any(np.asarray(zeropt)):
        integers = elementwise(lw, site.at(shape), "sub", [integers, _broadcast(lw, site, zeropt, shape)])
    return _times(lw, site, integers, scale)


def _broadcast(lw, site, array, shape):
    full = np.broadcast_to(np.asarray(array, np.float32), shape)
    return Known(np.ascontiguousarray(full), lw.fresh(site.name + "_zero"))


@rule("BipolarQuant")
def _bipolar_quant(lw, site, args):
    scale = known_input(lw, site, args, 1, "scale")
    if scale is None or np.any(np.asarray(scale) <= 0):
        raise CompileError(f"{site.where()}: BipolarQuant takes x and a positive scale")
    known = lw.known(args[0])
    if known is not None:
        values = (np.where(known.array >= 0, np.float32(1), np.float32(-1)) * np.float32(scale)).astype(np.float32)
        exponents = power_of_two(scale)
        return Known(values, lw.fresh(site.name), None if exponents is None else _signs_type(exponents))
    return _bipolar(lw, site, args[0], scale)


@rule("Trunc")
def _trunc(lw, site, args):
    """QONNX's Trunc: the quantized ``x`` (scale, zero point, ``in`` bits) keeps its top ``out`` bits.

    Version 1 (5 inputs) gives ``rnd(round(x / s) / 2**(in - out)) * s`` (no clip); version 2
    (6 inputs, an output scale) ``clip(rnd(round(x / s) / 2**k)) * s_out`` with ``2**k = s_out / s``.
    Power-of-two scales and zero point 0: two given-type conversions (to the input grid, half to
    even, then to the output type)."""
    if len(args) not in (5, 6):
        raise CompileError(f"{site.where()}: Trunc takes 5 inputs (QONNX version 1) or 6 (version 2)")
    scale, zeropt = known_input(lw, site, args, 1, "scale"), known_input(lw, site, args, 2, "zero point")
    in_bits = _bit_width(site, known_input(lw, site, args, 3, "input bit width"), "input bit width")
    out_bits = _bit_width(site, known_input(lw, site, args, len(args) - 1, "output bit width"), "output bit width")
    mode = _mode(site, "FLOOR")
    exponents = power_of_two(scale)
    out_exponents = power_of_two(known_input(lw, site, args, 4, "output scale")) if len(args) == 6 else exponents
    if exponents is None or out_exponents is None or exponents.size != 1 or out_exponents.size != 1:
        raise CompileError(f"{site.where()}: fpgalab lowers Trunc with one power-of-two scale (and output scale)")
    if np.any(np.asarray(zeropt)):
        raise CompileError(f"{site.where()}: fpgalab lowers Trunc with zero point 0")
    frac = -int(exponents.reshape(-1)[0])
    on_grid = _quantize(lw, site, args[0], in_bits + 1, frac, True, False, "ROUND")  # signed or unsigned input
    if len(args) == 5:  # version 1: the value divided by 2**(in - out), on the input's grid, no clip
        shift = in_bits - out_bits
        halved = ir.Op("mul", (ir.Arg(0), _exact_const(2.0**-shift)), None)
        dtype = FixedType(out_bits + 1, out_bits + 1 - frac, True, ROUNDING[mode] or "AP_TRN", "AP_SAT")
        return _given(lw, site, on_grid, _rounded(halved, mode, frac, dtype), dtype)
    signed, narrow = bool(int(site.attr("signed", 1))), bool(int(site.attr("narrow", 0)))
    return _quantize(lw, site, on_grid, out_bits, -int(out_exponents.reshape(-1)[0]), signed, narrow, mode)


def integer_weights(lw, value, reduced_axes: tuple[int, ...]):
    """Weights of a Dot or Conv as the integers a QONNX Quant made of them, and the scale that
    multiplies the layer's result: ``(weights, scale)``, the scale an array over the weights'
    other axes (their output channels), or None when the weights are plain values (any scale that
    changes along ``reduced_axes`` leaves the values as they are)."""
    known = lw.known(value)
    if known is None or not isinstance(known.dtype, ScaledIntegers):
        return value, None
    scale = np.asarray(known.dtype.scale, np.float32)
    first = scale[tuple(slice(0, 1) if k in reduced_axes else slice(None) for k in range(scale.ndim))]
    if not np.array_equal(np.broadcast_to(first, scale.shape), scale):
        return Known(known.array, known.name), None
    integers = Known(known.dtype.integers(known.array), known.name, known.dtype.dtype)
    kept = tuple(k for k in range(scale.ndim) if k not in reduced_axes)
    return integers, first.reshape(tuple(scale.shape[k] for k in kept))


def rescaled(lw, site, y, scale: np.ndarray | None):
    """A Dot's or Conv's result ``y`` times the per-output-channel ``scale`` of its integer weights
    (the scale's axes are ``y``'s last ones), an elementwise multiply by a constant."""
    if scale is None:
        return y
    shape = shape_of(y)
    dims = tuple(range(len(shape) - scale.ndim, len(shape)))
    if np.all(scale == scale.reshape(-1)[0]):
        factor = View(Known(scale.reshape(-1)[:1].reshape(()), lw.fresh(site.name + "_wscale")), (), shape)
    else:
        factor = View(Known(np.ascontiguousarray(scale), lw.fresh(site.name + "_wscale")), dims, shape)
    return elementwise(lw, site.at(shape), "mul", [y, factor])
