"""A part as fpgalab sees it: logic, DSP, memory blocks, clocks and operator latencies (frozen dataclasses).

Files are read and checked by ``fpgalab.parts``; the units are described there.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class LogicSpec:
    lut_inputs: int  # inputs of the native LUT (6 Xilinx/Intel ALUT, 4 ECP5)
    lut_kind: str  # "LUT6", "ALUT (half an ALM)", "LUT4"
    lut_equivalent: str  # how one counted LUT compares with a Xilinx LUT6
    lutram_luts: int  # LUTs (in `luts` units) usable as distributed RAM
    lutram_bits_per_lut: int  # RAM bits one such LUT stores


@dataclass(frozen=True)
class MulMode:
    """One way a DSP unit multiplies: operand widths (A, B) when the operands are signed and
    when they are unsigned, and how many such independent multipliers fit in one unit."""

    name: str
    signed_widths: tuple[int, int]
    unsigned_widths: tuple[int, int]
    per_unit: int


@dataclass(frozen=True)
class DspSpec:
    kind: str  # "DSP48E2", "variable-precision DSP block", ...
    unit: str  # what `Device.dsps` counts
    modes: tuple[MulMode, ...]
    mul_lut_threshold: int  # multiplies with both operands this narrow go to fabric LUTs


@dataclass(frozen=True)
class MemShape:
    depth: int
    width: int
    mode: str  # "tdp" (true dual port) or "sdp" (simple dual port: one read, one write)


@dataclass(frozen=True)
class MemoryBlock:
    kind: str  # "RAMB18E2", "M20K", "URAM288", ...
    count: int
    unit_bits: int  # capacity of one block, parity bits included
    ports: int
    shapes: tuple[MemShape, ...]  # allowed aspect ratios depth x width

    def blocks_for(self, depth: int, width: int, true_dual_port: bool = False) -> int:
        """Blocks of this kind holding a ``depth`` x ``width``-bit memory.

        The word is cut into column slices; each slice uses one allowed aspect ratio and
        ``ceil(depth / shape.depth)`` blocks stacked in depth. The cheapest mix of slices wins
        (a small dynamic programme over the width). This is how the vendor user guides size
        memories (Xilinx UG473 ch.1 / UG573 ch.1, Intel Stratix 10 Embedded Memory UG, Stratix IV
        handbook ch.3, Lattice TN1264); tools may do slightly better by cascading unequal depths.
        ``true_dual_port`` restricts to the true-dual-port ratios (two read/write ports).
        """
        if depth < 1 or width < 1:
            raise ValueError(f"memory size must be positive, got {depth} x {width}")
        shapes = [s for s in self.shapes if s.mode == "tdp" or not true_dual_port]
        best = [0] + [math.inf] * width
        for w in range(1, width + 1):
            best[w] = min(math.ceil(depth / s.depth) + best[max(0, w - s.width)] for s in shapes)
        return int(best[width])


@dataclass(frozen=True)
class ClockSpec:
    reference_mhz: float  # clock the latencies below are quoted at
    max_practical_mhz: float  # what well-pipelined HLS designs close timing at on this part


@dataclass(frozen=True)
class Latency:
    """Typical operator latencies in cycles at ``ClockSpec.reference_mhz`` (float = binary32)."""

    fixed_add: int
    fixed_mul: int  # DSP multiply, pipelined
    float_add: int
    float_mul: int
    float_div: int
    float_exp: int
    float_sqrt: int
    float_cmp: int
    int_to_float: int
    float_to_int: int
    bram_read: int


@dataclass(frozen=True, repr=False)
class Device:
    name: str
    aliases: tuple[str, ...]
    vendor: str
    family: str
    part: str
    boards: tuple[str, ...]
    speed_grade: str
    luts: int
    ffs: int
    dsps: int
    bram: int  # count of bram_block.kind units
    uram: int  # count of 288 Kb UltraRAMs, 0 where absent
    logic: LogicSpec
    dsp: DspSpec
    bram_block: MemoryBlock
    uram_block: MemoryBlock | None
    other_memories: tuple[MemoryBlock, ...]  # e.g. Stratix IV M144K
    clock: ClockSpec
    latency: Latency
    notes: tuple[str, ...]
    sources: Mapping[str, str]
    path: str  # file the device was read from

    def __repr__(self) -> str:
        return f"Device({self.name!r}, part={self.part!r})"

    def __hash__(self) -> int:
        return hash((self.name, self.part, self.path))

    def multiply_uses_dsp(self, w1: int, w2: int) -> bool:
        """Whether a ``w1`` x ``w2``-bit multiply lands in DSP blocks rather than LUTs.

        A multiply whose operands are both at most ``dsp.mul_lut_threshold`` bits is built from
        fabric (Vitis HLS / Vivado map narrow products to LUTs, hls4ml's DSP use drops to zero
        below about 10 bits; Yosys ``synth_ecp5`` uses MULT18X18D from 2 x 2 bits up). A 1-bit
        operand is an AND / conditional negate, never a DSP.
        """
        _check_widths(w1, w2)
        return min(w1, w2) > 1 and max(w1, w2) > self.dsp.mul_lut_threshold

    def dsps_for_multiply(self, w1: int, w2: int, signed: bool = True) -> float:
        """DSP units (``dsp.unit``) a ``w1`` x ``w2``-bit multiply needs when put on DSPs.

        The standard decomposition (Xilinx UG479 / UG579 "wide multipliers"; Intel Stratix 10 DSP
        UG 683832; Stratix IV handbook ch.4; Lattice TN1267): each operand is cut into chunks that
        fit a port. Only a signed operand's top chunk carries the sign; lower chunks are unsigned,
        which on two's-complement-only ports (DSP48E1 25x18, DSP48E2 27x18) costs a bit: a signed
        w-bit operand on a port of signed width S, unsigned width U takes 1 + ceil((w - S) / U)
        chunks (1 if w <= S), an unsigned one ceil(w / U). The product needs chunks(w1) *
        chunks(w2) partial products, in the cheaper operand order and cheapest mode; modes with
        several multipliers per unit (Stratix 10: two 18x19) give fractions: sum, then round up.
        DSP48E2: 16x16 -> 1, 27x18 -> 1, 32x32 -> 2 * 2 = 4 (full product; a C ``int`` product
        keeping the low 32 bits can drop the high x high part; HLS reports often show 3).
        """
        _check_widths(w1, w2)
        best = math.inf
        for mode in self.dsp.modes:
            (sa, sb), (ua, ub) = mode.signed_widths, mode.unsigned_widths
            for a, b in ((w1, w2), (w2, w1)):
                parts = _chunks(a, sa, ua, signed) * _chunks(b, sb, ub, signed)
                best = min(best, parts / mode.per_unit)
        return float(best)

    def bram_for(self, depth: int, width: int, true_dual_port: bool = False) -> int:
        """Blocks of ``bram_block.kind`` for a ``depth`` x ``width`` memory (rule in
        :meth:`MemoryBlock.blocks_for`). A Xilinx RAMB18 is 16Kx1, 8Kx2, 4Kx4, 2Kx9, 1Kx18 (true
        dual port) or 512x36 (simple dual port), UG473 / UG573: 1024x16 -> 1, 2048x16 -> 2,
        512x36 -> 1, 16384x1 -> 1, 100x8 -> 1, 4096x32 -> 8. Stratix 10 M20K: 2Kx10, 1Kx20,
        512x40 (SDP). Stratix IV M9K: 8Kx1 ... 512x18, 256x36 (SDP). ECP5 EBR as Xilinx."""
        return self.bram_block.blocks_for(depth, width, true_dual_port)

    bram18_for = bram_for  # name from the Xilinx view; counts this part's own block unit

    def uram_for(self, depth: int, width: int) -> int:
        """UltraRAMs (4K x 72, UG573 ch.2) for a ``depth`` x ``width`` memory."""
        if self.uram_block is None:
            raise ValueError(f"device {self.name} has no UltraRAM")
        return self.uram_block.blocks_for(depth, width)

    def lutram_luts_for(self, depth: int, width: int) -> int:
        """LUTs for a single-port distributed RAM: one LUT per bit column per
        ``logic.lutram_bits_per_lut`` words (Xilinx RAM64X1S, UG474; MLAB; ECP5 SPR16X4)."""
        if depth < 1 or width < 1:
            raise ValueError(f"memory size must be positive, got {depth} x {width}")
        return math.ceil(depth / self.logic.lutram_bits_per_lut) * width


def _check_widths(w1: int, w2: int) -> None:
    if not (isinstance(w1, int) and isinstance(w2, int) and w1 >= 1 and w2 >= 1):
        raise ValueError(f"multiplier widths must be positive integers, got {w1!r} x {w2!r}")


def _chunks(width: int, signed_port: int, unsigned_port: int, signed: bool) -> int:
    if signed:
        return 1 if width <= signed_port else 1 + math.ceil((width - signed_port) / unsigned_port)
    return math.ceil(width / unsigned_port)


def yosys_family(device: Device) -> str | None:
    """The Yosys synthesis script that targets ``device``: "xcup", "xc7", "ecp5", or None."""
    dsp, block = device.dsp.kind, device.bram_block.kind
    if dsp == "DSP48E2":
        return "xcup"
    if dsp == "DSP48E1":
        return "xc7"
    if "MULT18X18D" in dsp or block.startswith("EBR"):
        return "ecp5"
    return None
