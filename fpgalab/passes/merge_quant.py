"""Give a QONNX Quant's type to the layer that produces its input.

A ``Quant`` after a Dense, convolution or pooling layer says what type that layer's result has; in
hardware there is no separate layer for it (hls4ml likewise moves a Quant's precision onto the
layer before and drops the node). When a node of the model's own type (``given_type``) only
converts its one input (``Arg(0)``) and is that input's only reader, the producer -- a Dot, Conv,
Pool or Reduce whose type is not given -- takes its type and its name and the Quant node goes.
The producer's accumulator still holds the exact sum, so the result is rounded once, as the Quant
rounds it. Elementwise producers are merged by ``FuseElementwise`` (they join the Quant's expression).
"""

from __future__ import annotations

from dataclasses import dataclass

from fpgalab.ir import nodes as ir

PRODUCERS = (ir.Dot, ir.Conv, ir.Pool, ir.Reduce)


def _is_conversion(node: ir.Node) -> bool:
    return isinstance(node, ir.Elementwise) and node.given_type and node.expr == ir.Arg(0) and len(node.inputs) == 1


@dataclass(frozen=True)
class MergeQuant:
    name: str = "merge_quant"

    def run(self, kernel: ir.Kernel) -> ir.Kernel:
        produced = {n.name: n for n in kernel.nodes}
        users = kernel.users()
        merged: dict[str, ir.Node] = {}  # quant name -> the producer, renamed and retyped
        dropped: set[str] = set()
        for node in kernel.nodes:
            if not _is_conversion(node) or node.in_dims[0] != tuple(range(len(node.shape))):
                continue
            producer = produced.get(node.inputs[0])
            if producer is None or not isinstance(producer, PRODUCERS) or producer.given_type:
                continue
            if producer.name in kernel.outputs or len(users.get(producer.name, [])) != 1:
                continue
            merged[node.name] = producer.replace(name=node.name, dtype=node.dtype, given_type=True)
            dropped.add(producer.name)
        if not merged:
            return kernel
        nodes = tuple(merged.get(n.name, n) for n in kernel.nodes if n.name not in dropped)
        return kernel.replace(nodes=nodes)
