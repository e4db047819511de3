"""Each stage of a partition as a kernel and a ``Design`` of its own: the sub-network of its layers.

Stage ``k`` holds the nodes of its layers (``stages.node_layers``: a reshape goes with the layer
reading it) and the constants they read. Its inputs are the tensors crossing the cut before it
(the kernel's inputs for the first stage), typed as the whole design types them; its outputs the
tensors crossing the cut after it (the kernel's outputs for the last). A tensor that passes through
a stage without being read there (a skip connection over a whole device) is forwarded by a copy
node, an ``Elementwise`` identity of the same type, so every device hands the next exactly what the
cut carries. Outputs are given in the order the next stage takes its inputs. An elementwise node
fused into a producer on the device before (io_parallel keeps a residual add as a layer of its own
while the layered flow fuses it) runs as its own loop on its device.
"""

from __future__ import annotations

import dataclasses

from fpgalab.design import Design
from fpgalab.ir import nodes as ir
from fpgalab.ir.verify import verify_kernel
from fpgalab.multi.stages import node_layers, tensors

FORWARD_SUFFIX = "_forward"


def _boundary(partition, k: int) -> tuple[str, ...]:
    """The tensors entering stage ``k`` (``k == len(stages)``: the kernel's outputs, in their order)."""
    kernel = partition.design.kernel
    if k == 0:
        return tuple(i.name for i in kernel.inputs)
    if k == len(partition.stages):
        return tuple(kernel.outputs)
    return tuple(t.name for t in partition.cuts[k - 1].tensors)


def stage_kernels(partition) -> list[ir.Kernel]:
    design = partition.design
    kernel = design.kernel
    where = node_layers(design)
    buffers = kernel.buffers()
    by_name = {t.name: t for t in tensors(design)}
    kernels = []
    for k, stage in enumerate(partition.stages):
        nodes = [n for n in kernel.nodes if stage.first <= where[n.name] < stage.stop]
        here = {n.name for n in nodes}
        nodes = [_unfused(n) if n.directives.fused_into and n.directives.fused_into not in here else n for n in nodes]
        inputs = []
        for name in _boundary(partition, k):
            buf = buffers[name]
            if isinstance(buf, ir.Input):
                inputs.append(buf)
            else:
                inputs.append(ir.Input(name, tuple(buf.shape), buf.dtype, buf.op_name))
        input_names = {i.name for i in inputs}
        outputs = []
        for name in _boundary(partition, k + 1):
            if name in input_names:  # passes through: forwarded by a copy
                buf = buffers[name]
                copy = f"{name}{FORWARD_SUFFIX}{k}"
                rank = len(buf.shape)
                nodes.append(
                    ir.Elementwise(
                        copy,
                        (name,),
                        tuple(buf.shape),
                        buf.dtype,
                        layer=f"forward_{name}",
                        in_dims=(tuple(range(rank)),),
                    )
                )
                outputs.append(copy)
            else:
                outputs.append(name)
        used = {i for n in nodes for i in n.inputs}
        constants = tuple(c for c in kernel.constants if c.name in used)
        names = input_names | {n.name for n in nodes} | {c.name for c in constants}
        missing = sorted(used - names)
        if missing:  # a tensor read here that no cut brings: the stages were not taken from this design
            raise ValueError(
                f"stage {k} reads {', '.join(missing)}, which no cut before it carries "
                f"(cut tensors: {', '.join(sorted(by_name))})"
            )
        sub = ir.Kernel(
            f"{kernel.name}_stage{k}",
            tuple(inputs),
            constants,
            tuple(nodes),
            tuple(outputs),
            tuple(s for s in kernel.buffer_specs if s.name in names),
            kernel.dataflow,
        )
        kernels.append(verify_kernel(sub))
    return kernels


def stage_designs(partition) -> list[Design]:
    """Each stage as a ``Design`` on its own part: its kernel is already typed and directed, so it is
    its own float kernel too (the stage has no float graph of its own; ``float_twin`` retypes it)."""
    design = partition.design
    designs = []
    for kernel, device in zip(stage_kernels(partition), partition.devices):
        options = dataclasses.replace(design.options, device=device.name)
        shapes = tuple(tuple(i.shape) for i in kernel.inputs)
        designs.append(Design(kernel.name, kernel, kernel, options, shapes))
    return designs


def _unfused(node):
    return node.replace(directives=dataclasses.replace(node.directives, fused_into=""))
