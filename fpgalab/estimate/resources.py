"""Resource estimate of a scheduled design: LUT, FF, DSP, BRAM (the part's block unit) and URAM per layer.

Each layer is priced from what its schedule says the hardware holds, one ``CostItem`` per line
with the formula and the operator cost it multiplies (the operator costs, each with its source,
are in ``fpgalab.costs.operators``):

    operators      count x cost of each operator of the body (``OperatorUse``: every unrolled copy
                   has its own; DSP or LUT multipliers by ``Device.multiply_uses_dsp``)
    control        one counter per loop with more than one iteration, the FSM, the pipeline's
                   stage-valid bits
    addressing     an address adder per distinct element a body iteration reads or writes in
                   RAM (registers need none), and a bank-select multiplexer when a copy can reach
                   ``ceil(banks / elements)`` > 1 banks
    memories       the buffers the layer writes (its output; ping-pong channels x depth, FIFOs),
                   and the constants and kernel inputs it is the first reader of, bank by bank in
                   their storage (BRAM/URAM blocks, LUTRAM, registers; constants held in
                   registers are wired constants and cost nothing beyond their multiplexers)

That is the ``flow="hls"`` estimate: the design as Vitis HLS builds it (a MAC's add and
accumulator in the DSP, one-hot FSMs, function tables in block RAM). With ``flow="yosys"`` the
control, addressing and memories are what fpgalab's own Verilog holds, as Yosys maps it
(``rtl_costs``: binary-coded FSM, accumulators in fabric, a read port per distinct read, function
tables as LUT ROMs priced by their words, ``table_roms``); its constants are fitted to Yosys's
counts on bench/FIDELITY.md. Operators are priced by ``costs`` in the same flow either way.

Totals are the sums over layers; utilisation divides by the part's capacities; a design fits
when no resource exceeds 100%.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

from fpgalab import costs
from fpgalab.costs.operators import Cost, Resources, check_flow
from fpgalab.estimate import rtl_costs, table_roms
from fpgalab.estimate.report import RESOURCE_KINDS, Utilization, utilization
from fpgalab.parts import load_device
from fpgalab.schedule import BufferSchedule, LayerSchedule, Schedule

ZERO = Resources(0, 0, 0, 0, 0)
STORAGE_NAMES = {"bram": "bram", "uram": "uram", "lutram": "lutram", "reg": "registers"}


@dataclass(frozen=True)
class CostItem:
    """One line of a layer's breakdown: ``count`` x ``each`` = ``total``, and how ``each`` was found."""

    group: str  # operators | control | addressing | memories
    what: str
    count: int
    formula: str
    each: Resources

    @property
    def total(self) -> Resources:
        return self.each * self.count


def _sum(items) -> Resources:
    """Sum of the items' totals, in plain numbers (exploration sums many)."""
    lut = ff = dsp = bram = uram = 0
    for item in items:
        each, n = item.each, item.count
        lut += each.lut * n
        ff += each.ff * n
        dsp += each.dsp * n
        bram += each.bram * n
        uram += each.uram * n
    return Resources(lut, ff, dsp, bram, uram)


@dataclass(frozen=True)
class LayerResources:
    name: str
    layer: str
    total: Resources
    items: tuple[CostItem, ...]


@dataclass(frozen=True)
class ResourceReport:
    device: str
    total: Resources
    per_layer: tuple[LayerResources, ...]
    utilization: Utilization
    fits: bool
    warnings: tuple[str, ...]

    def layer(self, name: str) -> LayerResources:
        for layer in self.per_layer:
            if name in (layer.name, layer.layer):
                return layer
        raise KeyError(name)

    def breakdown(self, name: str) -> str:
        """The formula behind each figure of one layer, as text."""
        layer = self.layer(name)
        lines = [f"{layer.name} ({layer.layer}): {_text(layer.total)}"]
        for item in layer.items:
            lines.append(f"  [{item.group}] {item.count} x {item.what}: {item.formula} -> {_text(item.total)}")
        return "\n".join(lines)


def _text(r: Resources) -> str:
    return ", ".join(f"{kind.upper()} {getattr(r, kind):g}" for kind in RESOURCE_KINDS if getattr(r, kind))


@functools.lru_cache(maxsize=65536)
def _priced(function: str, args: tuple, options: tuple) -> Cost:
    """``costs.<function>(*args, **options)``, cached: the costs are pure functions of their
    arguments (the Device is hashable) and exploration asks for the same ones again and again."""
    return getattr(costs, function)(*args, **dict(options))


def price(function: str, *args, **options) -> Cost:
    return _priced(function, args, tuple(sorted(options.items())))


def _item(group: str, what: str, count: int, cost: Cost) -> CostItem:
    return CostItem(group, what, count, cost.formula, cost.resources)


# ---- operators -------------------------------------------------------------------------------------------


