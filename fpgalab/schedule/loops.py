"""The loops of one layer as the schedule sees them, and which nodes run fused in which layer."""

from __future__ import annotations

import functools

from fpgalab.ir import nodes as ir
from fpgalab.ir.loops import loop_nest
from fpgalab.schedule.model import LoopSchedule


def plan_loops(node: ir.Node, shapes: dict) -> tuple[LoopSchedule, ...]:
    """The node's loops with trip > 1, their unroll factors and roles under its directives."""
    return _plan_loops(node, tuple(tuple(shapes[name]) for name in node.inputs))


@functools.lru_cache(maxsize=16384)
def _plan_loops(node: ir.Node, input_shapes: tuple) -> tuple[LoopSchedule, ...]:
    shapes = dict(zip(node.inputs, input_shapes))
    shapes[node.name] = tuple(node.shape)
    nest = loop_nest(node, shapes)
    directives = node.directives
    names = [loop.name for loop in nest]
    unroll = {}
    for name, factor in directives.unroll:
        loop = next((lp for lp in nest if lp.name == name), None)
        if loop is None:
            raise ValueError(
                f"unroll of layer {node.layer or node.name}: no loop {name!r}; its loops are "
                f"{', '.join(f'{lp.name} (trip {lp.trip})' for lp in nest) or 'none'}"
            )
        if not isinstance(factor, int) or factor < 1 or loop.trip % factor:
            allowed = [d for d in range(1, loop.trip + 1) if loop.trip % d == 0]
            raise ValueError(
                f"unroll factor {factor!r} for loop {name} of layer {node.layer or node.name} "
                f"(trip {loop.trip}) must divide the trip count (fpgalab has no remainder loop); "
                f"allowed: {', '.join(map(str, allowed))}"
            )
        unroll[name] = factor
    if directives.ii < 1:
        raise ValueError(f"pipeline II of layer {node.layer or node.name} must be at least 1, got {directives.ii}")
    loops = [lp for lp in nest if lp.trip > 1]
    factors = [unroll.get(lp.name, 1) for lp in loops]
    if not directives.pipeline:
        return tuple(
            LoopSchedule(lp.name, lp.trip, lp.kind, u, "sequential" if lp.trip // u > 1 else "unrolled")
            for lp, u in zip(loops, factors)
        )
    if directives.pipeline_loop:
        if directives.pipeline_loop not in names:
            raise ValueError(
                f"pipeline loop {directives.pipeline_loop!r} of layer {node.layer or node.name} does "
                f"not exist; its loops are {', '.join(names) or 'none'}"
            )
        outer = names[: names.index(directives.pipeline_loop) + 1]
        candidates = [k for k, lp in enumerate(loops) if lp.name in outer]
        p = candidates[-1] if candidates else -1
    else:
        partial = [k for k, (lp, u) in enumerate(zip(loops, factors)) if u < lp.trip]
        p = partial[-1] if partial else -1
    for k in range(p + 1, len(loops)):
        factors[k] = loops[k].trip
    f = p
    if directives.flatten == "full":
        f = 0 if p >= 0 else -1
    elif directives.flatten == "auto":
        while f > 0 and (loops[f - 1].kind == loops[p].kind or loops[f - 1].trip == factors[f - 1]):
            f -= 1
    elif directives.flatten != "none":
        raise ValueError(f"flatten must be one of {', '.join(ir.FLATTEN_MODES)}, got {directives.flatten!r}")
    plan = []
    for k, (lp, u) in enumerate(zip(loops, factors)):
        if p >= 0 and f <= k <= p:
            role = "pipelined"
        else:
            role = "sequential" if lp.trip // u > 1 and k < max(f, 0) else "unrolled"
        plan.append(LoopSchedule(lp.name, lp.trip, lp.kind, u, role))
    return tuple(plan)


def fusion_chains(kernel: ir.Kernel) -> tuple[dict, dict]:
    """(layer name -> fused nodes in order, node name -> layer name), checking each fusion is legal."""
    nodes = {n.name: n for n in kernel.nodes}
    users = kernel.users()
    owner_of, chains = {}, {}
    for node in kernel.nodes:
        producer_name = node.directives.fused_into
        if not producer_name:
            owner_of[node.name] = node.name
            chains.setdefault(node.name, [])
            continue
        producer = nodes.get(producer_name)
        position = node.inputs.index(producer_name) if producer_name in node.inputs else -1
        legal = (
            producer is not None
            and isinstance(node, ir.Elementwise)
            and position >= 0
            and not isinstance(producer, ir.Reshape)
            and tuple(producer.shape) == tuple(node.shape)
            and node.in_dims[position] == tuple(range(len(node.shape)))
            and producer_name not in kernel.outputs
            and len({u.name for u in users.get(producer_name, [])}) == 1
        )
        if not legal:
            raise ValueError(
                f"{node.name} cannot be fused into {producer_name!r}: fusion needs an elementwise node "
                "that is the only reader of its producer's output, at the same index"
            )
        root = owner_of[producer_name]
        if chains[root] and chains[root][-1].name != producer_name or (not chains[root] and root != producer_name):
            raise ValueError(f"{node.name} cannot be fused into {producer_name!r}: not the end of a fused chain")
        owner_of[node.name] = root
        chains[root].append(node)
    return chains, owner_of
