"""Memory costs: RAMs, ROMs, FIFOs and function tables in block RAM, UltraRAM, LUTRAM, logic or
registers. Part of ``fpgalab.costs.operators`` (import them from there).

Storage names: "bram", "uram", "lutram" (distributed RAM), "registers" (flip-flops, alias
"reg"), "logic" (a ROM as LUT truth tables), "auto" (``auto_storage``: what Yosys's
``memory_libmap`` would pick, which is close to what Vivado infers for small arrays).
``ports=2`` means one write and one read port (simple dual port, Vitis HLS's RAM_S2P / RAM_2P
and what a layer buffer needs); ``true_dual_port`` asks for two read/write ports.
"""

from __future__ import annotations

import math

from fpgalab.costs import yosys_rules
from fpgalab.costs.operators import (
    Cost,
    Resources,
    _check_width,
    _cost,
    _lut4,
    adder,
    comparator,
    mux,
    mux_luts_per_bit,
    register,
)
from fpgalab.parts import Device, yosys_family

STORAGES = ("bram", "uram", "lutram", "registers", "logic")
_ALIASES = {
    "reg": "registers",
    "regs": "registers",
    "ff": "registers",
    "block": "bram",
    "distributed": "lutram",
    "ultra": "uram",
    "rom": "logic",
}
INTEL_MLAB_BITS = 640  # one MLAB: 32 x 20 bits


def _storage(storage: str) -> str:
    name = _ALIASES.get(storage, storage)
    if name not in STORAGES + ("auto",):
        raise ValueError(f"storage must be one of {STORAGES + ('auto',)} (or {', '.join(_ALIASES)}), got {storage!r}")
    return name


def auto_storage(depth: int, width: int, device: Device, *, read_only: bool = False, ports: int = 2) -> str:
    """Where a ``depth x width`` memory goes when nobody says: "registers"/"logic" (tiny RAMs /
    small ROMs), "lutram" or "bram". Never "uram" (Yosys: ``-no-auto-huge``; Vitis HLS: only by
    BIND_STORAGE impl=uram).

    Xilinx and ECP5: the cheapest by Yosys ``memory_libmap``'s cost (``yosys_rules.libmap_costs``):
    a RAMB18 costs 129, LUTRAM about 1/16 per bit (so RAMs up to ~2 Kbit, e.g. 128 x 16, stay in
    LUTRAM; 256 x 16 goes to BRAM), a ROM in logic 1/64 per bit on Xilinx (ROMs up to 8 Kbit, e.g.
    1024 x 8, become LUTs) and 1/16 on ECP5 (up to 2 Kbit; a DP16KD costs 128, LUTRAM 4 per 16 x 4).
    Ties go to logic, then LUTRAM. Intel: one MLAB (640 bits) or less in MLAB/logic, else block RAM
    (typical Quartus behaviour, not checked here).
    Source: Yosys ``passes/memory/memory_libmap.cc`` and the ``techlibs`` memory libraries; Yosys
    runs ram16 ... ram4096, rom32 ... rom1024 (CALIBRATION.md).
    """
    _check_width(depth, width)
    family = yosys_family(device)
    small = "logic" if read_only else "registers"
    if family is None:
        if depth * width <= INTEL_MLAB_BITS:
            return small if read_only or depth <= 2 else "lutram"
        return "bram"
    costs = yosys_rules.libmap_costs(depth, width, device.bram_for(depth, width), family, read_only, ports)
    best = min(costs, key=lambda k: (costs[k], ("logic", "lutram", "bram").index(k)))
    return small if best == "logic" else best


