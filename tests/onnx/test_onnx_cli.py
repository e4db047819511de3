"""``fpgalab compile MODEL.onnx`` on the command line: the summary, and the ONNX front end's errors as exit 1."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("onnx")

ROOT = Path(__file__).resolve().parents[2]


def run(*args):
    return subprocess.run(
        [sys.executable, "-m", "fpgalab.cli", *args], cwd=ROOT, capture_output=True, text=True, timeout=300
    )


def test_compile_onnx_file_prints_json_summary():
    result = run("compile", "tests/data/onnx/three_layer_pytorch.onnx", "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["precision"] == "ap_fixed<16,6>" and data["macs"] == 16 * 64 + 64 * 32 + 32 * 32 + 32 * 5


def test_compile_onnx_errors():
    missing = run("compile", "tests/data/onnx/missing.onnx")
    assert missing.returncode == 1 and "no ONNX file" in missing.stderr
    shaped = run("compile", "tests/data/onnx/two_layer_keras.onnx", "--input-shape", "1,10")
    assert shaped.returncode == 2 and "input shapes from its graph" in shaped.stderr
