"""Test vectors shared by every backend's testbench: deterministic inputs, and the simulator's outputs."""

from __future__ import annotations

import numpy as np

from fpgalab.sim.functional import run_kernel
from fpgalab.sim.values import to_exact, to_float


def test_inputs(design, samples: int = 4, seed: int = 0) -> list[np.ndarray]:
    """Deterministic test inputs (standard normal) for a design: one array per input, samples first."""
    rng = np.random.default_rng(seed)
    return [rng.standard_normal((samples,) + tuple(i.shape)).astype(np.float32) for i in design.kernel.inputs]


def expected_outputs(design, arrays: list[np.ndarray]) -> list[np.ndarray]:
    """The simulator's outputs for ``arrays``, exact (float64), one array per kernel output."""
    values = run_kernel(design.kernel, arrays, design._context())
    outs = []
    for name in design.kernel.outputs:
        value = values[name]
        array = to_exact(value) if value.is_fixed else to_float(value).astype(np.float64)
        outs.append(np.broadcast_to(array, (arrays[0].shape[0],) + array.shape[1:]))
    return outs
