"""Embedding and gather through the backends (issue 12, item 2): the HLS C++ built by g++ against
the ap_types headers and the LLVM JIT equal the simulator bit for bit; constant-index gathers
(slices and a concatenation) pass Verilator too; the Verilog backend says it does not build a
table read addressed by data."""

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


@pytest.mark.parametrize("precision", ["ap_fixed<16,6>", "ap_fixed<12,4,AP_RND,AP_SAT>", "float32"])
def test_keras_embedding_end_to_end(precision, tmp_path):
    design = fpgalab.compile(_embedding_model(), IDS, precision=precision)
    report = design.verify(rtl=False, samples=4)  # test ids run from -2 to 15: inside and outside the table
    assert report.llvm_equal, report
    _csim(design, tmp_path / "prj")
    emit(design, "llvm", tmp_path / "llvm")
    assert design.report().cycles > 0
    with pytest.raises(NotImplementedError, match="does not build table look-ups addressed by data"):
        emit(design, "verilog", tmp_path / "rtl")


def test_constant_index_gather_in_every_backend(tmp_path):
    design = fpgalab.compile(
        lambda x: tf.gather(x, [4, 5, 0, 1, 2], axis=1) * 1.5,
        np.random.default_rng(1).uniform(-1, 1, (2, 6)).astype(np.float32),
        dataflow=False,
    )
    report = design.verify(rtl=True, samples=3)
    assert report.llvm_equal and report.rtl_equal and report.cycles_equal, report
    _csim(design, tmp_path / "prj")
