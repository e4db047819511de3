"""Verilog backend: synthesizable Verilog-2005 of the scheduled design, ROM files and a testbench.

``<kernel>.v`` holds one module: clock ``clk``, synchronous reset ``rst``, the ``ap_start`` /
``ap_done`` / ``ap_idle`` / ``ap_ready`` handshake, one FSM and datapath per layer
(``verilog_layer``) run one after another (layer k+1 sees its start the cycle after layer k's
done, as the schedule counts: latency = sum of the layers' L), every buffer as banks of memories
(``fpgalab.backends.verilog.memory``) and weights as ROMs read from ``$readmemh`` files. Kernel inputs are written
and outputs read by the host through one port per bank (``<buffer>_b<k>_we/_addr/_d`` and
``<buffer>_b<k>_addr/_q``), as Vitis's ap_memory gives one port per partition.

``tb.v`` is a race-free self-checking testbench (one clocked process, nonblocking assignments):
for each test sample it writes the inputs, pulses ``ap_start``, counts cycles from the cycle
``ap_start`` is seen to the cycle ``ap_done`` is high (both included), reads the outputs and
compares them with the simulator's, bit for bit; it prints ``CYCLES <n>`` and ``MISMATCHES <m>``.
``tb_main.cpp`` drives ``clk`` for Verilator (no timing delays needed).
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from fpgalab.backends import program as prog
from fpgalab.backends.naming import Namer
from fpgalab.backends.stimulus import test_inputs
from fpgalab.backends.verilog.layer import LayerRtl
from fpgalab.backends.verilog.loop import LoopRtl
from fpgalab.backends.verilog.memory import Memory
from fpgalab.backends.verilog.reads import bits_for
from fpgalab.ir import nodes as ir
from fpgalab.ir.loops import kernel_shapes
from fpgalab.ir.types import FixedType
from fpgalab.sim import fixed as fixedmath
from fpgalab.sim.functional import run_kernel
from fpgalab.sim.tables import table_mantissas
from fpgalab.sim.values import input_value


def _kernels(kernel):
    """The kernel and the bodies of its loops (their buffers are memories of the same module)."""
    yield kernel
    for node in kernel.nodes:
        if isinstance(node, ir.Loop):
            yield from _kernels(node.body)


class _Context:
    def __init__(self, design):
        self.tables = dict(design.options.tables)
        self.table_type = design.options.table_type
        self.buffer_types = {}
        for kernel in _kernels(design.kernel):
            self.buffer_types.update({name: buf.dtype for name, buf in kernel.buffers().items()})


def _hex(words, width: int) -> str:
    digits = max(1, (width + 3) // 4)
    mask = (1 << width) - 1
    return "\n".join(f"{int(w) & mask:0{digits}x}" for w in words) + "\n"


def split_declarations(lines: list[str]) -> list[str]:
    """Declarations first, then assignments and processes: every name is declared before use."""
    declarations, body = [], []
    pattern = re.compile(r"^(wire(?: signed)? \[[^\]]+\] (\w+)) = (.*);$")
    for line in lines:
        match = pattern.match(line)
        if match:
            declarations.append(match.group(1) + ";")
            body.append(f"assign {match.group(2)} = {match.group(3)};")
        elif re.match(r"^(\(\* .* \*\) )?(reg|wire)\b", line) and "=" not in line.split("]")[-1]:
            declarations.append(line)
        else:
            body.append(line)
    return declarations + body


class RtlDesign:
    def __init__(self, design):
        self.design, self.kernel, self.schedule = design, design.kernel, design.schedule
        for name, dtype in _Context(design).buffer_types.items():
            if not isinstance(dtype, FixedType):
                raise NotImplementedError(
                    f"the Verilog backend builds fixed-point designs only; {name} is "
                    f"{dtype} (compile with precision='ap_fixed<...>')"
                )
        self.ctx = _Context(design)
        self.names = Namer()
        self.top = self.names(self.kernel.name, "kernel")
        self.programs = prog.kernel_programs(self.kernel, self.ctx.tables, self.ctx.table_type, loops=True)
        self.storage = prog.storage_buffers(self.kernel)
        self.inputs = [i.name for i in self.kernel.inputs]
        self.outputs = list(dict.fromkeys(self.storage[o] for o in self.kernel.outputs))
        self.memories = {}
        constants = {c.name: c for kernel in _kernels(self.kernel) for c in kernel.constants}
        for buf in self.schedule.buffers:
            dtype = self.ctx.buffer_types[buf.name]
            rom = None
            if buf.name in constants:
                values = np.asarray(constants[buf.name].value, dtype=np.float32).reshape(-1)
                rom = fixedmath.from_float(values, dtype)
            self.memories[buf.name] = Memory(
                self.names(f"m_{buf.name}"),
                buf.name,
                dtype.width,
                tuple(buf.shape),
                buf.partition,
                buf.storage,
                1 if buf.channel == "fifo" else buf.read_latency,  # as the schedule reads a channel
                rom,
            )
        self.table_roms: dict = {}
        self.files: dict = {}

    def table(self, function, spec, out_type) -> str:
        key = (function, spec, out_type)
        if key not in self.table_roms:
            name = self.names(f"rom_{function}")
            self.table_roms[key] = (name, out_type.width, spec.size)
            self.files[f"{name}.hex"] = _hex(table_mantissas(spec, out_type), out_type.width)
        return self.table_roms[key][0]

    def module(self) -> str:
        body, layer_names = [], []
        for program in self.programs:
            layer = self.schedule.layer(program.name)
            name = self.names(f"l_{program.name}")
            layer_names.append(name)
            if isinstance(program, prog.LoopProgram):
                shapes = kernel_shapes(self.kernel)
                args = (self.memories, self.ctx, self.table, self.storage, shapes, self.names)
                rtl = LoopRtl(name, program, layer, *args)
            else:
                rtl = LayerRtl(name, program, layer, self.memories, self.ctx, self.table)
            body += rtl.verilog()
        # start chain: the first layer sees ap_start; each next one the cycle after the previous is done
        chain = ["wire " + f"{layer_names[0]}_start = ap_start;"] if layer_names else []
        for previous, current in zip(layer_names, layer_names[1:]):
            chain += [
                f"reg {current}_start;",
                f"always @(posedge clk) {current}_start <= rst ? 1'b0 : {previous}_done;",
            ]
        busy = " | ".join(f"{n}_busy" for n in layer_names[1:]) or "1'b0"
        pending = " | ".join(f"{n}_start" for n in layer_names[1:]) or "1'b0"
        control = [
            f"assign ap_done = {layer_names[-1]}_done;",
            "assign ap_ready = ap_done;",
            f"assign ap_idle = ~({layer_names[0]}_busy | {busy} | {pending});",
        ]
        ports, host = self.host_ports()
        tables = []
        for name, width, size in self.table_roms.values():
            tables += [
                f'(* rom_style = "logic" *) reg [{width - 1}:0] {name} [0:{size - 1}];',
                f'initial $readmemh("{name}.hex", {name});',
            ]
        memories = []
        for memory in self.memories.values():
            memories += memory.verilog(lambda bank_name: f"{bank_name}.hex")
            if memory.rom_words is not None:
                for k, words in enumerate(memory.bank_words()):
                    self.files[f"{memory.name}_b{k}.hex"] = _hex(words, memory.width)
        lines = split_declarations(chain + body + tables + host + memories)
        header = [
            f"// {self.kernel.name}: generated by fpgalab from the scheduled design "
            f"({self.schedule.sequential_cycles} cycles from ap_start to ap_done)",
            "`default_nettype none",
            f"module {self.top} (",
            "  input wire clk,",
            "  input wire rst,",
            "  input wire ap_start,",
            "  output wire ap_done,",
            "  output wire ap_idle,",
            "  output wire ap_ready",
        ]
        header[-1] += "," if ports else ""
        header += [f"  {p}," for p in ports[:-1]] + ([f"  {ports[-1]}"] if ports else []) + [");"]
        return "\n".join(header + ["  " + x for x in lines + control] + ["endmodule", "`default_nettype wire", ""])

    def host_ports(self) -> tuple[list[str], list[str]]:
        ports, lines = [], []
        for name in self.inputs:
            memory = self.memories[name]
            for b in range(memory.banks):
                base = f"{memory.name}_b{b}"
                ports += [
                    f"input wire {base}_we",
                    f"input wire [{memory.address_width - 1}:0] {base}_addr",
                    f"input wire [{memory.width - 1}:0] {base}_d",
                ]
                memory.add_write(b, f"{base}_we", f"{base}_addr", f"{base}_d")
        for name in self.outputs:
            memory = self.memories[name]
            for b in range(memory.banks):
                base = f"{memory.name}_b{b}"
                ports += [
                    f"input wire [{memory.address_width - 1}:0] {base}_raddr",
                    f"output wire [{memory.width - 1}:0] {base}_q",
                ]
                lines.append(f"wire [{memory.width - 1}:0] {base}_host_q;")
                lines.append(f"assign {base}_q = {base}_host_q;")
                memory.add_read(b, "host", "ap_idle", f"{base}_raddr", f"{base}_host_q")
        return ports, lines


# ---- testbench ------------------------------------------------------------------------------------


def testbench(rtl: RtlDesign, arrays: list[np.ndarray]) -> tuple[str, dict]:
    """tb.v and its data files: inputs and expected outputs per bank, one word per line."""
    design = rtl.design
    samples = arrays[0].shape[0]
    values = run_kernel(design.kernel, arrays, design._context())
    files = {}
    ports, load, check, decls = [], [], [], []
    longest = 1
    for spec, array in zip(design.kernel.inputs, arrays):
        memory = rtl.memories[spec.name]
        mantissas = input_value(spec, array).array.reshape(samples, -1)
        for b in range(memory.banks):
            base = f"{memory.name}_b{b}"
            words = _bank_samples(memory, mantissas, b)
            files[f"tb_{base}.hex"] = _hex(words.reshape(-1), memory.width)
            decls += [
                f"reg [{memory.width - 1}:0] tb_{base} [0:{words.size - 1}];",
                f'initial $readmemh("tb_{base}.hex", tb_{base});',
                f"reg {base}_we = 1'b0; reg [{memory.address_width - 1}:0] {base}_addr = 0; "
                f"reg [{memory.width - 1}:0] {base}_d = 0;",
            ]
            ports += [f".{base}_we({base}_we)", f".{base}_addr({base}_addr)", f".{base}_d({base}_d)"]
            load.append((base, memory.depth))
            longest = max(longest, memory.depth)
    for name in rtl.outputs:
        memory = rtl.memories[name]
        kernel_name = next(o for o in design.kernel.outputs if rtl.storage[o] == name)
        # The output may be a reshape stored in its producer's memory: the same elements in the same order
        array = values[kernel_name].array
        mantissas = np.broadcast_to(array, (samples,) + array.shape[1:]).reshape(samples, -1)
        for b in range(memory.banks):
            base = f"{memory.name}_b{b}"
            words = _bank_samples(memory, mantissas, b)
            files[f"tb_expect_{base}.hex"] = _hex(words.reshape(-1), memory.width)
            decls += [
                f"reg [{memory.width - 1}:0] tb_expect_{base} [0:{words.size - 1}];",
                f'initial $readmemh("tb_expect_{base}.hex", tb_expect_{base});',
                f"reg [{memory.address_width - 1}:0] {base}_raddr = 0; wire [{memory.width - 1}:0] {base}_q;",
            ]
            ports += [f".{base}_raddr({base}_raddr)", f".{base}_q({base}_q)"]
            check.append((base, memory.depth, memory.latency))
            longest = max(longest, memory.depth + memory.latency + 1)
    lines = [
        "// Self-checking testbench (generated by fpgalab): one clocked process, nonblocking assignments.",
        "`timescale 1ns/1ps",
        "module tb (input wire clk);",
        "  reg rst = 1'b1; reg ap_start = 1'b0;",
        "  wire ap_done, ap_idle, ap_ready;",
        "  reg [31:0] cycle = 0, step = 0, start_cycle = 0, cycles = 0;",
        "  reg [31:0] mismatches = 0, sample = 0; reg [2:0] phase = 0;",
    ]
    lines += ["  " + d for d in decls]
    lines += [
        f"  {rtl.top} dut (.clk(clk), .rst(rst), .ap_start(ap_start), .ap_done(ap_done), .ap_idle(ap_idle), "
        f".ap_ready(ap_ready){''.join(', ' + p for p in ports)});"
    ]
    lines += [
        "  always @(posedge clk) begin",
        "    cycle <= cycle + 1;",
        "    step <= step + 1;",
        "    case (phase)",
        "      0: if (step == 3) begin rst <= 1'b0; phase <= 1; step <= 0; end",
        "      1: begin  // write the inputs of this sample",
    ]
    for base, depth in load:
        lines += [
            f"        {base}_we <= step < {depth}; {base}_addr <= step[{max(0, bits_for(depth) - 1)}:0]; "
            f"{base}_d <= tb_{base}[sample * {depth} + step];"
        ]
    lines += [
        f"        if (step == {longest}) begin phase <= 2; step <= 0; end",
        "      end",
        "      2: begin ap_start <= 1'b1; phase <= 3; end",
        "      3: begin  // cycle 0 is the one where the design sees ap_start",
        "        if (ap_start) start_cycle <= cycle;",
        "        ap_start <= 1'b0;",
        "        if (ap_done) begin cycles <= cycle - start_cycle + 1; phase <= 4; step <= 0; end",
        "      end",
        "      4: begin  // read the outputs and compare",
    ]
    for base, depth, latency in check:
        lines += [
            f"        {base}_raddr <= step < {depth} ? step[{max(0, bits_for(depth) - 1)}:0] : 0;",
            f"        if (step >= {latency + 1} && step < {depth + latency + 1} && {base}_q !== "
            f"tb_expect_{base}[sample * {depth} + step - {latency + 1}]) begin",
            f'          if (mismatches < 10) $display("MISMATCH {base}[%0d] sample %0d: got %h expected %h", '
            f"step - {latency + 1}, sample, {base}_q, tb_expect_{base}[sample * {depth} + step - {latency + 1}]);",
            "          mismatches <= mismatches + 1;",
            "        end",
        ]
    lines += [
        f"        if (step == {longest + 1}) begin",
        '          $display("SAMPLE %0d CYCLES %0d", sample, cycles);',
        f"          if (sample == {samples - 1}) begin",
        '            $display("CYCLES %0d", cycles);',
        '            $display("MISMATCHES %0d", mismatches);',
        "            $finish;",
        "          end",
        "          sample <= sample + 1; phase <= 1; step <= 0;",
        "        end",
        "      end",
        "      default: phase <= 0;",
        "    endcase",
        "  end",
        "endmodule",
        "",
    ]
    return "\n".join(lines), files


def _bank_samples(memory: Memory, mantissas: np.ndarray, bank: int) -> np.ndarray:
    """(samples, depth) words of one bank from (samples, elements) row-major mantissas."""
    samples = mantissas.shape[0]
    grid = np.indices(memory.shape).reshape(len(memory.shape), -1)
    banks, offsets = memory.bank_offset(list(grid))
    words = np.zeros((samples, memory.depth), dtype=np.int64)
    mine = np.asarray(banks) == bank
    words[:, np.asarray(offsets)[mine]] = mantissas[:, mine]
    return words


TB_MAIN = """// Verilator driver: toggles clk until the testbench calls $finish (generated by fpgalab).
#include "Vtb.h"
#include "verilated.h"
int main(int argc, char** argv) {
  VerilatedContext context;
  context.commandArgs(argc, argv);
  Vtb tb(&context);
  tb.clk = 0;
  for (unsigned long long t = 0; !context.gotFinish() && t < %(limit)dULL; t++) {
    tb.clk = !tb.clk;
    tb.eval();
  }
  if (!context.gotFinish()) { VL_PRINTF("TIMEOUT\\n"); return 2; }
  tb.final();
  return 0;
}
"""


def write_rtl(design, folder: Path, inputs=None, samples: int = 2) -> dict:
    """Write ``<kernel>.v``, the ROM ``.hex`` files, ``tb.v`` with its data and ``tb_main.cpp``."""

    rtl = RtlDesign(design)
    arrays = [np.asarray(a, dtype=np.float32) for a in (inputs if inputs is not None else test_inputs(design, samples))]
    files = {f"{rtl.top}.v": rtl.module()}
    files.update(rtl.files)
    tb, data = testbench(rtl, arrays)
    files["tb.v"] = tb
    files.update(data)
    limit = 2 * (design.schedule.sequential_cycles + 4096) * (arrays[0].shape[0] + 1) * 4
    files["tb_main.cpp"] = TB_MAIN % {"limit": limit}
    files["top.txt"] = rtl.top + "\n"
    for relative, text in files.items():
        (folder / relative).write_text(text)
    return {k: len(v) for k, v in files.items()}
