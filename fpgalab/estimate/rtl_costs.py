"""What fpgalab's own Verilog builds for a layer, priced as Yosys maps it (``flow="yosys"``).

``fpgalab.estimate.resources`` prices a layer from its schedule; with ``flow="hls"`` the
control and memories are what Vitis HLS builds (a one-hot FSM, one memory per bank), with
``flow="yosys"`` they are what ``fpgalab.backends.verilog.layer`` and ``fpgalab.backends.verilog.memory`` emit,
register for register, and what Yosys ``synth_xilinx`` / ``synth_ecp5`` makes of them:

    control      a binary-coded state register (IDLE, DONE, one header state per sequential
                 loop, BODY, EPI), a step counter of the body's cycles, a counter per sequential
                 or pipelined loop, an II phase counter, and the issue / first / last flags
                 delayed by the read latency R (``LayerRtl.control``, ``LayerRtl.delayed``)
    datapath     the accumulator of each spatial copy, the "late" registers that hold a word
                 read from a faster memory until the slowest read arrives, the write address
                 delayed by R (one register: the copies' offsets coincide and Yosys merges them),
                 and the address arithmetic of each distinct element read or written
    memories     each bank has as many read ports as the most distinct elements any layer reads
                 from it in one iteration (``LayerRtl.crossbar``: one port per bank when the
                 reads reach distinct banks); Yosys builds one copy of a LUTRAM or block RAM per
                 read port, each port with its read register; a block RAM read of latency 2
                 keeps its second register in fabric

The LUT and FF figures of the control and addressing terms are fitted to Yosys's counts for
fpgalab's RTL on the fidelity benchmark (``bench/FIDELITY.md``); each constant names its rows.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from fpgalab.costs.memory import _lutram_luts, rom
from fpgalab.costs.operators import Cost, Resources, _cost, comparator, mux
from fpgalab.estimate.rtl_reads import layer_reads, rom_columns
from fpgalab.estimate.table_roms import table_roms
from fpgalab.parts import yosys_family
from fpgalab.schedule import BufferSchedule, LayerSchedule

STATES_BEYOND_LOOPS = 4  # IDLE, DONE, BODY, EPI (``LayerRtl.control``)


def bits_for(count: int) -> int:
    """Bits of a register counting 0 .. count - 1 (``verilog_layer.bits_for``)."""
    return max(1, (max(1, count) - 1).bit_length())


def read_latency(layer: LayerSchedule, buffers: dict) -> int:
    """R: the slowest read latency of the buffers the layer reads (its data arrive R cycles
    after the issue)."""
    return max((buffers[a.buffer].read_latency for a in layer.accesses if a.mode == "read" and a.elements), default=0)


def _has_reduction(layer: LayerSchedule) -> bool:
    return any(
        lp.kind == "reduce" and lp.role in ("sequential", "pipelined") and lp.iterations > 1 for lp in layer.loops
    )


def _spatial_copies(layer: LayerSchedule) -> int:
    return math.prod(lp.unroll for lp in layer.loops if lp.kind == "spatial")


# ---- control ---------------------------------------------------------------------------------------------

# The three LUT terms below were fitted together, by a grid search for the least mean |LUT
# error| over the 34 rows of bench/FIDELITY.md (the LeFlow benchmarks, the LeNet-5 layers and
# LeNet-5, naive and parallel; Yosys 0.70 synth_xilinx -family xcup): mean 8.9%, median 6%,
# worst 25% (maxpool_32 parallel), bias -1%. Neighbouring values fit almost as well (the
# optimum is shallow), so they are rounded.
#
# LUTs per control register bit: next-state logic, the counters' increments and their compares
# with constants (1.0 to 1.5 fit within 0.3% of the mean error).
CONTROL_LUTS_PER_BIT = 1.25
# LUTs per address bit and index dimension of a distinct read or write: the shift-and-add of the
# row-major offset (``verilog_memory.const_mul``) and the bank/offset split. Attribution of the
# synthesized netlist of lenet5_pool1 naive: 33 LUT for a 12-bit, 3-dimension read address.
ADDRESS_LUTS_PER_BIT = 1.2
# LUTs per accumulator bit beside its adder or compare: the restart ``first ? init : acc`` and
# the rounding into the accumulator type. Attribution of conv2d_64 naive: 56 LUT on the 30-bit
# accumulator's input, 30 of them the adder.
RESTART_LUTS_PER_BIT = 1.5


@dataclass(frozen=True)
class RtlFacts:
    """What ``flow="yosys"`` needs to know of the kernel beyond its schedule: the words of its
    function tables (``table_roms``) and how each layer reads each buffer (``rtl_reads``)."""

    tables: dict
    reads: dict
    rom_columns: dict


def rtl_facts(kernel, schedule, tables: dict, table_type) -> RtlFacts:

    return RtlFacts(
        table_roms(kernel, tables, table_type),
        layer_reads(kernel, schedule, tables, table_type),
        rom_columns(kernel, schedule),
    )


def control(layer: LayerSchedule, buffers: dict, first: bool) -> list[tuple[str, int, Cost]]:
    """The layer's FSM, counters and delayed flags as (what, count, cost) lines: one FF per register
    bit of ``LayerRtl.control`` (a constant II phase is removed), CONTROL_LUTS_PER_BIT per bit.
    Source: the registers of ``fpgalab.backends.verilog.layer``; Yosys keeps each of them (FF
    attribution of the synthesized fidelity rows lenet5_fc1, conv2d_64 and softmax_8)."""
    sequential = [lp for lp in layer.loops if lp.role == "sequential"]
    counted = sequential + [lp for lp in layer.loops if lp.role == "pipelined"]
    ii = max(1, layer.ii)
    body = 1 + (layer.trip - 1) * ii + layer.depth if layer.pipelined else layer.depth
    state = bits_for(len(sequential) + STATES_BEYOND_LOOPS)
    step = bits_for(max(body, layer.epilogue) + 1)
    counters = sum(bits_for(lp.iterations) for lp in counted)
    phase = bits_for(ii) if ii > 1 else 0  # II = 1: a constant 0, removed
    bits = state + step + counters + phase
    latency = read_latency(layer, buffers)
    reduces = _has_reduction(layer)
    # issue, first and last iteration, delayed by R; "last" only gates a write inside the pipeline
    flags = latency * (1 + reduces + (reduces and layer.epilogue_in_pipeline))
    lines = [
        (
            f"FSM: {state}-bit state, {step}-bit step counter, {counters} loop counter bits"
            + (f", {phase}-bit II phase" if phase else ""),
            1,
            _cost(f"{bits} FF, {CONTROL_LUTS_PER_BIT:g} LUT per bit", lut=CONTROL_LUTS_PER_BIT * bits, ff=bits),
        )
    ]
    if flags:
        lines.append(("issue/first/last flags delayed by the read latency", 1, _cost(f"{flags} FF", ff=flags)))
    if not first:
        lines.append(("start register (the previous layer's done)", 1, _cost("1 FF", ff=1)))
    return lines


def loop_control(layer: LayerSchedule, first: bool) -> list[tuple[str, int, Cost]]:
    """A loop layer's own control (``verilog.loop.LoopRtl``): the step counter t, the header and
    done registers, CONTROL_LUTS_PER_BIT per bit; its copies and cell layers each have their FSM
    and start register (``control``)."""
    trips = max((lp.trip for lp in layer.loops), default=1)  # the step loop (``ir.loops``: one loop "t")
    bits = bits_for(trips) + 2
    lines = [
        (
            f"step loop: {bits_for(trips)}-bit step counter, header and done registers",
            1,
            _cost(f"{bits} FF, {CONTROL_LUTS_PER_BIT:g} LUT per bit", lut=CONTROL_LUTS_PER_BIT * bits, ff=bits),
        )
    ]
    if not first:
        lines.append(("start register (the previous layer's done)", 1, _cost("1 FF", ff=1)))
    return lines


# ---- datapath registers and addressing -------------------------------------------------------------------


def _address(bits: int, dims: int, what: str) -> Cost:
    luts = ADDRESS_LUTS_PER_BIT * bits * max(1, dims - 1)
    return _cost(f"{what}: {ADDRESS_LUTS_PER_BIT:g} LUT x {bits} bits x {max(1, dims - 1)} dimension step(s)", lut=luts)


def datapath(
    layer: LayerSchedule, buffers: dict, device, reads: dict | None = None, columns: dict | None = None
) -> list[tuple[str, int, Cost]]:
    """Accumulators, late registers, the delayed write address, the address arithmetic, the bank
    multiplexers and the padding guards. ``reads`` (``rtl_reads.ReadFacts`` per buffer) says how
    the RTL reads each buffer; without it, one read per distinct element, each of one bank.
    ``columns``: the varying bit columns of constant buffers (``rtl_reads.rom_columns``).
    Source: the registers and index arithmetic of ``fpgalab.backends.verilog.reads`` and
    ``verilog_layer``; the LUT constants as fitted above; a bank select is ``costs.mux``, a padding
    guard two ``costs.comparator`` per index dimension and the fill multiplexer."""
    lines = []
    latency = read_latency(layer, buffers)
    acc = next((op for op in layer.operators if op.stage == "acc"), None)
    if acc is not None and (_has_reduction(layer) or not layer.epilogue_in_pipeline):
        copies = _spatial_copies(layer)
        lines.append(
            (
                f"accumulator ({acc.out} bits) of each spatial copy",
                copies,
                _cost(
                    f"{acc.out} FF + {RESTART_LUTS_PER_BIT:g} LUT per bit restart",
                    ff=acc.out,
                    lut=RESTART_LUTS_PER_BIT * acc.out,
                ),
            )
        )
    for access in layer.accesses:
        buf = buffers[access.buffer]
        if access.elements == 0:
            continue  # (a dataflow channel is a memory like any other in the RTL, whose layers run in turn)
        address = bits_for(buf.bank_depth) if buf.bank_depth > 1 else 0
        dims = sum(1 for size in buf.shape if size > 1)
        if access.mode == "write":
            if layer.epilogue_in_pipeline and latency and address:
                lines.append(
                    (
                        f"write address of {buf.name} delayed {latency} cycle(s)",
                        1,
                        _cost(f"{latency} x {address} FF", ff=latency * address),
                    )
                )
            if address and buf.storage != "reg":
                lines.append((f"write address of {buf.name}", 1, _address(address, dims, "offset")))
            continue
        facts = (reads or {}).get(buf.name)
        count = facts.reads if facts else access.elements
        if buf.read_latency < latency:
            wait = latency - buf.read_latency
            bits = min(buf.width, round((columns or {}).get(buf.name, buf.width)))  # a constant's varying columns
            if bits:
                lines.append(
                    (
                        f"late register of {buf.name} ({wait} cycle(s))",
                        count,
                        _cost(f"{wait} x {bits} FF", ff=wait * bits),
                    )
                )
        if address and buf.storage != "reg":
            offsets = facts.offsets if facts else count
            lines.append(
                (
                    f"read address of {buf.name} ({offsets} distinct offset(s))",
                    offsets,
                    _address(address, dims, "offset"),
                )
            )
        ways = round(facts.reach / facts.reads) if facts else 1
        if ways > 1:
            lines.append(
                (f"bank select of {buf.name} (a read reaches {ways} banks)", count, mux(buf.width, ways, device))
            )
        if facts and facts.guarded:
            test = comparator(max(address, 2), device).resources.lut * 2 * max(1, dims - 1)
            lines.append(
                (
                    f"padding guard of {buf.name}",
                    facts.guarded,
                    _cost(f"{test} LUT index test + {buf.width} LUT fill", lut=test + buf.width),
                )
            )
    return lines


# ---- memories --------------------------------------------------------------------------------------------


def read_ports(layers, buffers: dict, outputs) -> dict[str, int]:
    """Read ports of each bank: the most distinct elements one layer reads from the bank in an
    iteration, at least one for a kernel output (the host reads it). Source: ``fpgalab.backends.verilog.memory``
    shares port p of a bank among the layers (one runs at a time), and ``LayerReads.crossbar``
    gives the reads of a layer that never meet on a bank one port per bank."""
    ports = {name: (1 if name in outputs else 0) for name in buffers}
    for layer in layers:
        for access in layer.accesses:
            if access.mode == "read" and access.elements:
                ports[access.buffer] = max(ports[access.buffer], access.per_bank)
    return ports


def memory(buf: BufferSchedule, ports: int, device, columns: float | None = None) -> tuple[str, int, Cost]:
    """One buffer: (what, banks, cost of one bank with its read ports). ``columns``: of a ROM, the
    distinct non-constant bit columns of a bank (``rtl_reads.rom_columns``); a ROM in logic costs
    that share of its width. Source: Yosys ``memory_libmap`` builds one copy of a memory per read
    port (LUTRAM: ``memory_costs`` cells + the read register; block RAM: ``block_count``, with the
    backend's second read register in fabric); FF attribution of lenet5_fc1 and conv2d_64."""
    ports = max(1, ports)
    what = f"{buf.role} {buf.name} {list(buf.shape)}: {buf.banks} bank(s) of {buf.bank_depth} in {buf.storage}" + (
        f", {ports} read ports" if ports > 1 else ""
    )
    rom_words = buf.channel == "rom"
    depth, width = buf.bank_depth, buf.width
    if buf.storage == "reg":
        read = mux(width, depth, device).resources.lut * ports if depth > 1 else 0
        return (
            what,
            buf.banks,
            _cost(f"{depth * width} FF + {read} LUT read mux(es)", lut=read, ff=0 if rom_words else depth * width),
        )
    if buf.storage == "lutram" and rom_words:
        one = rom(depth, width, device, "logic")
        if columns is not None and columns < width:
            share = columns / width
            one = Cost(
                one.resources * share, f"{columns:.3g} of {width} bit columns vary: {share:.2f} x ({one.formula})"
            )
        return what, buf.banks, Cost(one.resources * ports, f"{ports} x ({one.formula})")
    if buf.storage == "lutram":
        luts, banks, how = _lutram_luts(depth, width, device, 2)
        select = mux(width, banks, device).resources.lut + banks if banks > 1 else 0
        each = Resources(lut=luts + select, ff=width)
        return (
            what,
            buf.banks,
            Cost(each * ports, f"{ports} x ({luts} LUT ({how}) + {select} LUT bank select + {width} FF read register)"),
        )
    if buf.storage in ("bram", "uram"):
        blocks, rows = (
            block_count(depth, width, device, rom_words)
            if buf.storage == "bram"
            else (device.uram_for(depth, width), 1)
        )
        extra = max(0, buf.read_latency - 1) * width  # the backend's second read register
        select = width * math.ceil((rows - 1) / ROW_MUX_INPUTS_PER_LUT)
        each = (
            Resources(lut=select, ff=extra, bram=blocks)
            if buf.storage == "bram"
            else Resources(lut=select, ff=extra, uram=blocks)
        )
        return (
            what,
            buf.banks,
            Cost(
                each * ports,
                f"{ports} x ({blocks} {buf.storage} block(s)"
                + (f" in {rows} rows, {select} LUT row select" if rows > 1 else "")
                + f" + {extra} FF second read register)",
            ),
        )
    raise ValueError(f"no RTL cost for storage {buf.storage!r} of {buf.name}")


# Block RAM aspect ratios of one RAMB18 (UG573): depth x width of data bits.
BLOCK_SHAPES = ((16384, 1), (8192, 2), (4096, 4), (2048, 9), (1024, 18), (512, 36))
# Inputs of the row-select multiplexer one LUT takes per output bit behind a packed ROM (the
# address bits that pick the row are registered with the read). Source: the weight ROMs of
# lenet5_fc1 (15 rows: 80 LUT for 16 bits, naive and per bank of the parallel row).
ROW_MUX_INPUTS_PER_LUT = 3


def block_count(depth: int, width: int, device, read_only: bool) -> tuple[int, int]:
    """(blocks, rows) Yosys ``memory_libmap`` uses for a ``depth x width`` memory; ``rows`` > 1
    needs a multiplexer choosing the row of the word read.

    A ROM's bit columns pack across the blocks of every aspect ratio (rows of ``d`` words times
    ``width`` bits, ``w`` bits per block): ceil(ceil(depth / d) * width / w), the fewest over the
    shapes (ties to the fewest rows), since a read-only memory has no write enables to keep
    apart. Source: Yosys runs of the fidelity rows lenet5_fc1 (30720 x 16 weights: 27 RAMB18E2 in
    2K x 9; 4 banks of 7680 x 16: 7 each in 512 x 36) and mnist_softmax (7840 x 16: 8). A RAM
    keeps ``device.bram_for``, one row.
    """
    family = yosys_family(device)
    if not read_only or family not in ("xc7", "xcup"):
        return device.bram_for(depth, width), 1
    blocks, rows = min((math.ceil(math.ceil(depth / d) * width / w), math.ceil(depth / d)) for d, w in BLOCK_SHAPES)
    return blocks, rows
