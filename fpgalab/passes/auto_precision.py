"""The ``auto`` precision role: types that follow from the operands, exactly where they can.

A QONNX model fixes the types of the tensors its ``Quant`` nodes produce; the layers between them
(a MatMul of quantized operands, a batch normalization, a ReLU) have no type of their own. Like
hls4ml's precision inference for QONNX models, ``auto`` gives them the type their operands imply:

- a sum of products (Dot, Conv, a sum pool or reduction): every bit it can grow to, the product's
  integer and fraction bits plus ``ceil(log2(terms))`` integer bits (plus one for a bias), so
  nothing is rounded or wraps before the next Quant decides;
- an elementwise expression: the full-precision (C++ ``natural``) type of its result;
- a max or min: the type of its operand;
- a constant without a type of its own (a batch normalization's scale): the narrowest exact type of
  its values when that has at most ``CONSTANT_WIDTH`` bits, else ``CONSTANT_WIDTH`` bits with the
  integer bits its largest value needs.

Every result is at most ``MAX_FIXED_WIDTH`` (64) bits: past that, fraction bits are dropped.
"""

from __future__ import annotations

import math

import numpy as np

from fpgalab.ir.types import MAX_FIXED_WIDTH, FixedType

CONSTANT_WIDTH = 32  # bits of a constant whose values have no short exact form (float32 has 24)


def _bounded(integer: int, frac: int, signed: bool) -> FixedType:
    integer = min(integer, MAX_FIXED_WIDTH)
    frac = min(frac, MAX_FIXED_WIDTH - integer)
    return FixedType(max(1, integer + frac), integer, signed)


def constant_type(values) -> FixedType:
    """The type of constant ``values`` that have none of their own (see the module doc)."""
    flat = np.asarray(values, dtype=np.float64).reshape(-1)
    flat = flat[np.isfinite(flat)]
    signed = bool(flat.size == 0 or np.any(flat < 0))
    largest = float(np.max(np.abs(flat))) if flat.size else 0.0
    integer = (math.frexp(largest)[1] if largest > 0 else 0) + int(signed)
    frac = 0
    while frac <= CONSTANT_WIDTH and not np.array_equal(np.round(flat * 2.0**frac), flat * 2.0**frac):
        frac += 1
    if integer + frac <= CONSTANT_WIDTH:
        return FixedType(max(1, integer + frac), integer, signed)
    return FixedType(CONSTANT_WIDTH, integer, signed)


def sum_type(term: FixedType, terms: int, start: FixedType | None = None) -> FixedType:
    """The exact type of a sum of ``terms`` values of type ``term`` (and of ``start``, a bias)."""
    integer = term.integer + int(not term.signed) + max(0, math.ceil(math.log2(max(terms, 1))))  # a sign bit
    frac = term.frac
    if start is not None:
        integer, frac = max(integer, start.integer) + 1, max(frac, start.frac)
    return _bounded(integer, frac, True)


def product_type(a: FixedType, b: FixedType) -> FixedType:
    return _bounded(a.integer + b.integer, a.frac + b.frac, a.signed or b.signed)


def natural(integer: int, frac: int, signed: bool) -> FixedType:
    """A full-precision type of at most 64 bits."""
    return _bounded(integer, frac, signed)
