"""%%fpga with ONNX models, through IPython's InteractiveShell as a notebook drives it: an onnx.ModelProto
the cell defines, and ``--onnx PATH`` for a file (the cell empty or defining data)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

onnx = pytest.importorskip("onnx")

from conftest import empty_session, ipython_shell, run_fpga  # noqa: E402

from fpgalab.design import Design  # noqa: E402

MODELS = Path(__file__).resolve().parents[1] / "data" / "onnx"
THREE_LAYER = MODELS / "three_layer_keras.onnx"  # 16 features in, 5 classes out


@pytest.fixture(scope="module")
def ip():
    shell = ipython_shell()
    assert shell.run_cell(f"import numpy as np\nimport onnx\nMODELS = {str(MODELS)!r}\n").success
    return shell


@pytest.fixture
def session(ip):
    return empty_session(ip)


def cell(ip, line: str, body: str = ""):
    """%%fpga LINE with BODY, or the line magic %fpga LINE without one (IPython refuses an empty cell magic)."""
    return run_fpga(ip, line, body)


def error_text(captured) -> str:
    return captured.stdout + captured.stderr


def test_onnx_file_without_a_cell(ip, session):
    captured, result = cell(ip, f"--onnx {THREE_LAYER} --precision float32")
    assert result.success, error_text(captured)
    design = ip.user_ns["three_layer_keras_design"]
    assert isinstance(design, Design) and design.example_shapes == ((1, 16),)
    assert session.get("three_layer_keras_design").source == "onnx file three_layer_keras"
    text = "\n".join(o.data["text/plain"] for o in captured.outputs)
    assert text.splitlines()[0].startswith("three_layer_keras_design: ")
    direct = __import__("fpgalab").compile(THREE_LAYER, precision="float32")
    assert design.timing.latency == direct.timing.latency and design.resources.total == direct.resources.total


def test_onnx_file_with_data_the_cell_defines_and_line_variables(ip, session):
    body = "samples = np.random.default_rng(0).normal(size=(12, 16)).astype(np.float32)\n"
    captured, result = cell(ip, "--onnx {MODELS}/three_layer_keras.onnx --data samples --name net --quiet", body)
    assert result.success, error_text(captured)
    assert list(session.entries) == ["net"] and ip.user_ns["samples"].shape == (12, 16)
    report = ip.user_ns["net"].accuracy(ip.user_ns["samples"])
    assert report.reference == "onnxruntime" and report.samples == 12


def test_model_proto_the_cell_defines(ip, session):
    body = f"path = {str(THREE_LAYER)!r}\nproto = onnx.load(path)\n"  # a .onnx path string is not a model
    captured, result = cell(ip, "--quiet", body)
    assert result.success, error_text(captured)
    assert session.get("proto_design").source == "onnx model proto"
    assert ip.user_ns["proto_design"].example_shapes == ((1, 16),)


def test_missing_and_non_onnx_files_are_one_line_errors(ip, session, tmp_path):
    captured, result = cell(ip, f"--onnx {tmp_path}/missing.onnx")
    text = error_text(captured)
    assert not result.success and f"usage: --onnx '{tmp_path}/missing.onnx': no such file" in text
    assert "Traceback" not in text and len(text.strip().splitlines()) == 1
    notes = tmp_path / "notes.txt"
    notes.write_text("these are not the weights you are looking for\n" * 4)
    captured, result = cell(ip, f"--onnx {notes}")
    text = error_text(captured)
    assert not result.success and f"CompileError: '{notes}' is not a readable ONNX model" in text, text
    assert "Traceback" not in text and len(text.strip().splitlines()) == 1
    assert not session.entries


def test_onnx_model_refuses_example_inputs(ip, session):
    captured, result = cell(ip, f"--onnx {THREE_LAYER} --inputs np.zeros((1,16))")
    text = error_text(captured)
    assert not result.success and "takes its input shapes from its graph" in text and "Traceback" not in text


def test_help_names_the_onnx_option(ip, session):
    captured, result = cell(ip, "--help", "pass\n")
    assert result.success and "--onnx PATH" in captured.stdout and "PyTorch module" in captured.stdout
    captured, result = cell(ip, "--help")
    assert result.success and "%fpga --onnx model.onnx" in captured.stdout


def test_float32_design_of_the_file_equals_onnxruntime(ip, session):
    ort = pytest.importorskip("onnxruntime")
    captured, result = cell(ip, f"--onnx {THREE_LAYER} --precision float32 --quiet")
    assert result.success, error_text(captured)
    x = np.random.default_rng(1).normal(size=(3, 16)).astype(np.float32)
    sess = ort.InferenceSession(str(THREE_LAYER), providers=["CPUExecutionProvider"])
    name = sess.get_inputs()[0].name
    want = np.concatenate([sess.run(None, {name: s[None]})[0] for s in x])
    got = np.asarray(ip.user_ns["three_layer_keras_design"].simulate(x))
    assert np.max(np.abs(got.reshape(want.shape) - want)) <= 1e-5 * np.max(np.abs(want))
