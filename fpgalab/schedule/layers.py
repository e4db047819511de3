"""Scheduling of one layer (one FSM): operators, memory accesses, II, depth and cycles.

The formulas are those of ``fpgalab.schedule`` (see its docstring); this module applies them to
one node and the elementwise nodes fused into it.
"""

from __future__ import annotations

import functools
import math
from dataclasses import replace

from fpgalab.ir import nodes as ir
from fpgalab.ir.loops import loop_nest
from fpgalab.ir.types import FLOAT32
from fpgalab.schedule import access as acc
from fpgalab.schedule.loops import plan_loops
from fpgalab.schedule.model import LAYER_OVERHEAD, BufferAccess, LayerSchedule, storage_name
from fpgalab.schedule.operators import (
    CORE_OPERATORS,
    WRITE_CYCLES,
    OperatorUse,
    accumulate_ops,
    bits,
    conversion_ops,
    expression_ops,
    lookup_ops,
    positional_read_ops,
)


def _output_loop_names(owner: ir.Node) -> list[str]:
    if isinstance(owner, ir.Conv):
        return ["n"] + [f"o{d}" for d in range(len(owner.strides))] + ["f"]
    return [f"i{d}" for d in range(len(owner.shape))]


def _in_owner_loops(access: acc.Access, owner: ir.Node) -> acc.Access:
    """A fused node indexes with i0, i1, ...; inside the owner's nest those are its output loops."""
    names = _output_loop_names(owner)
    if names == [f"i{d}" for d in range(len(names))]:
        return access
    index = access.index
    return acc.Access(
        access.buffer, access.mode, lambda env: index({**env, **{f"i{d}": env[n] for d, n in enumerate(names)}})
    )


def _storage_name(name: str, aliases: dict) -> str:
    while name in aliases:
        name = aliases[name]
    return name


def iteration_accesses(owner: ir.Node, fused: tuple, shapes: dict) -> list[acc.Access]:
    """The accesses of a fused chain, in the owner's loop variables; the write goes to the chain's end."""
    chain = {owner.name} | {node.name for node in fused}
    accesses = [a for a in acc.node_accesses(owner, shapes) if not (fused and a.mode == "write")]
    for node in fused:
        for a in acc.node_accesses(node, shapes):
            if (a.mode == "read" and a.buffer in chain) or (a.mode == "write" and node is not fused[-1]):
                continue
            accesses.append(_in_owner_loops(a, owner))
    return accesses


def iteration_indices(
    owner: ir.Node, fused: tuple, unroll: dict, base: dict, shapes: dict, aliases: dict, corners: bool = False
) -> dict:
    """{(storage buffer, mode): [index tuples]} of the unrolled copies of one iteration.

    With ``corners`` each unrolled loop takes only its first and last value: enough for the
    span of indices that grow monotonically with every loop (all but multi-dimensional unravels).
    """
    names = [loop.name for loop in loop_nest(owner, shapes)]
    if corners:
        env = acc.corner_env(names, unroll, base)
    else:
        env = acc.iteration_env(names, unroll, base)[0]
    gathered: dict = {}
    for a in iteration_accesses(owner, fused, shapes):
        name, index = acc.resolve_alias(a.buffer, a.index(env), aliases, shapes)
        gathered.setdefault((name, a.mode), []).append(index)
    return gathered


@functools.lru_cache(maxsize=8192)
def bank_counts(
    owner: ir.Node, fused: tuple, unroll: tuple, bases: tuple, shapes: tuple, aliases: tuple, partitions: tuple
) -> tuple:
    """(buffer, mode, distinct elements, busiest bank) per storage buffer in one iteration.

    ``unroll`` and each of ``bases`` are (loop, value) pairs, ``partitions`` (buffer, partition,
    reshaped) triples (a reshaped buffer's busiest "bank" is the words it reads); the counts are the worst over the
    bases (the first iteration and the second of every loop), which catches block partitions
    whose blocks an unrolled group straddles. Cached by content: exploration re-uses them.
    """
    shape_of, alias_of = dict(shapes), dict(aliases)
    partition_of = {name: partition for name, partition, _ in partitions}
    reshaped = {name for name, _, reshape in partitions if reshape}
    copies = math.prod(f for _, f in unroll)
    if copies > acc.MAX_ENUMERATED_COPIES:
        keys = {(_storage_name(a.buffer, alias_of), a.mode) for a in iteration_accesses(owner, fused, shape_of)}
        return tuple(
            (name, mode) + acc.spread_estimate(copies, shape_of[name], partition_of.get(name, ()))
            for name, mode in sorted(keys)
        )
    per_key: dict = {}
    for base in bases:
        for key, indices in iteration_indices(owner, fused, dict(unroll), dict(base), shape_of, alias_of).items():
            per_key.setdefault(key, []).append(
                acc.busiest_bank(indices, shape_of[key[0]], partition_of.get(key[0], ()), key[0] in reshaped)
            )
    return tuple(
        (name, mode, max(c[0] for c in counts), max(c[1] for c in counts))
        for (name, mode), counts in sorted(per_key.items())
    )


