"""The schedule of an ``ir.Loop`` (a recurrent layer run with one cell reused each step).

The body kernel is scheduled as a design of its own (its layers one after the other, Vitis HLS's
defaults) and runs once per step. A step cannot start before the previous one has written its
state (h, c), so steps do not overlap: the step loop is not pipelined, and

    L = 2 + S + T * (1 + X + L_cell + C + Y) + F

with T the trip count, 1 the step loop's header cycle and L_cell the body's cycles (its layers
one after the other). The rest are the loop's copies (``step_copies``, written by the HLS C++ as
``backends.hls.recurrent``'s copy loops and by the Verilog as layers of their own): S the start
values into the state registers, X the slice t of each input sequence, C the next values into
the state registers, Y the step's value into the output sequence, F the final state out. Each
copy is a pipelined loop over its n elements at II=1, scheduled as any layer (its own FSM):

    L_copy = 2 + [1 + (n - 1) + D],   D = R + conversion + 1

R the read latency of the buffer copied from, the conversion into the target's type (rounding,
saturation: ``operators.conversion_ops``) and the write. The hardware is one cell: the body's
operators and buffers (weights, the cell's intermediate arrays and the state registers), plus the
loop's own buffers outside (the input sequence, the output sequence or final state), bound as any
node's.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

from fpgalab.ir import nodes as ir
from fpgalab.schedule.layers import schedule_layer
from fpgalab.schedule.model import LAYER_OVERHEAD, BufferAccess, LayerSchedule, LoopSchedule, storage_name
from fpgalab.schedule.operators import WRITE_CYCLES, conversion_ops

PHASES = ("start", "before", "after", "end")  # before the steps; each step before / after the cell; after


@dataclass(frozen=True)
class Slab:
    """Part of a storage buffer: all of it (``axis`` -1), or its index t + ``offset`` along ``axis``."""

    buffer: str
    shape: tuple
    axis: int = -1
    offset: int = 0

    @property
    def count(self) -> int:
        return math.prod(1 if d == self.axis else size for d, size in enumerate(self.shape))


@dataclass(frozen=True)
class StepCopy:
    """``target = dtype(source)`` element by element (row-major flat order on both sides)."""

    name: str
    phase: str  # one of PHASES
    target: Slab
    source: Slab
    dtype: object


def step_copies(node: ir.Loop, storage, shapes: dict) -> tuple[StepCopy, ...]:
    """The copies of a loop layer in the order they run within their phase. ``storage`` maps an
    outside buffer to the one holding its data, ``shapes`` gives outside buffers' shapes."""
    body = node.body
    aliases = {n.name: n.inputs[0] for n in body.nodes if isinstance(n, ir.Reshape)}
    inner = {name: tuple(buf.shape) for name, buf in body.buffers().items()}

    def outside(name: str, axis: int = -1, offset: int = 0) -> Slab:
        held = storage(name)
        return Slab(held, tuple(shapes[held]), axis, offset)

    def cell(name: str) -> Slab:
        held = storage_name(name, aliases)
        return Slab(held, inner[held])

    states = body.inputs[: node.carried]
    copies = [
        StepCopy(f"{node.name}_start{k}", "start", cell(spec.name), outside(node.inputs[k]), spec.dtype)
        for k, spec in enumerate(states)
    ]
    rest = zip(body.inputs[node.carried :], node.inputs[node.carried :], node.step_axes, node.step_offsets)
    for j, (spec, name, axis, offset) in enumerate(rest):
        if axis >= 0:
            copies.append(
                StepCopy(f"{node.name}_x{j}", "before", cell(spec.name), outside(name, axis, offset), spec.dtype)
            )
    copies += [
        StepCopy(f"{node.name}_next{k}", "after", cell(spec.name), cell(body.outputs[k]), spec.dtype)
        for k, spec in enumerate(states)
    ]
    value = cell(body.outputs[node.result])
    if node.result >= node.carried:
        copies.append(StepCopy(f"{node.name}_y", "after", outside(node.name, node.stack_axis), value, node.dtype))
    else:
        copies.append(
            StepCopy(f"{node.name}_out", "end", outside(node.name), cell(states[node.result].name), node.dtype)
        )
    return tuple(copies)


