"""``partition.emit("hls", folder)``: one Vitis HLS project per device, with streams at the cuts.

    folder/
      partition.json                 devices, link, stages, the tensors of each cut, the figures
      device0_xcvu9p/ ...            the stage's project (``fpgalab.backends.hls``: kernel, weights,
      device1_xcvu9p/ ...            testbench, run_hls.tcl for its part), plus:
        stage_stream.h / .cpp        ``<top>_stream``: the stage with one ``hls::stream`` port per cut
                                     tensor (AXI4-Stream, one word per pixel holding all its channels,
                                     as the io_stream layers pass them), reading each frame into the
                                     stage's arrays, running it, writing its outputs as words
        tb_stream.cpp                the same test vectors through the stream ports (``make csim_stream``)
        run_hls.tcl                  synthesises ``<top>_stream`` for the device's part

Each stage's test vectors are chained: the first stage takes the inputs given (or the usual test
inputs), every next stage the simulator's outputs of the one before, so the projects' testbenches,
run one after another, check the whole design's bits through every cut.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path

import numpy as np

from fpgalab.backends import hls_kernel_class
from fpgalab.backends.emitter import Emitter
from fpgalab.backends.hls.expressions import cpp_type_name
from fpgalab.backends.hls.project import write_project
from fpgalab.backends.stimulus import expected_outputs, test_inputs
from fpgalab.ir.types import FixedType
from fpgalab.multi.slicing import stage_designs
from fpgalab.schedule.network import stream_words

MANIFEST = ".fpgalab-partition.json"
STREAM_MAKE = """
csim_stream: tb_stream
\t./tb_stream

tb_stream: kernel.cpp stage_stream.cpp tb_stream.cpp kernel.h stage_stream.h tb_data.h fpgalab_support.h
\t$(CXX) $(CXXFLAGS) -I. -I$(AP_TYPES) kernel.cpp stage_stream.cpp tb_stream.cpp -o tb_stream

