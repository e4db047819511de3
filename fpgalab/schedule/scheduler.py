"""``schedule_kernel``: the whole kernel's schedule, layer by layer and buffer by buffer.

The hardware model and the formulas are in ``fpgalab.schedule.model``; per-layer loops, II and
depth in ``layers``; banks, ports and channels in ``buffers``.
"""

from __future__ import annotations

from dataclasses import replace

from fpgalab.ir import nodes as ir
from fpgalab.ir.loops import kernel_shapes
from fpgalab.options import DEFAULT_TABLE_TYPE
from fpgalab.parts import load_device
from fpgalab.schedule.buffers import schedule_buffers
from fpgalab.schedule.layers import schedule_layer
from fpgalab.schedule.loops import fusion_chains
from fpgalab.schedule.model import Schedule, SchedulingContext, storage_name
from fpgalab.schedule.operators import Latencies
from fpgalab.schedule.recurrence import schedule_loop
from fpgalab.sim.tables import DEFAULT_TABLES


def schedule_kernel(
    kernel: ir.Kernel, device="xcvu9p", clock_mhz: float = 200.0, tables: dict | None = None, table_type=None
) -> Schedule:
    """Schedule every layer of ``kernel`` (with its directives) on ``device`` at ``clock_mhz``."""
    device = load_device(device)
    if isinstance(clock_mhz, bool) or not isinstance(clock_mhz, (int, float)) or not clock_mhz > 0:
        raise ValueError(f"clock_mhz must be a positive number of MHz, got {clock_mhz!r}")
    shapes = kernel_shapes(kernel)
    types = {name: buf.dtype for name, buf in kernel.buffers().items()}
    aliases = {n.name: n.inputs[0] for n in kernel.nodes if isinstance(n, ir.Reshape)}
    ctx = SchedulingContext(
        kernel,
        device,
        Latencies(device, clock_mhz),
        dict(tables or DEFAULT_TABLES),
        table_type or DEFAULT_TABLE_TYPE,
        shapes,
        types,
        aliases,
    )
    chains, owner_of = fusion_chains(kernel)
    ctx.buffers, warnings = schedule_buffers(kernel, ctx, chains, owner_of)
    nodes = {n.name: n for n in kernel.nodes}
    layers, body_buffers = [], []
    for name, chain in chains.items():
        node = nodes[name]
        if isinstance(node, ir.Loop):
            body = schedule_kernel(node.body, device, clock_mhz, tables, table_type)
            layers.append(schedule_loop(node, ctx, body))
            # the cell's buffers (weights, state registers, its arrays) are the loop layer's own
            body_buffers += [replace(b, writer=name, readers=()) for b in body.buffers if b.name not in ctx.buffers]
        elif not isinstance(node, ir.Reshape):
            layers.append(schedule_layer(node, tuple(chain), ctx))
    layers = tuple(layers)
    warnings += [
        f"layer {node.layer or node.name}: unroll, reuse and pipeline directives are not applied to a recurrent "
        "loop; its steps run in sequence and its cell's layers keep Vitis HLS's defaults"
        for node in kernel.nodes
        if isinstance(node, ir.Loop)
        and (node.directives.unroll or node.directives.reuse or not node.directives.pipeline)
    ]
    warnings += [
        f"layer {layer.layer or layer.name}: reuse factor {layer.reuse_requested} does not split its multiplies "
        f"into equal copies; using {layer.reuse}, the closest valid factor (hls4ml's rule: a divisor of the "
        "inputs per output, or that many inputs times a divisor of the outputs)"
        for layer in layers
        if layer.reuse_requested and layer.reuse_requested != layer.reuse
    ]
    outputs = tuple(storage_name(name, aliases) for name in kernel.outputs)
    return Schedule(
        kernel.name,
        device.name,
        float(clock_mhz),
        kernel.dataflow,
        layers,
        tuple(ctx.buffers.values()) + tuple(body_buffers),
        tuple(i.name for i in kernel.inputs),
        outputs,
        tuple(warnings),
    )
