"""Bit-accurate functional simulator: runs a kernel on a batch of samples with NumPy.

Every buffer is held with a leading *sample* axis (one invocation of the accelerator per
sample), so a batch of 10,000 inputs is one pass over the nodes. Each node class has one row in
``fpgalab.sim.rows.ROWS``; the values and their conversions are in ``fpgalab.sim.values``; this
module is the driver.
"""

from __future__ import annotations

import numpy as np

from fpgalab.ir import nodes as ir
from fpgalab.ir.types import FLOAT32
from fpgalab.sim.rows import ROWS, working_elements
from fpgalab.sim.values import SimContext, SimValue, constant_buffer, input_value

# ---- driver --------------------------------------------------------------------------------------


def evaluate_float(node: ir.Node, arrays: list[np.ndarray]) -> np.ndarray:
    """Run one float32 node on float32 arrays that carry a sample axis (constant folding uses this)."""
    values = [SimValue(np.asarray(a, dtype=np.float32), FLOAT32) for a in arrays]
    return ROWS[type(node)](node, values, SimContext()).array


CHUNK_ELEMENTS = 1 << 23  # samples per pass are chosen so the widest working array stays near this size


def samples_per_chunk(kernel: ir.Kernel) -> int:
    """How many samples to simulate at once: large batches in chunks keep arrays in cache-sized pieces."""
    widest = max([working_elements(n, kernel) for n in kernel.nodes] + [1])
    return max(1, CHUNK_ELEMENTS // widest)


def run_kernel(
    kernel: ir.Kernel, inputs: list[np.ndarray], context: SimContext | None = None, keep: bool = False
) -> dict[str, SimValue]:
    """Simulate ``kernel`` on ``inputs`` (each with a leading sample axis).

    Returns the outputs by name, or every buffer when ``keep`` is True (per-layer error uses it).
    A large batch runs in chunks of samples; results are joined along the sample axis.
    """
    samples = max(a.shape[0] for a in inputs) if inputs else 1
    chunk = samples_per_chunk(kernel)
    if samples <= chunk:
        return _run_chunk(kernel, inputs, context, keep)
    parts = []
    for start in range(0, samples, chunk):
        pieces = [a[start : start + chunk] if a.shape[0] == samples else a for a in inputs]
        parts.append((min(chunk, samples - start), _run_chunk(kernel, pieces, context, keep)))
    constants = {c.name for c in kernel.constants}
    joined = {}
    for name, first in parts[0][1].items():
        if name in constants:
            joined[name] = first  # the same for every sample: kept with its sample axis of 1
            continue
        arrays = [np.broadcast_to(part[name].array, (count,) + part[name].array.shape[1:]) for count, part in parts]
        joined[name] = SimValue(np.concatenate(arrays), first.dtype)
    return joined


def _run_chunk(
    kernel: ir.Kernel, inputs: list[np.ndarray], context: SimContext | None, keep: bool
) -> dict[str, SimValue]:
    context = context or SimContext()
    if context.tally is None:
        return _run_nodes(kernel, inputs, context, keep, _NoTally())
    samples = max([a.shape[0] for a in inputs] + [1])
    with context.tally.chunk(samples):
        return _run_nodes(kernel, inputs, context, keep, context.tally)


class _NoTally:
    """Stands in for an ``overflow.Tally`` when nobody counts."""

    def at_node(self, node) -> None:
        pass

    def at_value(self, layer: str, name: str, role: str) -> None:
        pass


def _run_nodes(kernel: ir.Kernel, inputs: list[np.ndarray], context: SimContext, keep: bool, tally):
    values: dict[str, SimValue] = {}
    for spec, array in zip(kernel.inputs, inputs):
        tally.at_value(spec.name, spec.name, "input")
        values[spec.name] = input_value(spec, array)
    constants = {c.name: c for c in kernel.constants}
    last_use: dict[str, int] = {}
    for position, node in enumerate(kernel.nodes):
        for name in node.inputs:
            last_use[name] = position
    for position, node in enumerate(kernel.nodes):
        operands = []
        for name in node.inputs:
            if name not in values:
                tally.at_value(node.layer or node.name, name, "weight")
                values[name] = constant_buffer(constants[name])
            operands.append(values[name])
        row = ROWS.get(type(node))
        if row is None:
            raise NotImplementedError(f"the simulator has no row for {type(node).__name__}")
        tally.at_node(node)
        values[node.name] = row(node, operands, context)
        if not keep:
            for name in set(node.inputs):
                if last_use.get(name) == position and name not in kernel.outputs:
                    values.pop(name, None)
    for name in kernel.outputs:
        if name not in values:
            tally.at_value(name, name, "weight")
            values[name] = constant_buffer(constants[name])
    if keep:
        return values
    return {name: values[name] for name in kernel.outputs}
