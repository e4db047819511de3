"""Test vectors shared by every backend's testbench: deterministic inputs, and the simulator's outputs."""

from __future__ import annotations

import numpy as np

from fpgalab.ir.types import FixedType
from fpgalab.sim.functional import run_kernel
from fpgalab.sim.values import to_exact, to_float


def test_inputs(design, samples: int = 4, seed: int = 0) -> list[np.ndarray]:
    """Deterministic test inputs for a design: one array per input, samples first. Float inputs are
    standard normal; integer inputs (token ids) whole numbers in [-2, 16) within the input's type, so
    that small tables are indexed inside and outside their range."""
    rng = np.random.default_rng(seed)
    arrays = []
    for spec in design.kernel.inputs:
        shape = (samples,) + tuple(spec.shape)
        if spec.integer:
            low, high = -2, 16
            if isinstance(spec.dtype, FixedType):
                low, high = max(low, spec.dtype.min_int), min(high, spec.dtype.max_int + 1)
            arrays.append(rng.integers(low, high, shape).astype(np.float32))
        else:
            arrays.append(rng.standard_normal(shape).astype(np.float32))
    return arrays


def expected_outputs(design, arrays: list[np.ndarray]) -> list[np.ndarray]:
    """The simulator's outputs for ``arrays``, exact (float64), one array per kernel output."""
    values = run_kernel(design.kernel, arrays, design._context())
    outs = []
    for name in design.kernel.outputs:
        value = values[name]
        array = to_exact(value) if value.is_fixed else to_float(value).astype(np.float64)
        outs.append(np.broadcast_to(array, (arrays[0].shape[0],) + array.shape[1:]))
    return outs
