"""The ops whose signature changed between opsets 7 and 21, each built at the opsets where it reads
differently (attributes that became inputs, new attributes, changed defaults), compiled in float32
and compared with onnxruntime (relative error <= 1e-5). Models of opset < 13 are converted up to 13
by ``onnx.version_converter``; 13 to 21 are read as they are."""

from __future__ import annotations

import numpy as np
import pytest

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")

from onnx import helper  # noqa: E402
from test_onnx_ops import check, model, weights  # noqa: E402

I64 = np.int64


def axes_form(op, opset, input_from, axes, **attrs):
    """A node taking ``axes`` as an attribute before ``input_from``, as an input from it on."""
    if opset >= input_from:
        return [helper.make_node(op, ["x", "axes"], ["y"], name="n", **attrs)], {"axes": np.array(axes, I64)}
    return [helper.make_node(op, ["x"], ["y"], name="n", axes=axes, **attrs)], {}


def reduce_sum(opset):
    nodes, init = axes_form("ReduceSum", opset, 13, [1], keepdims=0)
    return model(nodes, {"x": [1, 3, 4]}, None, init, opset=opset), [(1, 3, 4)]


def reduce_mean(opset):
    nodes, init = axes_form("ReduceMean", opset, 18, [-1, 1])
    return model(nodes, {"x": [1, 3, 4]}, None, init, opset=opset), [(1, 3, 4)]


def reduce_l2(opset):
    nodes, init = axes_form("ReduceL2", opset, 18, [2], keepdims=0)
    return model(nodes, {"x": [1, 3, 4]}, None, init, opset=opset), [(1, 3, 4)]


def reduce_max(opset):
    nodes, init = axes_form("ReduceMax", opset, 18, [1])
    return model(nodes, {"x": [1, 3, 4]}, None, init, opset=opset), [(1, 3, 4)]


def squeeze_unsqueeze(opset):
    first, init = axes_form("Unsqueeze", opset, 13, [0, 3])
    second, more = axes_form("Squeeze", opset, 13, [0])
    first[0].output[0], second[0].input[0], second[0].name = "u", "u", "m"
    if len(second[0].input) > 1:
        second[0].input[1] = "axes2"
        init["axes2"] = more["axes"]
    return model(first + second, {"x": [2, 3]}, None, init, opset=opset), [(2, 3)]


def clip(opset):
    if opset <= 10:
        nodes, init = [helper.make_node("Clip", ["x"], ["y"], name="n", min=-0.4, max=0.6)], {}
    else:
        nodes = [helper.make_node("Clip", ["x", "lo", "hi"], ["y"], name="n")]
        init = {"lo": np.array(-0.4, np.float32), "hi": np.array(0.6, np.float32)}
    return model(nodes, {"x": [1, 6]}, None, init, opset=opset), [(1, 6)]


def pad(opset):
    pads = [0, 1, 2, 0, 2, 1]
    if opset <= 10:
        nodes, init = [helper.make_node("Pad", ["x"], ["y"], name="n", mode="reflect", pads=pads)], {}
    else:
        nodes, init = [helper.make_node("Pad", ["x", "p"], ["y"], name="n", mode="reflect")], {"p": np.array(pads, I64)}
    return model(nodes, {"x": [1, 4, 5]}, None, init, opset=opset), [(1, 4, 5)]


def slice_(opset):
    if opset <= 9:
        nodes = [helper.make_node("Slice", ["x"], ["y"], name="n", starts=[1, 0], ends=[4, 100], axes=[1, 2])]
        return model(nodes, {"x": [1, 5, 4]}, None, opset=opset), [(1, 5, 4)]
    nodes = [helper.make_node("Slice", ["x", "s", "e", "a", "t"], ["y"], name="n")]
    init = {"s": np.array([4, -1], I64), "e": np.array([0, -100], I64), "a": np.array([1, 2], I64)}
    init["t"] = np.array([-1, -2], I64)
    return model(nodes, {"x": [1, 5, 4]}, None, init, opset=opset), [(1, 5, 4)]


def split(opset):
    names = ["a", "b"]
    if opset < 13:
        node, init = helper.make_node("Split", ["x"], names, name="n", axis=1, split=[2, 5]), {}
    elif opset < 18:
        node, init = helper.make_node("Split", ["x", "sp"], names, name="n", axis=1), {"sp": np.array([2, 5], I64)}
    else:
        node, init = helper.make_node("Split", ["x"], names, name="n", axis=1, num_outputs=2), {}
    join = helper.make_node("Concat", ["b", "a"], ["y"], name="join", axis=1)
    return model([node, join], {"x": [1, 7, 2]}, None, init, opset=opset), [(1, 7, 2)]


def softmax(opset):
    nodes = [helper.make_node("Softmax", ["x"], ["s"], name="n", axis=1)]  # over axes 1.. before 13, axis 1 from 13
    nodes.append(helper.make_node("LogSoftmax", ["x"], ["z"], name="m"))  # default axis 1 before 13, -1 from 13
    nodes.append(helper.make_node("Concat", ["s", "z"], ["y"], name="join", axis=0))
    return model(nodes, {"x": [2, 3, 4]}, None, opset=opset), [(2, 3, 4)]


def top_k(opset):
    if opset <= 9:
        node, init = helper.make_node("TopK", ["x"], ["y", "i"], name="n", k=2), {}
    else:
        node, init = helper.make_node("TopK", ["x", "k"], ["y", "i"], name="n"), {"k": np.array([2], I64)}
    built = model([node], {"x": [2, 5]}, None, init, opset=opset)
    return built, [(2, 5)]


