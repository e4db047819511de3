"""Recurrent layers (``unroll=False``) in HLS C++ and LLVM IR: the cell is built once and run in
a loop over the time steps; g++'s C simulation of the HLS C++ and the JIT-compiled LLVM module
equal fpgalab's simulator bit for bit."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import keras
import numpy as np
import pytest

import fpgalab
from fpgalab.backends import emit
from fpgalab.backends.llvm.jit import LlvmKernel
from fpgalab.backends.stimulus import test_inputs as make_inputs
from fpgalab.sim.functional import run_kernel

pytestmark = [pytest.mark.tools, pytest.mark.tf]

AP_TYPES = Path(__file__).resolve().parents[2] / ".cache" / "ap_types"


def _csim(design, folder: Path) -> str:
    if shutil.which("g++") is None:
        pytest.skip("g++ is not installed (apt-get install g++)")
    if not (AP_TYPES / "ap_fixed.h").exists():
        pytest.skip("ap_types headers missing: run `make setup` (scripts/fetch_ap_types.py)")
    project = emit(design, "hls", folder)
    result = subprocess.run(
        ["make", "-s", "-C", str(project), "csim", f"AP_TYPES={AP_TYPES}"], capture_output=True, text=True, timeout=600
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "PASS" in result.stdout
    return (project / "kernel.cpp").read_text()


def _design(kind: str, return_sequences: bool, precision: str):
    keras.utils.set_random_seed(7)
    layer = getattr(keras.layers, kind)(4, return_sequences=return_sequences, name="rnn")
    model = keras.Sequential([keras.Input((5, 3)), layer])
    x = np.random.default_rng(2).uniform(-1.0, 1.0, (1, 5, 3)).astype(np.float32)
    return fpgalab.compile(model, x, precision=precision)


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


def test_stacked_recurrent_layers_and_a_dense_softmax_in_hls_and_llvm(tmp_path):
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
    design = fpgalab.compile(model, x)
    kernel = _csim(design, tmp_path / "prj")
    assert kernel.count("static void cell_") == 2
    inputs = make_inputs(design, 11)
    want = run_kernel(design.kernel, inputs, design._context())
    for lanes in (1, 8):  # one sample per call, and 8 in vector lanes (the fast simulator)
        got = LlvmKernel(design, lanes=lanes, threads=2).run_outputs(inputs)
        for name, array in got.items():
            assert np.array_equal(array, want[name].array.reshape(array.shape)), f"{lanes} lanes"
