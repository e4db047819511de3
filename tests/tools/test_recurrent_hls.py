"""Recurrent layers (``unroll=False``) in HLS C++: the cell is one function called in a for loop
over the time steps; g++'s C simulation equals fpgalab's simulator bit for bit."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import keras
import numpy as np
import pytest

import fpgalab
from fpgalab.backends import emit

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


@pytest.mark.parametrize(
    "kind,return_sequences,precision",
    [
        ("SimpleRNN", True, "ap_fixed<16,6>"),
        ("SimpleRNN", False, "ap_fixed<12,4,AP_RND_CONV,AP_SAT>"),
        ("LSTM", True, "ap_fixed<16,6>"),
        ("LSTM", False, "ap_fixed<16,6>"),
        ("GRU", True, "ap_fixed<16,6>"),
        ("LSTM", True, "float32"),
    ],
)
def test_recurrent_layer_csim_matches_simulator(tmp_path, kind, return_sequences, precision):
    kernel = _csim(_design(kind, return_sequences, precision), tmp_path / "prj")
    assert kernel.count("static void cell_") == 1  # the cell is written once
    assert "for (int t = 0; t < 5; t++)" in kernel and "#pragma HLS PIPELINE off" in kernel
