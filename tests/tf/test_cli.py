"""The command line, run as a user runs it: exit codes 0 / 1 / 2 and the printed summary."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from conftest import ROOT

pytestmark = pytest.mark.tf


def run(*args, cwd=ROOT):
    return subprocess.run(
        [sys.executable, "-m", "fpgalab.cli", *args], cwd=cwd, capture_output=True, text=True, timeout=300
    )


def test_compile_example_builder_prints_json_summary():
    result = run("compile", "examples/models.py:digits_mlp", "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["precision"] == "ap_fixed<16,6>" and data["macs"] == 64 * 32 + 32 * 16 + 16 * 10
    assert [layer["layer"] for layer in data["layers"]] == ["dense_1", "dense_2", "dense_3"]


def test_compile_plain_function_with_input_shape(tmp_path):
    source = tmp_path / "model.py"
    source.write_text("import tensorflow as tf\n\ndef scale(x):\n    return tf.nn.relu(x * 3.0)\n")
    result = run("compile", f"{source}:scale", "--input-shape", "1,64", "--precision", "ap_fixed<8,4>")
    assert result.returncode == 0, result.stderr
    assert "scale: ap_fixed<8,4> on xcvu9p at 200 MHz" in result.stdout


def test_compile_error_exits_1(tmp_path):
    source = tmp_path / "bad.py"
    source.write_text("import tensorflow as tf\n\ndef f(x):\n    return tf.math.atan2(x, x + 1.0)\n")
    result = run("compile", f"{source}:f", "--input-shape", "8")
    assert result.returncode == 1
    assert "unsupported HLO op" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.parametrize(
    "args, message",
    [
        (("compile", "examples/models.py:nothing_here"), "has no 'nothing_here'"),
        (("compile", "examples/models.py"), "FILE.py:NAME"),
        (("compile", "examples/models.py:lenet5", "--precision", "ap_fixed<16>"), "malformed precision"),
        (("compile", "examples/models.py:lenet5", "--input-shape", "1,x"), "whole numbers"),
        (("compile", "examples/models.py:lenet5", "--device", "nope"), "nope"),
    ],
)
def test_usage_errors_exit_2(args, message):
    result = run(*args)
    assert result.returncode == 2
    assert message in result.stderr and "Traceback" not in result.stderr


def test_help_does_not_import_tensorflow():
    code = (
        "import sys\nfrom fpgalab.cli import main\ntry:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
        "print('tensorflow' in sys.modules)"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.stdout.strip().endswith("False")
