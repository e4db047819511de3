"""HLS C++ backend: a Vitis HLS project folder for a design.

    kernel.h / kernel.cpp   the top function (INTERFACE ap_memory + ap_ctrl_hs, DATAFLOW) and one
                            function per layer with PIPELINE / UNROLL / LOOP_FLATTEN pragmas; the
                            top declares the buffers with ARRAY_PARTITION / BIND_STORAGE / STREAM
    weights/<name>.h        every ROM (weights, biases, constants) as an initialised array
    fpgalab_support.h       fixed helpers (mantissa, max/min that convert after choosing)
    tb.cpp / tb_data.h      a C testbench: the simulator's inputs and expected outputs, bit-exact
                            comparison in fixed point, 1e-5 relative in float32; exit code 0 = pass
    run_hls.tcl             csim, csynth, cosim, export (Vitis HLS)
    Makefile                ``make csim`` builds and runs the testbench with g++ and ap_types

Numerics are those of ``fpgalab.backends.hls.expressions`` (explicit types, equal to the simulator's).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from fpgalab.backends import program as prog
from fpgalab.backends.emitter import Emitter
from fpgalab.backends.hls.expressions import (
    SUPPORT_HEADER,
    CppExpressions,
    cpp_type_name,
    cpp_type_spelling,
    float_literal,
    raw_int_type,
    table_function,
)
from fpgalab.backends.hls.recurrent import LoopCpp
from fpgalab.backends.hls.testbench import MAKEFILE, RUN_HLS_TCL, default_ap_types, testbench
from fpgalab.backends.naming import Namer
from fpgalab.backends.stimulus import test_inputs
from fpgalab.ir import nodes as ir
from fpgalab.ir.types import FixedType, FloatType
from fpgalab.parts import load_device
from fpgalab.sim.fixed import from_float

STORAGE_PRAGMA = {"bram": "impl=bram", "uram": "impl=uram", "lutram": "impl=lutram"}


class CppKernel:
    """The C++ of one design: names, types, tables and every layer function."""

    label_prefix = ""  # loop labels are L_<prefix><loop>: unique where several layers share a function
    writes_loops = True  # an ir.Loop becomes a for loop around its cell (backends.hls.recurrent)

    def __init__(self, design, shared=None):
        """``shared``: the kernel whose C++ this one is part of (a loop's body): names, types and
        tables are then shared, so each is written once."""
        self.design = design
        self.kernel = design.kernel
        self.schedule = design.schedule
        self.ctx = prog.TypeContext(dict(design.options.tables), design.options.table_type)
        self.programs = prog.kernel_programs(self.kernel, self.ctx.tables, self.ctx.table_type, self.writes_loops)
        self.buffer_types = {name: buf.dtype for name, buf in self.kernel.buffers().items()}
        self.shapes = {name: tuple(buf.shape) for name, buf in self.kernel.buffers().items()}
        self.storage = prog.storage_buffers(self.kernel)
        self.names = shared.names if shared else Namer()
        self.top = self.names(self.kernel.name, "kernel")
        self.buffer_names = {name: self.names(name, "buf") for name in self.kernel.buffers()}
        self.layer_names = {p.name: self.names(f"layer_{p.name}") for p in self.programs}
        self.types: set = {self.buffer_types[n] for n in self.kernel.buffers()}
        self.tables: dict = {}
        self.outputs = [self.storage[o] for o in self.kernel.outputs]
        self.constants = {c.name for c in self.kernel.constants}
        self.inputs = [i.name for i in self.kernel.inputs]
        self.raw = frozenset(c.name for c in self.kernel.constants if isinstance(c.dtype, FixedType))
        self.loop_bodies: list = shared.loop_bodies if shared else []  # the CppKernel of each loop's body
        if shared:
            shared.types |= self.types
            self.types, self.tables = shared.types, shared.tables

    # ---- layer functions
    def parameters(self, program) -> list[str]:
        """Storage buffers the layer reads (constants are globals) and the buffer it writes."""
        reads = [r.buffer for r in program.reads if r.buffer not in self.constants]
        return list(dict.fromkeys(reads)) + ([program.output] if program.output not in reads else [])

    def declaration(self, name: str, const: bool) -> str:
        dims = "".join(f"[{d}]" for d in self.shapes[name]) or "[1]"
        prefix = "const " if const else ""
        dtype = self.buffer_types[name]
        element = raw_int_type(dtype) if name in self.raw else cpp_type_name(dtype)
        return f"{prefix}{element} {self.buffer_names[name]}{dims}"

    def layer_function(self, program, out: Emitter) -> None:
        if isinstance(program, prog.LoopProgram):
            loop = LoopCpp(self, program.node, CppKernel)
            self.loop_bodies.append(loop.body)
            loop.emit(out, self.parameters(program))
            return
        params = self.parameters(program)
        args = ", ".join(self.declaration(p, p != program.output) for p in params)
        layer = self.schedule.layer(program.name)
        loops = {lp.name: lp for lp in layer.loops}
        directives = self.kernel.node(program.name).directives
        pipelined = [lp.name for lp in layer.loops if lp.role == "pipelined"]
        loop_names = {lp.name: lp.name for lp in program.loops}
        expressions = self.expressions(program, loop_names)
        out.line(f"// {', '.join(program.nodes)}: {layer.formula} cycles (fpgalab schedule)")
        with out.block(f"static void {self.layer_names[program.name]}({args}) {{"):
            if layer.pipelined and not pipelined:
                out.raw(f"#pragma HLS PIPELINE II={layer.ii_target}")
            self.loop_level(program, 0, out, expressions, loops, pipelined, directives)
        out.line()

    def expressions(self, program, loop_names: dict) -> CppExpressions:
        return CppExpressions(
            program, self.buffer_types, self.buffer_names, loop_names, self.ctx, self.types, self.tables, self.raw
        )

    def loop_pragmas(self, loop, schedule_loop, pipelined: list, directives, out: Emitter) -> None:
        if schedule_loop is None:
            return
        if pipelined and loop.name == pipelined[-1]:
            out.raw(f"#pragma HLS PIPELINE II={directives.ii}")
            if directives.flatten == "none":
                out.raw("#pragma HLS LOOP_FLATTEN off")
        elif schedule_loop.unroll == schedule_loop.trip:
            out.raw("#pragma HLS UNROLL")
        if 1 < schedule_loop.unroll < schedule_loop.trip:
            out.raw(f"#pragma HLS UNROLL factor={schedule_loop.unroll}")
        if not directives.pipeline and schedule_loop.role == "sequential":
            out.raw("#pragma HLS PIPELINE off")

    def loop_level(self, program, depth: int, out: Emitter, expressions, loops, pipelined, directives) -> None:
        spatial = len(program.spatial)
        if depth == spatial and program.acc_kind:
            acc_type = program.acc_type
            out.line(f"{expressions.name(acc_type)} acc = {expressions.code(program.init)};")
        if depth == len(program.loops):
            if program.acc_kind:
                self.accumulate(program, expressions, out)
            else:
                self.epilogue(program, expressions, out)
            return
        loop = program.loops[depth]
        label = f"L_{self.label_prefix}{loop.name}"
        with out.block(f"{label}: for (int {loop.name} = 0; {loop.name} < {loop.trip}; {loop.name}++) {{"):
            self.loop_pragmas(loop, loops.get(loop.name), pipelined, directives, out)
            self.loop_level(program, depth + 1, out, expressions, loops, pipelined, directives)
        if depth == spatial and program.acc_kind:
            self.epilogue(program, expressions, out)

    def accumulate(self, program, expressions, out: Emitter) -> None:
        acc = expressions.name(program.acc_type)
        step = expressions.code(program.step)
        kind = program.acc_kind
        if isinstance(program.acc_type, FloatType):
            line = f"acc = fp_f{kind}(acc, {step});" if kind in ("max", "min") else f"acc = float(acc + {step});"
        elif kind in ("max", "min"):
            line = f"acc = fp_{kind}<{acc}>(acc, {step});"
        else:
            line = f"acc = {acc}(acc + {step});"
        out.line(line)
        if not program.reduction:  # no reduction loop: the step once, then the epilogue
            self.epilogue(program, expressions, out)

    def epilogue(self, program, expressions, out: Emitter) -> None:
        with out.block("{"):
            previous = None
            for k, (expr, dtype) in enumerate(program.epilogue):
                expressions.prev_type = previous
                code = expressions.code(expr).replace("v_prev", f"v{k - 1}")
                out.line(f"{expressions.name(dtype)} v{k} = {code};")
                previous = dtype
            target = expressions.element(prog.Read(program.output, program.out_index))
            out.line(f"{target} = v{len(program.epilogue) - 1};")

    # ---- top function
    def buffer_pragmas(self, name: str, out: Emitter) -> None:
        spec = self.kernel.buffer_spec(name)
        try:
            buf = self.schedule.buffer(name)
        except KeyError:
            return
        variable = self.buffer_names[name]
        pragma = "ARRAY_RESHAPE" if buf.reshape else "ARRAY_PARTITION"  # reshaped: the banks one memory's words
        for dim, part in enumerate(buf.partition, start=1):
            if part.kind == "complete":
                out.raw(f"#pragma HLS {pragma} variable={variable} type=complete dim={dim}")
            elif part.kind in ("cyclic", "block") and part.factor > 1:
                out.raw(f"#pragma HLS {pragma} variable={variable} type={part.kind} factor={part.factor} dim={dim}")
        if name in self.inputs or name in self.outputs:
            return
        if buf.storage == "reg":
            out.raw(f"#pragma HLS ARRAY_PARTITION variable={variable} type=complete dim=0")
        elif buf.storage in STORAGE_PRAGMA:
            kind = "rom_2p" if name in self.constants else "ram_2p"
            out.raw(f"#pragma HLS BIND_STORAGE variable={variable} type={kind} {STORAGE_PRAGMA[buf.storage]}")
        if buf.channel in ("fifo", "pipo"):
            out.raw(f"#pragma HLS STREAM variable={variable} type={buf.channel} depth={buf.depth}")
        del spec

    def top_signature(self) -> str:
        args = [self.declaration(n, True) for n in self.inputs]
        args += [self.declaration(n, False) for n in dict.fromkeys(self.outputs) if n not in self.inputs]
        return f"void {self.top}({', '.join(args)})"

    def top_pragmas(self, out: Emitter) -> None:
        for name in self.inputs + list(dict.fromkeys(self.outputs)):
            out.raw(f"#pragma HLS INTERFACE mode=ap_memory port={self.buffer_names[name]}")
        out.raw("#pragma HLS INTERFACE mode=ap_ctrl_hs port=return")
        if self.kernel.dataflow:
            out.raw("#pragma HLS DATAFLOW")

    def top_function(self, out: Emitter) -> None:
        with out.block(f"{self.top_signature()} {{"):
            self.top_pragmas(out)
            self.top_function_body(out)

    def top_function_body(self, out: Emitter) -> None:
        """The top function's buffers and layer calls (a loop's cell function is this, without interface)."""
        for name in self.inputs + list(dict.fromkeys(self.outputs)):
            self.buffer_pragmas(name, out)
        for name in sorted(self.constants):
            if any(name == r.buffer for p in self.programs for r in p.reads):
                self.buffer_pragmas(name, out)
        locals_ = [p.output for p in self.programs if p.output not in self.outputs]
        for name in locals_:
            out.line(f"FPGALAB_LOCAL {self.declaration(name, False)};")
            self.buffer_pragmas(name, out)
        for program in self.programs:
            params = ", ".join(self.buffer_names[p] for p in self.parameters(program))
            out.line(f"{self.layer_names[program.name]}({params});")

    # ---- files
    def kernel_cpp(self) -> str:
        body = Emitter()
        for program in self.programs:
            self.layer_function(program, body)
        top = Emitter()
        self.top_function(top)
        out = Emitter()
        out.line(f"// {self.kernel.name}: generated by fpgalab from {len(self.kernel.nodes)} IR nodes")
        out.line('#include "kernel.h"')
        for c in self.kernel.constants:
            out.line(f'#include "weights/{self.buffer_names[c.name]}.h"')
        out.line()
        out.line("#ifndef __SYNTHESIS__")
        out.line("#define FPGALAB_LOCAL static  // keeps big buffers off the C simulation's stack")
        out.line("#else")
        out.line("#define FPGALAB_LOCAL")
        out.line("#endif")
        out.line()
        for (function, in_type, out_type), name in sorted(self.tables.items(), key=lambda kv: kv[1]):
            out.lines(table_function(name, function, in_type, out_type, self.ctx.tables[function]))
            out.line()
        return out.text() + body.text() + top.text()

    def kernel_h(self) -> str:
        out = Emitter()
        out.line(f"// {self.kernel.name}: types and top function (generated by fpgalab)")
        out.line("#ifndef FPGALAB_KERNEL_H")
        out.line("#define FPGALAB_KERNEL_H")
        out.line('#include "fpgalab_support.h"')
        out.line()
        for dtype in sorted(self.types, key=cpp_type_name):
            if isinstance(dtype, FixedType):
                out.line(f"typedef {cpp_type_spelling(dtype)} {cpp_type_name(dtype)};")
        out.line()
        out.line(f"{self.top_signature()};")
        out.line("#endif")
        return out.text()

    def weights_header(self, const: ir.Constant) -> str:
        values = np.asarray(const.value, dtype=np.float32).reshape(-1)
        if isinstance(const.dtype, FixedType):  # stored as mantissas (see fp_from_bits)
            texts = [str(int(m)) for m in from_float(values, const.dtype)]
        else:
            texts = [float_literal(float(v)) for v in values]
        out = Emitter()
        guard = f"FPGALAB_WEIGHTS_{self.buffer_names[const.name].upper()}_H"
        stored = "mantissas (integers) of " if const.name in self.raw else ""
        out.line(f"// {const.name} ({const.role}): {stored}{const.dtype}{list(const.shape)} (generated by fpgalab)")
        out.line(f"#ifndef {guard}")
        out.line(f"#define {guard}")
        out.line(f"static {self.declaration(const.name, True)} = {{")
        with out.indented():
            for k in range(0, len(texts), 16):
                out.line(", ".join(texts[k : k + 16]) + ",")
        out.line("};")
        out.line("#endif")
        return out.text()


def network_files(cpp: CppKernel) -> dict:
    """The network's own C++ (kernel.cpp, kernel.h, fpgalab_support.h, weights/): file -> text.
    The Vitis export (``fpgalab.cloud.vitis``) calls its top function from a batch kernel."""
    files = {"kernel.cpp": cpp.kernel_cpp(), "kernel.h": cpp.kernel_h(), "fpgalab_support.h": SUPPORT_HEADER}
    for const in cpp.kernel.constants:
        files[f"weights/{cpp.buffer_names[const.name]}.h"] = cpp.weights_header(const)
    for body in cpp.loop_bodies:  # the weights of each loop's cell
        for const in body.kernel.constants:
            files[f"weights/{body.buffer_names[const.name]}.h"] = body.weights_header(const)
    return files


def write_project(design, folder: Path, inputs=None, kernel_class=None) -> dict:
    """Write the Vitis HLS project of ``design`` into ``folder`` (which must exist). Returns file -> bytes written.
    ``kernel_class``: the arrangement of the C++ (``CppKernel``, or ``parallel.ParallelCppKernel``)."""
    cpp = (kernel_class or CppKernel)(design)
    arrays = [np.asarray(a, dtype=np.float32) for a in (inputs if inputs is not None else test_inputs(design))]
    files = network_files(cpp)
    files["tb_data.h"], files["tb.cpp"] = testbench(cpp, arrays)
    device = load_device(design.options.device)
    files["run_hls.tcl"] = RUN_HLS_TCL.format(top=cpp.top, part=device.part, period=1000.0 / design.options.clock_mhz)
    files["Makefile"] = MAKEFILE.format(ap_types=default_ap_types())
    for relative, text in files.items():
        path = folder / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return {k: len(v) for k, v in files.items()}