def _lutram_luts(depth: int, width: int, device: Device, ports: int) -> tuple[int, int, str]:
    """(LUTs holding the bits, banks to select between, how) of distributed RAM."""
    family = yosys_family(device)
    if family in ("xc7", "xcup") and ports >= 2:
        group, per32, per64, cell = (8, 14, 7, "RAM32M16/RAM64M8") if family == "xcup" else (4, 6, 3, "RAM32M/RAM64M")
        if depth <= 32:
            return group * math.ceil(width / per32), 1, f"{cell}: {per32} bits per {group} LUT"
        banks = math.ceil(depth / 64)
        how = f"{banks} x 64-deep {cell}: {per64} bits per {group} LUT"
        return banks * group * math.ceil(width / per64), banks, how
    if family == "ecp5":
        banks = math.ceil(depth / 16)
        return banks * 4 * math.ceil(width / 4), banks, f"{banks * math.ceil(width / 4)} DPR16X4 (4 LUT4 each)"
    bank_depth = 256 if family in ("xc7", "xcup") else device.logic.lutram_bits_per_lut
    banks = math.ceil(depth / bank_depth)
    return device.lutram_luts_for(depth, width), banks, f"{device.logic.lutram_bits_per_lut} bits per LUT"


def memory(
    depth: int,
    width: int,
    storage: str,
    device: Device,
    ports: int = 2,
    *,
    true_dual_port: bool = False,
    rom: bool = False,
    no_rw_check: bool = False,
) -> Cost:
    """A ``depth x width`` RAM (a ROM with ``rom=True``, see ``rom``) in ``storage``.

    bram: ``device.bram_for`` blocks (the part's unit: RAMB18 on Xilinx), no fabric.
    uram: ``device.uram_for``. lutram: Xilinx simple dual port in RAM32M/RAM64M (4 LUT per 6 / 3
    bits, 32 / 64 deep) or on UltraScale+ RAM32M16/RAM64M8 (8 LUT per 14 / 7 bits), deeper ones
    in 64-deep banks with a read ``mux`` and a write-enable LUT per bank; single port and other
    parts ``device.lutram_luts_for`` (ECP5 DPR16X4 16 x 4, MLAB 32 bits per ALUT); plus the
    registered read (``width`` FF). registers: depth x width FF, a ``mux`` of depth inputs to read
    and a write-enable LUT per word.
    ECP5 block RAM with a write and a read port: Yosys emulates read-old-data on an address
    collision in soft logic, W + log2(depth) + 8 LUT4 and 2W + log2(depth) + 2 FF, unless the
    Verilog marks the memory ``(* no_rw_check *)`` (then pass ``no_rw_check=True``).
    Source: Xilinx UG473 / UG573 (block RAM), UG474 / UG574 (distributed RAM cells), Lattice
    TN1264; Yosys runs ram16x16 ... ram4096x8, ram1024x16_hls, regfile8x16 (CALIBRATION.md).
    """
    _check_width(depth, width)
    storage = _storage(storage)
    if storage == "auto":
        storage = auto_storage(depth, width, device, read_only=rom, ports=ports)
    if rom:
        return globals()["rom"](depth, width, device, storage)
    name = f"{depth}x{width} RAM"
    if storage == "bram":
        blocks = device.bram_for(depth, width, true_dual_port)
        ratio = "true dual port" if true_dual_port else "simple dual port"
        formula = f"{name} in {device.bram_block.kind}: {blocks} block{'s' * (blocks != 1)} ({ratio} aspect ratios)"
        if yosys_family(device) == "ecp5" and ports >= 2 and not no_rw_check:
            address = max(1, math.ceil(math.log2(depth)))
            lut, ff = width + address + 8, 2 * width + address + 2
            return _cost(f"{formula} + {lut} LUT, {ff} FF read-old-data emulation (Yosys)", lut=lut, ff=ff, bram=blocks)
        return _cost(formula, bram=blocks)
    if storage == "uram":
        blocks = device.uram_for(depth, width)
        return _cost(f"{name} in {device.uram_block.kind}: {blocks} (4K x 72 each)", uram=blocks)
    if storage == "lutram":
        luts, banks, how = _lutram_luts(depth, width, device, ports)
        select = mux(width, banks, device).resources.lut + banks if banks > 1 else 0
        return _cost(
            f"{name} in LUTRAM: {luts} LUT ({how}) + {select} LUT bank select + {width} FF read register",
            lut=luts + select,
            ff=width,
        )
    if storage == "registers":
        read = mux(width, depth, device).resources.lut
        enables = depth if depth > 1 else 0
        return _cost(
            f"{name} in registers: {depth * width} FF + {read} LUT read mux + {enables} LUT write enables",
            lut=read + enables,
            ff=depth * width,
        )
    raise ValueError(f"a RAM cannot be stored as {storage!r}; use rom=True for constant tables")


