"""Ground truth: the backends against the simulator (LLVM JIT, Verilator) and synthesis (Yosys).

``verify_design(design, rtl=True)`` runs the LLVM module with MCJIT on test inputs and, with
``rtl``, the Verilog with Verilator, and reports whether each equals the simulator and how the
RTL's cycles compare with the schedule's. The RTL runs its layers one after another, so its
cycles are compared with the sequential schedule (``Schedule.sequential_cycles``, which is the
timing simulator's latency when dataflow is off).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from fpgalab.backends.llvm.jit import LlvmKernel
from fpgalab.backends.stimulus import test_inputs
from fpgalab.ir.types import FixedType
from fpgalab.sim.functional import run_kernel
from fpgalab.verify.tools import ToolError, ToolMissing
from fpgalab.verify.verilator import run_verilator


@dataclass(frozen=True)
class VerifyReport:
    llvm_equal: bool
    llvm_compile_seconds: float
    rtl_equal: bool | None = None
    rtl_cycles: int | None = None
    simulator_cycles: int | None = None  # sequential schedule: what the RTL implements
    rtl_mismatches: int | None = None
    rtl_cached: bool | None = None
    note: str = ""

    @property
    def cycles_equal(self) -> bool | None:
        return None if self.rtl_cycles is None else self.rtl_cycles == self.simulator_cycles


def verify_design(design, rtl: bool = True, inputs=None, samples: int = 2, progress=None) -> VerifyReport:

    arrays = inputs if inputs is not None else test_inputs(design, samples)
    kernel = LlvmKernel(design)
    got = kernel.run_outputs(arrays)
    want = run_kernel(design.kernel, arrays, design._context())
    equal = True
    for name, array in got.items():
        value = want[name].array  # the backends may hold an output reshape in its producer's shape: same order
        expected = np.broadcast_to(value, (array.shape[0],) + value.shape[1:]).reshape(array.shape)
        if isinstance(want[name].dtype, FixedType):
            equal &= bool(np.array_equal(array, expected))
        else:
            scale = float(np.max(np.abs(expected))) or 1.0
            equal &= bool(np.max(np.abs(array - expected)) <= 1e-6 * scale)
    if not rtl:
        return VerifyReport(equal, kernel.compile_seconds)

    result = run_verilator(design, inputs=arrays, progress=progress)
    note = "dataflow designs are built with their layers in sequence" if design.kernel.dataflow else ""
    return VerifyReport(
        equal,
        kernel.compile_seconds,
        result.mismatches == 0,
        result.cycles,
        design.schedule.sequential_cycles,
        result.mismatches,
        result.cached,
        note,
    )


__all__ = ["ToolError", "ToolMissing", "VerifyReport", "verify_design"]