_ACCESS_KEYS: dict = {}


def access_key(node: ir.Node) -> ir.Node:
    """The node with what its access pattern does not depend on (types, expression, directives) reset:
    designs that differ only in precision or pipelining share cached bank counts. Memoized by
    object identity (the entry keeps the node alive, so its id is not reused)."""
    entry = _ACCESS_KEYS.get(id(node))
    if entry is not None and entry[0] is node:
        return entry[1]
    changes = {"dtype": FLOAT32, "directives": ir.DEFAULT_DIRECTIVES, "layer": "", "op_name": ""}
    if isinstance(node, ir.Elementwise):
        changes["expr"] = ir.Arg(0)
    if hasattr(node, "acc"):
        changes["acc"] = FLOAT32
    key = replace(node, **changes)
    if len(_ACCESS_KEYS) > 100_000:
        _ACCESS_KEYS.clear()
    _ACCESS_KEYS[id(node)] = (node, key)
    return key


def layer_accesses(owner, fused, loops, ctx) -> tuple[tuple[BufferAccess, ...], int, int]:
    """The layer's buffer accesses, its read latency and the II its memory ports allow."""
    unroll = tuple((lp.name, lp.unroll) for lp in loops if lp.unroll > 1)
    step = tuple((lp.name, lp.unroll) for lp in loops if lp.iterations > 1)
    bases = ((),) + ((step,) if step else ())
    names = {owner.name, (fused[-1] if fused else owner).name}
    for node in (owner,) + tuple(fused):
        names.update(node.inputs)
    for name in list(names):
        while name in ctx.aliases:
            name = ctx.aliases[name]
            names.add(name)
    shapes = tuple(sorted((n, ctx.shapes[n]) for n in names))
    aliases = tuple(sorted((n, ctx.aliases[n]) for n in names if n in ctx.aliases))
    partitions = tuple(sorted((n, ctx.buffers[n].partition, ctx.buffers[n].reshape) for n in names if n in ctx.buffers))
    counts = bank_counts(
        access_key(owner), tuple(access_key(n) for n in fused), unroll, bases, shapes, aliases, partitions
    )
    result, read_latency, memory_ii = [], 0, 1
    for name, mode, elements, busiest in counts:
        buf = ctx.buffers[name]
        if buf.ports == 0 or busiest == 0 or buf.channel == "fifo":
            cycles = 1
        else:
            cycles = math.ceil(busiest / buf.ports)
        result.append(BufferAccess(name, mode, elements, busiest, cycles))
        memory_ii = max(memory_ii, cycles)
        if mode == "read":
            read_latency = max(read_latency, 1 if buf.channel == "fifo" else buf.read_latency)
    return tuple(result), read_latency, memory_ii


def _times(op: OperatorUse, copies: int) -> OperatorUse:
    return OperatorUse(op.kind, op.widths, op.out, op.count * copies, op.latency, op.stage, op.float, op.table)


def _product(values) -> int:
    return math.prod(values)


def layer_operators(owner, fused, copies: int, spatial: int, reduce_iterations: int, ctx):
    """(operators, core path latency, recurrence latency, epilogue cycles) of one layer."""
    lat = ctx.latencies
    operand_types = [ctx.types[name] for name in owner.inputs]
    operators: list[OperatorUse] = []
    recurrence = convert = 0
    if type(owner) in CORE_OPERATORS:
        core, acc_kind, acc_type = CORE_OPERATORS[type(owner)](owner, operand_types, lat)
        operators += [_times(op, copies) for op in core]
        has_init = isinstance(owner, (ir.Dot, ir.Conv)) and len(owner.inputs) > 2
        tree_ops, tree_latency, acc_latency = accumulate_ops(
            acc_kind, acc_type, copies // spatial, reduce_iterations, has_init, lat
        )
        operators += [_times(op, spatial) for op in tree_ops]
        core_path = max((op.latency for op in core), default=0) + tree_latency + acc_latency
        recurrence = acc_latency
        conversion, convert = conversion_ops(acc_type, owner.dtype, "epilogue", lat)
        operators += [_times(op, spatial) for op in conversion]
    elif isinstance(owner, ir.Elementwise):
        ops, core_path, _ = expression_ops(owner.expr, operand_types, lat, ctx.tables, ctx.table_type, "core")
        operators += [_times(op, copies) for op in ops]
    elif isinstance(owner, ir.Lookup):
        table, ids = owner.inputs
        stored = ctx.buffers[storage_name(table, ctx.aliases)]
        if any(c.name == ids for c in ctx.kernel.constants) and table not in ctx.kernel.constants:
            ops, core_path = positional_read_ops(bits(owner.dtype), stored.banks, copies, stored.read_latency)
        else:
            ops, core_path = lookup_ops(operand_types[1], ctx.shapes[table][0], copies, stored.read_latency, lat)
        operators += ops
    else:
        core_path = 0
        if isinstance(owner, (ir.Pad, ir.Concat)):
            ways = 2 if isinstance(owner, ir.Pad) else len(owner.inputs)
            operators.append(OperatorUse("mux", (bits(owner.dtype),) * ways, bits(owner.dtype), copies, 0, "core"))
    fused_path, previous = 0, owner
    for node in fused:
        types = [previous.dtype if name == previous.name else ctx.types[name] for name in node.inputs]
        ops, path, _ = expression_ops(node.expr, types, lat, ctx.tables, ctx.table_type, node.name)
        operators += [_times(op, spatial) for op in ops]
        fused_path += path
        previous = node
    return tuple(operators), core_path, recurrence, convert + fused_path + WRITE_CYCLES