def copy_schedule(copy: StepCopy, source, source_type, ctx) -> LayerSchedule:
    """The layer schedule of one copy; ``source`` is the ``BufferSchedule`` it reads."""
    n = copy.target.count
    read = 1 if source.channel == "fifo" else source.read_latency
    operators, convert = conversion_ops(source_type, copy.dtype, "epilogue", ctx.latencies)
    epilogue = convert + WRITE_CYCLES
    depth = read + epilogue
    cycles = LAYER_OVERHEAD + 1 + (n - 1) + depth
    loops = (LoopSchedule("e", n, "spatial", 1, "pipelined"),) if n > 1 else ()
    accesses = (
        BufferAccess(copy.source.buffer, "read", 1, 1, 1),
        BufferAccess(copy.target.buffer, "write", 1, 1, 1),
    )
    return LayerSchedule(
        name=copy.name,
        layer="",
        kind="copy",
        nodes=(copy.name,),
        output=copy.target.buffer,
        loops=loops,
        pipelined=True,
        ii=1,
        ii_target=1,
        ii_recurrence=0,
        ii_memory=1,
        depth=depth,
        epilogue=epilogue,
        epilogue_in_pipeline=True,
        trip=n,
        copies=1,
        operators=tuple(operators),
        accesses=accesses,
        cycles=cycles,
        formula=f"L = 2 + [1 + ({n}-1)*1 + {depth}] = {cycles}",
        first_read=2,
        last_read=cycles - 1 - depth,
        first_write=1 + depth,
        last_write=cycles - 2,
    )


def schedule_loop(node: ir.Loop, ctx, body_schedule) -> LayerSchedule:
    """``body_schedule`` is the body kernel's ``Schedule`` (scheduled by the caller)."""
    step_loop = schedule_layer(node, (), ctx)  # the loop's own reads and writes, its step loop
    buffers = {**{b.name: b for b in body_schedule.buffers}, **ctx.buffers}
    types = {**{name: buf.dtype for name, buf in node.body.buffers().items()}, **ctx.types}
    moves = step_copies(node, lambda name: storage_name(name, ctx.aliases), ctx.shapes)
    copies = tuple(copy_schedule(c, buffers[c.source.buffer], types[c.source.buffer], ctx) for c in moves)

    def cycles_of(phase: str) -> int:
        return sum(layer.cycles for c, layer in zip(moves, copies) if c.phase == phase)

    cell = body_schedule.sequential_cycles
    start, before, after, final = (cycles_of(p) for p in PHASES)
    copy = before + after
    cycles = LAYER_OVERHEAD + start + node.trips * (1 + cell + copy) + final
    operators = tuple(op for layer in body_schedule.layers for op in layer.operators)
    formula = (
        f"L = 2 + {start} + {node.trips}*(1 + {cell} + {copy}) + {final} = {cycles}"
        "  (steps in sequence: each reads the state the last one wrote)"
    )
    return replace(
        step_loop,
        pipelined=False,
        ii=0,
        ii_target=0,
        ii_recurrence=0,
        ii_memory=0,
        depth=2 + len(node.body.inputs) + len(node.body.outputs),  # the loop's own FSM: its copies and the call
        epilogue=0,
        trip=1,
        copies=1,
        operators=operators,
        cycles=cycles,
        formula=formula,
        first_read=2,
        last_read=max(2, cycles - 2 - final - cell - copy),
        first_write=min(cycles - 2, 2 + start + cell),
        last_write=cycles - 2,
        cell=body_schedule.layers,
        copy_layers=copies,
    )
