"""The ONNX front end's errors: one clear CompileError naming what is wrong and what is supported."""

from __future__ import annotations

import numpy as np
import pytest

onnx = pytest.importorskip("onnx")

from onnx import TensorProto, helper  # noqa: E402
from test_onnx_ops import model, unary_model, weights  # noqa: E402

import fpgalab  # noqa: E402
from fpgalab.errors import CompileError  # noqa: E402


def test_unsupported_op_names_type_node_and_the_supported_ops():
    with pytest.raises(CompileError) as info:
        fpgalab.compile(unary_model("Det", [1, 3, 3]))
    message = str(info.value)
    assert "unsupported ONNX op Det" in message and "'layer'" in message and "Gemm" in message and "Conv" in message


def test_unsupported_attribute_value_is_named():
    with pytest.raises(CompileError, match=r"LpPool node 'layer': p=3 is not supported; supported: 1, 2"):
        fpgalab.compile(unary_model("LpPool", [1, 2, 4, 4], kernel_shape=[2, 2], p=3))
    node = helper.make_node("Resize", ["x", "", "s"], ["y"], name="up", mode="area")
    built = model([node], {"x": [1, 2, 3, 3]}, None, {"s": np.array([1, 1, 2, 2], np.float32)})
    with pytest.raises(
        CompileError, match=r"Resize node 'up': mode='area' is not supported; supported: nearest, linear"
    ):
        fpgalab.compile(built)


def test_run_time_indices_are_refused_by_name():
    node = helper.make_node("Gather", ["x", "i"], ["y"], name="take", axis=1)
    graph = helper.make_graph(
        [node], "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 5]), helper.make_tensor_value_info("i", TensorProto.INT64, [2])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 2])],
    )  # fmt: skip
    built = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    with pytest.raises(CompileError, match="INT64"):
        fpgalab.compile(built)


def test_resize_antialias_is_refused_by_name():
    node = helper.make_node("Resize", ["x", "", "s"], ["y"], name="down", mode="linear", antialias=1)
    built = model([node], {"x": [1, 2, 4, 4]}, None, {"s": np.array([1, 1, 0.5, 0.5], np.float32)}, opset=18)
    with pytest.raises(CompileError, match="Resize node 'down': antialias=1 is not supported; supported: antialias=0"):
        fpgalab.compile(built)


def test_custom_domain_op_is_refused_by_name():
    node = helper.make_node("FusedConv", ["x"], ["y"], name="fc", domain="com.microsoft")
    graph = helper.make_graph(
        [node], "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 4])],
    )  # fmt: skip
    built = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    with pytest.raises(CompileError, match="FusedConv node 'fc' is from the operator domain 'com.microsoft'"):
        fpgalab.compile(built)


def test_qonnx_quant_without_its_inputs_is_refused():
    node = helper.make_node("Quant", ["x"], ["y"], name="q", domain="qonnx.custom_op.general")
    graph = helper.make_graph(
        [node], "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 4])],
    )  # fmt: skip
    built = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    with pytest.raises(CompileError, match="Quant node 'q': Quant takes x, scale, zero point and bit width"):
        fpgalab.compile(built)


def test_bad_files(tmp_path):
    with pytest.raises(CompileError, match="no ONNX file"):
        fpgalab.compile(str(tmp_path / "missing.onnx"))
    junk = tmp_path / "junk.onnx"
    junk.write_bytes(b"\x00not a protobuf\xff" * 3)
    with pytest.raises(CompileError, match="not a readable ONNX model|not valid"):
        fpgalab.compile(junk)


def test_identity_only_graph_has_nothing_to_compute():
    with pytest.raises(CompileError, match="returns its inputs unchanged"):
        fpgalab.compile(unary_model("Identity", [1, 3]))


def test_example_inputs_are_refused():
    built = unary_model("Relu", [1, 3])
    with pytest.raises(CompileError, match="input shapes from its graph"):
        fpgalab.compile(built, np.zeros((1, 3), np.float32))


def test_free_non_batch_dimension_is_refused():
    node = helper.make_node("Gemm", ["x", "w"], ["y"], name="fc")
    with pytest.raises(CompileError, match="free dimension 1"):
        fpgalab.compile(model([node], {"x": [1, "K"]}, None, {"w": weights(4, 2)}))


def test_training_mode_is_refused_by_name():
    node = helper.make_node("BatchNormalization", ["x", "s", "b", "m", "v"], ["y"], name="bn", training_mode=1)
    init = {k: np.ones(3, np.float32) for k in ("s", "b", "m", "v")}
    with pytest.raises(
        CompileError, match=r"BatchNormalization node 'bn': training_mode=1; fpgalab designs run inference"
    ):
        fpgalab.compile(model([node], {"x": [1, 3, 2, 2]}, [1, 3, 2, 2], init, opset=15))


@pytest.mark.parametrize(
    "op,attrs,inputs,init,message",
    [
        ("GatherND", {"batch_dims": 1}, ["x", "i"], {"i": np.zeros((1, 1), np.int64)}, r"batch_dims=1 is not supported; supported: 0"),
        ("DepthToSpace", {"blocksize": 2, "mode": "XYZ"}, ["x"], {}, r"mode='XYZ' is not supported; supported: 'DCR', 'CRD'"),
        ("Gelu", {"approximate": "fast"}, ["x"], {}, r"approximate='fast' is not supported; supported: 'none', 'tanh'"),
        ("Pad", {"mode": "mirror"}, ["x", "p"], {"p": np.zeros(8, np.int64)}, r"mode='mirror' is not supported; supported: constant"),
        ("MaxPool", {"kernel_shape": [2, 2], "auto_pad": "SAME_MIDDLE"}, ["x"], {}, r"auto_pad='SAME_MIDDLE'; supported: NOTSET"),
        ("ConvTranspose", {"auto_pad": "SAME_MIDDLE"}, ["x", "w"], {"w": np.zeros((4, 1, 2, 2), np.float32)}, r"auto_pad='SAME_MIDDLE' is not supported"),
        ("Einsum", {"equation": "abcc->abc"}, ["x"], {}, r"repeats a label \(a diagonal or trace\); not supported"),
    ],
)  # fmt: skip
def test_unsupported_attribute_values_name_op_node_attribute_and_what_is_supported(op, attrs, inputs, init, message):
    node = helper.make_node(op, inputs, ["y"], name="layer", **attrs)
    opset = 20 if op == "Gelu" else 13
    with pytest.raises(CompileError, match=rf"{op} node 'layer'.*{message}"):
        fpgalab.compile(model([node], {"x": [1, 4, 4, 4]}, None, init, opset=opset))
