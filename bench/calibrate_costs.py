"""Calibrate fpgalab.costs.operators against Yosys: synthesize small Verilog modules and compare.

    .venv/bin/python bench/calibrate_costs.py            # all cases, writes fpgalab/costs/CALIBRATION.md
    .venv/bin/python bench/calibrate_costs.py --raw mul  # print raw Yosys counts of cases matching "mul"

Yosys results are cached in ``~/.cache/fpgalab/calibrate_costs.json`` (keyed by the Verilog,
the script and the Yosys version), so a change of formula reruns in a second; ``--no-cache``
synthesizes everything again.

Needs PyPI ``pyosys`` (native Yosys). Each case is one small module (registered inputs and
outputs, as an HLS pipeline stage is) synthesized with ``synth_xilinx -family xcup -noiopad``
(UltraScale+), ``synth_xilinx -family xc7 -noiopad`` (7-series) and ``synth_ecp5``; the cell
counts from ``stat -json`` are set against the module's estimate from the cost functions. Every
run is its own process (Yosys keeps global state) and takes a few seconds. The tests do not
need this script.
"""

from __future__ import annotations

import argparse
import hashlib
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
CACHE = Path("~/.cache/fpgalab/calibrate_costs.json").expanduser()
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


def srl_fifo_v(depth: int, width: int) -> str:
    """Shift-register FIFO written per bit (what Yosys's ``xilinx_srl -variable`` turns into
    SRL16E/SRLC32E): data shift in at push, the pointer selects the oldest word."""
    ptr = max(1, math.ceil(math.log2(depth)))
    chains = "\n".join(
        f"  reg [{depth - 1}:0] s{b}; always @(posedge clk) if (do_push) s{b} <= "
        f"{{s{b}[{depth - 2}:0], din[{b}]}}; assign dout[{b}] = s{b}[ptr];"
        for b in range(width)
    )
    return f"""
module top (input clk, input reset, input push, pop, input [{width - 1}:0] din, output [{width - 1}:0] dout,
            output reg empty, output reg full);
  reg [{ptr - 1}:0] ptr;
  wire do_push = push & !full, do_pop = pop & !empty;
{chains}
  always @(posedge clk) if (reset) begin ptr <= 0; empty <= 1; full <= 0; end
  else if (do_push & !do_pop) begin if (!empty) ptr <= ptr + 1; empty <= 0; full <= ptr == {depth - 2}; end
  else if (do_pop & !do_push) begin if (ptr != 0) ptr <= ptr - 1; full <= 0; empty <= ptr == 0; end
endmodule
"""


def ram_fifo_v(depth: int, width: int) -> str:
    """RAM FIFO: write and read pointers, an occupancy count, registered read."""
    ptr = max(1, math.ceil(math.log2(depth)))
    return f"""
module top (input clk, input reset, input push, pop, input [{width - 1}:0] din, output reg [{width - 1}:0] dout,
            output empty, output full);
  reg [{width - 1}:0] mem [0:{depth - 1}];
  reg [{ptr - 1}:0] wp, rp; reg [{ptr}:0] count;
  assign empty = count == 0; assign full = count == {depth};
  wire do_push = push & !full, do_pop = pop & !empty;
  always @(posedge clk) begin
    if (do_push) mem[wp] <= din;
    if (do_pop) dout <= mem[rp];
  end
  always @(posedge clk) if (reset) begin wp <= 0; rp <= 0; count <= 0; end
  else begin wp <= wp + do_push; rp <= rp + do_pop; count <= count + do_push - do_pop; end
endmodule
"""


def regfile_v(depth: int, width: int) -> str:
    return ram_v(depth, width).replace("  reg [", '  (* ram_style = "logic" *) reg [', 1)


def ram_hls_v(depth: int, width: int) -> str:
    """The RAM as Vitis HLS writes it: write port and read port in separate processes."""
    abits = max(1, math.ceil(math.log2(depth)))
    return f"""
module top (input clk, input we, input [{abits - 1}:0] wa, ra, input [{width - 1}:0] wd, output reg [{width - 1}:0] rd);
  reg [{width - 1}:0] mem [0:{depth - 1}];
  always @(posedge clk) if (we) mem[wa] <= wd;
  always @(posedge clk) rd <= mem[ra];
endmodule
"""