def schedule_layer(owner: ir.Node, fused: tuple, ctx) -> LayerSchedule:
    """The schedule of the FSM computing ``owner`` and the elementwise nodes ``fused`` into it."""
    loops = plan_loops(owner, ctx.shapes)
    pipelined = owner.directives.pipeline
    copies = _product(lp.unroll for lp in loops)
    spatial = _product(lp.unroll for lp in loops if lp.kind == "spatial")
    reduce_iterations = _product(lp.iterations for lp in loops if lp.kind == "reduce")
    operators, core_path, recurrence, epilogue = layer_operators(owner, fused, copies, spatial, reduce_iterations, ctx)
    accesses, read_latency, memory_ii = layer_accesses(owner, fused, loops, ctx)

    region = [lp for lp in loops if lp.role == "pipelined"]
    sequential = [lp for lp in loops if lp.role == "sequential"]
    ii_target = owner.directives.ii if pipelined else 0
    ii_recurrence = recurrence if (pipelined and region and region[-1].kind == "reduce") else 0
    ii = max(ii_target, ii_recurrence, memory_ii) if pipelined else 0
    if pipelined:
        inside = any(lp.kind == "spatial" for lp in region) or not any(
            lp.kind == "reduce" for lp in loops if lp.iterations > 1
        )
    else:
        inside = reduce_iterations == 1
    depth = read_latency + core_path + (memory_ii - 1) + (epilogue if inside else 0)
    trip = _product(lp.iterations for lp in region) if pipelined else 1

    # T from the inside out (the formula of fpgalab.schedule)
    if pipelined:
        body, text = 1 + (trip - 1) * ii + depth, f"[1 + ({trip}-1)*{ii} + {depth}]"
        reduce_trip = _product(lp.iterations for lp in region if lp.kind == "reduce")
        first_output = (reduce_trip - 1) * ii + depth  # after the entry cycle, counted in first_read
    else:
        body, text = depth, f"{depth}"
        first_output = depth
    pending = not inside
    for loop in reversed(sequential):
        if pending and loop.kind == "spatial":
            body, text, pending = body + epilogue, f"{text} + {epilogue}", False
            first_output = body
        body, text = loop.iterations * (1 + body), f"{loop.iterations}*(1 + {text})"
        if loop.kind == "reduce":
            first_output = body
    if pending:
        body, text = body + epilogue, f"{text} + {epilogue}"
        first_output = body
    cycles = body + LAYER_OVERHEAD
    first_read = 1 + len(sequential) + (1 if pipelined else 0)
    last_write = cycles - 2
    last_read = max(first_read, last_write - depth + 1 - (0 if inside else epilogue))
    first_write = max(first_read, min(last_write, first_read + first_output - 1))
    out_node = fused[-1] if fused else owner
    return LayerSchedule(
        owner.name,
        owner.layer or out_node.layer,
        type(owner).__name__.lower(),
        (owner.name,) + tuple(n.name for n in fused),
        out_node.name,
        loops,
        pipelined,
        ii,
        ii_target,
        ii_recurrence,
        memory_ii if pipelined else 0,
        depth,
        epilogue,
        inside,
        trip,
        copies,
        operators,
        accesses,
        cycles,
        f"L = 2 + {text} = {cycles}",
        first_read,
        last_read,
        first_write,
        last_write,
        owner.directives.reuse,
        owner.directives.reuse_requested,
    )
