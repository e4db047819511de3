"""Synthesis with Yosys: the generated Verilog mapped to the part's cells, counted as LUT/FF/DSP/BRAM.

``run_yosys(design)`` runs ``synth_xilinx`` (Xilinx parts: ``-family xcup`` for UltraScale+,
``xcu`` for UltraScale, ``xc7`` for 7-series) or ``synth_ecp5`` (Lattice ECP5) on the Verilog
backend's output, through the PyPI ``pyosys`` wheel (Yosys as a Python module, run in its own
process because Yosys keeps global state) or Debian's ``yosys`` command, and reads ``stat
-json``. Cells are counted as the vendors count them (``count_cells``: LUTs with INV, ECP5
CCU2C as 2 LUT4 and LUTRAM cells as the LUTs they occupy; RAMB18 as 1 and RAMB36 as 2 block
units). The cell counts are cached by the hash of the Verilog, the ROM files and the command
(the totals are recounted from them, so a counting fix needs no new synthesis).
"""

from __future__ import annotations

import json
import re
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from fpgalab.backends.verilog.rtl import write_rtl
from fpgalab.estimate import design_resources
from fpgalab.parts import load_device
from fpgalab.verify.tools import ToolMissing, content_hash, read_cached, run_tool, write_cached

INSTALL = (
    "Yosys is not installed. Install the PyPI wheel into this environment (`pip install pyosys`) "
    "or Debian's package (`apt-get install yosys`)."
)

RUNNER = """import sys
from pyosys import libyosys as ys
design = ys.Design()
for command in sys.argv[1:]:
    ys.run_pass(command, design)
"""

FAMILIES = {
    "Virtex UltraScale+": "xcup",
    "Zynq UltraScale+": "xcup",
    "Alveo": "xcup",
    "Kintex UltraScale+": "xcup",
    "UltraScale": "xcu",
    "Virtex UltraScale": "xcu",
    "Zynq-7000": "xc7",
    "Artix-7": "xc7",
    "Kintex-7": "xc7",
    "Virtex-7": "xc7",
}

# LUTs of the distributed RAM and shift-register cells (the LUTs they occupy: a RAM32M is 4 LUT6).
LUTRAM_LUTS = {
    "RAM16X1S": 1,
    "RAM32X1S": 1,
    "RAM64X1S": 1,
    "RAM128X1S": 2,
    "RAM256X1S": 4,
    "RAM512X1S": 8,
    "RAM16X1D": 2,
    "RAM32X1D": 2,
    "RAM64X1D": 2,
    "RAM128X1D": 4,
    "RAM256X1D": 8,
    "RAM32M": 4,
    "RAM64M": 4,
    "RAM32M16": 8,
    "RAM64M8": 8,
    "SRL16E": 1,
    "SRLC32E": 1,
    "TRELLIS_DPR16X4": 4,
}


@dataclass(frozen=True)
class SynthesisResult:
    lut: int
    ff: int
    dsp: int
    bram: float  # block RAM units of the part (Xilinx RAMB18 = 1, RAMB36 = 2; ECP5 DP16KD = 1)
    uram: int
    cells: dict = field(default_factory=dict)
    command: str = ""
    seconds: float = 0.0
    cached: bool = False
    estimate: dict = field(default_factory=dict)  # fpgalab's estimate of the same RTL (flow "yosys"), to compare


def find_yosys() -> list[str]:
    try:
        import pyosys  # noqa: F401, PLC0415

        return [sys.executable, "-c", RUNNER]
    except ImportError:
        pass
    command = shutil.which("yosys")
    if command:
        return [command, "-q", "-p"]
    raise ToolMissing(INSTALL)


def synth_command(device) -> str:
    vendor = (device.vendor or "").lower()
    if "lattice" in vendor or "ecp5" in device.family.lower():
        return "synth_ecp5 -top {top}"
    if "xilinx" in vendor or "amd" in vendor:
        family = next((v for k, v in FAMILIES.items() if k.lower() in device.family.lower()), "xcup")
        return f"synth_xilinx -family {family} -noiopad -top {{top}}"
    raise ValueError(
        f"no open synthesis flow for {device.name} ({device.vendor}); Yosys maps Xilinx and Lattice ECP5 parts here"
    )


