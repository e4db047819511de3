"""Embedding and gather through every backend (issue 12, item 2): the HLS C++ built by g++ against
the ap_types headers, the LLVM JIT and the Verilog under Verilator (cycles too) equal the simulator
bit for bit, for a ROM read addressed by ids and for constant-index gathers (slices and a concat)."""

from __future__ import annotations

import numpy as np
import pytest
from test_hls_cpp import _csim

import fpgalab
from fpgalab.backends import emit

pytestmark = [pytest.mark.tools, pytest.mark.tf]

keras = pytest.importorskip("keras")
tf = pytest.importorskip("tensorflow")

IDS = np.array([[1, 3, 5, 2]], np.int32)


def _embedding_model():
    keras.utils.set_random_seed(4)
    return keras.Sequential(
        [
            keras.Input((4,), dtype="int32"),
            keras.layers.Embedding(10, 3),
            keras.layers.GlobalAveragePooling1D(),
            keras.layers.Dense(2),
        ]
    )


@pytest.mark.parametrize(
    "options",
    [
        {"precision": "ap_fixed<16,6>"},
        {"precision": "ap_fixed<12,4,AP_RND,AP_SAT>"},
        {"precision": "ap_fixed<16,6>", "unroll": "full"},  # every id read at once, each addressing the ROM
    ],
)
def test_keras_embedding_end_to_end(options, tmp_path):
    design = fpgalab.compile(_embedding_model(), IDS, dataflow=False, **options)
    report = design.verify(rtl=True, samples=4)  # test ids run from -2 to 15: inside and outside the table
    assert report.llvm_equal and report.rtl_equal and report.cycles_equal, report
    _csim(design, tmp_path / "prj")
    for kind in ("hls", "llvm", "verilog"):
        emit(design, kind, tmp_path / kind)
    assert design.report().cycles > 0


def test_keras_embedding_in_float32(tmp_path):
    design = fpgalab.compile(_embedding_model(), IDS, precision="float32")
    report = design.verify(rtl=False, samples=4)
    assert report.llvm_equal, report
    _csim(design, tmp_path / "prj")


def test_gather_of_computed_ids_unrolled_in_every_backend(tmp_path):
    table = tf.constant(np.arange(30, dtype=np.float32).reshape(10, 3) / 8)
    design = fpgalab.compile(lambda ids: tf.gather(table, ids + 1), IDS, dataflow=False, unroll="full")
    report = design.verify(rtl=True, samples=4)
    assert report.llvm_equal and report.rtl_equal and report.cycles_equal, report
    _csim(design, tmp_path / "prj")


def test_constant_index_gather_in_every_backend(tmp_path):
    design = fpgalab.compile(
        lambda x: tf.gather(x, [4, 5, 0, 1, 2], axis=1) * 1.5,
        np.random.default_rng(1).uniform(-1, 1, (2, 6)).astype(np.float32),
        dataflow=False,
    )
    report = design.verify(rtl=True, samples=3)
    assert report.llvm_equal and report.rtl_equal and report.cycles_equal, report
    _csim(design, tmp_path / "prj")


@pytest.mark.parametrize("io", ["parallel", "stream"])
def test_keras_embedding_in_hls4ml_arrangements(io, tmp_path):
    design = fpgalab.compile(_embedding_model(), IDS, io=io)
    _csim(design, tmp_path / "prj")
    assert design.report().cycles > 0


def test_keras_embedding_yosys_estimate_and_synthesis():
    design = fpgalab.compile(_embedding_model(), IDS, flow="yosys", dataflow=False)
    estimate = design.report().resources
    synthesized = design.synthesize()
    assert synthesized.lut > 0 and estimate.lut > 0
    assert 0.5 <= estimate.lut / synthesized.lut <= 2.0 and 0.5 <= estimate.ff / synthesized.ff <= 2.0
