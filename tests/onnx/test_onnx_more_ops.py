"""More ONNX ops and attribute forms (issue 13's op coverage for hls4ml/FINN exports): activations,
variadic elementwise ops, Expand/Tile/DepthToSpace/gathers, Cast, each against onnxruntime
(float32, relative error <= 1e-5)."""

from __future__ import annotations

import numpy as np
import pytest

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")

from onnx import TensorProto, helper  # noqa: E402
from test_onnx_ops import check, model, relative_error, run, unary_model, weights  # noqa: E402

import fpgalab  # noqa: E402

RNG = np.random.default_rng(11)


def check_with(onnx_model, *xs):
    """``check`` on given inputs (the activations' interesting points, integers for Cast)."""
    design = fpgalab.compile(onnx_model, precision="float32")
    assert relative_error(design.simulate(*xs), run(onnx_model, *xs)) <= 1e-5
    return design


@pytest.mark.parametrize(
    "op,attrs,opset",
    [
        ("HardSwish", {}, 14),
        ("Gelu", {}, 20),
        ("Gelu", {"approximate": "tanh"}, 20),
        ("Mish", {}, 18),
        ("Celu", {"alpha": 0.7}, 13),
        ("ThresholdedRelu", {"alpha": 0.3}, 13),
        ("Shrink", {"bias": 0.2, "lambd": 0.4}, 13),
        ("Sign", {}, 13),
        ("Round", {}, 13),
    ],
)
def test_more_activations(op, attrs, opset):
    x = (RNG.normal(size=(1, 3, 8)) * 3).astype(np.float32)
    x[0, 0, :4] = [0.0, 0.3, -0.4, 2.5]  # thresholds and a half for Round
    check_with(unary_model(op, [1, 3, 8], opset=opset, **attrs), x)


@pytest.mark.parametrize("op", ["Max", "Min", "Sum", "Mean"])
@pytest.mark.parametrize("count", [2, 3, 4])
def test_variadic_elementwise(op, count):
    names = [f"x{k}" for k in range(count)]
    shapes = [(1, 3, 4), (3, 1), (4,), (1, 1, 4)][:count]
    node = helper.make_node(op, names, ["y"], name="layer")
    check(model([node], dict(zip(names, map(list, shapes))), None), *shapes)


def test_max_with_a_constant():
    node = helper.make_node("Max", ["x", "c", "d"], ["y"], name="layer")
    check(model([node], {"x": [1, 6]}, None, {"c": np.float32(0.1), "d": weights(6)}), (1, 6))


@pytest.mark.parametrize("shape,target", [((1, 3, 1), (2, 1, 4)), ((3,), (2, 3)), ((1, 4), (1, 1))])
def test_expand(shape, target):
    nodes = [
        helper.make_node("Expand", ["x", "shape"], ["e"], name="expand"),
        helper.make_node("Relu", ["e"], ["y"], name="relu"),
    ]
    check(model(nodes, {"x": list(shape)}, None, {"shape": np.array(target, np.int64)}), shape)


@pytest.mark.parametrize("repeats", [(1, 2, 3), (2, 1, 1), (1, 1, 1)])
def test_tile(repeats):
    nodes = [
        helper.make_node("Tile", ["x", "r"], ["t"], name="tile"),
        helper.make_node("Neg", ["t"], ["y"], name="neg"),
    ]
    check(model(nodes, {"x": [1, 2, 3]}, None, {"r": np.array(repeats, np.int64)}), (1, 2, 3))


@pytest.mark.parametrize("mode", ["DCR", "CRD"])
def test_depth_to_space_and_back(mode):
    nodes = [
        helper.make_node("DepthToSpace", ["x"], ["d"], blocksize=2, mode=mode, name="d2s"),
        helper.make_node("Abs", ["d"], ["a"], name="abs"),
        helper.make_node("SpaceToDepth", ["a"], ["y"], blocksize=2, name="s2d"),
    ]
    check(model(nodes, {"x": [1, 8, 2, 3]}, None), (1, 8, 2, 3))


@pytest.mark.parametrize("axis", [0, 1, -1])
def test_gather_elements_constant_indices(axis):
    indices = RNG.integers(-3, 3, size=(2, 3, 2)).astype(np.int64)
    node = helper.make_node("GatherElements", ["x", "i"], ["y"], axis=axis, name="ge")
    check(model([node], {"x": [3, 3, 3]}, None, {"i": indices}), (3, 3, 3))


@pytest.mark.parametrize("indices", [[[0, 1], [2, 0]], [[1], [0]], [[[0, 2, 1]], [[2, 1, 0]]]])
def test_gather_nd_constant_indices(indices):
    node = helper.make_node("GatherND", ["x", "i"], ["y"], name="gnd")
    check(model([node], {"x": [3, 3, 4]}, None, {"i": np.array(indices, np.int64)}), (3, 3, 4))


@pytest.mark.parametrize("to", [TensorProto.INT32, TensorProto.INT64, TensorProto.INT8])
def test_cast_run_time_tensor(to):
    """Float to integer truncates toward zero, as onnxruntime converts; cast back to float for the output."""
    nodes = [
        helper.make_node("Mul", ["x", "k"], ["m"], name="scale"),
        helper.make_node("Cast", ["m"], ["c"], to=to, name="cast"),
        helper.make_node("Cast", ["c"], ["y"], to=TensorProto.FLOAT, name="back"),
    ]
    x = np.array([[-2.7, -1.5, -0.2, 0.0, 0.4, 1.5, 2.5, 3.9]], np.float32)
    check_with(model(nodes, {"x": [1, 8]}, None, {"k": np.float32(1.0)}), x)


def test_cast_to_bool_feeds_where():
    nodes = [
        helper.make_node("Cast", ["x"], ["b"], to=TensorProto.BOOL, name="cast"),
        helper.make_node("Where", ["b", "x", "k"], ["y"], name="where"),
    ]
    x = np.array([[0.0, 1.5, -0.2, 0.0, 3.0]], np.float32)
    check_with(model(nodes, {"x": [1, 5]}, None, {"k": np.float32(7.0)}), x)