def rom(depth: int, width: int, device: Device, storage: str | None = None, *, registered: bool = True) -> Cost:
    """A ``depth x width`` constant table with a registered output (``registered=False``: read
    in the same cycle, logic only; block RAM needs the register).

    logic: LUT6 truth tables, ceil(depth / 64) LUTs per output bit (MUXF7/F8 merge them up to 256
    words), beyond 256 words 1.25 x that (ABC's decomposition of the wider mux); LUT4:
    ceil(depth / 16) per bit (PFUMX/L6MUX21 up to 128 words), then an (n - 1) mux. Plus ``width``
    FF. Up to 4 words a bit column is one of 2^depth - 2 non-constant functions of the address
    and equal columns share their LUT and register: min(width, 2^depth - 2) columns, no LUT with
    2 words (a column is the address bit or its inverse). bram: ``device.bram_for`` blocks, no FF
    (the block's output register). Default storage: ``auto_storage(read_only=True)``.
    Source: Yosys runs rom32x8, rom64x16, rom128x16, rom256x8, rom256x16, rom512x16, rom1024x8,
    rom2048x4 (CALIBRATION.md); Xilinx UG474 (MUXF7/MUXF8); the fidelity row dense_8 parallel
    (bench/FIDELITY.md: four 2 x 16 weight ROMs, 0 LUT and 2 FF in all).
    """
    _check_width(depth, width)
    storage = auto_storage(depth, width, device, read_only=True) if storage in (None, "auto") else _storage(storage)
    if storage in ("registers", "lutram"):  # a constant table in fabric is a LUT ROM
        storage = "logic"
    name = f"{depth}x{width} ROM"
    if storage in ("bram", "uram"):
        if not registered:
            raise ValueError(
                f"a {depth}x{width} ROM read in the same cycle cannot be in {storage} (its read is registered)"
            )
        ram = memory(depth, width, storage, device, ports=1)
        return Cost(ram.resources, ram.formula.replace(f"{depth}x{width} RAM", name))
    if depth == 1:
        return _cost(f"{name}: a constant, 0 LUT")
    if depth <= 4:  # few words: a bit column is one of 2^depth - 2 non-constant functions; copies merge
        columns = min(width, 2**depth - 2)
        luts = 0 if depth <= 2 else columns  # with 2 words a column is the address bit or its inverse
        ff = columns if registered else 0
        return _cost(
            f"{name} in logic: at most {columns} distinct non-constant bit columns, {luts} LUT"
            + (f" + {ff} FF" if ff else ""),
            lut=luts,
            ff=ff,
        )
    if _lut4(device):
        per_bit = math.ceil(depth / 16) + mux_luts_per_bit(math.ceil(depth / 128), device)
    elif depth <= 256:
        per_bit = math.ceil(depth / 64)
    else:
        per_bit = math.ceil(1.25 * math.ceil(depth / 64))
    luts = per_bit * width
    ff = width if registered else 0
    return _cost(
        f"{name} in logic: {per_bit} LUT/bit x {width} = {luts} LUT" + (f" + {ff} FF" if ff else ", read unregistered"),
        lut=luts,
        ff=ff,
    )


def table_rom(entries: int, width: int, device: Device) -> Cost:
    """The ROM of a function table (``rom`` in its automatic storage). Source: see ``rom``."""
    return rom(entries, width, device)


