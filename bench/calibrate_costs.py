"""Calibrate fpgalab.estimate.costs against Yosys: synthesize small Verilog modules and compare.

    .venv/bin/python bench/calibrate_costs.py            # all cases, writes fpgalab/estimate/CALIBRATION.md
    .venv/bin/python bench/calibrate_costs.py --raw mul  # print raw Yosys counts of cases matching "mul"

Needs PyPI ``pyosys`` (native Yosys). Each case is one small module (registered inputs and
outputs, as an HLS pipeline stage is) synthesized with ``synth_xilinx -family xcup -noiopad``
(UltraScale+), ``synth_xilinx -family xc7 -noiopad`` (7-series) and ``synth_ecp5``; the cell
counts from ``stat -json`` are set against the module's estimate from the cost functions. Every
run is its own process (Yosys keeps global state) and takes a few seconds. The tests do not
need this script.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TARGETS = {
    "xcup": ("xcvu9p", "synth_xilinx -family xcup -noiopad -top top"),
    "xc7": ("xc7z020", "synth_xilinx -family xc7 -noiopad -top top"),
    "ecp5": ("lfe5u-85f", "synth_ecp5 -top top"),
}

RUNNER = """
import sys
from pyosys import libyosys as ys
design = ys.Design()
for command in sys.argv[1:]:
    ys.run_pass(command, design)
"""


# ----------------------------------------------------------------------------- Verilog cases

def binary_op(width: int, expr: str, out_width: int) -> str:
    """Registered inputs ``a``, ``b``; registered output ``y = expr``."""
    return f"""
module top (input clk, input [{width - 1}:0] a, b, output reg [{out_width - 1}:0] y);
  reg signed [{width - 1}:0] ra, rb;
  always @(posedge clk) begin ra <= a; rb <= b; y <= {expr}; end
endmodule
"""


def multiplier_v(w1: int, w2: int, signed: bool) -> str:
    kind = "signed " if signed else ""
    return f"""
module top (input clk, input [{w1 - 1}:0] a, input [{w2 - 1}:0] b, output reg [{w1 + w2 - 1}:0] y);
  reg {kind}[{w1 - 1}:0] ra; reg {kind}[{w2 - 1}:0] rb;
  always @(posedge clk) begin ra <= a; rb <= b; y <= ra * rb; end
endmodule
"""


def mac_v(w1: int, w2: int, acc: int) -> str:
    return f"""
module top (input clk, input clear, input [{w1 - 1}:0] a, input [{w2 - 1}:0] b, output reg [{acc - 1}:0] acc);
  reg signed [{w1 - 1}:0] ra; reg signed [{w2 - 1}:0] rb; reg signed [{w1 + w2 - 1}:0] m;
  always @(posedge clk) begin
    ra <= a; rb <= b; m <= ra * rb;
    acc <= clear ? {{{{{acc - w1 - w2}{{m[{w1 + w2 - 1}]}}}}, m}} : acc + {{{{{acc - w1 - w2}{{m[{w1 + w2 - 1}]}}}}, m}};
  end
endmodule
"""


def mux_v(width: int, inputs: int) -> str:
    sel = max(1, math.ceil(math.log2(inputs)))
    return f"""
module top (input clk, input [{sel - 1}:0] s, input [{width * inputs - 1}:0] d, output reg [{width - 1}:0] y);
  reg [{sel - 1}:0] rs; reg [{width * inputs - 1}:0] rd;
  always @(posedge clk) begin rs <= s; rd <= d; y <= rd[rs * {width} +: {width}]; end
endmodule
"""


def ram_v(depth: int, width: int) -> str:
    """Simple dual-port RAM: one write port, one registered read port (what HLS emits)."""
    abits = max(1, math.ceil(math.log2(depth)))
    return f"""
module top (input clk, input we, input [{abits - 1}:0] wa, ra, input [{width - 1}:0] wd, output reg [{width - 1}:0] rd);
  reg [{width - 1}:0] mem [0:{depth - 1}];
  always @(posedge clk) begin if (we) mem[wa] <= wd; rd <= mem[ra]; end
endmodule
"""


def rom_v(depth: int, width: int, seed: int = 1) -> str:
    """Table ROM with pseudo-random contents and a registered output (an HLS ``const`` array)."""
    abits = max(1, math.ceil(math.log2(depth)))
    rng = random.Random(seed)
    init = "\n".join(f"    rom[{i}] = {width}'d{rng.getrandbits(width)};" for i in range(depth))
    return f"""
