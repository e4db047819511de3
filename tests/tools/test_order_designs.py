"""argmax/argmin, sort, top_k and one_hot through every backend (issue 12, item 2): LLVM and
Verilator equal the simulator bit for bit (RTL cycles too), and the HLS C++ built by g++ against
the ap_types headers equals it."""

from __future__ import annotations

import numpy as np
import pytest
from test_hls_cpp import _csim

import fpgalab

pytestmark = [pytest.mark.tools, pytest.mark.tf]

tf = pytest.importorskip("tensorflow")

CASES = {
    "argmax": lambda x: tf.argmax(x, axis=-1),
    "argmin_axis0": lambda x: tf.argmin(x, axis=0, output_type=tf.int32),
    "sort": lambda x: tf.sort(x, axis=-1),
    "top_k": lambda x: tf.math.top_k(x, k=3),
    "one_hot_of_argmax": lambda x: tf.one_hot(tf.argmax(x, -1), 6) * 2.0,
}


def _example():
    x = np.random.default_rng(5).uniform(-2, 2, (2, 6)).astype(np.float32)
    x[1, 1] = x[1, 4] = 1.5  # a tie: the first position wins
    return x


@pytest.mark.parametrize("name", sorted(CASES))
def test_order_ops_in_every_backend(name, tmp_path):
    design = fpgalab.compile(CASES[name], _example(), precision="ap_fixed<16,6>", dataflow=False)
    report = design.verify(rtl=True, samples=3)
    assert report.llvm_equal and report.rtl_equal and report.cycles_equal, report
    _csim(design, tmp_path / "prj")


@pytest.mark.parametrize("name", ["argmax", "top_k"])
def test_order_ops_in_float32(name, tmp_path):
    design = fpgalab.compile(CASES[name], _example(), precision="float32")
    report = design.verify(rtl=False, samples=3)
    assert report.llvm_equal, report
    _csim(design, tmp_path / "prj")
