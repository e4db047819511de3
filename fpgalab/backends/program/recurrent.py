"""``ir.Loop`` in the backends' loop programs.

A loop is not one loop nest over its output: it is the body kernel (the cell), called once per
step, with its state copied between steps. A backend that writes loops (HLS C++, LLVM) asks
``kernel_programs`` for ``LoopProgram`` records (``loops=True``) and builds the body's own
programs from ``node.body``; for the others (Verilog) ``loop_program``, the ``PROGRAMS`` row,
refuses the layer by name.
"""

from __future__ import annotations

from dataclasses import dataclass

from fpgalab.backends.program.values import Read
from fpgalab.errors import CompileError
from fpgalab.ir import nodes as ir


@dataclass(frozen=True)
class LoopProgram:
    """A loop layer: ``node`` (its body, trip count and state), the buffers it reads and writes."""

    node: ir.Loop
    reads: tuple[Read, ...]
    output: str

    @property
    def name(self) -> str:
        return self.node.name

    @property
    def nodes(self) -> tuple[str, ...]:
        return (self.node.name,)


def loop_record(node: ir.Loop, storage: dict) -> LoopProgram:
    reads = tuple(Read(storage.get(name, name), ()) for name in dict.fromkeys(node.inputs))
    return LoopProgram(node, reads, node.name)


def loop_program(node: ir.Loop, builder, trips):
    raise CompileError(
        f"layer '{node.layer or node.name}' is a recurrent loop ({node.trips} steps of one cell, ir.Loop); "
        "the Verilog backend (and the Yosys-flow estimate built on it) and hls4ml's io_parallel/io_stream "
        "arrangements do not write such loops; the HLS C++ (io='layered') and LLVM backends do, and simulate() "
        "and report() cover it. Or build the layer with unroll=True"
    )
