"""The HLS C++ of hls4ml's io_stream architecture: layers as dataflow processes over pixel streams.

Each hls4ml layer (``fpgalab.schedule.network``) is one process. Tensors travel as
``hls::stream`` of words, one word per pixel holding all its channels (a flat vector is one word),
as hls4ml's ``nnet::array``. The same layer code and numerics as the other arrangements (the
simulator's bits), in three kinds of process (HLS4ML_FACTS.md sections 4-5):

* **window** (convolution, pooling): the input's pixels arrive row by row into a line buffer of
  the rows the window spans (padding is inserted as the pixels arrive, as hls4ml's ZeroPadding
  layer does); once a window is complete its output pixel is computed and written. The pixel
  loop is pipelined at II = the reuse factor.
* **pixelwise** (an activation or any elementwise layer of one input): a word in, its channels
  computed, a word out, pipelined at II=1.
* **frame** (dense, softmax, anything else): the input words are read into the layer's array,
  the layer computed, its output written as words (hls4ml's dense and softmax in io_stream).

The top keeps array ports (so the C testbench is the same) and runs the processes under
``DATAFLOW``: a feeder turns the input arrays into streams, a drain the output stream into arrays.
"""

from __future__ import annotations

from contextlib import ExitStack
from dataclasses import replace

from fpgalab.backends import program as prog
from fpgalab.backends.emitter import Emitter
from fpgalab.backends.hls.expressions import CppExpressions, index_code
from fpgalab.backends.hls.project import CppKernel
from fpgalab.schedule.network import network_layers, process_kind, stream_words, window_geometry

FRAME_UNROLLED = ("dense", "conv", "depthwise", "softmax")


class StreamExpressions(CppExpressions):
    """C++ expressions where some buffers are read from a line buffer or a pixel word."""

    remap: dict = {}

    def element(self, read) -> str:
        mapping = self.remap.get(read.buffer)
        return mapping(read, self.loop_names) if mapping else super().element(read)


