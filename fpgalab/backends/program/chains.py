"""Layer programs of whole layers: a node with the elementwise nodes fused into it, and every
layer of a kernel (the per-class rows are in ``fpgalab.backends.program.build``)."""

from __future__ import annotations

from fpgalab.backends.program.build import PROGRAMS, _broadcast_index, _Builder, _out_loops, _var
from fpgalab.backends.program.index import IAdd, IDiv, IMod, IMul, IVar
from fpgalab.backends.program.values import Acc, LayerProgram, Prev, TypeContext
from fpgalab.ir import nodes as ir
from fpgalab.ir.loops import loop_nest
from fpgalab.schedule.loops import fusion_chains

# ---- fused chains ------------------------------------------------------------------------------------


def _renumber(expr, mapping: dict, producer_position: int):
    if isinstance(expr, ir.Arg):
        return Prev() if expr.index == producer_position else ir.Arg(mapping[expr.index])
    if isinstance(expr, ir.Op):
        return ir.Op(expr.op, tuple(_renumber(a, mapping, producer_position) for a in expr.args), expr.dtype)
    return expr


def layer_program(owner: ir.Node, fused: tuple, builder: _Builder) -> LayerProgram:
    """The program of ``owner`` and the elementwise nodes fused into it (in chain order)."""
    shapes = builder.shapes
    nest = [lp for lp in loop_nest(owner, shapes) if lp.trip > 1]
    trips = {lp.name: lp.trip for lp in loop_nest(owner, shapes)}
    parts = PROGRAMS[type(owner)](owner, builder, trips)
    reads = list(parts["reads"])
    epilogue = list(parts.get("epilogue") or [(ir.Op("convert", (Acc(),), owner.dtype), owner.dtype)])
    out_names = _out_loops(owner)
    previous = owner
    for node in fused:
        position = node.inputs.index(previous.name)
        mapping = {}
        node_names = [f"i{d}" for d in range(len(node.shape))]
        for k, (name, dims) in enumerate(zip(node.inputs, node.in_dims)):
            if k == position:
                continue
            index = _broadcast_index(
                builder, name, dims, {n: trips.get(o, 1) for n, o in zip(node_names, out_names)}, node_names
            )
            index = tuple(_rename(ix, dict(zip(node_names, out_names))) for ix in index)
            reads.append(builder.read(name, index))
            mapping[k] = len(reads) - 1
        expr = _renumber(node.expr, mapping, position)
        epilogue.append((ir.Op("convert", (expr,), node.dtype), node.dtype))
        previous = node
    out_index = tuple(_var(trips, n) for n in out_names)
    last = fused[-1] if fused else owner
    return LayerProgram(
        owner.name,
        (owner.name,) + tuple(n.name for n in fused),
        last.name,
        last.dtype,
        out_index,
        tuple(nest),
        tuple(reads),
        parts.get("acc_kind", ""),
        parts.get("acc_type"),
        parts.get("init"),
        parts.get("step"),
        tuple(epilogue),
    )


def _rename(expr, names: dict):
    if isinstance(expr, IVar):
        return IVar(names.get(expr.name, expr.name))
    if isinstance(expr, IAdd):
        return IAdd(tuple(_rename(t, names) for t in expr.terms))
    if isinstance(expr, (IMul, IDiv, IMod)):
        return type(expr)(_rename(expr.arg, names), expr.factor if isinstance(expr, IMul) else expr.divisor)
    return expr


def layer_chains(kernel: ir.Kernel) -> dict:
    """Owner node name -> the nodes fused into it, in order (reshapes excluded)."""
    chains, _ = fusion_chains(kernel)
    nodes = {n.name: n for n in kernel.nodes}
    return {name: tuple(chain) for name, chain in chains.items() if not isinstance(nodes[name], ir.Reshape)}


def kernel_programs(kernel: ir.Kernel, tables: dict, table_type) -> list[LayerProgram]:
    """Every layer's program, in the kernel's order."""
    builder = _Builder(kernel, TypeContext(tables, table_type))
    nodes = {n.name: n for n in kernel.nodes}
    return [layer_program(nodes[name], chain, builder) for name, chain in layer_chains(kernel).items()]


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
