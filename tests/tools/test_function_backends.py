"""Elementwise functions (issue 12, item 2) through every backend: expm1, log, log1p, erf (tables),
floor, ceil and round (exact rules on the bits), power, and the Keras activations made of them.

Each fixed-point design: the HLS C++ built by g++ against the ap_types headers passes its own
testbench (the simulator's outputs, bit for bit), the LLVM JIT equals the simulator bit for bit,
and, for the table functions and the rounding ones, Verilator's RTL too (cycles included).
Float32 designs: the C++ and LLVM agree with the simulator to 1e-5 of the output's scale.
"""

from __future__ import annotations

import numpy as np
import pytest
from test_hls_cpp import _csim

import fpgalab
from fpgalab.backends import emit

pytestmark = [pytest.mark.tools, pytest.mark.tf]

keras = pytest.importorskip("keras")
tf = pytest.importorskip("tensorflow")

EXAMPLE = np.random.default_rng(5).uniform(-3, 3, (1, 16)).astype(np.float32)


def _functions():
    return {
        "expm1": lambda a: tf.math.expm1(a),
        "log": lambda a: tf.math.log(a),  # the testbench's inputs are normal: below 0 reads entry 0
        "log1p": lambda a: tf.math.log1p(a),
        "erf": lambda a: tf.math.erf(a),
        "floor": lambda a: tf.floor(a * 4.0),
        "ceil": lambda a: tf.math.ceil(a * 4.0),
        "round": lambda a: tf.round(a * 4.0),
        "pow3": lambda a: tf.pow(a, 3.0),
        "pow_fraction": lambda a: tf.pow(tf.abs(a) + 0.5, 1.5),
        "elu": lambda a: keras.activations.elu(a),
        "selu": lambda a: keras.activations.selu(a),
        "softplus": lambda a: keras.activations.softplus(a),
        "gelu": lambda a: keras.activations.gelu(a),
        "gelu_tanh": lambda a: keras.activations.gelu(a, approximate=True),
        "log_softmax": lambda a: keras.activations.log_softmax(a),
    }


FIXED = [
    ("expm1", "ap_fixed<16,6>"),
    ("log", "ap_fixed<16,6>"),
    ("log1p", "ap_fixed<16,6>"),
    ("erf", "ap_fixed<16,6>"),
    ("floor", "ap_fixed<16,6>"),
    ("ceil", "ap_fixed<16,6>"),
    ("round", "ap_fixed<16,6>"),
    ("round", "ap_fixed<12,5,AP_RND_CONV,AP_SAT>"),
    ("ceil", "ap_ufixed<12,5>"),
    ("pow3", "ap_fixed<16,6>"),
    ("pow_fraction", "ap_fixed<16,6>"),
    ("elu", "ap_fixed<16,6>"),
    ("selu", "ap_fixed<16,6>"),
    ("softplus", "ap_fixed<16,6>"),
    ("gelu", "ap_fixed<16,6>"),
    ("gelu_tanh", "ap_fixed<16,6>"),
    ("log_softmax", "ap_fixed<16,6>"),
]


@pytest.mark.parametrize("name,precision", FIXED)
def test_fixed_point_function_equals_csim_and_llvm(name, precision, tmp_path):
    design = fpgalab.compile(_functions()[name], EXAMPLE, precision=precision)
    report = design.verify(rtl=False, samples=3)
    assert report.llvm_equal, report
    _csim(design, tmp_path / "prj")


@pytest.mark.parametrize(
    "name,precision",
    [
        ("expm1", "ap_fixed<16,6>"),
        ("log", "ap_fixed<16,6>"),
        ("log1p", "ap_fixed<14,5,AP_RND,AP_SAT>"),
        ("erf", "ap_fixed<16,6>"),
        ("floor", "ap_fixed<16,6>"),
        ("ceil", "ap_fixed<16,6>"),
        ("round", "ap_fixed<12,5,AP_RND_CONV,AP_SAT>"),
        ("gelu", "ap_fixed<16,6>"),
    ],
)
def test_rtl_of_function_equals_simulator(name, precision):
    design = fpgalab.compile(_functions()[name], EXAMPLE, precision=precision, dataflow=False)
    report = design.verify(rtl=True, samples=3)
    assert report.llvm_equal and report.rtl_equal and report.cycles_equal, report