def mac_v(w1: int, w2: int, acc: int, first: bool) -> str:
    """``acc <= acc + a * b`` with registered operands, or ``(first ? 0 : acc) + a * b``."""
    base = "(rf ? 0 : acc)" if first else "acc"
    return f"""
module top (input clk, input first, input [{w1 - 1}:0] a, input [{w2 - 1}:0] b, output reg signed [{acc - 1}:0] acc);
  reg signed [{w1 - 1}:0] ra; reg signed [{w2 - 1}:0] rb; reg rf;
  always @(posedge clk) begin ra <= a; rb <= b; rf <= first; acc <= {base} + ra * rb; end
endmodule
"""


def lookup_v(in_width: int, index_width: int, out_width: int) -> str:
    """hls4ml-style table: index = x / 2^s + N/2 clamped to [0, N - 1], registered ROM read."""
    entries = 1 << index_width
    rom = rom_v(entries, out_width).split("initial begin")[1].split("  end")[0]
    return f"""
module top (input clk, input signed [{in_width - 1}:0] x, output reg [{out_width - 1}:0] y);
  reg [{out_width - 1}:0] rom [0:{entries - 1}];
  reg signed [{in_width - 1}:0] rx;
  wire signed [{in_width}:0] idx = (rx >>> 4) + {entries // 2};
  wire [{index_width - 1}:0] clamped = idx < 0 ? 0 : idx > {entries - 1} ? {entries - 1} : idx[{index_width - 1}:0];
  initial begin{rom}  end
  always @(posedge clk) begin rx <= x; y <= rom[clamped]; end
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


def yosys_version() -> str:
    code = "from pyosys import libyosys as ys; print(ys.yosys_maybe_version())"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    return result.stdout.strip() or "pyosys"


def cached_synthesize(jobs: list[tuple[str, str]], workers: int, use_cache: bool) -> list[dict[str, int]]:
    """``synthesize`` each (verilog, script), reusing earlier results of the same Yosys."""
    version = yosys_version()
    cache = json.loads(CACHE.read_text()) if use_cache and CACHE.exists() else {}
    keys = [hashlib.sha256(f"{version}\n{script}\n{verilog}".encode()).hexdigest() for verilog, script in jobs]
    todo = [(key, job) for key, job in zip(keys, jobs) if key not in cache]
    with ThreadPoolExecutor(workers) as pool:
        for key, cells in zip([k for k, _ in todo], pool.map(lambda kj: synthesize(*kj[1]), todo)):
            cache[key] = cells
    CACHE.parent.mkdir(parents=True, exist_ok=True)
    CACHE.write_text(json.dumps(cache, indent=0, sort_keys=True))
    return [cache[key] for key in keys]


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
    """Yosys cells summed as the vendors count them: Xilinx LUT = LUT1-6 + INV + SRL + the LUTs
    of LUTRAM cells (CARRY4 and MUXF7/F8 are not LUTs); ECP5 LUT = LUT4 + 2 per CCU2C + 4 per
    TRELLIS_DPR16X4 (PFUMX and L6MUX21 are not LUTs); BRAM in 18 Kb units (a RAMB36 is 2)."""

    def total(*prefixes: str) -> int:
        return sum(n for cell, n in cells.items() if cell.startswith(prefixes))

    if target == "ecp5":
        return {
            "lut": total("LUT4") + 2 * total("CCU2C") + 4 * total("TRELLIS_DPR16X4"),
            "ff": total("TRELLIS_FF"),
            "dsp": total("MULT18X18D"),
            "bram": total("DP16KD", "PDPW16KD"),
            "uram": 0,
        }
    lutram_luts = {
        "RAM32X1D": 2,
        "RAM64X1D": 2,
        "RAM128X1D": 4,
        "RAM256X1D": 8,
        "RAM32M": 4,
        "RAM64M": 4,
        "RAM32M16": 8,
        "RAM64M8": 8,
        "RAM32X1S": 1,
        "RAM64X1S": 1,
        "RAM128X1S": 2,
        "RAM256X1S": 4,
        "RAM512X1S": 8,
    }
    lut = total("LUT", "INV", "SRL") + sum(n * lutram_luts.get(cell, 0) for cell, n in cells.items())
    return {
        "lut": lut,
        "ff": total("FD"),
        "dsp": total("DSP48"),
        "bram": total("RAMB18") + 2 * total("RAMB36"),
        "uram": total("URAM"),
    }


def compact(cells: dict[str, int]) -> str:
    """The cells that matter, shortest first: "16 LUT2, 4 CARRY4, 48 FDRE"."""
    shown = sorted((cell, n) for cell, n in cells.items() if not cell.startswith(("BUFG", "IBUF", "OBUF")))
    return ", ".join(f"{n} {cell}" for cell, n in shown)


# ----------------------------------------------------------------------------- cases


@dataclass(frozen=True)
class Case:
    name: str
    verilog: str
    estimate: object  # (device) -> Resources
    what: str
    script: str = ""  # extra synth options
    targets: tuple[str, ...] = tuple(TARGETS)


def cases() -> list[Case]:
    from fpgalab import costs  # noqa: PLC0415
    from fpgalab.costs.operators import Resources  # noqa: PLC0415

    def reg(*bits: int) -> Resources:
        return Resources(ff=sum(bits))

    def dsp_regs(d, bits: int) -> Resources:  # registers Yosys packs into DSP48E1 only
        return reg(0 if d.dsp.kind == "DSP48E1" else bits)

    out: list[Case] = []
    for w in (8, 16, 32):
        out.append(
            Case(
                f"add{w}",
                binary_op(w, "ra + rb", w),
                lambda d, w=w: costs.adder(w, d) + reg(3 * w),
                "3 x register(w) + adder(w)",
            )
        )
    for w in (16, 32):
        out.append(
            Case(
                f"sub{w}",
                binary_op(w, "ra - rb", w),
                lambda d, w=w: costs.subtractor(w, d) + reg(3 * w),
                "3 x register(w) + subtractor(w)",
            )
        )
    for w in (8, 16, 32):
        out.append(
            Case(
                f"lt{w}",
                binary_op(w, "ra < rb", 1),
                lambda d, w=w: costs.comparator(w, d) + reg(2 * w, 1),
                "registers + comparator(w)",
            )
        )
    for w in (8, 16, 32):
        out.append(
            Case(
                f"eq{w}",
                binary_op(w, "ra == rb", 1),
                lambda d, w=w: costs.comparator(w, d, "eq") + reg(2 * w, 1),
                "registers + comparator(w, eq)",
            )
        )
    for n in (2, 3, 4, 8, 16, 32):
        sel = max(1, math.ceil(math.log2(n)))
        out.append(
            Case(
                f"mux{n}x16",
                mux_v(16, n),
                lambda d, n=n, sel=sel: costs.mux(16, n, d) + reg(16 * n, sel, 16),
                "registers + mux(16, n)",
            )
        )
    for w in (4, 8, 10, 12, 16, 18, 24, 27, 32):
        out.append(
            Case(
                f"mul{w}",
                multiplier_v(w, w, True),
                lambda d, w=w: costs.multiplier(w, w, True, d, flow="yosys", pipeline_registers=True),
                "multiplier(w, w, signed, flow=yosys, pipeline_registers)",
            )
        )
    for w1, w2, signed in ((16, 16, False), (18, 18, False), (16, 32, True), (3, 5, True), (4, 5, True)):
        out.append(
            Case(
                f"mul{w1}x{w2}{'s' if signed else 'u'}",
                multiplier_v(w1, w2, signed),
                lambda d, a=w1, b=w2, s=signed: costs.multiplier(a, b, s, d, flow="yosys", pipeline_registers=True),
                "multiplier(w1, w2, flow=yosys, pipeline_registers)",
            )
        )
    for w1, w2, signed in (
        (4, 4, True),
        (6, 6, True),
        (8, 8, True),
        (8, 8, False),
        (12, 12, True),
        (16, 16, True),
        (8, 16, True),
        (3, 12, False),
    ):
        out.append(
            Case(
                f"softmul{w1}x{w2}{'s' if signed else 'u'}",
                multiplier_v(w1, w2, signed),
                lambda d, a=w1, b=w2, s=signed: Resources(costs.soft_multiplier_luts(a, b, s, d), 2 * (a + b)),
                "soft_multiplier_luts + registers (-nodsp)",
                script=" -nodsp",
            )
        )
    for first in (False, True):
        out.append(
            Case(
                f"mac16x16+40{'_first' if first else ''}",
                mac_v(16, 16, 40, first),
                lambda d, f=first: costs.mac(16, 16, 40, d, flow="yosys", clear=f) + dsp_regs(d, 32) + reg(f),
                f"mac(16, 16, 40, flow=yosys, clear={first}) + input registers",
            )
        )
    for depth, width in (
        (16, 16),
        (32, 16),
        (64, 16),
        (128, 16),
        (192, 16),
        (256, 16),
        (512, 16),
        (1024, 16),
        (2048, 16),
        (256, 32),
        (1024, 32),
        (4096, 8),
        (1024, 40),
        (32, 72),
    ):
        out.append(
            Case(
                f"ram{depth}x{width}",
                ram_v(depth, width),
                lambda d, a=depth, b=width: costs.memory(a, b, "auto", d),
                "memory(d, w, auto)",
            )
        )
    out.append(
        Case(
            "ram1024x16_hls",
            ram_hls_v(1024, 16),
            lambda d: costs.memory(1024, 16, "auto", d),
            "memory(1024, 16, auto); write and read in separate processes",
        )
    )
    out.append(
        Case(
            "regfile8x16",
            regfile_v(8, 16),
            lambda d: costs.memory(8, 16, "registers", d) + reg(16),
            "memory(8, 16, registers) + read register",
        )
    )
    for depth, width in (
        (32, 8),
        (64, 16),
        (128, 16),
        (256, 8),
        (256, 16),
        (512, 16),
        (1024, 8),
        (2048, 4),
        (1024, 16),
    ):
        abits = math.ceil(math.log2(depth))
        out.append(
            Case(
                f"rom{depth}x{width}",
                rom_v(depth, width),
                lambda d, a=depth, b=width, ab=abits: costs.rom(a, b, d) + reg(ab),
                "rom(d, w) + address register",
            )
        )
    for depth, width in ((16, 8), (64, 8)):
        out.append(
            Case(
                f"srlfifo{depth}x{width}",
                srl_fifo_v(depth, width),
                lambda d, a=depth, b=width: costs.fifo(a, b, d),
                "fifo(d, w)",
                targets=("xcup", "xc7"),
            )
        )
    for depth, width in ((64, 16), (512, 16)):
        out.append(
            Case(
                f"ramfifo{depth}x{width}",
                ram_fifo_v(depth, width),
                lambda d, a=depth, b=width: costs.fifo(a, b, d, style="ram"),
                "fifo(d, w, style=ram)",
            )
        )
    for trips in ((28, 5), (3, 3, 16, 16)):
        out.append(
            Case(
                "loops" + "x".join(map(str, trips)),
                loops_v(trips),
                lambda d, t=trips: sum((costs.loop_counter(n, d) for n in t), reg(1)),
                "loop_counter per loop + done flag",
            )
        )
    out.append(
        Case(
            "lookup16to1024x18",
            lookup_v(16, 10, 18),
            lambda d: costs.table_lookup(10, 1024, 18, d) + reg(12),
            "table_lookup(10, 1024, 18) + input register (12 bits used)",
        )
    )
    return out


# ----------------------------------------------------------------------------- report

HEADER = """# Calibration of fpgalab.costs.operators against Yosys