def batch_norm(opset):
    node = helper.make_node("BatchNormalization", ["x", "s", "b", "m", "v"], ["y"], name="n", epsilon=1e-3)
    if opset >= 14:
        node.attribute.append(helper.make_attribute("training_mode", 0))
    init = {"s": weights(3) + 1, "b": weights(3), "m": weights(3), "v": np.abs(weights(3)) + 0.5}
    return model([node], {"x": [1, 3, 2, 2]}, None, init, opset=opset), [(1, 3, 2, 2)]


def dropout(opset):
    if opset < 12:
        nodes = [helper.make_node("Dropout", ["x"], ["d"], name="n", ratio=0.3)]
    else:
        nodes = [helper.make_node("Dropout", ["x", "r"], ["d"], name="n")]
    nodes.append(helper.make_node("Relu", ["d"], ["y"], name="relu"))
    init = {"r": np.array(0.3, np.float32)} if opset >= 12 else {}
    return model(nodes, {"x": [1, 6]}, None, init, opset=opset), [(1, 6)]


def gemm(opset):
    inputs = ["x", "w", "c"] if opset < 11 else ["x", "w"]  # C optional from opset 11
    init = {"w": weights(6, 3), "c": weights(3)} if opset < 11 else {"w": weights(6, 3)}
    return model(
        [helper.make_node("Gemm", inputs, ["y"], name="n", alpha=0.5)], {"x": [2, 6]}, None, init, opset=opset
    ), [(2, 6)]


def variadic(opset):
    nodes = [helper.make_node(op, ["a", "b", "c"], [op.lower()], name=op) for op in ("Max", "Min", "Sum", "Mean")]
    nodes.append(helper.make_node("Concat", ["max", "min", "sum", "mean"], ["y"], name="join", axis=0))
    return model(nodes, {"a": [1, 4], "b": [1, 4], "c": [1, 4]}, None, opset=opset), [(1, 4)] * 3


def arg_max(opset):
    attrs = {"select_last_index": 1} if opset >= 12 else {}
    nodes = [helper.make_node("ArgMax", ["x"], ["i"], name="n", axis=1, **attrs)]
    nodes.append(helper.make_node("Cast", ["i"], ["y"], name="cast", to=onnx.TensorProto.FLOAT))
    return model(nodes, {"x": [2, 5]}, None, opset=opset), [(2, 5)]


def max_pool(opset):
    attrs = {"kernel_shape": [2, 2], "strides": [2, 2]}
    if opset >= 10:
        attrs.update(ceil_mode=1, dilations=[1, 2] if opset >= 11 else [1, 1])
    return model(
        [helper.make_node("MaxPool", ["x"], ["y"], name="n", **attrs)], {"x": [1, 2, 7, 7]}, None, opset=opset
    ), [(1, 2, 7, 7)]


def reshape_expand_tile(opset):
    nodes = [
        helper.make_node("Reshape", ["x", "shape"], ["r"], name="reshape"),
        helper.make_node("Expand", ["r", "to"], ["e"], name="expand"),
        helper.make_node("Tile", ["e", "reps"], ["y"], name="tile"),
    ]
    init = {"shape": np.array([0, 1, -1], I64), "to": np.array([2, 3, 1], I64), "reps": np.array([1, 1, 2], I64)}
    return model(nodes, {"x": [2, 4]}, None, init, opset=opset), [(2, 4)]


def layer_norm_gelu(opset):
    nodes = [helper.make_node("LayerNormalization", ["x", "s", "b"], ["n"], name="ln", epsilon=1e-5)]
    if opset >= 20:
        nodes.append(helper.make_node("Gelu", ["n"], ["y"], name="gelu"))
    else:
        nodes.append(helper.make_node("HardSwish", ["n"], ["y"], name="hswish"))
    return model(nodes, {"x": [2, 6]}, None, {"s": weights(6) + 1, "b": weights(6)}, opset=opset), [(2, 6)]


CASES = {
    "ReduceSum": (reduce_sum, [7, 11, 13, 18, 21]),
    "ReduceMean": (reduce_mean, [7, 13, 17, 18, 21]),
    "ReduceL2": (reduce_l2, [9, 13, 18, 21]),
    "ReduceMax": (reduce_max, [11, 13, 18, 20]),
    "Squeeze/Unsqueeze": (squeeze_unsqueeze, [7, 11, 13, 21]),
    "Clip": (clip, [7, 9, 11, 13, 21]),
    "Pad": (pad, [7, 9, 11, 13, 18, 21]),
    "Slice": (slice_, [7, 9, 11, 13, 21]),
    "Split": (split, [7, 11, 13, 17, 18, 21]),
    "Softmax": (softmax, [7, 11, 13, 21]),
    "TopK": (top_k, [9, 11, 13, 21]),
    "BatchNormalization": (batch_norm, [7, 9, 13, 15, 21]),
    "Dropout": (dropout, [7, 11, 13, 21]),
    "Gemm": (gemm, [7, 9, 11, 13, 21]),
    "Max/Min/Sum/Mean": (variadic, [8, 11, 13, 21]),
    "ArgMax": (arg_max, [7, 11, 13, 21]),
    "MaxPool": (max_pool, [7, 9, 11, 13, 21]),
    "Reshape/Expand/Tile": (reshape_expand_tile, [9, 13, 14, 21]),
    "LayerNormalization": (layer_norm_gelu, [17, 18, 20, 21]),
}


@pytest.mark.parametrize("case,opset", [(name, opset) for name, (_, opsets) in CASES.items() for opset in opsets])
def test_op_at_opset(case, opset):
    built, shapes = CASES[case][0](opset)
    check(built, *shapes)
