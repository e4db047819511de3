"""``llvm.loop`` metadata in the form LLVM-based HLS tools read: unroll, pipeline and the loop's name."""

from __future__ import annotations

from llvmlite import ir as ll

I1, I32 = ll.IntType(1), ll.IntType(32)


def loop_metadata(module: ll.Module, label: str, schedule_loop, pipelined: bool, ii: int, pipeline_off: bool):
    """The self-referencing loop ID of one loop.

    ``label`` names the loop (``fpgalab.loop``); ``schedule_loop`` is the schedule's view of it
    (None for loops the schedule does not list): the pipelined loop gets
    ``llvm.loop.pipeline.initiationinterval``, a fully unrolled one ``llvm.loop.unroll.full``, a
    partly unrolled one ``llvm.loop.unroll.count``, and a sequential loop whose layer is not
    pipelined ``llvm.loop.pipeline.disable`` (``pipeline_off``).
    """

    def md(operands):
        return module.add_metadata(operands)

    def text(value: str):
        return ll.MetaDataString(module, value)

    props = [md([text("fpgalab.loop"), text(label)])]
    if schedule_loop is not None:
        if pipelined:
            props.append(md([text("llvm.loop.pipeline.initiationinterval"), ll.Constant(I32, ii)]))
        elif schedule_loop.unroll == schedule_loop.trip:
            props.append(md([text("llvm.loop.unroll.full")]))
        elif pipeline_off:
            props.append(md([text("llvm.loop.pipeline.disable"), ll.Constant(I1, 1)]))
        if 1 < schedule_loop.unroll < schedule_loop.trip:
            props.append(md([text("llvm.loop.unroll.count"), ll.Constant(I32, schedule_loop.unroll)]))
    node = md(props)
    node.operands = (node,) + tuple(node.operands)  # a loop ID refers to itself
    return node