def test_float32_functions_equal_csim_and_llvm(tmp_path):
    def every_function(a):
        positive = tf.abs(a) + 0.25
        return (
            tf.math.expm1(a)
            + tf.math.log(positive)
            + tf.math.log1p(positive)
            + tf.math.erf(a)
            + tf.floor(a * 4.0)
            + tf.math.ceil(a * 4.0)
            + tf.round(a * 4.0)
            + tf.pow(positive, 1.5)
            + tf.pow(a, 3.0)
        )

    design = fpgalab.compile(every_function, EXAMPLE, precision="float32")
    expected = every_function(tf.constant(EXAMPLE)).numpy()
    assert np.max(np.abs(design.simulate(EXAMPLE) - expected)) <= 1e-5 * np.max(np.abs(expected))
    report = design.verify(rtl=False, samples=3)
    assert report.llvm_equal, report
    _csim(design, tmp_path / "prj")


def test_dense_gelu_model_at_default_precision(tmp_path):
    """keras.activations.gelu's default (exact, erf through TF's Erfc polynomial) compiles at the
    default precision: the polynomial is one erf table, and every backend writes it."""
    model = keras.Sequential([keras.Input((8,)), keras.layers.Dense(6, activation="gelu")])
    x = np.random.default_rng(1).uniform(-2, 2, (32, 8)).astype(np.float32)
    design = fpgalab.compile(model, x[:1])
    got = design.simulate(x)
    assert np.max(np.abs(got - model(x).numpy())) < 0.05
    assert design.report().cycles > 0
    assert "table_erf" in (emit(design, "hls", tmp_path / "hls") / "kernel.cpp").read_text()
    llvm = emit(design, "llvm", tmp_path / "llvm")
    assert any("table_erf" in f.read_text() for f in llvm.glob("*.ll"))
    report = design.verify(rtl=False, samples=3)
    assert report.llvm_equal, report
    _csim(design, tmp_path / "prj")


def test_log_softmax_over_many_classes_widens_its_log_table(tmp_path):
    """log(sum(exp(x - max))) of 64 classes reaches 64: the default log table (up to 16) is widened
    at the same step, as the reciprocal table of a softmax is, so nothing is clamped."""
    x = np.random.default_rng(2).uniform(-1, 1, (8, 64)).astype(np.float32)
    design = fpgalab.compile(lambda a: keras.activations.log_softmax(a), x[:1])
    log = design.options.tables["log"]
    assert log.hi >= 64 and log.step == 1 / 64
    assert not design.accuracy(x).overflows
    assert np.max(np.abs(design.simulate(x) - keras.activations.log_softmax(x).numpy())) < 0.01
    assert design.verify(rtl=False, samples=3).llvm_equal
    _csim(design, tmp_path / "prj")


def test_ties_round_to_even_in_every_backend():
    ties = np.array([[[-2.5, -1.5, -0.5, 0.5, 1.5, 2.5, 3.5, -3.5]]], np.float32)  # one sample

    def rounding(a):
        return tf.round(a) + 8.0 * tf.floor(a) + 64.0 * tf.math.ceil(a)

    expected = rounding(tf.constant(ties[0])).numpy()
    for precision, rtl in (("float32", False), ("ap_fixed<16,10>", True)):
        design = fpgalab.compile(rounding, ties[0], precision=precision, dataflow=False)
        assert np.array_equal(design.simulate(ties[0]), expected)
        report = design.verify(rtl=rtl, inputs=[ties])
        assert report.llvm_equal and (not rtl or (report.rtl_equal and report.cycles_equal)), report
