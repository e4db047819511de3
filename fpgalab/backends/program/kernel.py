"""A whole kernel's loop programs: its layers (fusion chains) in order, and where each buffer is stored."""

from __future__ import annotations

from fpgalab.backends.program.build import LayerBuilder, layer_program
from fpgalab.backends.program.recurrent import loop_record
from fpgalab.backends.program.values import TypeContext
from fpgalab.ir import nodes as ir
from fpgalab.schedule.loops import fusion_chains


def layer_chains(kernel: ir.Kernel) -> dict:
    """Owner node name -> the nodes fused into it, in order (reshapes excluded)."""
    chains, _ = fusion_chains(kernel)
    nodes = {n.name: n for n in kernel.nodes}
    return {name: tuple(chain) for name, chain in chains.items() if not isinstance(nodes[name], ir.Reshape)}


def kernel_programs(kernel: ir.Kernel, tables: dict, table_type, loops: bool = False) -> list:
    """Every layer's program, in the kernel's order; with ``loops`` an ``ir.Loop`` is a ``LoopProgram``."""
    builder = LayerBuilder(kernel, TypeContext(tables, table_type))
    nodes = {n.name: n for n in kernel.nodes}
    storage = storage_buffers(kernel)
    return [
        loop_record(nodes[name], storage)
        if loops and isinstance(nodes[name], ir.Loop)
        else layer_program(nodes[name], chain, builder)
        for name, chain in layer_chains(kernel).items()
    ]


def storage_buffers(kernel: ir.Kernel) -> dict:
    """Buffer name -> storage buffer name (a reshape maps to its source)."""
    aliases = {n.name: n.inputs[0] for n in kernel.nodes if isinstance(n, ir.Reshape)}
    out = {}
    for name in kernel.buffers():
        source = name
        while source in aliases:
            source = aliases[source]
        out[name] = source
    return out