def fifo(depth: int, width: int, device: Device, style: str | None = None) -> Cost:
    """A FIFO of ``depth`` words of ``width`` bits with its pointer logic.

    style "srl" (the default on Xilinx for depth <= 64): a shift-register FIFO (Vitis HLS's
    ``fifo_w*_d*_S``, Xilinx PG057's shift-register FIFO): one SRLC32E per bit per 32 words (MUXF7
    joins two), a read pointer of ceil(log2 depth) bits that counts up and down (2 LUT per bit
    + 3 with the empty/full logic) and the two flags. style "ram" (the default otherwise): the words
    in the storage ``auto_storage`` picks, two address pointers (incrementers: ceil(p / 2) LUT6 each,
    the carry chain does the rest; ``adder`` on LUT4), an occupancy count one bit wider (``adder``)
    and two ``comparator`` (eq) flags.
    Source: Xilinx PG057 FIFO Generator, UG474 (SRLC32E); Yosys runs srlfifo16x8, srlfifo64x8,
    ramfifo64x16, ramfifo512x16 (CALIBRATION.md). Yosys infers SRLs only from per-bit shift
    chains (``xilinx_srl -variable``).
    """
    _check_width(depth, width)
    xilinx = yosys_family(device) in ("xc7", "xcup")
    style = style or ("srl" if xilinx and depth <= 64 else "ram")
    pointer = max(1, math.ceil(math.log2(depth)))
    if style == "srl":
        if not xilinx:
            raise ValueError(f"an SRL FIFO needs Xilinx shift-register LUTs; {device.name} has none")
        srl = width * math.ceil(depth / 32)
        control = 2 * pointer + 3
        return _cost(
            f"{depth}x{width} SRL FIFO: {srl} SRL LUT + {control} LUT pointer/flags + {pointer + 2} FF",
            lut=srl + control,
            ff=pointer + 2,
        )
    if style != "ram":
        raise ValueError(f"FIFO style must be 'srl' or 'ram', got {style!r}")
    words = memory(depth, width, "auto", device)
    increment = adder(pointer, device) if _lut4(device) else Cost(Resources(lut=math.ceil(pointer / 2)), "incrementer")
    parts = [
        words,
        increment * 2,
        register(pointer) * 2,
        adder(pointer + 1, device),
        register(pointer + 1),
        comparator(pointer + 1, device, "eq") * 2,
    ]
    total = sum((p.resources for p in parts), Resources())
    return Cost(
        total,
        f"{depth}x{width} FIFO: {words.formula} + 2 pointers of {pointer} bits + a {pointer + 1}-bit count + 2 flags",
    )


def table_lookup(index_width: int, entries: int, out_width: int, device: Device, *, flow: str = "hls") -> Cost:
    """A non-linear function by table (hls4ml's sigmoid / tanh / exp / softmax tables): the input
    scaled by a power of two and offset by entries / 2, clamped to [0, entries - 1], then a
    ``rom(entries, out_width)`` read. The compares are against constants and fold into the
    select: LUT6: index_width + 1 LUT; LUT4: an ``adder(index_width)`` for the offset and
    index_width + 4 LUT4 for the clamp.
    flow="hls": the ROM in its automatic storage (block RAM beyond 8 Kbit, Vitis's registered
    read). flow="yosys": fpgalab's Verilog reads the table in the cycle its index is ready
    (``backends/verilog.py``: ``rom_style = "logic"``), which only LUTs can do, so the ROM is
    logic at any size, unregistered.
    Source: hls4ml ``nnet_activation.h`` (index = x * N / range + N / 2, clamped); Yosys run
    lookup16to1024x18 (11 LUT on xcup and xc7, 28 LUT4 on ecp5; CALIBRATION.md).
    """
    _check_width(index_width, entries, out_width)
    table = (
        rom(entries, out_width, device) if flow == "hls" else rom(entries, out_width, device, "logic", registered=False)
    )
    if _lut4(device):
        index = adder(index_width, device) + Resources(lut=index_width + 4)
    else:
        index = Cost(Resources(lut=index_width + 1), "")
    return Cost(
        table.resources + index.resources,
        f"table of {entries} x {out_width}: {index.lut:g} LUT index offset and clamp + {table.formula}",
    )
