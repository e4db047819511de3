"""The schedule of an ``ir.Loop`` (a recurrent layer run with one cell reused each step).

The body kernel is scheduled as a design of its own (its layers one after the other, Vitis HLS's
defaults) and runs once per step. A step cannot start before the previous one has written its
state (h, c), so steps do not overlap: the step loop is not pipelined, and

    L = 2 + T * (1 + L_cell + C)

with T the trip count, L_cell the body's cycles and C the cycles to copy the next state into the
state registers (a pipelined copy loop over the largest state: n + 2 cycles; 0 without state).
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


def state_copy_cycles(node: ir.Loop) -> int:
    """Cycles to move the next state into the state registers after a step (a pipelined copy)."""
    sizes = [math.prod(spec.shape) for spec in node.body.inputs[: node.carried]]
    return max(sizes) + 2 if sizes else 0


def schedule_loop(node: ir.Loop, ctx, body_schedule) -> LayerSchedule:
    """``body_schedule`` is the body kernel's ``Schedule`` (scheduled by the caller)."""
    step_loop = schedule_layer(node, (), ctx)  # the loop's own reads and writes, its step loop
    cell = body_schedule.sequential_cycles
    copy = state_copy_cycles(node)
    cycles = LAYER_OVERHEAD + node.trips * (1 + cell + copy)
    operators = tuple(op for layer in body_schedule.layers for op in layer.operators)
    formula = f"L = 2 + {node.trips}*(1 + {cell} + {copy}) = {cycles}  (steps in sequence: each reads the last state)"
    return replace(
        step_loop,
        pipelined=False,
        ii=0,
        ii_target=0,
        ii_recurrence=0,
        ii_memory=0,
        depth=cell + copy,
        epilogue=0,
        trip=1,
        copies=1,
        operators=operators,
        cycles=cycles,
        formula=formula,
        first_read=2,
        last_read=max(2, cycles - 2 - cell - copy),
        first_write=min(cycles - 2, 2 + cell),
        last_write=cycles - 2,
    )