Written by `bench/calibrate_costs.py` ({yosys}); rerun it to refresh. Each module has
registered inputs and outputs, as an HLS pipeline stage has, and is synthesized with
`synth_xilinx -family xcup -noiopad` (UltraScale+, priced as xcvu9p), `synth_xilinx -family xc7
-noiopad` (priced as xc7z020) and `synth_ecp5` (priced as lfe5u-85f); `-nodsp` where noted.

Counting: Xilinx LUT = LUT1-6 + INV + SRL* + the LUTs of LUTRAM cells (RAM32M/RAM64M 4,
RAM32M16/RAM64M8 8); CARRY4 and MUXF7/F8 are not LUTs. ECP5 LUT = LUT4 + 2 per CCU2C + 4 per
TRELLIS_DPR16X4; PFUMX/L6MUX21 are not LUTs. FF = FD* / TRELLIS_FF. BRAM in 18 Kb units (a
RAMB36 counts 2). "est." is the cost functions' figure (`flow="yosys"`) for the same module.

Summary: {summary}

| module | target | Yosys cells | Yosys LUT / FF / DSP / BRAM | est. LUT / FF / DSP / BRAM | LUT err | formula |
|---|---|---|---|---|---|---|
"""


def fmt(r: dict) -> str:
    return " / ".join(f"{r[k]:g}" for k in ("lut", "ff", "dsp", "bram"))


def main() -> None:
    from fpgalab.parts import load_device  # noqa: PLC0415

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--raw", metavar="PATTERN", help="only print Yosys counts of cases whose name contains PATTERN")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--no-cache", action="store_true", help="synthesize again even if cached")
    parser.add_argument("--out", default=str(ROOT / "fpgalab" / "costs" / "CALIBRATION.md"))
    args = parser.parse_args()
    todo = [(case, target) for case in cases() if not args.raw or args.raw in case.name for target in case.targets]
    jobs = [(case.verilog, TARGETS[target][1] + case.script) for case, target in todo]
    cells = cached_synthesize(jobs, args.jobs, not args.no_cache)
    rows, lut_errors, ff_errors, exact, total = [], [], [], 0, 0
    for (case, target), found in zip(todo, cells):
        got = group_counts(found, target)
        if args.raw:
            print(f"{case.name:22s} {target:5s} {got} {compact(found)}")
            continue
        est = case.estimate(load_device(TARGETS[target][0]))
        est = {k: getattr(est, k) for k in ("lut", "ff", "dsp", "bram", "uram")}
        err = (est["lut"] - got["lut"]) / got["lut"] if got["lut"] else (0.0 if not est["lut"] else math.inf)
        lut_errors.append(abs(err))
        if got["ff"]:
            ff_errors.append(abs(est["ff"] - got["ff"]) / got["ff"])
        total += 1
        exact += est["dsp"] == got["dsp"] and est["bram"] == got["bram"]
        rows.append(
            f"| {case.name} | {target} | {compact(found)} | {fmt(got)} | {fmt(est)} | {100 * err:+.0f}% | {case.what} |"
        )
    if args.raw:
        return
    median = sorted(lut_errors)[len(lut_errors) // 2]
    median_ff = sorted(ff_errors)[len(ff_errors) // 2]
    within = sum(e <= 0.15 for e in lut_errors)
    summary = (
        f"{total} runs; DSP and BRAM equal in {exact}; LUT within 15% in {within}, worst "
        f"{100 * max(lut_errors):.0f}%; median |LUT error| {100 * median:.0f}%, median |FF error| "
        f"{100 * median_ff:.0f}%, worst {100 * max(ff_errors):.0f}%."
    )
    text = HEADER.format(yosys=yosys_version(), summary=summary) + "\n".join(rows) + "\n" + NOTES
    Path(args.out).write_text(text)
    print(summary)
    print(f"wrote {args.out}")


NOTES = """
## What Yosys does that an HLS flow would not