class StreamCppKernel(CppKernel):
    """``CppKernel`` arranged as hls4ml's io_stream: one dataflow process per layer."""

    writes_loops = False  # a loop layer is refused by name (backends.program.recurrent)

    def __init__(self, design):
        super().__init__(design)
        by_node = {p.name: p for p in self.programs}
        self.groups = []  # (NetLayer, its programs)
        for layer in network_layers(self.kernel):
            programs = [by_node[n] for n in layer.nodes if n in by_node]
            if programs:
                self.groups.append((layer, programs))
        produced = {p.output: k for k, (_, programs) in enumerate(self.groups) for p in programs}
        self.inputs_of, self.readers = [], {}
        for k, (_, programs) in enumerate(self.groups):
            own = {p.output for p in programs}
            external = []
            for p in programs:
                for r in p.reads:
                    if r.buffer not in own and r.buffer not in self.constants and r.buffer not in external:
                        external.append(r.buffer)
            self.inputs_of.append(external)
            for name in external:
                self.readers.setdefault(name, []).append(k)
        for name in dict.fromkeys(self.outputs):
            self.readers.setdefault(name, []).append("out")
        self.produced = produced

    def expressions(self, program, loop_names: dict) -> StreamExpressions:
        return StreamExpressions(
            program, self.buffer_types, self.buffer_names, loop_names, self.ctx, self.types, self.tables, self.raw
        )

    # ---- names
    def stream(self, buffer: str, reader) -> str:
        return f"s_{self.buffer_names[buffer]}_{reader}"

    def word(self, buffer: str) -> str:
        return f"word_{self.buffer_names[buffer]}"

    def word_types(self, out: Emitter) -> None:
        for name in list(self.readers):
            _, width = stream_words(self.shapes[name])
            element = self.name_of(name)
            out.line(f"struct {self.word(name)} {{ {element} data[{width}]; }};")
        out.line()

    def name_of(self, buffer: str) -> str:
        expressions = self.expressions(self.programs[0], {})
        return expressions.name(self.buffer_types[buffer])

    # ---- processes
    def layer_function(self, program, out: Emitter) -> None:  # the processes replace per-node functions
        return None

    def process(self, k: int, out: Emitter) -> None:
        layer, programs = self.groups[k]
        output = programs[-1].output
        params = [f"hls::stream<{self.word(b)}>& {self.stream(b, k)}" for b in self.inputs_of[k]]
        params += [f"hls::stream<{self.word(output)}>& {self.stream(output, r)}" for r in self.readers[output]]
        out.line(f"// {layer.layer} ({layer.kind}): {', '.join(layer.nodes)}")
        with out.block(f"static void process_{k}({', '.join(params)}) {{"):
            kind = process_kind(layer, self.kernel, self.shapes)
            if kind == "window":
                self.window_process(k, layer, programs, out)
            elif kind == "pixelwise":
                self.pixelwise_process(k, programs, out)
            else:
                self.frame_process(k, programs, out)
        out.line()

    def write_words(self, k: int, buffer: str, word_var: str, out: Emitter) -> None:
        for reader in self.readers[buffer]:
            out.line(f"{self.stream(buffer, reader)}.write({word_var});")

    def window_process(self, k: int, layer, programs, out: Emitter) -> None:
        main = programs[0]
        node = self.kernel.node(main.name)
        source = self.inputs_of[k][0]
        geometry = window_geometry(self.kernel, node, self.shapes)
        shape = self.shapes[source]
        channels = shape[-1]
        element = self.name_of(source)
        rows = geometry[0][0]
        rest = "".join(f"[{g[3]}]" for g in geometry[1:])
        out.line(f"static {element} lb[{rows}]{rest}[{channels}];")
        output = programs[-1].output
        fixed = [ix.name for ix in main.out_index[1:-1] if isinstance(ix, prog.IVar)]
        spatial_out = [ix for ix in main.out_index[1:-1]]
        nest = ExitStack()
        for d, (_, _, _, size) in enumerate(geometry):
            nest.enter_context(out.block(f"L_p{d}: for (int p{d} = 0; p{d} < {size}; p{d}++) {{"))
        reuse = max(1, layer.reuse)
        out.raw(f"#pragma HLS PIPELINE II={reuse}")
        inside = " && ".join(
            f"p{d} >= {low} && p{d} < {low + shape[d + 1]}" for d, (_, _, low, _) in enumerate(geometry)
        )
        out.line(f"{self.word(source)} in_word;")
        out.line(f"if ({inside}) in_word = {self.stream(source, k)}.read();")
        with out.block("else {"):
            out.line(f"for (int c = 0; c < {channels}; c++) in_word.data[c] = {element}(0);")
        lb_index = f"[p0 % {rows}]" + "".join(f"[p{d}]" for d in range(1, len(geometry)))
        out.line(f"for (int c = 0; c < {channels}; c++) lb{lb_index}[c] = in_word.data[c];")
        ready = " && ".join(
            f"p{d} >= {span - 1} && (p{d} - {span - 1}) % {stride} == 0"
            for d, (span, stride, _, _) in enumerate(geometry)
        )
        with out.block(f"if ({ready}) {{"):
            for d, name in enumerate(fixed):
                span, stride = geometry[d][0], geometry[d][1]
                out.line(f"const int {name} = (p{d} - {span - 1}) / {stride};")
            out.line(f"{self.word(output)} out_word;")
            for program in programs:
                self.window_body(program, source, geometry, fixed, spatial_out, out)
            self.write_words(k, output, "out_word", out)
        nest.close()

    def window_body(self, program, source, geometry, fixed, spatial_out, out: Emitter) -> None:
        rows = geometry[0][0]
        output = program.output

        def line_buffer(read, names):
            index = read.index
            parts = [f"[({index_code(index[1], names)} + {geometry[0][2]}) % {rows}]"]
            parts += [f"[{index_code(ix, names)} + {g[2]}]" for ix, g in zip(index[2:-1], geometry[1:])]
            return "lb" + "".join(parts) + f"[{index_code(index[-1], names)}]"

        def out_word(read, names):
            return f"out_word.data[{index_code(read.index[-1], names)}]"

        loops = tuple(lp for lp in program.loops if lp.name not in fixed)
        body = replace(program, loops=loops)
        expressions = self.expressions(body, {lp.name: lp.name for lp in program.loops} | {n: n for n in fixed})
        expressions.remap = {source: line_buffer, output: out_word}
        self.loop_level(body, 0, out, expressions, {}, [], self.kernel.node(program.name).directives)

    def pixelwise_process(self, k: int, programs, out: Emitter) -> None:
        source = self.inputs_of[k][0]
        words, _ = stream_words(self.shapes[source])
        output = programs[-1].output
        with out.block(f"L_pixel: for (int px = 0; px < {words}; px++) {{"):
            out.raw("#pragma HLS PIPELINE II=1")
            out.line(f"{self.word(source)} in_word = {self.stream(source, k)}.read();")
            for p in programs[:-1]:
                _, width = stream_words(self.shapes[p.output])
                out.line(f"{self.name_of(p.output)} px_{self.buffer_names[p.output]}[{width}];")
            out.line(f"{self.word(output)} out_word;")
            for p in programs:
                self.pixel_body(p, source, output, out)
            self.write_words(k, output, "out_word", out)

    def pixel_body(self, program, source, output, out: Emitter) -> None:
        channel = program.loops[-1].name if program.loops else None

        def element_of(prefix):
            def mapping(read, names):
                return f"{prefix}[{index_code(read.index[-1], names)}]"

            return mapping

        remap = {source: element_of("in_word.data"), output: element_of("out_word.data")}
        for p in self.programs:
            if p.output not in remap:
                remap[p.output] = element_of(f"px_{self.buffer_names[p.output]}")
        loops = tuple(lp for lp in program.loops if lp.name == channel)
        body = replace(program, loops=loops)
        expressions = self.expressions(body, {lp.name: lp.name for lp in program.loops})
        expressions.remap = remap
        self.loop_level(body, 0, out, expressions, {}, [], self.kernel.node(program.name).directives)

    def frame_process(self, k: int, programs, out: Emitter) -> None:
        for name in self.inputs_of[k]:
            words, width = stream_words(self.shapes[name])
            out.line(f"FPGALAB_LOCAL {self.declaration(name, False)};")
            flat = f"(({self.name_of(name)}*){self.buffer_names[name]})"
            with out.block(f"L_read_{self.buffer_names[name]}: for (int i = 0; i < {words}; i++) {{"):
                out.raw("#pragma HLS PIPELINE II=1")
                out.line(f"{self.word(name)} w = {self.stream(name, k)}.read();")
                out.line(f"for (int c = 0; c < {width}; c++) {flat}[i * {width} + c] = w.data[c];")
        for p in programs:
            out.line(f"FPGALAB_LOCAL {self.declaration(p.output, False)};")
        layer = self.groups[k][0]
        self.unroll_all = layer.kind in FRAME_UNROLLED  # as hls4ml's dense and softmax; the rest pipelined
        for n, p in enumerate(programs):
            expressions = self.expressions(p, {lp.name: lp.name for lp in p.loops})
            self.label_prefix, self._innermost = f"{n}_", p.loops[-1] if p.loops else None
            with out.block("{"):
                self.loop_level(p, 0, out, expressions, {}, [], self.kernel.node(p.name).directives)
        self.label_prefix, self.unroll_all = "", True
        output = programs[-1].output
        words, width = stream_words(self.shapes[output])
        flat = f"(({self.name_of(output)}*){self.buffer_names[output]})"
        with out.block(f"L_write: for (int i = 0; i < {words}; i++) {{"):
            out.raw("#pragma HLS PIPELINE II=1")
            out.line(f"{self.word(output)} w;")
            out.line(f"for (int c = 0; c < {width}; c++) w.data[c] = {flat}[i * {width} + c];")
            self.write_words(k, output, "w", out)

    _innermost = None  # the loop a pipelined frame pipelines
    unroll_all = True  # window and pixel bodies, dense and softmax frames: every loop unrolled

    def loop_pragmas(self, loop, schedule_loop, pipelined: list, directives, out: Emitter) -> None:
        if self.unroll_all:
            out.raw("#pragma HLS UNROLL")
        elif loop is self._innermost:
            out.raw("#pragma HLS PIPELINE II=1")

    # ---- top
    def top_function(self, out: Emitter) -> None:
        with out.block(f"{self.top_signature()} {{"):
            out.raw("#pragma HLS INTERFACE mode=ap_ctrl_hs port=return")
            out.raw("#pragma HLS DATAFLOW")
            streams = []
            for name, readers in self.readers.items():
                for reader in readers:
                    if reader == "out" and name in self.inputs:
                        continue
                    streams.append((name, reader))
                    words, _ = stream_words(self.shapes[name])
                    out.line(f"hls::stream<{self.word(name)}> {self.stream(name, reader)};")
                    out.raw(f"#pragma HLS STREAM variable={self.stream(name, reader)} depth={max(2, words)}")
            for name in self.inputs:
                words, width = stream_words(self.shapes[name])
                flat = f"((const {self.name_of(name)}*){self.buffer_names[name]})"
                with out.block(f"L_feed_{self.buffer_names[name]}: for (int i = 0; i < {words}; i++) {{"):
                    out.line(f"{self.word(name)} w;")
                    out.line(f"for (int c = 0; c < {width}; c++) w.data[c] = {flat}[i * {width} + c];")
                    for reader in self.readers.get(name, []):
                        if reader != "out":
                            out.line(f"{self.stream(name, reader)}.write(w);")
            for k in range(len(self.groups)):
                output = self.groups[k][1][-1].output
                args = [self.stream(b, k) for b in self.inputs_of[k]]
                args += [self.stream(output, r) for r in self.readers[output]]
                out.line(f"process_{k}({', '.join(args)});")
            for name in dict.fromkeys(self.outputs):
                if name in self.inputs:
                    continue
                words, width = stream_words(self.shapes[name])
                flat = f"(({self.name_of(name)}*){self.buffer_names[name]})"
                with out.block(f"L_drain_{self.buffer_names[name]}: for (int i = 0; i < {words}; i++) {{"):
                    out.line(f"{self.word(name)} w = {self.stream(name, 'out')}.read();")
                    out.line(f"for (int c = 0; c < {width}; c++) {flat}[i * {width} + c] = w.data[c];")

    def kernel_cpp(self) -> str:
        body = Emitter()
        self.word_types(body)
        for k in range(len(self.groups)):
            self.process(k, body)
        text = super().kernel_cpp()
        head, _, rest = text.partition(f"{self.top_signature()} {{")
        top = Emitter()
        self.top_function(top)
        return (
            head.replace('#include "kernel.h"', '#include "kernel.h"\n#include "hls_stream.h"')
            + body.text()
            + top.text()
        )
