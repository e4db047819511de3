"""The loop nest of each node class: output loops, then reduction loops, with trip counts.

A row per node class (``LOOP_NESTS``). The schedule gives each loop an II and unroll factor;
the backends emit these loops; the simulator computes the same iteration space at once.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from fpgalab.ir import nodes as ir


@dataclass(frozen=True)
class Loop:
    name: str
    trip: int
    kind: str = "spatial"  # spatial (one output per iteration) | reduce (accumulates)


def _spatial(shape, names=None) -> list[Loop]:
    names = names or [f"i{d}" for d in range(len(shape))]
    return [Loop(n, int(t)) for n, t in zip(names, shape)]


def _conv(node: ir.Conv, shapes) -> list[Loop]:
    kernel = shapes[node.inputs[1]]
    spatial = len(node.strides)
    out_names = ["n"] + [f"o{d}" for d in range(spatial)] + ["f"]
    red = [Loop(f"k{d}", int(kernel[d]), "reduce") for d in range(spatial)] + [
        Loop("c", int(kernel[spatial]), "reduce")
    ]
    return _spatial(node.shape, out_names) + red


def _dot(node: ir.Dot, shapes) -> list[Loop]:
    lhs = shapes[node.inputs[0]]
    k = int(np.prod([lhs[d] for d in node.lhs_contract], dtype=np.int64))
    return _spatial(node.shape) + [Loop("k", k, "reduce")]


def _pool(node: ir.Pool, shapes) -> list[Loop]:
    reduce_loops = [Loop(f"w{d}", int(w), "reduce") for d, w in enumerate(node.window) if w > 1]
    return _spatial(node.shape) + reduce_loops


def _reduce(node: ir.Reduce, shapes) -> list[Loop]:
    source = shapes[node.inputs[0]]
    return _spatial(node.shape) + [Loop(f"r{d}", int(source[d]), "reduce") for d in node.dims]


def _elementwise(node, shapes) -> list[Loop]:
    return _spatial(node.shape)


def _reshape(node, shapes) -> list[Loop]:
    return []  # the same memory, read with another shape


def _loop(node: ir.Loop, shapes) -> list[Loop]:
    """The step loop: sequential, each step reading the state the step before wrote (a recurrence)."""
    return [Loop("t", node.trips, "reduce")]


LOOP_NESTS = {
    ir.Elementwise: _elementwise,
    ir.Dot: _dot,
    ir.Conv: _conv,
    ir.Pool: _pool,
    ir.Reduce: _reduce,
    ir.Transpose: _elementwise,
    ir.Reshape: _reshape,
    ir.Broadcast: _elementwise,
    ir.Slice: _elementwise,
    ir.Pad: _elementwise,
    ir.Reverse: _elementwise,
    ir.Concat: _elementwise,
    ir.Lookup: _elementwise,
    ir.Loop: _loop,
}


def loop_nest(node: ir.Node, shapes: dict) -> list[Loop]:
    """Loops of ``node``; ``shapes`` maps buffer names to shapes (``kernel_shapes(kernel)``)."""
    return LOOP_NESTS[type(node)](node, shapes)


def kernel_shapes(kernel: ir.Kernel) -> dict[str, tuple[int, ...]]:
    return {name: tuple(buf.shape) for name, buf in kernel.buffers().items()}


def macs(node: ir.Node, shapes: dict) -> int:
    """Multiply-accumulates of a dot or convolution (0 for other nodes)."""
    if not isinstance(node, (ir.Dot, ir.Conv)):
        return 0
    return int(np.prod([loop.trip for loop in loop_nest(node, shapes)], dtype=np.int64))