.PHONY: csim_stream
"""


def chained_inputs(partition, inputs=None) -> list[list[np.ndarray]]:
    """The test inputs of every stage: ``inputs`` (or the design's test inputs) for the first, the
    simulator's outputs of stage k for stage k+1 (exact values, as float32 for the testbench)."""
    designs = stage_designs(partition)
    arrays = [
        np.asarray(a, dtype=np.float32) for a in (inputs if inputs is not None else test_inputs(partition.design))
    ]
    chain = [arrays]
    for design in designs[:-1]:
        arrays = [np.asarray(a, dtype=np.float32) for a in expected_outputs(design, chain[-1])]
        chain.append(arrays)
    return chain


def emit_partition(partition, kind: str, path, overwrite: bool = False, inputs=None) -> Path:
    if str(kind).lower() not in ("hls", "cpp", "hls_cpp", "vitis"):
        raise ValueError(f"a partition is emitted as 'hls' (one Vitis HLS project per device), not {kind!r}")
    if path is None or not str(path).strip():
        raise ValueError("give the folder to write into, e.g. split.emit('hls', 'out/split')")
    target = Path(path).expanduser()
    if target.exists() and not target.is_dir():
        raise FileExistsError(f"{target} exists and is not a folder")
    if target.is_dir() and any(target.iterdir()):
        if not overwrite:
            raise FileExistsError(f"{target} is not empty; pass overwrite=True to replace a partition fpgalab wrote")
        if not (target / MANIFEST).exists():
            raise FileExistsError(f"{target} was not written by partition.emit (no {MANIFEST}); not replacing it")
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    try:
        designs = stage_designs(partition)
        chain = chained_inputs(partition, inputs)
        folders = []
        for k, (design, arrays) in enumerate(zip(designs, chain)):
            folder = staging / f"device{k}_{design.options.device}"
            folder.mkdir()
            cpp_class = hls_kernel_class(design)
            write_project(design, folder, inputs=arrays, kernel_class=cpp_class)
            cpp = cpp_class(design)
            (folder / "stage_stream.h").write_text(_stream_header(cpp))
            (folder / "stage_stream.cpp").write_text(_stream_top(cpp))
            (folder / "tb_stream.cpp").write_text(_stream_testbench(cpp, arrays))
            with (folder / "Makefile").open("a") as make:
                make.write(STREAM_MAKE)
            tcl = (folder / "run_hls.tcl").read_text()
            tcl = tcl.replace(f"set_top {cpp.top}\n", f"set_top {cpp.top}_stream\n", 1)
            tcl = tcl.replace(
                'add_files kernel.cpp -cflags "-I."', 'add_files {kernel.cpp stage_stream.cpp} -cflags "-I."', 1
            )
            tcl = tcl.replace("add_files -tb tb.cpp", "add_files -tb tb_stream.cpp", 1)
            (folder / "run_hls.tcl").write_text(tcl)
            folders.append(folder.name)
        (staging / "partition.json").write_text(
            json.dumps({**partition.report().to_dict(), "projects": folders}, indent=1)
        )
        (staging / MANIFEST).write_text(json.dumps({"generator": "fpgalab", "kind": "partition", "projects": folders}))
        if target.exists():
            shutil.rmtree(target)
        staging.rename(target)
    finally:
        if staging.exists():
            shutil.rmtree(staging)
    return target


def _ports(cpp) -> list[tuple[str, str, bool]]:
    """(buffer, C++ name, is input) of every port of the stage's top, in its order."""
    ports = [(name, cpp.buffer_names[name], True) for name in cpp.inputs]
    ports += [(name, cpp.buffer_names[name], False) for name in dict.fromkeys(cpp.outputs) if name not in cpp.inputs]
    return ports


def _word(cpp, name: str) -> str:
    return f"{cpp.buffer_names[name]}_word_t"


def _stream_header(cpp) -> str:
    out = Emitter()
    out.line(f"// {cpp.kernel.name}: the stage with hls::stream ports at the cuts (generated by fpgalab)")
    out.line("#ifndef FPGALAB_STAGE_STREAM_H")
    out.line("#define FPGALAB_STAGE_STREAM_H")
    out.line('#include "kernel.h"')
    out.line('#include "hls_stream.h"')
    out.line()
    for name, _var, _ in _ports(cpp):
        _, width = stream_words(cpp.shapes[name])
        out.line(f"struct {_word(cpp, name)} {{ {cpp_type_name(cpp.buffer_types[name])} data[{width}]; }};")
    args = ", ".join(f"hls::stream<{_word(cpp, name)}>& {var}" for name, var, _ in _ports(cpp))
    out.line()
    out.line(f"void {cpp.top}_stream({args});")
    out.line("#endif")
    return out.text()


def _stream_top(cpp) -> str:
    out = Emitter()
    out.line(f"// {cpp.kernel.name}: a frame from each cut stream, the stage, a frame to each (generated by fpgalab)")
    out.line('#include "stage_stream.h"')
    out.line()
    ports = _ports(cpp)
    args = ", ".join(f"hls::stream<{_word(cpp, name)}>& {var}" for name, var, _ in ports)
    with out.block(f"void {cpp.top}_stream({args}) {{"):
        for _, var, _ in ports:
            out.raw(f"#pragma HLS INTERFACE mode=axis port={var}")
        out.raw("#pragma HLS INTERFACE mode=ap_ctrl_hs port=return")
        for name, var, _ in ports:
            out.line(f"static {cpp.declaration(name, False).replace(var + '[', var + '_frame[', 1)};")
        for name, var, is_input in ports:
            words, width = stream_words(cpp.shapes[name])
            element = cpp_type_name(cpp.buffer_types[name])
            if not is_input:
                continue
            with out.block(f"L_in_{var}: for (int i = 0; i < {words}; i++) {{"):
                out.line(f"{_word(cpp, name)} w = {var}.read();")
                out.line(f"for (int c = 0; c < {width}; c++) (({element}*){var}_frame)[i * {width} + c] = w.data[c];")
        out.line(f"{cpp.top}({', '.join(f'{var}_frame' for _, var, _ in ports)});")
        for name, var, is_input in ports:
            words, width = stream_words(cpp.shapes[name])
            element = cpp_type_name(cpp.buffer_types[name])
            if is_input:
                continue
            with out.block(f"L_out_{var}: for (int i = 0; i < {words}; i++) {{"):
                out.line(f"{_word(cpp, name)} w;")
                out.line(f"for (int c = 0; c < {width}; c++) w.data[c] = (({element}*){var}_frame)[i * {width} + c];")
                out.line(f"{var}.write(w);")
    return out.text()


def _stream_testbench(cpp, arrays) -> str:
    """The project's test vectors (tb_data.h) through the stream ports: outputs equal the simulator's."""
    out = Emitter()
    out.line("// C testbench of the stream ports: the test vectors of tb_data.h in words (generated by fpgalab).")
    out.line("#include <cstdio>")
    out.line('#include "stage_stream.h"')
    out.line('#include "tb_data.h"')
    out.line()
    ports = _ports(cpp)
    with out.block("int main() {"):
        out.line("long mismatches = 0, checked = 0;")
        for name, var, _ in ports:
            out.line(f"hls::stream<{_word(cpp, name)}> {var};")
        with out.block("for (int tb_s = 0; tb_s < SAMPLES; tb_s++) {"):
            for name, var, is_input in ports:
                if not is_input:
                    continue
                words, width = stream_words(cpp.shapes[name])
                element = cpp_type_name(cpp.buffer_types[name])
                with out.block(f"for (int tb_i = 0; tb_i < {words}; tb_i++) {{"):
                    out.line(f"{_word(cpp, name)} w;")
                    out.line(
                        f"for (int c = 0; c < {width}; c++) w.data[c] = {element}(IN_{var}[tb_s][tb_i * {width} + c]);"
                    )
                    out.line(f"{var}.write(w);")
            out.line(f"{cpp.top}_stream({', '.join(var for _, var, _ in ports)});")
            for name, var, is_input in ports:
                if is_input:
                    continue
                words, width = stream_words(cpp.shapes[name])
                with out.block(f"for (int tb_i = 0; tb_i < {words}; tb_i++) {{"):
                    out.line(f"{_word(cpp, name)} w = {var}.read();")
                    with out.block(f"for (int c = 0; c < {width}; c++) {{"):
                        out.line("checked++;")
                        got = (
                            "w.data[c].to_double()"
                            if isinstance(cpp.buffer_types[name], FixedType)
                            else "(double)w.data[c]"
                        )
                        out.line(f"if ({got} != EXPECTED_{var}[tb_s][tb_i * {width} + c]) mismatches++;")
        out.line(
            'std::printf("%s: %ld of %ld streamed outputs differ from the simulator\\n", mismatches ? "FAIL" : "PASS", mismatches, checked);'
        )
        out.line("return mismatches ? 1 : 0;")
    return out.text()
