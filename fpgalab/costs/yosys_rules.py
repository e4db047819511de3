"""What Yosys does with multiplies and memories, as numbers the cost functions can use.

The fidelity check of fpgalab synthesizes the generated Verilog with Yosys (PyPI ``pyosys``
0.70: ``synth_xilinx -family xcup|xc7``, ``synth_ecp5``) and needs DSP and BRAM counts equal to
the estimate. Two Yosys passes decide those counts; this module mirrors them:

* ``techmap -map +/mul2dsp.v`` splits a ``$mul`` into DSP-sized partial products, summed by
  fabric adders (``share/mul2dsp.v``); ``synth_xilinx`` passes ``DSP_A_MAXWIDTH=25|27
  DSP_B_MAXWIDTH=18 DSP_A_MAXWIDTH_PARTIAL=18 DSP_A/B_MINWIDTH=2 DSP_Y_MINWIDTH=9
  DSP_SIGNEDONLY=1`` (xc7|xcup), ``synth_ecp5`` 18 x 18 with no Y minimum and signed or
  unsigned ports. ``xilinx_dsp`` then folds ``(P >> 17) + A*B`` partial-product sums of single
  DSPs into the PCIN cascade, but in Yosys 0.70 only for DSP48E1 (xc7): for ``-family xcup`` it
  packs nothing (no registers, no post-adder) into the DSP48E2.
* ``memory_libmap`` (``passes/memory/memory_libmap.cc``) picks the cheapest of soft logic,
  LUTRAM and block RAM by a cost: a block costs 129 per RAMB18 (``brams_xc4v.txt``) or 128 per
  DP16KD (``lattice/brams_16kd.txt``); LUTRAM costs ``(cost - widthscale) * units + widthscale *
  banks * width / unit_width`` (``lutrams_xc5v.txt``, ``lutrams_xcu.txt``,
  ``lattice/lutrams.txt``) plus 0.5 per read-mux input bit and 0.5 per write-demux output across
  banks; soft logic costs 1 per bit for a RAM and 1/64 (Xilinx, ``-logic-cost-rom 0.015625``) or
  1/16 (default) per bit for a ROM. LUTRAM is never used for ROMs (``prune_rom``); UltraRAM only
  on request (``-no-auto-huge``).

The calibration runs behind every constant are in ``fpgalab/estimate/CALIBRATION.md``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

# ----------------------------------------------------------------------------- multipliers


@dataclass(frozen=True)
class Mul2Dsp:
    """The ``mul2dsp.v`` parameters of one Yosys synthesis script."""

    a_max: int
    b_max: int
    a_partial: int
    b_partial: int
    signed_only: bool  # DSP_SIGNEDONLY: unsigned operands are zero-extended by one bit
    y_min: int  # DSP_Y_MINWIDTH: narrower products stay in LUTs
    ab_min: int = 2
    cascade_17: bool = False  # xilinx_dsp folds sums shifted by 17 of single DSPs into PCIN


MUL2DSP = {
    "xc7": Mul2Dsp(25, 18, 18, 18, True, 9, cascade_17=True),
    "xcup": Mul2Dsp(27, 18, 18, 18, True, 9),
    "ecp5": Mul2Dsp(18, 18, 18, 18, False, 0),
}


@dataclass(frozen=True)
class MulSplit:
    """How Yosys builds one multiply: DSP cells, fabric adders of partial products (their
    widths in bits), and partial products left to LUTs (``(a, b)`` operand widths)."""

    dsps: int
    adders: tuple[int, ...]
    soft: tuple[tuple[int, int], ...]
    leaf: bool = False  # a single DSP with nothing added (what the PCIN cascade can chain)


def mul2dsp(w1: int, w2: int, signed: bool, y_width: int, rules: Mul2Dsp) -> MulSplit:
    """The DSP decomposition ``techmap -map +/mul2dsp.v`` makes of a ``w1 x w2 -> y_width`` ``$mul``."""
    a, b = max(w1, w2), min(w1, w2)  # "wider operand on A"
    if a < rules.ab_min or b < rules.ab_min or y_width < rules.y_min:
        return MulSplit(0, (), ((w1, w2),))
    if rules.signed_only and not signed:
        a, b = a + 1, b + 1
    return _split(a, b, y_width, rules)


def _split(a: int, b: int, y: int, rules: Mul2Dsp) -> MulSplit:
    if a < rules.ab_min or b < rules.ab_min or y < rules.y_min:
        return MulSplit(0, (), ((a, b),))
    headroom = 1 if rules.signed_only else 0
    if a > rules.a_max:
        step = rules.a_partial - headroom
        count = math.ceil((a - rules.a_max) / step)
        last = a - count * step
        parts = [_split(rules.a_partial, b, min(y, b + rules.a_partial), rules) for _ in range(count)]
        return _sum(parts + [_split(last, b, b + last, rules)], step, y, rules)
    if b > rules.b_max:
        step = rules.b_partial - headroom
        count = math.ceil((b - rules.b_max) / step)
        last = b - count * step
        parts = [_split(a, rules.b_partial, min(y, a + rules.b_partial), rules) for _ in range(count)]
        return _sum(parts + [_split(a, last, a + last, rules)], step, y, rules)
    return MulSplit(1, (), (), leaf=True)


def _sum(parts: list[MulSplit], step: int, y: int, rules: Mul2Dsp) -> MulSplit:
    """``partial_sum[i] = (part[i] << i * step) + partial_sum[i - 1]``: the low ``i * step`` bits
    pass through, so adder ``i`` is ``y - i * step`` bits wide."""
    adders = [w for p in parts for w in p.adders]
    cascaded = rules.cascade_17 and step == 17 and all(p.leaf for p in parts)
    if not cascaded:
        adders += [y - i * step for i in range(1, len(parts)) if y - i * step > 0]
    return MulSplit(sum(p.dsps for p in parts), tuple(adders), tuple(s for p in parts for s in p.soft))


# ----------------------------------------------------------------------------- memories


@dataclass(frozen=True)
class LutramOption:
    """One ``ram distributed`` geometry of a Yosys memory library: ``depth`` words per bank,
    ``width`` data bits per cell, and its cost terms."""

    depth: int
    width: int
    cost: float
    widthscale: float


# Simple dual port (one write, one read port) and single port geometries.
LUTRAM_SDP = {
    "xc7": (LutramOption(32, 6, 8, 7), LutramOption(64, 3, 8, 7)),  # RAM32M, RAM64M
    "xcup": (LutramOption(32, 14, 16, 16), LutramOption(64, 7, 16, 16)),  # RAM32M16, RAM64M8
    "ecp5": (LutramOption(16, 4, 4, 0),),  # TRELLIS_DPR16X4
}
LUTRAM_SP = {
    "xc7": tuple(LutramOption(32 << i, 8 >> i, 8, 8) for i in range(4)),
    "xcup": tuple(LutramOption(32 << i, 16 >> i, 16, 16) for i in range(4)),
    "ecp5": (LutramOption(16, 4, 4, 0),),
}
BLOCK_COST = {"xc7": 129, "xcup": 129, "ecp5": 128}  # per 18 Kb block
ROM_LOGIC_COST = {"xc7": 1 / 64, "xcup": 1 / 64, "ecp5": 1 / 16}  # per bit
RAM_LOGIC_COST = 1.0  # per bit
# DP16KD declares no read/write transparency between its ports: read-old-data is emulated
# (score 3 x FACTOR_EMU 2), and the soft logic appears in the netlist.
BLOCK_EMULATION = {"ecp5": 6}


def lutram_cost(depth: int, width: int, option: LutramOption) -> float:
    banks = math.ceil(depth / option.depth)
    units = math.ceil(banks * width / option.width)
    cost = (option.cost - option.widthscale) * units + option.widthscale * banks * width / option.width
    if banks > 1:
        cost += 0.5 * (banks - 1) * width + 0.5 * banks
    return cost


def libmap_costs(depth: int, width: int, blocks: int, family: str, read_only: bool, ports: int = 2) -> dict[str, float]:
    """``memory_libmap``'s cost of each way to build a ``depth x width`` memory (``blocks`` 18 Kb
    blocks when in block RAM): keys "logic", "lutram" (RAMs only), "bram"."""
    bits = depth * width
    costs = {"logic": bits * (ROM_LOGIC_COST[family] if read_only else RAM_LOGIC_COST)}
    if not read_only:
        options = LUTRAM_SDP[family] if ports >= 2 else LUTRAM_SP[family]
        costs["lutram"] = min(lutram_cost(depth, width, option) for option in options)
    costs["bram"] = blocks * BLOCK_COST[family] + (0 if read_only else BLOCK_EMULATION.get(family, 0))
    return costs
