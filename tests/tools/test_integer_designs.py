"""Designs on integer inputs through every backend (issue 12, item 2): LLVM and Verilator equal the
simulator bit for bit (RTL cycles too), and the HLS C++ built by g++ against the ap_types headers
equals it."""

from __future__ import annotations

import numpy as np
import pytest
from test_hls_cpp import _csim

import fpgalab
from fpgalab.ir.types import FixedType

pytestmark = [pytest.mark.tools, pytest.mark.tf]

tf = pytest.importorskip("tensorflow")


def _wrap_and_scale(ids):
    wrapped = tf.where(ids < 0, ids + 10, ids)
    return tf.cast(wrapped * 3 - 1, tf.float32) * 0.25


@pytest.mark.parametrize(
    "dtype,precision",
    [
        (np.int32, "ap_fixed<16,6>"),
        (np.uint8, "ap_fixed<12,8,AP_RND,AP_SAT>"),
        (np.int32, {"default": "ap_fixed<16,6>", "input": "ap_int<6>"}),
    ],
)
def test_integer_inputs_in_every_backend(dtype, precision, tmp_path):
    design = fpgalab.compile(_wrap_and_scale, np.array([[1, 3, 5, 2, 0, 7]], dtype), precision=precision)
    report = design.verify(rtl=True, samples=3)
    assert report.llvm_equal and report.rtl_equal and report.cycles_equal, report
    _csim(design, tmp_path / "prj")


def test_integer_inputs_in_a_float32_design(tmp_path):
    design = fpgalab.compile(_wrap_and_scale, np.array([[1, 3, 5, 2]], np.int32), precision="float32")
    report = design.verify(rtl=False, samples=3)
    assert report.llvm_equal, report
    _csim(design, tmp_path / "prj")


def test_one_hot_of_integer_ids_in_every_backend(tmp_path):
    design = fpgalab.compile(
        lambda ids: tf.one_hot(ids, 6) * 0.5,
        np.array([[1, 3, 5, 0]], np.int32),
        precision="ap_fixed<16,6>",
        dataflow=False,
    )
    positions = [c for c in design.kernel.constants if c.dtype == FixedType(32, 32)]
    assert positions, "the positions a one-hot compares ids with are integers of the ids' type"
    report = design.verify(rtl=True, samples=3)
    assert report.llvm_equal and report.rtl_equal and report.cycles_equal, report
    _csim(design, tmp_path / "prj")
