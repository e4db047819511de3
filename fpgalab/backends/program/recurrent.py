"""``ir.Loop`` in the backends' loop programs.

A loop is not one loop nest over its output: it is the body kernel (the cell), called once per
step, with its state copied between steps. A backend that writes loops (HLS C++, LLVM, Verilog)
asks ``kernel_programs`` for ``LoopProgram`` records (``loops=True``) and builds the body's own
programs from ``node.body``; the copies between the loop's buffers and the cell's are small
layer programs (``copy_program``, ``step_copy_programs``) over a flat element index, the step
being the index variable ``t``. Where a loop must be one loop nest (hls4ml's io_parallel and
io_stream) ``loop_program``, the ``PROGRAMS`` row, refuses the layer by name.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from fpgalab.backends.program.index import ILit, IVar, i_add, i_div, i_mod
from fpgalab.backends.program.values import LayerProgram, Read
from fpgalab.errors import CompileError
from fpgalab.ir import nodes as ir
from fpgalab.ir.loops import Loop
from fpgalab.schedule.recurrence import StepCopy, step_copies


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


def _slab_index(shape, flat, axis: int = -1, offset: int = 0) -> tuple:
    """The index of element ``flat`` of ``shape`` (row-major); along ``axis``, the step t + ``offset``."""
    index, stride = [], math.prod(shape)
    for d, size in enumerate(shape):
        stride //= size
        if d == axis:
            index.append(i_add(IVar("t"), offset))
        else:
            index.append(i_mod(i_div(flat, stride), size) if d else i_div(flat, stride))
    return tuple(index)


def copy_program(name: str, target: tuple, source: tuple, dtype) -> LayerProgram:
    """``target[slab] = dtype(source[slab])`` element by element; ``target`` and ``source`` are
    (buffer, shape, axis, offset): the slab is the whole buffer, or its index t + offset along axis."""
    buffer, shape, axis, offset = target
    slab = [1 if d == axis else size for d, size in enumerate(shape)]
    count = math.prod(slab)
    flat = IVar("e") if count > 1 else ILit(0)
    out_index = _slab_index(shape, flat, axis, offset)
    source_buffer, source_shape, source_axis, source_offset = source
    read = Read(source_buffer, _slab_index(source_shape, flat, source_axis, source_offset))
    loops = (Loop("e", count),) if count > 1 else ()
    epilogue = ((ir.Op("convert", (ir.Arg(0),), dtype), dtype),)
    return LayerProgram(name, (name,), buffer, dtype, out_index, loops, (read,), epilogue=epilogue)


def step_copy_programs(node: ir.Loop, storage: dict, shapes: dict) -> list[tuple[StepCopy, LayerProgram]]:
    """Every copy of a loop layer (``schedule.recurrence.step_copies``, named as the schedule
    names their layers) with its program; ``storage`` and ``shapes`` are the outside kernel's."""
    result = []
    for copy in step_copies(node, lambda name: storage.get(name, name), shapes):
        target, source = copy.target, copy.source
        program = copy_program(
            copy.name,
            (target.buffer, target.shape, target.axis, target.offset),
            (source.buffer, source.shape, source.axis, source.offset),
            copy.dtype,
        )
        result.append((copy, program))
    return result


def loop_program(node: ir.Loop, builder, trips):
    raise CompileError(
        f"layer '{node.layer or node.name}' is a recurrent loop ({node.trips} steps of one cell, ir.Loop); "
        "hls4ml's io_parallel/io_stream arrangements do not write such loops; the HLS C++ (io='layered'), "
        "LLVM and Verilog backends do, and simulate() and report() cover it. Or build the layer with unroll=True"
    )
