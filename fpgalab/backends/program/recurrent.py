"""The program row of ``ir.Loop``: not written by the backends yet, refused with the layer's name."""

from __future__ import annotations

from fpgalab.errors import CompileError
from fpgalab.ir import nodes as ir


def loop_program(node: ir.Loop, builder, trips):
    raise CompileError(
        f"layer '{node.layer or node.name}' is a recurrent loop ({node.trips} steps of one cell, ir.Loop); "
        "fpgalab's HLS C++, LLVM and Verilog backends do not write such loops yet. simulate(), report() and "
        "the estimate cover it; to export code, build the layer with unroll=True"
    )
