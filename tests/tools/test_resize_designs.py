"""Resizes through every backend: the window gather (a run-time tensor read at a constant ROM of
positions) and the batched dot that weighs it. In fixed point the HLS C++ built by g++ against the
ap_types headers, the LLVM JIT and the Verilog under Verilator (cycles too) equal the simulator
bit for bit; float32 designs go through the C++ and the JIT."""

from __future__ import annotations

import numpy as np
import pytest
from test_hls_cpp import _csim

import fpgalab
from fpgalab.backends import emit
from fpgalab.backends.llvm.jit import LlvmKernel
from fpgalab.sim.functional import run_kernel

pytestmark = [pytest.mark.tools, pytest.mark.tf]

keras = pytest.importorskip("keras")
tf = pytest.importorskip("tensorflow")

X = np.random.default_rng(8).uniform(-1, 1, (4, 4, 5, 2)).astype(np.float32)

RESIZES = {
    "upsampling_bilinear_2": lambda a: keras.layers.UpSampling2D(2, interpolation="bilinear")(a),
    "upsampling_bilinear_2x3": lambda a: keras.layers.UpSampling2D((2, 3), interpolation="bilinear")(a),
    "resize_bilinear_down": lambda a: tf.image.resize(a, (3, 2), method="bilinear", antialias=False),
    "resize_nearest_up": lambda a: tf.image.resize(a, (6, 7), method="nearest"),
    "keras_resizing": lambda a: keras.layers.Resizing(5, 8)(a),
}


def _llvm_equals_simulator(design):
    inputs = [X[:, None]]  # four samples of the (1, 4, 5, 2) input
    got = LlvmKernel(design).run_outputs(inputs)
    want = run_kernel(design.kernel, inputs, design._context())
    for name, array in got.items():
        expected = np.broadcast_to(want[name].array, array.shape)
        if want[name].is_fixed:
            assert np.array_equal(array, expected), f"{name}: {np.sum(array != expected)} mantissas differ"
        else:
            np.testing.assert_allclose(array, expected, rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("name", sorted(RESIZES))
def test_fixed_point_resize_in_every_backend(name, tmp_path):
    design = fpgalab.compile(RESIZES[name], X[:1], precision="ap_fixed<16,6>", dataflow=False)
    _llvm_equals_simulator(design)
    report = design.verify(rtl=True, samples=3)
    assert report.llvm_equal and report.rtl_equal and report.cycles_equal, report
    _csim(design, tmp_path / "prj")
    assert design.report().cycles > 0


def test_unrolled_resize_reads_its_banks_through_multiplexers(tmp_path):
    design = fpgalab.compile(
        RESIZES["upsampling_bilinear_2"], X[:1], precision="ap_fixed<16,6>", dataflow=False, unroll="full"
    )
    report = design.verify(rtl=True, samples=3)
    assert report.llvm_equal and report.rtl_equal and report.cycles_equal, report
    _csim(design, tmp_path / "prj")


def test_float32_resize_in_cpp_and_llvm(tmp_path):
    design = fpgalab.compile(RESIZES["resize_bilinear_down"], X[:1], precision="float32")
    _llvm_equals_simulator(design)
    _csim(design, tmp_path / "prj")


def test_conv_upsampling_conv_model_end_to_end(tmp_path):
    keras.utils.set_random_seed(7)
    model = keras.Sequential(
        [
            keras.Input((4, 5, 2)),
            keras.layers.Conv2D(3, 3, padding="same", activation="relu"),
            keras.layers.UpSampling2D(2, interpolation="bilinear"),
            keras.layers.Conv2D(2, 3),
        ]
    )
    design = fpgalab.compile(model, X[:1], dataflow=False)
    assert np.max(np.abs(design.simulate(X) - model(X).numpy())) < 0.05
    _llvm_equals_simulator(design)
    report = design.verify(rtl=True, samples=3)
    assert report.llvm_equal and report.rtl_equal and report.cycles_equal, report
    _csim(design, tmp_path / "prj")
    for kind in ("hls", "llvm", "verilog"):
        emit(design, kind, tmp_path / kind)
    estimate = design.report()
    assert estimate.cycles > 0 and estimate.resources.lut > 0