def _operator(op, device, flow: str) -> Cost:
    """The cost of one instance of an OperatorUse (costs.py names the formula and its source)."""
    width = max(op.widths + (op.out,)) if op.widths else op.out
    if op.float:
        return price("float_op", op.kind, device)
    if op.kind == "mul":
        w1, w2 = op.widths
        return price("multiplier", w1, w2, True, device, flow=flow)
    if op.kind in ("add", "neg", "abs", "round"):
        return price("adder", op.out, device)
    if op.kind == "cmp":
        return price("comparator", max(op.widths), device)
    if op.kind == "minmax":
        return price("comparator", width, device) + price("mux", op.out, 2, device)
    if op.kind == "saturate":
        return price("comparator", op.widths[0], device) * 2 + price("mux", op.out, 3, device)
    if op.kind == "mux":
        return price("mux", op.out, len(op.widths), device)
    if op.kind == "table":
        entries, table_width = op.table
        return price("table_lookup", op.widths[0], entries, table_width, device, flow=flow)
    raise NotImplementedError(f"no cost model for operator kind {op.kind!r}")


def _table_items(layer: LayerSchedule, device, roms: dict) -> tuple[list[CostItem], list]:
    """Items of the layer's table reads priced by their words (``table_roms``), and the other
    operators. The k-th table operator of a node is the k-th table of its expression."""
    items, rest, seen = [], [], {}
    for op in layer.operators:
        node = layer.nodes[0] if op.stage == "core" else op.stage
        if op.kind == "table" and not op.float and seen.get(node, 0) < len(roms.get(node, ())):
            rom = roms[node][seen.get(node, 0)]
            seen[node] = seen.get(node, 0) + 1
            cost = table_roms.table_rom_cost(op.widths[0], rom, device)
            items.append(_item("operators", f"table {rom.function} ({op.stage})", op.count, cost))
        else:
            rest.append(op)
    return items, rest


def _operators(layer: LayerSchedule, device, flow: str, roms: dict | None = None) -> list[CostItem]:
    """One item per kind of operator; a multiply feeding the accumulator directly (no adder tree)
    is priced as a MAC, whose add and accumulator a DSP absorbs (``costs.mac``). With ``roms``
    (flow "yosys"), table reads are priced by their words."""
    items, operators = _table_items(layer, device, roms) if roms is not None else ([], layer.operators)
    grouped: dict = {}
    for op in operators:
        key = (op.kind, op.widths, op.out, op.float, op.table, op.stage)
        grouped.setdefault(key, [op, 0])[1] += op.count
    stages = {op.stage for op in operators}
    muls = [(op, n) for (kind, *_rest, stage), (op, n) in grouped.items() if kind == "mul" and stage == "core"]
    accs = [(op, n) for (kind, *_rest, stage), (op, n) in grouped.items() if stage == "acc"]
    fold = (
        flow == "hls"
        and len(muls) == 1
        and len(accs) == 1
        and "tree" not in stages
        and not muls[0][0].float
        and accs[0][1] == muls[0][1]
    )  # fpgalab's RTL keeps the accumulator apart (rtl_costs.datapath)
    if fold:
        (mul, count), (acc_op, _) = muls[0], accs[0]
        cost = price("mac", *mul.widths, acc_op.out, device, flow=flow)
        items.append(_item("operators", "multiply-accumulate (core + acc)", count, cost))
    for (kind, _w, _o, _f, _t, stage), (op, count) in grouped.items():
        if fold and (stage == "acc" or (kind == "mul" and stage == "core")):
            continue
        items.append(_item("operators", f"{kind} ({stage})", count, _operator(op, device, flow)))
    return items


# ---- control and addressing ----------------------------------------------------------------------------


def _control(layer: LayerSchedule, device) -> list[CostItem]:
    items = []
    for loop in layer.loops:
        if loop.iterations > 1:
            items.append(
                _item("control", f"counter of loop {loop.name}", 1, price("loop_counter", loop.iterations, device))
            )
    states = (
        2
        + sum(1 for lp in layer.loops if lp.role == "sequential")
        + (1 if layer.pipelined else layer.depth)
        + (0 if layer.epilogue_in_pipeline else layer.epilogue)
    )
    items.append(_item("control", "FSM", 1, price("fsm", states, device)))
    if layer.pipelined and layer.depth > 1:
        items.append(_item("control", "pipeline stage valid bits", 1, price("register", layer.depth)))
    return items


def _addressing(layer: LayerSchedule, buffers: dict, device) -> list[CostItem]:
    items = []
    for use in layer.accesses:
        buf = buffers[use.buffer]
        if use.elements == 0 or buf.channel == "fifo":
            continue
        if buf.storage != "reg" and buf.bank_depth > 1:
            bits = max(1, math.ceil(math.log2(buf.bank_depth)))
            addresses = use.per_bank if buf.reshape else use.elements  # reshaped: one address a word
            items.append(
                _item("addressing", f"address of {buf.name} ({use.mode})", addresses, price("adder", bits, device))
            )
        ways = math.ceil(buf.banks / max(1, use.elements)) if buf.banks > 1 else 1
        if ways > 1 and use.mode == "read" and not buf.reshape:  # reshaped: each lane a fixed slice of the word
            items.append(
                _item("addressing", f"bank select of {buf.name}", use.elements, price("mux", buf.width, ways, device))
            )
    return items