- **Multiplies go to DSPs much earlier.** `synth_xilinx` maps any `$mul` whose product is at
  least 9 bits wide and whose operands are at least 2 bits (`DSP_Y_MINWIDTH=9`) to a DSP48:
  8x8 and even 4x5 take one DSP, only 3x5 or 4x4 stay in LUTs. Vitis HLS keeps multiplies of
  operands up to ~10 bits in LUTs (`Device.mul_lut_threshold`). `synth_ecp5` uses MULT18X18D from
  2x2 up. `multiplier(..., flow="yosys")` follows Yosys; the default `flow="hls"` the device file.
- **Unsigned operands cost a bit** (`DSP_SIGNEDONLY`: zero-extended), so 18x18 unsigned takes 2
  DSP48s, and wide A operands are cut in 17-bit chunks (`DSP_A_MAXWIDTH_PARTIAL=18`), not 26.
- **`-family xcup` packs nothing into the DSP48E2**: no A/B/M/P registers, no post-adder, no
  PCIN cascade (xilinx_dsp does all of that for DSP48E1 on xc7). On UltraScale+ every pipeline
  register around a multiply stays in FDREs, every MAC accumulator is a fabric adder, and the
  partial products of a wide multiply are summed in LUTs.
- **ROMs become LUTs up to 8 Kbit on Xilinx** (`-logic-cost-rom 1/64`): a 1024 x 8 table is 182
  LUTs, not a RAMB18. RAMs up to ~2 Kbit (128 x 16, and 192 x 16 on xcup but not on xc7) go to
  LUTRAM; LUTRAM is never used for ROMs.
- **ECP5 block RAMs bring soft logic**: with a write and a registered read port on one clock
  the Verilog means "read the old value" on an address collision (also when the two ports are in
  separate processes, as Vitis HLS writes them); DP16KD declares no such mode, so `memory_libmap`
  emulates it: W + log2(depth) + 8 LUT4 and 2W + log2(depth) + 2 FF per RAM (a 1024 x 16 RAM: 35
  LUT4, 44 FF). Marking the memory `(* no_rw_check *)` (an HLS schedule never reads and writes one
  address in one cycle) removes it; `memory(..., no_rw_check=True)` prices that. Xilinx BRAMs
  need nothing.
- **SRLs only from per-bit shift chains.** A word-wide shift register read at a variable tap
  (`sr[ptr*W +: W]`) stays in FFs and multiplexers; written as one shift chain per bit
  (`s[ptr]`) it becomes SRL16E / SRLC32E.
- **The soft multiplier is big**: about 2.4 LUT6 per partial-product bit (a 16x16 is 614 LUTs);
  Vivado's LUT multipliers are smaller.
"""


if __name__ == "__main__":
    main()
