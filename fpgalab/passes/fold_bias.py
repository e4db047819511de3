"""Fold ``dot/conv + broadcast(bias)`` into the layer, so the accumulator starts at the bias.

This is how hls4ml and hand-written HLS compute a dense or convolution layer
(``acc = bias; acc += w * x``), and it removes one elementwise pass over the output.
"""

from __future__ import annotations

from dataclasses import dataclass

from fpgalab.ir import nodes as ir


def _bias_add(node: ir.Node, producer: ir.Node, constants: dict):
    """The bias constant and its dims if ``node`` is producer + constant, else None."""
    if not isinstance(node, ir.Elementwise) or not isinstance(node.expr, ir.Op) or node.expr.op != "add":
        return None
    args = node.expr.args
    if len(node.inputs) != 2 or not all(isinstance(a, ir.Arg) for a in args):
        return None
    positions = {node.inputs[a.index]: a.index for a in args}
    if producer.name not in positions or len(positions) != 2:
        return None
    own = positions[producer.name]
    other = 1 - own
    bias_name = node.inputs[other]
    if bias_name not in constants or node.in_dims[own] != tuple(range(len(node.shape))):
        return None
    dims = node.in_dims[other]
    if isinstance(producer, ir.Conv) and dims != (len(node.shape) - 1,):
        return None
    return bias_name, dims


@dataclass(frozen=True)
class FoldBias:
    name: str = "fold_bias"

    def run(self, kernel: ir.Kernel) -> ir.Kernel:
        constants = {c.name: c for c in kernel.constants}
        users = kernel.users()
        replaced: dict[str, ir.Node] = {}
        dropped: set[str] = set()
        for node in kernel.nodes:
            if not isinstance(node, (ir.Dot, ir.Conv)) or len(node.inputs) != 2:
                continue
            readers = users.get(node.name, [])
            if len(readers) != 1 or node.name in kernel.outputs:
                continue
            found = _bias_add(readers[0], node, constants)
            if found is None:
                continue
            bias, dims = found
            add = readers[0]
            fields = {"bias_dims": dims} if isinstance(node, ir.Dot) else {}
            replaced[add.name] = node.replace(name=add.name, inputs=node.inputs + (bias,), **fields)
            dropped.add(node.name)
        if not replaced:
            return kernel
        nodes = tuple(replaced.get(n.name, n) for n in kernel.nodes if n.name not in dropped)
        return kernel.replace(nodes=reorder(nodes, kernel))


def reorder(nodes, kernel: ir.Kernel):
    """Topological order again (a folded layer takes the place of its bias add)."""
    ready = {i.name for i in kernel.inputs} | {c.name for c in kernel.constants}
    pending, ordered = list(nodes), []
    while pending:
        progress = [n for n in pending if all(i in ready for i in n.inputs)]
        if not progress:
            raise RuntimeError("fold_bias left a cycle in the kernel")
        for n in progress:
            ordered.append(n)
            ready.add(n.name)
        pending = [n for n in pending if n.name not in ready]
    return tuple(ordered)
