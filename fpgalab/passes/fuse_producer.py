"""Loop fusion: an elementwise node runs inside its producer's loop nest (no loop, no buffer of its own).

``relu(conv(x))`` becomes one FSM whose write-back applies the relu: the conv's output buffer
disappears and the relu's ops join the epilogue of each output element. The node stays in the
IR (the simulator computes it as before); ``Directives.fused_into`` names its producer.

A node is fused when it is elementwise, reads its producer at the same index and shape, is the
producer's only reader, the producer is not a kernel output nor a reshape, and its other inputs
exist before the producer runs (inputs, constants or earlier nodes).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from fpgalab.ir import nodes as ir


def fusable_producer(node: ir.Node, kernel: ir.Kernel, position_of: dict, users: dict) -> str:
    """The name of the producer ``node`` can be fused into, or ""."""
    if not isinstance(node, ir.Elementwise):
        return ""
    nodes = {n.name: n for n in kernel.nodes}
    for k, name in enumerate(node.inputs):
        producer = nodes.get(name)
        if producer is None or isinstance(producer, ir.Reshape) or name in kernel.outputs:
            continue
        if tuple(producer.shape) != tuple(node.shape) or node.in_dims[k] != tuple(range(len(node.shape))):
            continue
        if {u.name for u in users.get(name, [])} != {node.name} or node.inputs.count(name) != 1:
            continue
        others = [n for n in node.inputs if n != name and n in position_of]
        if any(position_of[n] > position_of[name] for n in others):
            continue
        return name
    return ""


@dataclass(frozen=True)
class FuseIntoProducer:
    """Fuse elementwise nodes into their producers' loops (``enabled=False`` undoes every fusion)."""

    enabled: bool = True
    name: str = "fuse_into_producer"

    def run(self, kernel: ir.Kernel) -> ir.Kernel:
        position_of = {n.name: k for k, n in enumerate(kernel.nodes)}
        users = kernel.users()
        nodes = []
        for node in kernel.nodes:
            producer = fusable_producer(node, kernel, position_of, users) if self.enabled else ""
            if node.directives.fused_into != producer:
                node = node.replace(directives=replace(node.directives, fused_into=producer))
            nodes.append(node)
        return kernel.replace(nodes=tuple(nodes))