# ---- memories --------------------------------------------------------------------------------------------


def _memory(buf: BufferSchedule, device) -> CostItem:
    if buf.channel == "fifo":
        return _item("memories", f"FIFO {buf.name}", 1, price("fifo", buf.depth, buf.width, device))
    copies = buf.depth if buf.channel == "pipo" else 1
    banks = f"{buf.banks} bank(s) of {buf.bank_depth}"
    if buf.reshape:
        banks = f"{buf.banks} bank(s) reshaped into {buf.bank_depth} words of {buf.word_width} bits"
    what = f"{buf.role} {buf.name} {list(buf.shape)}: {banks} in {buf.storage}" + (
        f", x{copies} ping-pong" if copies > 1 else ""
    )
    rom = buf.channel == "rom"
    cost = price("memory", buf.bank_depth, buf.word_width, STORAGE_NAMES[buf.storage], device, rom=rom)
    return _item("memories", what, buf.memories * copies, cost)


def _owned_buffers(schedule: Schedule) -> dict[str, list[BufferSchedule]]:
    owned: dict[str, list[BufferSchedule]] = {}
    first = schedule.layers[0].name if schedule.layers else ""
    for buf in schedule.buffers:
        owner = buf.writer or (buf.readers[0] if buf.readers else first)
        owned.setdefault(owner, []).append(buf)
    return owned


def estimate_resources(
    schedule: Schedule, device=None, flow: str = "hls", rtl: rtl_costs.RtlFacts | None = None
) -> ResourceReport:
    """Price every layer of ``schedule`` on ``device`` (default: the schedule's) and total them.

    ``flow`` "hls": the design as Vitis HLS and Vivado build it; "yosys": fpgalab's Verilog as
    Yosys ``synth_xilinx``/``synth_ecp5`` maps it (``rtl_costs``; multipliers by ``costs`` with
    ``flow="yosys"``). ``rtl`` (``rtl_costs.rtl_facts`` of the kernel) prices the yosys flow's
    LUT-ROM tables by their words and its reads as the RTL issues them; without it, tables by
    their size and one read per distinct element. Per-layer totals are
    rounded to whole units (``Resources.rounded``) and the design total is their sum.
    """
    device = load_device(device or schedule.device)
    check_flow(flow)
    buffers = {buf.name: buf for buf in schedule.buffers}
    owned = _owned_buffers(schedule)
    every = [inner for layer in schedule.layers for inner in (layer, *layer.copy_layers, *layer.cell)]
    ports = rtl_costs.read_ports(every, buffers, schedule.outputs) if flow == "yosys" else {}
    per_layer = []
    for k, layer in enumerate(schedule.layers):
        if flow == "yosys":
            roms, columns = (rtl.tables, rtl.rom_columns) if rtl else (None, {})
            items = []
            if layer.kind == "loop":  # a loop layer: its step counter over layers of its own (``verilog.loop``)
                items += [_item("control", *line) for line in rtl_costs.loop_control(layer, k == 0)]
                inner = [(each, False) for each in layer.copy_layers + layer.cell]
            else:
                inner = [(layer, k == 0)]
            for each, first in inner:
                reads = rtl.reads.get(each.name) if rtl else None
                items += _operators(each, device, flow, roms)
                items += [_item("control", *line) for line in rtl_costs.control(each, buffers, first)]
                items += [
                    _item("addressing", *line) for line in rtl_costs.datapath(each, buffers, device, reads, columns)
                ]
            items += [
                _item("memories", *rtl_costs.memory(buf, ports[buf.name], device, columns.get(buf.name)))
                for buf in owned.get(layer.name, [])
            ]
        else:
            items = _operators(layer, device, flow)
            items += _control(layer, device) + _addressing(layer, buffers, device)
            for inner in layer.cell:  # a loop's cell: the control and addressing of each of its layers
                items += _control(inner, device) + _addressing(inner, buffers, device)
            items += [_memory(buf, device) for buf in owned.get(layer.name, [])]
        total = _sum(items).rounded()
        per_layer.append(LayerResources(layer.name, layer.layer, total, tuple(items)))
    total = Resources(*(sum(getattr(layer.total, kind) for layer in per_layer) for kind in RESOURCE_KINDS))
    used = utilization(total, device)
    fits = used.max <= 1.0
    warnings = []
    for kind in RESOURCE_KINDS:
        if getattr(used, kind) > 1.0:
            worst = max(per_layer, key=lambda layer: getattr(layer.total, kind))
            alone = getattr(utilization(worst.total, device), kind)
            warnings.append(
                f"{kind.upper()} {100 * getattr(used, kind):.0f}% of {device.name}: layer "
                f"{worst.layer or worst.name} ({worst.name}) uses the most, {100 * alone:.0f}% on its own"
            )
    return ResourceReport(device.name, total, tuple(per_layer), used, fits, tuple(warnings))
