"""Every test and example model through all three backends, each checked against the simulator.

The HLS C++ project is built with g++ and the real ap_fixed.h and its testbench compares the
kernel's outputs with the simulator's (``csim``); the LLVM module runs under MCJIT; the Verilog
runs under Verilator for the designs whose simulation takes seconds (the others are linted, in
``test_verilog.py``). Models: every capture in tests/data (the LeFlow benchmarks, the digits and
jet MLPs, LeNet-5 and a small MobileNet: every example notebook's model but the full-size MobileNet).
"""

from __future__ import annotations

import numpy as np
import pytest
from conftest import CASES, case
from test_hls_cpp import _csim

from fpgalab.backends.llvm.jit import LlvmKernel
from fpgalab.backends.stimulus import test_inputs as make_inputs
from fpgalab.sim.functional import run_kernel

pytestmark = pytest.mark.tools

BIG = ("lenet5", "mobilenet_v1_small", "conv2d_64", "digits_mlp", "mnist_softmax")  # Verilator: minutes each


@pytest.mark.parametrize("name", CASES)
def test_every_model_through_every_backend(tmp_path, name):
    design = case(name).design(dataflow=False)
    _csim(design, tmp_path / "hls")  # asserts the testbench's PASS: every output word equal

    inputs = make_inputs(design, 3)
    got = LlvmKernel(design, lanes=4, threads=2).run_outputs(inputs)
    want = run_kernel(design.kernel, inputs, design._context())
    for output, array in got.items():
        assert np.array_equal(array, np.broadcast_to(want[output].array, array.shape)), f"{name}/{output}"

    if name not in BIG:
        from test_verilog import _check  # noqa: PLC0415

        _check(design)
