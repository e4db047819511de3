"""Passes on the IR, one file each: a frozen dataclass with a ``name``, its options and ``run``.

``PASSES`` maps names to classes; ``run_pipeline`` applies a list of passes and keeps the
time each step took.
"""

from __future__ import annotations

import time

from .fold_bias import FoldBias
from .fuse import FuseElementwise
from .quantize import AssignPrecision

PASSES = {"fold_bias": FoldBias, "fuse_elementwise": FuseElementwise, "assign_precision": AssignPrecision}


def run_pipeline(kernel, passes) -> tuple[object, list[tuple[str, float]]]:
    """Apply ``passes`` in order; returns the kernel and (pass name, seconds) per step."""
    timings = []
    for step in passes:
        start = time.perf_counter()
        kernel = step.run(kernel)
        timings.append((step.name, time.perf_counter() - start))
    return kernel, timings
