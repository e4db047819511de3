"""Resources of hls4ml's io_parallel architecture, priced from its schedule's operators.

``fpgalab.schedule.io_parallel`` lists, per layer, what Vitis HLS instantiates once the products
are simplified against their weights and shared under the multiplier limit; this module prices
each line with the operator library (``fpgalab.costs``), one ``CostItem`` per line:

    const_mul_dsp   a multiply by a constant in a DSP (one slice for products up to 27 x 18)
    const_mul_lut   a multiply by a narrow constant in LUTs (a shift-and-add array of the constant's
                    significant bits: ``soft_multiplier_luts`` of the two widths, halved since one
                    operand is fixed and its partial products are either the data or nothing)
    shift_add       a two-digit constant: one adder of the product width
    negate          a negative power of two: one subtractor
    adder           the balanced adder tree of each output, one accumulator-width adder per product
    mux             a shared multiplier's operand multiplexer (reuse factor > 1 when the limit binds)
    rom             the Resource strategy's weight ROM (RF words of block_factor x weight bits)
    fifo            io_stream: the stream into a process (a whole frame deep, hls4ml's default)
    line_buffer     io_stream: the rows a window spans, as shift registers (SRL)
    register        the pipeline registers at the layer's state boundaries (bits)
    table           a function-table read (block RAM ROM of table_size x 18 bits, two reads per
                    RAMB18 port pair, so ``ceil(reads / 2)`` copies)
    select / compare / mul   ReLU's compare-and-select, pooling's compare tree, the softmax multiply

Source of the mechanisms: HLS4ML_FACTS.md sections 2 and 5 and the csynth reports of
bench/FIDELITY_HLS.md; of each operator's cost: ``fpgalab.costs``.
"""

from __future__ import annotations

import math

from fpgalab import costs
from fpgalab.costs.operators import Cost, Resources
from fpgalab.estimate.report import RESOURCE_KINDS, utilization
from fpgalab.estimate.resources import CostItem, LayerResources, ResourceReport
from fpgalab.parts import load_device
from fpgalab.schedule.model import Schedule


def _price(op, device) -> Cost:
    kind = op.kind
    if kind == "const_mul_dsp":
        return costs.multiplier(op.widths[0], op.widths[1], device)
    if kind == "const_mul_lut":
        luts = costs.soft_multiplier_luts(op.widths[0], op.widths[1], True, device) / 2
        return Cost(Resources(lut=luts), f"{op.widths[0]}x{op.widths[1]} constant multiply in LUTs: {luts:g} LUT")
    if kind in ("shift_add", "adder"):
        return costs.adder(op.widths[0], device)
    if kind == "negate":
        return costs.subtractor(op.widths[0], device)
    if kind == "mux":
        return costs.mux(op.widths[0], op.widths[1], device)
    if kind == "register":
        return costs.register(op.widths[0], device)
    if kind == "table":
        entries, width = op.table
        return costs.rom(entries, width, device, "bram")
    if kind == "fifo":  # io_stream: a stream between processes, depth x word bits
        depth, width = op.widths
        return costs.fifo(depth, width, device)
    if kind == "line_buffer":  # io_stream: the rows a window spans, words of all channels, shifted in
        depth, width = op.widths
        return costs.fifo(depth, width, device, "srl")
    if kind == "rom":  # the Resource strategy's weights: RF words of block_factor x weight bits
        depth, width = op.widths
        return costs.rom(depth, width, device, "bram" if depth > 1 else "reg")
    if kind == "select":
        return costs.mux(op.widths[0], 2, device)
    if kind == "compare":
        return costs.comparator(op.widths[0], device) + costs.mux(op.widths[0], 2, device)
    if kind == "mul":
        return costs.multiplier(op.widths[0], op.widths[1], device)
    raise ValueError(f"the io_parallel estimate has no cost for operator kind {kind!r}")


def _count(op) -> int:
    if op.kind == "table":  # a dual-port ROM serves two reads: one copy per two parallel reads
        return math.ceil(op.count / 2)
    return op.count


def estimate_parallel(schedule: Schedule, device=None) -> ResourceReport:
    """Price every layer of an io_parallel ``schedule`` and total them."""
    device = load_device(device or schedule.device)
    per_layer = []
    for layer in schedule.layers:
        items = []
        for op in layer.operators:
            count = _count(op)
            if not count or (op.kind == "register" and not op.widths[0]):
                continue
            cost = _price(op, device)
            items.append(CostItem("operators", f"{op.kind} ({op.stage})", count, cost.formula, cost.resources))
        total = Resources()
        for item in items:
            total = total + item.total
        per_layer.append(LayerResources(layer.name, layer.layer, total.rounded(), tuple(items)))
    total = Resources(*(sum(getattr(layer.total, kind) for layer in per_layer) for kind in RESOURCE_KINDS))
    used = utilization(total, device)
    warnings = [
        f"the design needs {getattr(used, kind):.0%} of {device.name}'s {kind.upper()}"
        for kind in RESOURCE_KINDS
        if getattr(used, kind) > 1.0
    ]
    return ResourceReport(device.name, total, tuple(per_layer), used, used.max <= 1.0, tuple(warnings))
