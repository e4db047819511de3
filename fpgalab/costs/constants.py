"""Multiplies by a constant: what HLS makes of ``x * w`` when ``w`` is a known weight.

hls4ml's Latency strategy writes every weight as a constant (an initialised array indexed by
constants once the loops are unrolled, HLS4ML_FACTS.md section 2) and, from hls4ml 0.5 on, inlines
the product, so the HLS front end simplifies each multiply by its constant:

* ``w = 0``: no operator at all, and no adder input;
* ``w = +-2^k`` (one nonzero digit in canonical signed digits): a shift, plus a negation if negative;
* two nonzero signed digits (``2^a +- 2^b``): a shift and one adder;
* three or more: a multiplier, in a DSP when the product is wide enough (the part's
  ``multiply_uses_dsp`` of the data width and the constant's width once its trailing zeros are
  dropped, at least 5 bits for three signed digits), else in LUTs.

Source: the csynth expression tables of hls4ml 0.7.1 projects built with Vivado HLS 2019.2 on
xcu250 (Hector-Plata/hls4ml-tutorial @ 4ac4f07 and 9f451d8, ``model_1``/``model_2``, per-layer
``dense_latency_*_csynth.rpt``): with the published weights this rule gives 114/114, 36/36, 200/200,
355/353, 349/346, 590/584, 218/218 and 498/481 multipliers for the layers listed there (each layer's
``mul`` operations, DSP48E 1 at 5-12 constant bits; the few 4-bit constant multiplies those reports
also list in LUTs are not modelled). hls4ml 0.4 and earlier kept the product
as a separate function (``#pragma HLS inline off`` in ``nnet::product``), so every nonzero weight
had its own multiplier: ``simplify=False`` below.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from fpgalab.parts import Device

KINDS = ("zero", "shift", "shift_add", "lut_mul", "dsp")


def csd_digits(mantissa: int) -> int:
    """Nonzero digits of ``mantissa`` in canonical signed-digit form (the fewest +-2^k terms)."""
    value, digits = int(mantissa), 0
    while value:
        if value & 1:
            value -= 2 - (value & 3)  # the digit is +1 or -1, whichever leaves a multiple of 4
            digits += 1
        value >>= 1
    return digits


def significant_bits(mantissa: int) -> int:
    """Bits of the constant as HLS sizes it: its odd part, signed."""
    value = abs(int(mantissa))
    if value == 0:
        return 0
    while value % 2 == 0:
        value //= 2
    return value.bit_length() + 1


def classify(mantissa: int, data_bits: int, device: Device, simplify: bool = True) -> str:
    """What ``x * w`` becomes for a weight of integer ``mantissa`` and data ``x`` of ``data_bits`` bits."""
    if mantissa == 0:
        return "zero"
    if simplify:
        digits = csd_digits(mantissa)
        if digits == 1:
            return "shift"
        if digits == 2:
            return "shift_add"
    width = significant_bits(mantissa) if simplify else max(2, abs(int(mantissa)).bit_length() + 1)
    if device.multiply_uses_dsp(data_bits, width):
        return "dsp"
    return "lut_mul"


@dataclass(frozen=True)
class ConstantProducts:
    """How the products of one weight matrix are built: a count per kind, and the widest column."""

    counts: dict  # kind -> products of that kind
    terms_per_output: int  # the most nonzero products summed into one output (its adder tree)
    total: int  # all products, zeros included (n_in x n_out)

    @property
    def multipliers(self) -> int:
        return self.counts.get("dsp", 0) + self.counts.get("lut_mul", 0)

    @property
    def nonzero(self) -> int:
        return self.total - self.counts.get("zero", 0)


def constant_products(mantissas, data_bits: int, device: Device, simplify: bool = True) -> ConstantProducts:
    """Classify every weight of an ``[n_in, n_out]`` matrix of integer mantissas (``numpy`` array)."""
    counts = Counter(classify(int(m), data_bits, device, simplify) for m in mantissas.reshape(-1))
    columns = mantissas.reshape(mantissas.shape[0], -1)
    terms = int((columns != 0).sum(axis=0).max()) if columns.size else 0
    return ConstantProducts({kind: counts.get(kind, 0) for kind in KINDS}, terms, int(mantissas.size))
