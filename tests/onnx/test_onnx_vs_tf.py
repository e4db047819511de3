"""The same Keras model through TF capture and as the ONNX graph tf2onnx gives for it (built here with
``onnx.helper``, since tf2onnx does not install beside the project's TensorFlow): the same design --
node classes, cycles and resources."""

from __future__ import annotations

import numpy as np
import pytest

onnx = pytest.importorskip("onnx")

from onnx import TensorProto, helper, numpy_helper  # noqa: E402

import fpgalab  # noqa: E402

pytestmark = pytest.mark.tf


def _onnx(nodes, weights, shape, out):
    graph = helper.make_graph(
        nodes,
        "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", *shape[1:]])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", out])],
        [numpy_helper.from_array(np.ascontiguousarray(a), n) for n, a in weights.items()],
    )
    built = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    built.ir_version = 8
    return built


def _same_design(a, b):
    assert [type(n).__name__ for n in a.kernel.nodes] == [type(n).__name__ for n in b.kernel.nodes]
    assert a.timing.latency == b.timing.latency
    assert a.resources.total == b.resources.total
    assert [r.total for r in a.resources.per_layer] == [r.total for r in b.resources.per_layer]
    x = np.random.default_rng(1).normal(size=(5,) + a.example_shapes[0][1:]).astype(np.float32)
    assert np.array_equal(a.simulate(x), b.simulate(x))


def test_dense_model_same_design_through_tf_and_onnx():
    keras = pytest.importorskip("keras")
    inp = keras.Input((16,), batch_size=1)
    h = keras.layers.Dense(8, activation="relu", name="fc1")(inp)
    model = keras.Model(inp, keras.layers.Dense(4, activation="softmax", name="fc2")(h))
    through_tf = fpgalab.compile(model, np.zeros((1, 16), np.float32))
    (w1, b1), (w2, b2) = (layer.get_weights() for layer in model.layers[1:])
    nodes = [
        helper.make_node("MatMul", ["x", "w1"], ["a"], name="fc1/MatMul"),
        helper.make_node("Add", ["a", "b1"], ["b"], name="fc1/BiasAdd"),
        helper.make_node("Relu", ["b"], ["c"], name="fc1/Relu"),
        helper.make_node("MatMul", ["c", "w2"], ["d"], name="fc2/MatMul"),
        helper.make_node("Add", ["d", "b2"], ["e"], name="fc2/BiasAdd"),
        helper.make_node("Softmax", ["e"], ["y"], name="fc2/Softmax"),
    ]
    through_onnx = fpgalab.compile(_onnx(nodes, {"w1": w1, "b1": b1, "w2": w2, "b2": b2}, (1, 16), 4))
    _same_design(through_tf, through_onnx)


def test_conv_model_same_design_through_tf_and_onnx():
    """tf2onnx's NHWC graph: a Transpose to NCHW before the Conv and one back before Flatten; they cancel."""
    keras = pytest.importorskip("keras")
    inp = keras.Input((6, 6, 2), batch_size=1)
    h = keras.layers.Conv2D(3, 3, padding="same", activation="relu", name="conv")(inp)
    model = keras.Model(inp, keras.layers.Dense(4, name="fc")(keras.layers.Flatten()(h)))
    through_tf = fpgalab.compile(model, np.zeros((1, 6, 6, 2), np.float32))
    (k, b), (w, c) = model.get_layer("conv").get_weights(), model.get_layer("fc").get_weights()
    nodes = [
        helper.make_node("Transpose", ["x"], ["xt"], perm=[0, 3, 1, 2], name="conv/transpose"),
        helper.make_node("Conv", ["xt", "k", "b"], ["h"], pads=[1, 1, 1, 1], name="conv/Conv2D"),
        helper.make_node("Relu", ["h"], ["r"], name="conv/Relu"),
        helper.make_node("Transpose", ["r"], ["rt"], perm=[0, 2, 3, 1], name="conv/transpose_1"),
        helper.make_node("Flatten", ["rt"], ["f"], name="flatten"),
        helper.make_node("MatMul", ["f", "w"], ["m"], name="fc/MatMul"),
        helper.make_node("Add", ["m", "c"], ["y"], name="fc/BiasAdd"),
    ]
    weights = {"k": np.transpose(k, (3, 2, 0, 1)), "b": b, "w": w, "c": c}
    _same_design(through_tf, fpgalab.compile(_onnx(nodes, weights, (1, 6, 6, 2), 4)))
