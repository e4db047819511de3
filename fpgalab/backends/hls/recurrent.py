"""HLS C++ of an ``ir.Loop``: the cell as a function of its own, called in a for loop over the steps.

    static void cell_<loop>(states..., x_t..., whole inputs..., next values...)   the body kernel's
                                                  layers, written as any design's (one function each)
    static void layer_<loop>(inputs..., output) {
        state registers = start values
        L_<loop>_t: for (int t = 0; t < T; t++) {    // not pipelined: step t+1 reads step t's state
            x_t = slice t of each sequence input
            cell_<loop>(...)
            state registers = next values            // an assignment: converted to the state's type
            output[slice t] = the stacked value      (a sequence output)
        }
        output = the final state                     (a final-state output)
    }

This is hls4ml's "static" recurrent layer: one cell instance, reused at every step. The copies
run over flat element indices split into each array's own indices, so a reshaped body output
(stored under its source's shape) copies in row-major order as the simulator reads it.
"""

from __future__ import annotations

import math
from types import SimpleNamespace

from fpgalab.backends.emitter import Emitter
from fpgalab.backends.hls.expressions import cpp_type_name
from fpgalab.schedule import schedule_kernel


def flat_index(shape, flat: str) -> list[str]:
    """The index of element ``flat`` (row-major) of an array of ``shape``, one expression per dimension."""
    if not shape:
        return ["0"]
    indices, stride = [], math.prod(shape)
    for d, size in enumerate(shape):
        stride //= size
        expr = flat if stride == 1 else f"({flat} / {stride})"
        indices.append(expr if d == 0 else f"{expr} % {size}")
    return indices


def _at(name: str, index: list[str]) -> str:
    return name + "".join(f"[{i}]" for i in index)


class LoopCpp:
    """The C++ of one loop layer, written by ``CppKernel.layer_function``."""

    def __init__(self, outer, node, kernel_class):
        """``kernel_class``: the class writing a whole kernel (``CppKernel``), used for the body."""
        self.outer, self.node = outer, node
        options = outer.design.options
        schedule = schedule_kernel(node.body, options.device, options.clock_mhz, options.tables, options.table_type)
        body_design = SimpleNamespace(kernel=node.body, schedule=schedule, options=options)
        self.body = kernel_class(body_design, shared=outer)
        self.body.top = outer.names(f"cell_{node.name}")

    def read(self, cpp, name: str, index: list[str]) -> str:
        """Element ``index`` of buffer ``name`` of ``cpp`` (ROMs of fixed types are stored as mantissas)."""
        code = _at(cpp.buffer_names[name], index)
        if name in cpp.raw:
            return f"fp_from_bits<{cpp_type_name(cpp.buffer_types[name])}>({code})"
        return code

    def copy(self, out: Emitter, label: str, count: int, target: str, source: str) -> None:
        """``for (e < count) target = source``: both written with the flat index ``e``."""
        with out.block(f"{label}: for (int e = 0; e < {count}; e++) {{"):
            out.raw("#pragma HLS PIPELINE II=1")
            out.line(f"{target} = {source};")

    def emit(self, out: Emitter, params: list[str]) -> None:
        node, body, outer = self.node, self.body, self.outer
        for const in node.body.constants:
            out.line(f'#include "weights/{body.buffer_names[const.name]}.h"')
        out.line()
        for program in body.programs:
            body.layer_function(program, out)
        with out.block(f"static {body.top_signature()} {{"):
            body.top_function_body(out)
        out.line()
        args = ", ".join(outer.declaration(p, p != node.name) for p in params)
        layer = outer.schedule.layer(node.name)
        label = outer.names(f"L_{node.name}")
        out.line(f"// {node.name}: {layer.formula} (fpgalab schedule)")
        with out.block(f"static void {outer.layer_names[node.name]}({args}) {{"):
            self.states(out, label)
            with out.block(f"{label}_t: for (int t = 0; t < {node.trips}; t++) {{"):
                out.raw("#pragma HLS PIPELINE off")
                self.step(out, label)
            if node.result < node.carried:
                spec = node.body.inputs[node.result]
                count = math.prod(node.shape)
                target = _at(outer.buffer_names[outer.storage[node.name]], flat_index(self.out_shape(), "e"))
                self.copy(out, f"{label}_out", count, target, self.read(body, spec.name, flat_index(spec.shape, "e")))
        out.line()

    def out_shape(self):
        return self.outer.shapes[self.outer.storage[self.node.name]]

    def states(self, out: Emitter, label: str) -> None:
        node, body, outer = self.node, self.body, self.outer
        for k, spec in enumerate(node.body.inputs[: node.carried]):
            out.line(f"{body.declaration(spec.name, False)};")
            start = outer.storage[node.inputs[k]]
            source = self.read(outer, start, flat_index(outer.shapes[start], "e"))
            dtype = cpp_type_name(spec.dtype)
            target = _at(body.buffer_names[spec.name], flat_index(spec.shape, "e"))
            self.copy(out, f"{label}_start{k}", math.prod(spec.shape), target, f"{dtype}({source})")

    def step(self, out: Emitter, label: str) -> None:
        node, body, outer = self.node, self.body, self.outer
        call = [body.buffer_names[spec.name] for spec in node.body.inputs[: node.carried]]
        rest = zip(node.body.inputs[node.carried :], node.inputs[node.carried :], node.step_axes, node.step_offsets)
        for k, (spec, name, axis, offset) in enumerate(rest):
            source = outer.storage[name]
            if axis < 0:
                call.append(outer.buffer_names[source])
                continue
            out.line(f"{body.declaration(spec.name, False)};")
            index = flat_index(spec.shape, "e")
            index[axis] = f"t + {offset}" if offset else "t"
            target = _at(body.buffer_names[spec.name], flat_index(spec.shape, "e"))
            self.copy(out, f"{label}_x{k}", math.prod(spec.shape), target, self.read(outer, source, index))
            call.append(body.buffer_names[spec.name])
        for name in dict.fromkeys(body.outputs):
            if name not in body.inputs:
                out.line(f"{body.declaration(name, False)};")
                call.append(body.buffer_names[name])
        out.line(f"{body.top}({', '.join(call)});")
        for k, spec in enumerate(node.body.inputs[: node.carried]):
            source = body.outputs[k]
            value = self.read(body, source, flat_index(body.shapes[source], "e"))
            target = _at(body.buffer_names[spec.name], flat_index(spec.shape, "e"))
            self.copy(out, f"{label}_next{k}", math.prod(spec.shape), target, f"{cpp_type_name(spec.dtype)}({value})")
        if node.result >= node.carried:
            source = body.outputs[node.result]
            shape = list(node.shape)
            shape[node.stack_axis] = 1
            index = flat_index(tuple(shape), "e")
            index[node.stack_axis] = "t"
            target = _at(outer.buffer_names[outer.storage[node.name]], index)
            value = self.read(body, source, flat_index(body.shapes[source], "e"))
            self.copy(out, f"{label}_y", math.prod(shape), target, value)
