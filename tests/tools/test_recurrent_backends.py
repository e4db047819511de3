"""Recurrent layers (``unroll=False``) in HLS C++, LLVM IR and Verilog: the cell is built once and
run in a loop over the time steps; g++'s C simulation of the HLS C++, the JIT-compiled LLVM module
and Verilator's simulation of the RTL equal fpgalab's simulator bit for bit, and the RTL takes the
schedule's cycles."""

from __future__ import annotations

import subprocess

import keras
import numpy as np
import pytest
from test_hls_cpp import _csim
from test_verilog import _check, _verilator

import fpgalab
from fpgalab.backends import emit
from fpgalab.backends.llvm.jit import LlvmKernel
from fpgalab.backends.stimulus import test_inputs as make_inputs
from fpgalab.sim.functional import run_kernel
from fpgalab.verify.tools import ToolMissing

pytestmark = [pytest.mark.tools, pytest.mark.tf]


def _design(kind: str, return_sequences: bool, precision: str, **options):
    keras.utils.set_random_seed(7)
    layer = getattr(keras.layers, kind)(4, return_sequences=return_sequences, name="rnn")
    model = keras.Sequential([keras.Input((5, 3)), layer])
    x = np.random.default_rng(2).uniform(-1.0, 1.0, (1, 5, 3)).astype(np.float32)
    return fpgalab.compile(model, x, precision=precision, **options)


CASES = [
    ("SimpleRNN", True, "ap_fixed<16,6>"),
    ("SimpleRNN", False, "ap_fixed<12,4,AP_RND_CONV,AP_SAT>"),
    ("LSTM", True, "ap_fixed<16,6>"),
    ("LSTM", False, "ap_fixed<16,6>"),
    ("GRU", True, "ap_fixed<16,6>"),
    ("LSTM", True, "float32"),
]


@pytest.mark.parametrize("kind,return_sequences,precision", CASES)
def test_recurrent_layer_csim_matches_simulator(tmp_path, kind, return_sequences, precision):
    kernel = _csim(_design(kind, return_sequences, precision), tmp_path / "prj")
    assert kernel.count("static void cell_") == 1  # the cell is written once
    assert "for (int t = 0; t < 5; t++)" in kernel and "#pragma HLS PIPELINE off" in kernel


@pytest.mark.parametrize("kind,return_sequences,precision", CASES + [("GRU", False, "ap_fixed<16,6>")])
def test_recurrent_layer_llvm_equals_simulator(tmp_path, kind, return_sequences, precision):
    design = _design(kind, return_sequences, precision)
    inputs = make_inputs(design, 4)
    got = LlvmKernel(design).run_outputs(inputs)
    want = run_kernel(design.kernel, inputs, design._context())
    for name, array in got.items():
        expected = want[name].array.reshape(array.shape)  # the JIT gives an output under its storage's shape
        if want[name].is_fixed:
            assert np.array_equal(array, expected)
        else:
            assert np.max(np.abs(array - expected)) <= 1e-6 * max(1.0, float(np.max(np.abs(expected))))
    text = (emit(design, "llvm", tmp_path / "ll") / f"{design.kernel.name}.ll").read_text()
    assert text.count("llvm.loop.pipeline.disable") >= 1  # the step loop: steps do not overlap


def _stacked():
    """A GRU (sequence) into an LSTM into a Dense softmax, at the default precision."""
    keras.utils.set_random_seed(2)
    model = keras.Sequential(
        [
            keras.Input((5, 3)),
            keras.layers.GRU(4, return_sequences=True),
            keras.layers.LSTM(3),
            keras.layers.Dense(2, activation="softmax"),
        ]
    )
    x = np.random.default_rng(0).uniform(-1.0, 1.0, (1, 5, 3)).astype(np.float32)
    return fpgalab.compile(model, x)