module top (input clk, input [{abits - 1}:0] addr, output reg [{width - 1}:0] y);
  reg [{width - 1}:0] rom [0:{depth - 1}];
  reg [{abits - 1}:0] ra;
  initial begin
{init}
  end
  always @(posedge clk) begin ra <= addr; y <= rom[ra]; end
endmodule
"""


def fifo_v(depth: int, width: int) -> str:
    """Shift-register FIFO (Xilinx SRL FIFO style): data shifts in, the count selects the tap."""
    cbits = math.ceil(math.log2(depth + 1))
    return f"""
module top (input clk, input push, pop, input [{width - 1}:0] din, output reg [{width - 1}:0] dout,
            output full, output empty);
  reg [{width * depth - 1}:0] sr; reg [{cbits - 1}:0] count;
  assign full = count == {depth}; assign empty = count == 0;
  wire do_push = push & !full, do_pop = pop & !empty;
  always @(posedge clk) begin
    if (do_push) sr <= {{sr[{width * (depth - 1) - 1 if depth > 1 else 0}:0], din}};
    count <= count + do_push - do_pop;
    if (do_pop) dout <= sr[(count - 1) * {width} +: {width}];
  end
endmodule
"""


def loops_v(trips: tuple[int, ...]) -> str:
    """A loop nest's counters: the innermost counts every cycle, each outer one when the inner wraps."""
    lines, regs, wraps = [], [], []
    for i, trip in enumerate(trips):
        bits = max(1, math.ceil(math.log2(trip + 1)))
        regs.append(f"  reg [{bits - 1}:0] i{i};")
        wraps.append(f"  wire w{i} = i{i} == {trip - 1};")
    for i in reversed(range(len(trips))):
        enable = " & ".join(["run"] + [f"w{j}" for j in range(i + 1, len(trips))])
        lines.append(f"    if ({enable}) i{i} <= w{i} ? 0 : i{i} + 1;")
    done = " & ".join(f"w{i}" for i in range(len(trips)))
    return f"""
module top (input clk, input run, output reg done, output [{len(trips) * 16 - 1}:0] idx);
{chr(10).join(regs)}
{chr(10).join(wraps)}
  assign idx = {{{", ".join(f"16'(i{i})" for i in range(len(trips)))}}};
  always @(posedge clk) begin
{chr(10).join(lines)}
    done <= run & {done};
  end
endmodule
"""


# ----------------------------------------------------------------------------- running Yosys

def synthesize(verilog: str, script: str) -> dict[str, int]:
    """Cell counts of ``verilog`` after ``script`` (one Yosys process)."""
    with tempfile.TemporaryDirectory() as tmp:
        src, out = Path(tmp, "top.v"), Path(tmp, "stat.json")
        src.write_text(verilog)
        commands = [f"read_verilog -sv {src}", script, f"tee -q -o {out} stat -json"]
        result = subprocess.run([sys.executable, "-c", RUNNER, *commands], capture_output=True, text=True)
        if result.returncode != 0 or not out.exists():
            raise RuntimeError(f"yosys failed on {script}:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}")
        stat = json.loads(out.read_text())
    cells = stat["design"]["num_cells_by_type"]
    return {k: v for k, v in cells.items() if k not in ("BUFG", "VCC", "GND", "$scopeinfo")}


def group_counts(cells: dict[str, int], target: str) -> dict[str, float]:
    """Yosys cells summed into fpgalab's categories (BRAM in 18 Kb units: a RAMB36 is 2)."""
    def total(*prefixes: str) -> int:
        return sum(n for cell, n in cells.items() if cell.startswith(prefixes))

    if target == "ecp5":
        return {"lut": total("LUT4") + 4 * total("TRELLIS_DPR16X4"), "carry": total("CCU2C"),
                "ff": total("TRELLIS_FF"), "dsp": total("MULT18X18D"), "bram": total("DP16KD", "PDPW16KD"),
                "uram": 0}
    lutram_luts = {"RAM32X1D": 2, "RAM64X1D": 2, "RAM128X1D": 4, "RAM256X1D": 8, "RAM32M": 4, "RAM64M": 4,
                   "RAM32M16": 8, "RAM64M8": 8, "RAM32X1S": 1, "RAM64X1S": 1, "RAM128X1S": 2, "RAM256X1S": 4}
    lut = total("LUT") + total("SRL") + sum(n * lutram_luts.get(cell, 0) for cell, n in cells.items())
    return {"lut": lut, "carry": total("CARRY"), "ff": total("FD"), "dsp": total("DSP48"),
            "bram": total("RAMB18") + 2 * total("RAMB36"), "uram": total("URAM")}
