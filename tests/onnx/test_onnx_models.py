"""Public ONNX models through the ONNX front end.

The models in tests/data/onnx/ are fastmachinelearning/example-models' ``onnx/`` folder (the hls4ml
project's example models; Keras ones exported with tf2onnx/keras2onnx at opsets 7 and 9, PyTorch
ones with ``torch.onnx.export`` at opsets 9 and 13), unchanged. Each compiles, and its float32
simulation equals onnxruntime (relative error <= 1e-5); a fixed-point design of one is checked
bit-exact against its LLVM module and its g++-compiled HLS C++ (csim)."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")

import fpgalab  # noqa: E402
from fpgalab.backends.llvm.jit import LlvmKernel  # noqa: E402
from fpgalab.backends.stimulus import test_inputs as make_inputs  # noqa: E402
from fpgalab.sim.functional import run_kernel  # noqa: E402

MODELS = Path(__file__).resolve().parents[1] / "data" / "onnx"
NAMES = sorted(p.stem for p in MODELS.glob("*.onnx"))


def _reference(path: Path, x: np.ndarray) -> np.ndarray:
    sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    name = sess.get_inputs()[0].name
    return np.concatenate([sess.run(None, {name: sample[None]})[0] for sample in x])


def test_the_public_models_are_there():
    assert len(NAMES) == 9, NAMES


@pytest.mark.parametrize("name", NAMES)
def test_public_model_float32_equals_onnxruntime(name):
    path = MODELS / f"{name}.onnx"
    design = fpgalab.compile(path, precision="float32")
    shape = design.example_shapes[0]
    x = np.random.default_rng(3).normal(size=(4,) + shape[1:]).astype(np.float32)
    got = np.asarray(design.simulate(x), dtype=np.float64)
    want = _reference(path, x).astype(np.float64)
    assert np.max(np.abs(got.reshape(want.shape) - want)) <= 1e-5 * np.max(np.abs(want))


def test_public_model_from_a_model_proto_with_node_names_as_layers():
    """This export leaves its nodes unnamed: each is named for its op type and position."""
    proto = onnx.load(str(MODELS / "three_layer_pytorch.onnx"))
    design = fpgalab.compile(proto, precision="float32")
    node_names = {n.name or f"{n.op_type}_{k}" for k, n in enumerate(proto.graph.node)}  # unnamed: type_index
    assert {n.layer for n in design.float_kernel.nodes} <= node_names


FIXED = ["conv2d_small_keras", "conv2d_small_mp_keras", "three_layer_bn_pytorch"]


def _fixed_design(name):
    return fpgalab.compile(MODELS / f"{name}.onnx", precision="ap_fixed<16,6>")


@pytest.mark.parametrize("name", FIXED)
def test_fixed_point_design_llvm_equals_simulator(name):
    design = _fixed_design(name)
    inputs = make_inputs(design, 3)
    got = LlvmKernel(design).run_outputs(inputs)
    want = run_kernel(design.kernel, inputs, design._context())
    for output, array in got.items():
        assert np.array_equal(array, np.broadcast_to(want[output].array, array.shape)), output


@pytest.mark.tools
@pytest.mark.parametrize("name", FIXED)
def test_fixed_point_design_hls_csim(name, tmp_path):
    """The exported Vitis HLS project, compiled with g++, passes its testbench (the simulator's bits)."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tools"))
    from test_hls_cpp import _csim  # noqa: PLC0415

    kernel = _csim(_fixed_design(name), tmp_path / "hls")
    assert "#pragma HLS" in kernel


def test_accuracy_is_against_onnxruntime():
    """The accuracy report compares with onnxruntime on the model as given; a float32 design equals it."""
    design = fpgalab.compile(MODELS / "three_layer_keras.onnx", precision="float32")
    x = np.random.default_rng(4).normal(size=(20, 16)).astype(np.float32)
    report = design.accuracy(x)
    assert report.reference == "onnxruntime"
    assert report.max_rel_error <= 1e-5 and report.top1_agreement == 1.0
