"""LLVM IR of an ``ir.Loop``: the step loop in the design's function, the cell's layers inside it.

    start values -> state registers                        (copy loops)
    loop t = 0 .. T-1   (llvm.loop.pipeline.disable: step t+1 reads step t's state)
        slice t of each input sequence -> the cell's input
        the body kernel's layers, each as any layer       (built once, run T times)
        next values -> state registers; the step's value -> output[slice t]
    final state -> output                                  (a final-state output)

The cell's buffers become internal globals like every other buffer of the design (their names
are unique in the whole design; a body input read whole at every step has the name of the
outside buffer it reads, so it is that buffer). Each copy is a small ``LayerProgram``
(``program.copy_program``: a ``convert`` to the target's type over a flat element index; the
step's ``t`` is an index variable), so it goes through the same loads, conversions and stores as
every layer.
"""

from __future__ import annotations

from llvmlite import ir as ll

from fpgalab.backends import program as prog
from fpgalab.ir import nodes as ir
from fpgalab.schedule import schedule_kernel

I1, I32 = ll.IntType(1), ll.IntType(32)


class LoopBuilder:
    """Adds one loop layer to a ``KernelBuilder``'s function."""

    def __init__(self, kb, node: ir.Loop):
        self.kb, self.node = kb, node
        options = kb.design.options
        self.schedule = schedule_kernel(
            node.body, options.device, options.clock_mhz, options.tables, options.table_type
        )
        body = node.body
        self.programs = prog.kernel_programs(body, kb.ctx.tables, kb.ctx.table_type)
        kb.types.update({name: buf.dtype for name, buf in body.buffers().items()})
        kb.shapes.update({name: tuple(buf.shape) for name, buf in body.buffers().items()})
        kb.constants.update({c.name: c for c in body.constants})

    def copy(self, label: str, target: tuple, source: tuple, dtype) -> None:
        self.kb.layer(prog.copy_program(self.kb.names.fresh(f"{self.node.name}_{label}"), target, source, dtype))

    def build(self) -> None:
        kb, node, body = self.kb, self.node, self.node.body
        shapes = kb.shapes
        states = body.inputs[: node.carried]
        for k, spec in enumerate(states):
            start = kb.storage[node.inputs[k]]
            self.copy("start", (spec.name, spec.shape, -1, 0), (start, shapes[start], -1, 0), spec.dtype)

        def step(t):
            kb.step_env = {"t": t}
            rest = zip(body.inputs[node.carried :], node.inputs[node.carried :], node.step_axes, node.step_offsets)
            for spec, name, axis, offset in rest:
                if axis >= 0:
                    source = kb.storage[name]
                    self.copy("x", (spec.name, spec.shape, -1, 0), (source, shapes[source], axis, offset), spec.dtype)
            for program in self.programs:
                kb.layer(program, self.schedule.layer(program.name), body.node(program.name).directives)
            storage = prog.storage_buffers(body)
            for k, spec in enumerate(states):
                value = storage[body.outputs[k]]
                self.copy("next", (spec.name, spec.shape, -1, 0), (value, shapes[value], -1, 0), spec.dtype)
            if node.result >= node.carried:
                value = storage[body.outputs[node.result]]
                target = (kb.storage[node.name], node.shape, node.stack_axis, 0)
                self.copy("y", target, (value, shapes[value], -1, 0), node.dtype)
            kb.step_env = {}

        label = f"{kb.names(node.name, 'layer')}.t"
        if node.trips > 1:
            kb.counted_loop(label, node.trips, step, self.step_metadata(label) if kb.metadata else None)
        else:
            step(ll.Constant(I32, 0))
        if node.result < node.carried:
            spec = states[node.result]
            self.copy("out", (kb.storage[node.name], node.shape, -1, 0), (spec.name, spec.shape, -1, 0), node.dtype)

    def step_metadata(self, label: str):
        module = self.kb.module
        props = [
            module.add_metadata([ll.MetaDataString(module, "fpgalab.loop"), ll.MetaDataString(module, label)]),
            module.add_metadata([ll.MetaDataString(module, "llvm.loop.pipeline.disable"), ll.Constant(I1, 1)]),
        ]
        node = module.add_metadata(props)
        node.operands = (node,) + tuple(node.operands)  # a loop ID refers to itself
        return node
