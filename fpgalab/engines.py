"""Which engine simulates a batch: the NumPy simulator (``fpgalab.sim``) or the design's LLVM module, JIT-compiled.

Both give the same bits (``tests/tools/test_llvm.py`` checks it over every test design). The
NumPy simulator vectorises over samples and sums products with exact BLAS matrix products where no
intermediate can round or overflow; where it cannot (an accumulator narrower than its products,
as hls4ml's precision makes them) it adds the terms one by one in loop order, which costs a Python
step per term. The LLVM module runs the loops as the hardware does, compiled for this CPU with
samples in the vector lanes, so its speed does not depend on the types; it pays a compile (about
0.3 s for LeNet-5) once per design. ``engine="auto"`` takes the JIT for fixed-point designs whose
batch needs more than ``JIT_WORK`` multiply-accumulates, where the compile is repaid.

The JIT counts no overflows: ``simulate`` then counts them with the NumPy simulator on the first
``OVERFLOW_PROBE`` samples (``Design.overflows`` counts all).
"""

from __future__ import annotations

import os

from fpgalab.ir import nodes as ir
from fpgalab.ir.loops import kernel_shapes, macs
from fpgalab.ir.types import FixedType, FloatType

ENGINES = ("auto", "numpy", "llvm")
JIT_WORK = 200_000_000  # multiply-accumulates in a batch from which compiling pays off
JIT_LANES = 16  # samples per call: one AVX-512 vector of 16-bit words
OVERFLOW_PROBE = 64


def batch_work(kernel: ir.Kernel, samples: int) -> int:
    """Multiply-accumulates of a batch (the dot products and convolutions, which dominate)."""
    shapes = kernel_shapes(kernel)
    return samples * sum(macs(node, shapes) for node in kernel.nodes)


def jit_refusal(kernel: ir.Kernel) -> str | None:
    """Why the JIT cannot run ``kernel`` (None when it can): it runs fixed-point designs only."""
    floats = [name for name, buf in kernel.buffers().items() if isinstance(buf.dtype, FloatType)]
    if floats:
        return f"the LLVM engine simulates fixed-point designs only; {floats[0]!r} is float32"
    wide = [name for name, buf in kernel.buffers().items() if isinstance(buf.dtype, FixedType) and buf.dtype.width > 64]
    if wide:
        return f"the LLVM engine holds values of up to 64 bits; {wide[0]!r} is wider"
    return None


def choose_engine(engine: str, kernel: ir.Kernel, samples: int) -> str:
    """``"numpy"`` or ``"llvm"`` for ``engine`` (one of ``ENGINES``) on a batch of ``samples``."""
    if engine not in ENGINES:
        raise ValueError(f"engine must be one of {', '.join(map(repr, ENGINES))}, got {engine!r}")
    refusal = jit_refusal(kernel)
    if engine == "llvm":
        if refusal:
            raise ValueError(refusal + '; use engine="numpy" or "auto"')
        return "llvm"
    if engine == "numpy" or refusal or batch_work(kernel, samples) < JIT_WORK:
        return "numpy"
    return "llvm"


def jit_kernel(design):
    """The design's JIT-compiled module, compiled on first use and kept with the design."""
    from fpgalab.backends.llvm.jit import LlvmKernel  # noqa: PLC0415 (llvmlite is imported only when used)

    cached = getattr(design, "_jit", None)
    if cached is None or cached.design is not design:
        cached = LlvmKernel(design, lanes=JIT_LANES, threads=min(4, os.cpu_count() or 1))
        design._jit = cached
    return cached
