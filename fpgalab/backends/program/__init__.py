"""What each layer computes, as a small loop program that every backend emits in its own language.

One row per IR node class (``PROGRAMS``) turns a node (and the elementwise nodes fused into it)
into a ``LayerProgram``:

    for the spatial loops:
        acc = init                                  (when the layer reduces)
        for the reduction loops:
            acc = combine(acc, step)                # mac/sum: acc_type(acc + step); max/min
        v0 = epilogue[0](acc or the reads) ; v1 = epilogue[1](v0, reads) ; ...
        output[out_index] = v_last

Values are ``fpgalab.ir.nodes`` expressions (``Arg`` = a read of ``reads[k]``, ``Const``, ``Op``)
plus the few nodes below (``Acc``, ``Prev``, ``Lit``, ``Valid``). Their numerics are exactly the
simulator's (``fpgalab.sim.rows`` and ``fpgalab.sim.elementwise``); ``value_type`` gives the type
of every sub-expression by the simulator's rules, so a backend never has to guess a width.

Indices are small integer expression trees over loop variables (``IVar``), always resolved to
the buffer that stores the data (a reshape reads its source with the flat index re-split).
Loops of trip 1 do not exist: their variable is 0.
"""

from fpgalab.backends.program.build import PROGRAMS, layer_program
from fpgalab.backends.program.index import (
    IAdd,
    IDiv,
    ILit,
    IMod,
    IMul,
    IRead,
    IVar,
    i_add,
    i_div,
    i_eval,
    i_mod,
    i_mul,
    i_rows,
    i_vars,
)
from fpgalab.backends.program.kernel import kernel_programs, layer_chains, storage_buffers
from fpgalab.backends.program.recurrent import LoopProgram, copy_program, step_copy_programs
from fpgalab.backends.program.values import Acc, LayerProgram, Lit, Prev, Read, TypeContext, Valid, op_type, value_type

__all__ = [
    "IRead",
    "i_rows",
    "PROGRAMS",
    "LoopProgram",
    "copy_program",
    "step_copy_programs",
    "kernel_programs",
    "layer_chains",
    "layer_program",
    "storage_buffers",
    "IAdd",
    "IDiv",
    "ILit",
    "IMod",
    "IMul",
    "IVar",
    "i_add",
    "i_div",
    "i_eval",
    "i_mod",
    "i_mul",
    "i_vars",
    "Acc",
    "LayerProgram",
    "Lit",
    "Prev",
    "Read",
    "TypeContext",
    "Valid",
    "op_type",
    "value_type",
]