def test_stacked_recurrent_layers_and_a_dense_softmax_in_hls_and_llvm(tmp_path):
    design = _stacked()
    kernel = _csim(design, tmp_path / "prj")
    assert kernel.count("static void cell_") == 2
    inputs = make_inputs(design, 11)
    want = run_kernel(design.kernel, inputs, design._context())
    for lanes in (1, 8):  # one sample per call, and 8 in vector lanes (the fast simulator)
        got = LlvmKernel(design, lanes=lanes, threads=2).run_outputs(inputs)
        for name, array in got.items():
            assert np.array_equal(array, want[name].array.reshape(array.shape)), f"{lanes} lanes"


KINDS = [(kind, sequences) for kind in ("SimpleRNN", "LSTM", "GRU") for sequences in (False, True)]


@pytest.mark.parametrize("kind,return_sequences", KINDS)
def test_recurrent_layer_rtl_equals_simulator_in_the_scheduled_cycles(tmp_path, kind, return_sequences):
    design = _design(kind, return_sequences, "ap_fixed<16,6>", dataflow=False)
    _check(design)
    loop = next(layer for layer in design.schedule.layers if layer.cell)
    assert loop.cycles > 5 * sum(inner.cycles for inner in loop.cell)  # the cell's layers run once per step
    text = (emit(design, "verilog", tmp_path / "rtl") / f"{design.kernel.name}.v").read_text()
    for inner in loop.cell:
        assert text.count(f"// ---- {inner.name} (") == 1  # ... and are built once


@pytest.mark.parametrize(
    "precision",
    [
        "ap_fixed<12,4,AP_RND_CONV,AP_SAT>",  # rounding and saturation inside the cell
        {"default": "ap_fixed<10,3>", "rnn": "ap_fixed<18,6,AP_RND,AP_SAT>"},  # copies convert in and out
    ],
)
def test_recurrent_layer_rtl_with_conversions(precision):
    _check(_design("LSTM", True, precision, dataflow=False))


def test_stacked_recurrent_layers_and_a_dense_softmax_verify_through_verilator():
    design = _stacked()  # dataflow: the RTL runs its layers in sequence
    _verilator()
    report = design.verify(rtl=True)
    assert report.llvm_equal and report.rtl_equal
    assert report.rtl_cycles == report.simulator_cycles == design.schedule.sequential_cycles


@pytest.mark.parametrize("kind,return_sequences", [("SimpleRNN", False), ("LSTM", True), ("GRU", False)])
def test_recurrent_rtl_passes_plain_verilator_lint(tmp_path, kind, return_sequences):
    """`verilator --lint-only` with every warning on (the default set, width included) finds nothing."""
    command = _verilator()
    folder = emit(_design(kind, return_sequences, "ap_fixed<16,6>", dataflow=False), "verilog", tmp_path / "rtl")
    sources = sorted(str(p) for p in folder.glob("*.v") if not p.name.startswith("tb"))
    result = subprocess.run(
        [*command, "--lint-only", *sources], capture_output=True, text=True, cwd=folder, timeout=300
    )
    assert result.returncode == 0, result.stderr[-3000:]


@pytest.mark.slow
def test_yosys_synthesis_of_a_recurrent_layer_is_near_the_yosys_flow_estimate(monkeypatch, tmp_path):
    from fpgalab.verify.yosys import find_yosys, run_yosys  # noqa: PLC0415

    try:
        find_yosys()
    except ToolMissing as missing:
        pytest.skip(str(missing))
    monkeypatch.setenv("FPGALAB_CACHE", str(tmp_path))
    result = run_yosys(_design("SimpleRNN", True, "ap_fixed<16,6>", dataflow=False))
    estimate = result.estimate  # the same RTL as flow "yosys" prices it
    assert estimate["dsp"] == result.dsp and estimate["bram"] == result.bram
    assert abs(estimate["lut"] - result.lut) <= 0.4 * result.lut and abs(estimate["ff"] - result.ff) <= 0.4 * result.ff
