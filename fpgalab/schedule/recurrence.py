"""The schedule of an ``ir.Loop`` (a recurrent layer run with one cell reused each step).

The body kernel is scheduled as a design of its own (its layers one after the other, Vitis HLS's
defaults) and runs once per step. A step cannot start before the previous one has written its
state (h, c), so steps do not overlap: the step loop is not pipelined, and

    L = 2 + S + T * (1 + X + L_cell + C + Y) + F

with T the trip count and L_cell the body's cycles (its layers one after the other). The rest are
the copies the HLS C++ makes (``backends.hls.recurrent``), each a pipelined loop over n elements
taking n + 2 cycles (n - 1 at II=1 after the first, plus its read and its write): S the start
values into the state registers, X the slice t of each input sequence, C the next values into
the state registers, Y the step's value into the output sequence, F the final state out.
The hardware is one cell: the body's operators and buffers (weights, the cell's intermediate
arrays and the state registers), plus the loop's own buffers outside (the input sequence, the
output sequence or final state), bound as any node's.
"""

from __future__ import annotations

import math
from dataclasses import replace

from fpgalab.ir import nodes as ir
from fpgalab.schedule.layers import schedule_layer
from fpgalab.schedule.model import LAYER_OVERHEAD, LayerSchedule


def copy_cycles(shapes) -> int:
    """Cycles of one pipelined copy loop per shape, one after the other."""
    return sum(math.prod(shape) + 2 for shape in shapes)


def loop_copies(node: ir.Loop) -> tuple[int, int, int, int]:
    """(S, X + C + Y per step, F): the copy cycles of the formula above."""
    states = [spec.shape for spec in node.body.inputs[: node.carried]]
    steps = [spec.shape for spec, axis in zip(node.body.inputs[node.carried :], node.step_axes) if axis >= 0]
    stacked = node.result >= node.carried
    value = node.body.buffers()[node.body.outputs[node.result]].shape
    per_step = copy_cycles(steps) + copy_cycles(states) + (copy_cycles([value]) if stacked else 0)
    return copy_cycles(states), per_step, 0 if stacked else copy_cycles([node.shape])


def schedule_loop(node: ir.Loop, ctx, body_schedule) -> LayerSchedule:
    """``body_schedule`` is the body kernel's ``Schedule`` (scheduled by the caller)."""
    step_loop = schedule_layer(node, (), ctx)  # the loop's own reads and writes, its step loop
    cell = body_schedule.sequential_cycles
    start, copy, final = loop_copies(node)
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
    )
