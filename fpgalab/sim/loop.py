"""The simulator's row for ``ir.Loop``: the body kernel run step after step, every sample at once.

The samples of a batch stay vectorised (each step runs the body's rows on the whole batch); the
steps run one after the other, as the carried state of step t is an input of step t+1. Carried
values are converted to the body input's type at each step, as the hardware's state registers
hold them; the stacked output is joined along ``stack_axis`` in the type the body gave it.
"""

from __future__ import annotations

import numpy as np

from fpgalab.ir import nodes as ir
from fpgalab.sim.values import SimValue, constant_buffer, convert


def step_slice(value: SimValue, axis: int, index: int) -> SimValue:
    """``value`` at ``index`` along ``axis`` (one wide; the sample axis comes first)."""
    take = [slice(None)] * value.array.ndim
    take[axis + 1] = slice(index, index + 1)
    return SimValue(value.array[tuple(take)], value.dtype)


def run_loop(node: ir.Loop, values: list[SimValue], ctx, rows: dict) -> SimValue:
    body = node.body
    carried = [convert(v, spec.dtype) for v, spec in zip(values[: node.carried], body.inputs)]
    constants = {c.name: constant_buffer(c) for c in body.constants}
    stacked = []
    for t in range(node.trips):
        env = dict(constants)
        for spec, value in zip(body.inputs[: node.carried], carried):
            env[spec.name] = value
        rest = zip(body.inputs[node.carried :], values[node.carried :], node.step_axes, node.step_offsets)
        for spec, value, axis, offset in rest:
            env[spec.name] = convert(value if axis < 0 else step_slice(value, axis, t + offset), spec.dtype)
        for inner in body.nodes:
            if ctx.tally is not None:
                ctx.tally.at_node(inner)
            env[inner.name] = rows[type(inner)](inner, [env[name] for name in inner.inputs], ctx)
        outputs = [env[name] for name in body.outputs]
        carried = [convert(v, spec.dtype) for v, spec in zip(outputs[: node.carried], body.inputs)]
        if node.result >= node.carried:
            stacked.append(outputs[node.result])
    if node.result < node.carried:
        return convert(carried[node.result], node.dtype)
    dtype = stacked[0].dtype
    arrays = [np.broadcast_to(s.array, np.broadcast_shapes(*[x.array.shape for x in stacked])) for s in stacked]
    return convert(SimValue(np.concatenate(arrays, axis=node.stack_axis + 1), dtype), node.dtype)