def count_cells(cells: dict) -> dict:
    """LUT/FF/DSP/BRAM/URAM of Yosys's cell counts, as the vendors count them (the same rules as
    ``bench/calibrate_costs.py``, which calibrated ``fpgalab.costs.operators``).

    Xilinx: LUT1..LUT6 and INV (a LUT1) are LUTs; the LUTRAM and SRL cells count the LUTs they
    occupy (``LUTRAM_LUTS``); CARRY4/CARRY8 and MUXF7/F8/F9 are not LUTs; FDRE/FDSE/FDCE/FDPE are
    FFs; RAMB18 is one block unit, RAMB36 two. ECP5: LUT4 is one LUT, a CCU2C carry cell two
    (FPGA-DS-02012: a slice of 2 LUT4 in ripple mode), TRELLIS_DPR16X4 four; PFUMX and L6MUX21 are
    not LUTs; TRELLIS_FF are FFs; DP16KD and PDPW16KD are one block each; MULT18X18D (and ALU54B)
    are DSPs.
    """
    lut = ff = dsp = uram = 0
    bram = 0.0
    for cell, number in cells.items():
        name = cell.lstrip("$").upper()
        if re.fullmatch(r"LUT\d", name) or name == "INV":
            lut += number
        elif name == "CCU2C":
            lut += 2 * number
        elif name in LUTRAM_LUTS:
            lut += LUTRAM_LUTS[name] * number
        elif re.fullmatch(r"(FD[CPRS]E?|TRELLIS_FF|_DFF.*|DFF.*)", name):
            ff += number
        elif name.startswith(("DSP48", "MULT18X18", "ALU54")):
            dsp += number
        elif name.startswith("RAMB18"):
            bram += number
        elif name.startswith("RAMB36"):
            bram += 2 * number
        elif name in ("DP16KD", "PDPW16KD"):
            bram += number
        elif name.startswith("URAM"):
            uram += number
    return {"lut": lut, "ff": ff, "dsp": dsp, "bram": bram, "uram": uram}


def run_yosys(design, progress=None) -> SynthesisResult:
    """Synthesize the design's Verilog for its part and count LUT/FF/DSP/BRAM."""

    device = load_device(design.options.device)
    runner = find_yosys()
    with tempfile.TemporaryDirectory(prefix="fpgalab-synth-") as scratch:
        folder = Path(scratch)
        write_rtl(design, folder, samples=1)
        top = (folder / "top.txt").read_text().strip()
        for name in ("tb.v", "tb_main.cpp"):
            (folder / name).unlink()
        for path in folder.glob("tb_*.hex"):
            path.unlink()
        files = {p.name: p.read_bytes() for p in folder.iterdir()}
        synth = synth_command(device).format(top=top)
        key = content_hash(files, synth, runner[:1])
        cached = read_cached("yosys", key)
        if cached is not None:
            return SynthesisResult(
                **{**cached, **count_cells(cached["cells"]), "cached": True, "estimate": _estimate(design)}
            )
        steps = [f"read_verilog {top}.v", synth, "tee -q -o stat.json stat -json"]
        command = runner + steps if runner[-1] != "-p" else runner + ["; ".join(steps)]
        progress = progress or (lambda m: None)
        progress(f"yosys: {synth} (a few seconds to minutes)")
        start = time.perf_counter()
        run_tool("yosys", command, folder)
        progress(f"yosys: done in {time.perf_counter() - start:.1f} s")
        stat = json.loads((folder / "stat.json").read_text())
    module = stat.get("design") or next(iter(stat.get("modules", {}).values()), {})
    cells = module.get("num_cells_by_type", {})
    counts = count_cells(cells)
    result = {**counts, "cells": cells, "command": synth, "seconds": round(time.perf_counter() - start, 2)}
    write_cached("yosys", key, result)
    return SynthesisResult(**result, cached=False, estimate=_estimate(design))


def _estimate(design) -> dict:
    """The estimate to set beside Yosys's counts: fpgalab's RTL as Yosys builds it (``flow="yosys"``),
    whatever flow the design reports by default."""

    total = design.resources.total if design.options.flow == "yosys" else design_resources(design, "yosys").total
    return {kind: getattr(total, kind) for kind in ("lut", "ff", "dsp", "bram", "uram")}
