"""The ONNX front end, op by op: models built with ``onnx.helper``, compiled in float32 and simulated,
against onnxruntime (relative error <= 1e-5). No TensorFlow is needed."""

from __future__ import annotations

import numpy as np
import pytest

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")

from onnx import TensorProto, helper, numpy_helper  # noqa: E402

import fpgalab  # noqa: E402

RNG = np.random.default_rng(7)


def weights(*shape, scale=0.5):
    return (RNG.normal(size=shape) * scale).astype(np.float32)


def model(nodes, inputs, output_shape, initializers=None, opset=13, output="y"):
    """A one-output ONNX model: ``inputs`` name -> shape (float), ``initializers`` name -> array."""
    graph = helper.make_graph(
        nodes,
        "g",
        [helper.make_tensor_value_info(n, TensorProto.FLOAT, s) for n, s in inputs.items()],
        [helper.make_tensor_value_info(output, TensorProto.FLOAT, output_shape)],
        [numpy_helper.from_array(np.asarray(a), n) for n, a in (initializers or {}).items()],
    )
    built = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    built.ir_version = min(built.ir_version, 8)
    return built


def run(onnx_model, *xs):
    sess = ort.InferenceSession(onnx_model.SerializeToString(), providers=["CPUExecutionProvider"])
    names = [i.name for i in sess.get_inputs()]
    return sess.run(None, dict(zip(names, xs)))[0]


def relative_error(actual, expected) -> float:
    expected = np.asarray(expected, dtype=np.float64)
    actual = np.asarray(actual, dtype=np.float64).reshape(expected.shape)
    return float(np.max(np.abs(actual - expected)) / max(np.max(np.abs(expected)), 1e-30))


def check(onnx_model, *shapes, **options):
    """Compile in float32, simulate, compare with onnxruntime; the design for further checks."""
    xs = [RNG.normal(size=s).astype(np.float32) for s in shapes]
    design = fpgalab.compile(onnx_model, precision="float32", **options)
    got = design.simulate(*xs)
    assert relative_error(got, run(onnx_model, *xs)) <= 1e-5
    return design


def unary_model(op, shape, opset=13, **attrs):
    return model([helper.make_node(op, ["x"], ["y"], name="layer", **attrs)], {"x": shape}, None, opset=opset)


@pytest.mark.parametrize(
    "op,attrs",
    [
        ("Relu", {}),
        ("LeakyRelu", {"alpha": 0.2}),
        ("Sigmoid", {}),
        ("Tanh", {}),
        ("Elu", {"alpha": 0.7}),
        ("Selu", {}),
        ("HardSigmoid", {"alpha": 0.3, "beta": 0.4}),
    ],
)
def test_activations(op, attrs):
    check(unary_model(op, [1, 3, 5], **attrs), (1, 3, 5))


@pytest.mark.parametrize("axis", [-1, 1, 0, 2])
def test_softmax_axis(axis):
    check(unary_model("Softmax", [1, 4, 6], axis=axis), (1, 4, 6))


@pytest.mark.parametrize("axis", [1, 2])
def test_softmax_opset11_coerces_to_2d(axis):
    """Before opset 13 Softmax normalises over every dimension from ``axis`` on."""
    check(unary_model("Softmax", [1, 3, 4], opset=11, axis=axis), (1, 3, 4))


@pytest.mark.parametrize("op", ["Add", "Sub", "Mul", "Div"])
@pytest.mark.parametrize("a,b", [((1, 4, 3), (3,)), ((1, 4, 1), (1, 1, 5)), ((1, 4, 3), (1, 4, 3)), ((2, 1), (1, 3))])
def test_broadcasting_binary(op, a, b):
    node = helper.make_node(op, ["a", "b"], ["y"], name="layer")
    check(model([node], {"a": list(a), "b": list(b)}, None), a, b)


@pytest.mark.parametrize("op", ["Add", "Mul", "Div"])
def test_binary_with_constant(op):
    node = helper.make_node(op, ["x", "c"], ["y"], name="layer")
    check(model([node], {"x": [1, 2, 4]}, None, {"c": weights(4) + 3.0}), (1, 2, 4))


@pytest.mark.parametrize("trans_a,trans_b", [(0, 0), (0, 1), (1, 0), (1, 1)])
@pytest.mark.parametrize("alpha,beta", [(1.0, 1.0), (0.5, 2.0), (1.5, 0.0)])
def test_gemm(trans_a, trans_b, alpha, beta):
    a_shape = [6, 1] if trans_a else [1, 6]
    w = weights(*([4, 6] if trans_b else [6, 4]))
    node = helper.make_node(
        "Gemm", ["x", "w", "c"], ["y"], name="fc", alpha=alpha, beta=beta, transA=trans_a, transB=trans_b
    )
    check(model([node], {"x": a_shape}, None, {"w": w, "c": weights(4)}), tuple(a_shape))


def test_gemm_run_time_operands():
    node = helper.make_node("Gemm", ["a", "b"], ["y"], name="fc", alpha=0.5, transB=1)
    check(model([node], {"a": [2, 3], "b": [4, 3]}, None), (2, 3), (4, 3))


@pytest.mark.parametrize("a,b", [((1, 5), (5, 3)), ((1, 2, 5), (5, 3)), ((2, 3, 5), (2, 5, 4)), ((5,), (5, 3))])
def test_matmul(a, b):
    node = helper.make_node("MatMul", ["x", "w"], ["y"], name="mm")
    check(model([node], {"x": list(a)}, None, {"w": weights(*b)}), a)


CONV_CASES = [
    ((1, 3, 8, 8), (4, 3, 3, 3), {}),
    ((1, 3, 8, 8), (4, 3, 3, 3), {"strides": [2, 2], "pads": [1, 0, 1, 2]}),
    ((1, 3, 9, 9), (4, 3, 3, 2), {"dilations": [2, 1], "pads": [2, 1, 2, 1]}),
    ((1, 4, 8, 8), (4, 1, 3, 3), {"group": 4, "auto_pad": "SAME_UPPER"}),
    ((1, 4, 7, 7), (6, 2, 3, 3), {"group": 2, "auto_pad": "SAME_LOWER", "strides": [2, 2]}),
    ((1, 3, 8, 8), (2, 3, 2, 2), {"auto_pad": "VALID", "strides": [2, 1]}),
    ((1, 3, 10), (5, 3, 3), {"pads": [1, 1]}),
    ((1, 2, 12), (4, 1, 5), {"group": 2, "strides": [2], "dilations": [2]}),
]


@pytest.mark.parametrize("x,w,attrs", CONV_CASES)
@pytest.mark.parametrize("bias", [True, False])
def test_conv(x, w, attrs, bias):
    inputs = ["x", "w", "b"] if bias else ["x", "w"]
    node = helper.make_node("Conv", inputs, ["y"], name="conv", **attrs)
    init = {"w": weights(*w), "b": weights(w[0])} if bias else {"w": weights(*w)}
    check(model([node], {"x": list(x)}, None, init), x)


POOL_CASES = [
    ((1, 2, 8, 8), {"kernel_shape": [2, 2], "strides": [2, 2]}),
    ((1, 2, 7, 7), {"kernel_shape": [3, 3], "strides": [2, 2], "pads": [1, 1, 1, 1]}),
    ((1, 2, 7, 7), {"kernel_shape": [3, 3], "strides": [2, 2], "pads": [1, 1, 1, 1], "count_include_pad": 1}),
    ((1, 2, 7, 6), {"kernel_shape": [2, 3], "auto_pad": "SAME_UPPER"}),
    ((1, 2, 7, 7), {"kernel_shape": [2, 2], "strides": [2, 2], "ceil_mode": 1}),
    ((1, 3, 10), {"kernel_shape": [3], "strides": [2]}),
]


@pytest.mark.parametrize("x,attrs", POOL_CASES)
@pytest.mark.parametrize("op", ["MaxPool", "AveragePool"])
def test_pools(op, x, attrs):
    if op == "MaxPool" and "count_include_pad" in attrs:
        attrs = {k: v for k, v in attrs.items() if k != "count_include_pad"}
    check(unary_model(op, list(x), **attrs), x)


@pytest.mark.parametrize("op", ["GlobalAveragePool", "GlobalMaxPool"])
def test_global_pools(op):
    check(unary_model(op, [1, 3, 4, 5]), (1, 3, 4, 5))


@pytest.mark.parametrize("shape", [(1, 4), (1, 4, 3, 3)])
def test_batch_normalization(shape):
    c = shape[1]
    node = helper.make_node("BatchNormalization", ["x", "s", "b", "m", "v"], ["y"], name="bn", epsilon=1e-3)
    init = {"s": weights(c) + 1, "b": weights(c), "m": weights(c), "v": np.abs(weights(c)) + 0.5}
    check(model([node], {"x": list(shape)}, None, init), shape)


def test_data_movement():
    nodes = [
        helper.make_node("Transpose", ["x"], ["t"], perm=[0, 2, 3, 1], name="t"),
        helper.make_node("Flatten", ["t"], ["f"], axis=2, name="f"),
        helper.make_node("Unsqueeze", ["f", "ax"], ["u"], name="u"),
        helper.make_node("Squeeze", ["u", "ax"], ["s"], name="s"),
        helper.make_node("Concat", ["s", "s"], ["c"], axis=-1, name="c"),
        helper.make_node("Dropout", ["c"], ["d"], name="d"),
        helper.make_node("Reshape", ["d", "shape"], ["r"], name="r"),
        helper.make_node("Clip", ["r", "lo", "hi"], ["y"], name="clip"),
    ]
    init = {"ax": np.array([1], np.int64), "shape": np.array([0, -1], np.int64)}
    init.update({"lo": np.array(-0.5, np.float32), "hi": np.array(0.7, np.float32)})
    check(model(nodes, {"x": [1, 2, 3, 4]}, None, init), (1, 2, 3, 4))


def test_clip_one_sided_and_constant():
    nodes = [
        helper.make_node("Constant", [], ["lo"], value=numpy_helper.from_array(np.array(-0.25, np.float32)), name="k"),
        helper.make_node("Clip", ["x", "lo"], ["y"], name="clip"),
    ]
    check(model(nodes, {"x": [1, 6]}, None), (1, 6))


def test_exporter_shape_subgraph_folds():
    """PyTorch's ``x.view(x.size(0), -1)``: Shape -> Gather -> Unsqueeze -> Concat -> Cast -> Reshape."""
    nodes = [
        helper.make_node("Shape", ["x"], ["shape"], name="shape"),
        helper.make_node("Gather", ["shape", "zero"], ["batch"], axis=0, name="gather"),
        helper.make_node("Unsqueeze", ["batch", "ax"], ["batch1"], name="unsqueeze"),
        helper.make_node("Concat", ["batch1", "minus1"], ["target"], axis=0, name="concat"),
        helper.make_node("Cast", ["target"], ["target64"], to=TensorProto.INT64, name="cast"),
        helper.make_node("Reshape", ["x", "target64"], ["flat"], name="reshape"),
        helper.make_node("Gemm", ["flat", "w"], ["y"], transB=1, name="fc"),
    ]
    init = {"zero": np.array(0, np.int64), "ax": np.array([0], np.int64), "minus1": np.array([-1], np.int64)}
    init["w"] = weights(3, 12)
    design = check(model(nodes, {"x": [1, 3, 2, 2]}, None, init), (1, 3, 2, 2))
    assert {n.layer for n in design.float_kernel.nodes} <= {"reshape", "fc"}


def test_symbolic_batch_is_one_and_layer_names():
    nodes = [
        helper.make_node("Gemm", ["x", "w", "b"], ["h"], transB=1, name="fc1"),
        helper.make_node("Relu", ["h"], ["y"], name="act1"),
    ]
    built = model(nodes, {"x": ["N", 8]}, None, {"w": weights(5, 8), "b": weights(5)})
    design = check(built, (1, 8))
    assert design.example_shapes == ((1, 8),)
    layers = {n.layer for n in design.float_kernel.nodes}
    assert "fc1" in layers


def test_opset_9_model_is_converted():
    node = helper.make_node("Gemm", ["x", "w", "b"], ["y"], name="fc", transB=1)
    check(model([node], {"x": [1, 6]}, None, {"w": weights(3, 6), "b": weights(3)}, opset=9), (1, 6))


def test_per_layer_override_by_node_name():
    nodes = [
        helper.make_node("Gemm", ["x", "w", "b"], ["h"], transB=1, name="fc1"),
        helper.make_node("Relu", ["h"], ["y"], name="act"),
    ]
    built = model(nodes, {"x": [1, 8]}, None, {"w": weights(5, 8), "b": weights(5)})
    design = fpgalab.compile(built, precision={"default": "ap_fixed<16,6>", "fc1": "ap_fixed<12,4>"})
    types = {str(n.dtype) for n in design.kernel.nodes if n.layer == "fc1"}
    assert any("12" in t for t in types), types


def _channels_last_model(pool_op, pool_attrs):
    """What tf2onnx gives for a Keras Conv2D -> pool -> Flatten -> Dense on NHWC input."""
    nodes = [
        helper.make_node("Transpose", ["x"], ["xt"], perm=[0, 3, 1, 2], name="to_nchw"),
        helper.make_node("Conv", ["xt", "w", "b"], ["c"], name="conv", pads=[1, 1, 1, 1]),
        helper.make_node("BatchNormalization", ["c", "s", "bb", "m", "v"], ["n"], name="bn"),
        helper.make_node("Relu", ["n"], ["r"], name="relu"),
        helper.make_node(pool_op, ["r"], ["p"], name="pool", **pool_attrs),
        helper.make_node("Transpose", ["p"], ["pt"], perm=[0, 2, 3, 1], name="to_nhwc"),
        helper.make_node("Flatten", ["pt"], ["f"], name="flatten"),
        helper.make_node("Gemm", ["f", "fw"], ["y"], name="dense"),
    ]
    out = 4 if pool_op != "GlobalAveragePool" else 1
    init = {"w": weights(3, 2, 3, 3), "b": weights(3), "s": weights(3) + 1, "bb": weights(3), "m": weights(3)}
    init.update({"v": np.abs(weights(3)) + 0.5, "fw": weights(3 * out * out, 5)})
    return model(nodes, {"x": [1, 8, 8, 2]}, None, init)


@pytest.mark.parametrize(
    "pool_op,pool_attrs",
    [
        ("MaxPool", {"kernel_shape": [2, 2], "strides": [2, 2]}),
        ("AveragePool", {"kernel_shape": [2, 2], "strides": [2, 2]}),
        ("GlobalAveragePool", {}),
    ],
)
def test_channels_last_model_keeps_no_transpose(pool_op, pool_attrs):
    """The transposes tf2onnx puts around a channels-first Conv meet through the elementwise layers and
    the pool and cancel: the design is the one the TF front end gives, with no data movement left."""
    design = check(_channels_last_model(pool_op, pool_attrs), (1, 8, 8, 2))
    assert not [n for n in design.float_kernel.nodes if n.__class__.__name__ == "Transpose"]


@pytest.mark.parametrize("op", ["Abs", "Neg", "Exp", "Floor", "Ceil", "Erf", "Softsign", "Softplus"])
def test_unary_math(op):
    check(unary_model(op, [1, 2, 5]), (1, 2, 5))


@pytest.mark.parametrize("op", ["Log", "Sqrt", "Reciprocal"])
def test_unary_math_of_positive_values(op):
    nodes = [
        helper.make_node("Abs", ["x"], ["a"], name="abs"),
        helper.make_node("Add", ["a", "one"], ["p"], name="add"),
    ]
    nodes.append(helper.make_node(op, ["p"], ["y"], name="layer"))
    check(model(nodes, {"x": [1, 7]}, None, {"one": np.array(0.5, np.float32)}), (1, 7))


@pytest.mark.parametrize("slope_shape", [(3, 1, 1), (1,)])
def test_prelu(slope_shape):
    node = helper.make_node("PRelu", ["x", "s"], ["y"], name="prelu")
    check(model([node], {"x": [1, 3, 4, 4]}, None, {"s": weights(*slope_shape)}), (1, 3, 4, 4))


@pytest.mark.parametrize("exponent", [2.0, 3.0, 0.5, -1.0])
def test_pow_constant_exponent(exponent):
    nodes = [
        helper.make_node("Abs", ["x"], ["a"], name="abs"),
        helper.make_node("Add", ["a", "one"], ["p"], name="add"),
    ]
    nodes.append(helper.make_node("Pow", ["p", "e"], ["y"], name="pow"))
    init = {"one": np.array(0.5, np.float32), "e": np.array(exponent, np.float32)}
    check(model(nodes, {"x": [1, 6]}, None, init), (1, 6))


@pytest.mark.parametrize(
    "pads,value,opset", [([0, 1, 2, 0, 0, 2, 1, 1], 0.0, 13), ([0, 0, 1, 1, 0, 0, 1, 0], -1.5, 13), (None, 0.0, 9)]
)
def test_pad(pads, value, opset):
    if opset < 11:
        node = helper.make_node("Pad", ["x"], ["y"], name="pad", pads=[0, 0, 1, 2, 0, 0, 2, 1], value=value)
        check(model([node], {"x": [1, 2, 3, 3]}, None, opset=opset), (1, 2, 3, 3))
        return
    node = helper.make_node("Pad", ["x", "pads", "v"], ["y"], name="pad")
    init = {"pads": np.array(pads, np.int64), "v": np.array(value, np.float32)}
    check(model([node], {"x": [1, 2, 3, 3]}, None, init), (1, 2, 3, 3))


@pytest.mark.parametrize("op", ["ReduceSum", "ReduceMean", "ReduceMax", "ReduceMin"])
@pytest.mark.parametrize("axes,keepdims", [([1], 1), ([-1, 2], 0), (None, 1)])
def test_reductions_opset13(op, axes, keepdims):
    if op == "ReduceSum" and axes is not None:  # opset 13: ReduceSum's axes are an input
        node = helper.make_node(op, ["x", "axes"], ["y"], name="r", keepdims=keepdims)
        built = model([node], {"x": [1, 3, 4, 5]}, None, {"axes": np.array(axes, np.int64)})
    else:
        extra = {"axes": axes} if axes is not None and op != "ReduceSum" else {}
        built = model(
            [helper.make_node(op, ["x"], ["y"], name="r", keepdims=keepdims, **extra)], {"x": [1, 3, 4, 5]}, None
        )
    check(built, (1, 3, 4, 5))


def test_reduce_mean_opset18_axes_input():
    node = helper.make_node("ReduceMean", ["x", "axes"], ["y"], name="r", keepdims=0)
    check(model([node], {"x": [1, 3, 4]}, None, {"axes": np.array([2], np.int64)}, opset=18), (1, 3, 4))


def test_integer_shape_arithmetic_truncates():
    """``x.view(x.size(0), x.size(1) // 2, -1)`` style: an int64 Div of shape values folds as an integer division."""
    nodes = [
        helper.make_node("Shape", ["x"], ["shape"], name="shape"),
        helper.make_node("Gather", ["shape", "one"], ["c"], axis=0, name="gather"),
        helper.make_node("Div", ["c", "two"], ["half"], name="div"),
        helper.make_node("Unsqueeze", ["half", "ax"], ["half1"], name="unsqueeze"),
        helper.make_node("Concat", ["zero1", "half1", "minus1"], ["target"], axis=0, name="concat"),
        helper.make_node("Reshape", ["x", "target"], ["r"], name="reshape"),
        helper.make_node("Relu", ["r"], ["y"], name="relu"),
    ]
    init = {"one": np.array(1, np.int64), "two": np.array(2, np.int64), "ax": np.array([0], np.int64)}
    init.update({"zero1": np.array([0], np.int64), "minus1": np.array([-1], np.int64)})
    design = check(model(nodes, {"x": [1, 5, 4]}, [1, 2, 10], init), (1, 5, 4))
    assert design.float_kernel.nodes[-1].shape == (1, 2, 10)


def test_malformed_attribute_is_a_compile_error():
    node = helper.make_node("Flatten", ["x"], ["y"], name="flat", axis=5)
    with pytest.raises(fpgalab.CompileError, match="Flatten node 'flat'|not valid"):
        fpgalab.compile(model([node], {"x": [1, 2, 3]}, None))


CONV_TRANSPOSE_CASES = [
    ((1, 3, 4, 4), (3, 2, 3, 3), {"strides": [2, 2]}),
    ((1, 3, 4, 5), (3, 4, 3, 2), {"strides": [2, 1], "pads": [1, 0, 1, 1], "output_padding": [1, 0]}),
    ((1, 4, 3, 3), (4, 1, 2, 2), {"strides": [2, 2], "group": 4}),
    ((1, 4, 3, 3), (4, 3, 3, 3), {"strides": [3, 3], "group": 2, "auto_pad": "VALID"}),
    ((1, 2, 6), (2, 3, 4), {"strides": [2], "pads": [1, 1]}),
]


@pytest.mark.parametrize("x,w,attrs", CONV_TRANSPOSE_CASES)
def test_conv_transpose(x, w, attrs):
    node = helper.make_node("ConvTranspose", ["x", "w", "b"], ["y"], name="deconv", **attrs)
    init = {"w": weights(*w), "b": weights(w[1] * attrs.get("group", 1))}
    check(model([node], {"x": list(x)}, None, init), x)


@pytest.mark.parametrize("op", ["Add", "Concat"])
def test_residual_of_two_convs_stays_channels_last(op):
    """Two Conv results joined channels-first (a residual Add, a channel Concat) are joined on their
    channels-last sources: the only transposes left are the input's and the output's."""
    extra = {"axis": 1} if op == "Concat" else {}
    nodes = [
        helper.make_node("Conv", ["x", "w1"], ["a"], name="conv1", pads=[1, 1, 1, 1]),
        helper.make_node("Conv", ["x", "w2"], ["b"], name="conv2"),
        helper.make_node(op, ["a", "b"], ["s"], name="join", **extra),
        helper.make_node("Relu", ["s"], ["y"], name="relu"),
    ]
    init = {"w1": weights(3, 2, 3, 3), "w2": weights(3, 2, 1, 1)}
    design = check(model(nodes, {"x": [1, 2, 5, 5]}, None, init), (1, 2, 5, 5))
    transposes = [n for n in design.float_kernel.nodes if n.__class__.__name__ == "Transpose"]
    assert len(transposes) == 2


@pytest.mark.parametrize("indices,axis", [(np.array([2, 0, 3], np.int64), 1), (np.array([[1, -1]], np.int64), 2)])
def test_gather_run_time_tensor_constant_indices(indices, axis):
    node = helper.make_node("Gather", ["x", "i"], ["y"], name="take", axis=axis)
    check(model([node], {"x": [1, 4, 5]}, None, {"i": indices}), (1, 4, 5))


@pytest.mark.parametrize(
    "attrs",
    [
        {},
        {"coordinate_transformation_mode": "asymmetric", "nearest_mode": "floor"},
        {"coordinate_transformation_mode": "align_corners", "nearest_mode": "round_prefer_ceil"},
        {"coordinate_transformation_mode": "pytorch_half_pixel", "nearest_mode": "ceil"},
        {"coordinate_transformation_mode": "tf_half_pixel_for_nn"},
    ],
)
@pytest.mark.parametrize("scales", [(1, 1, 2, 2), (1, 1, 1.5, 3), (1, 1, 0.5, 0.75)])
def test_resize_nearest_scales(attrs, scales):
    node = helper.make_node("Resize", ["x", "", "s"], ["y"], name="up", mode="nearest", **attrs)
    check(model([node], {"x": [1, 2, 4, 4]}, None, {"s": np.array(scales, np.float32)}), (1, 2, 4, 4))


def test_resize_nearest_sizes():
    node = helper.make_node("Resize", ["x", "", "", "sz"], ["y"], name="up", mode="nearest")
    check(model([node], {"x": [1, 2, 3, 5]}, None, {"sz": np.array([1, 2, 7, 4], np.int64)}), (1, 2, 3, 5))


def test_upsample_opset9_is_converted():
    node = helper.make_node("Upsample", ["x", "s"], ["y"], name="up", mode="nearest")
    check(model([node], {"x": [1, 2, 3, 3]}, None, {"s": np.array([1, 1, 2, 2], np.float32)}, opset=9), (1, 2, 3, 3))


def test_pytorch_style_cnn_folds_batch_norm_and_keeps_one_transpose():
    """Conv -> BatchNorm -> Relu -> MaxPool -> Conv -> BatchNorm -> Relu -> GlobalAveragePool -> Flatten -> Gemm
    on NCHW input, as torch.onnx.export writes a small CNN: each BatchNorm folds into its Conv, and the
    one transpose left is the input's to channels last."""
    nodes = [
        helper.make_node("Conv", ["x", "w1", "c1"], ["a"], name="conv1", pads=[1, 1, 1, 1]),
        helper.make_node("BatchNormalization", ["a", "s1", "b1", "m1", "v1"], ["an"], name="bn1"),
        helper.make_node("Relu", ["an"], ["ar"], name="relu1"),
        helper.make_node("MaxPool", ["ar"], ["p"], name="pool", kernel_shape=[2, 2], strides=[2, 2]),
        helper.make_node("Conv", ["p", "w2"], ["d"], name="conv2", pads=[1, 1, 1, 1]),
        helper.make_node("BatchNormalization", ["d", "s2", "b2", "m2", "v2"], ["dn"], name="bn2"),
        helper.make_node("Relu", ["dn"], ["dr"], name="relu2"),
        helper.make_node("GlobalAveragePool", ["dr"], ["g"], name="gap"),
        helper.make_node("Flatten", ["g"], ["f"], name="flatten"),
        helper.make_node("Gemm", ["f", "fw", "fb"], ["y"], transB=1, name="fc"),
    ]
    init = {
        "w1": weights(4, 3, 3, 3),
        "c1": weights(4),
        "w2": weights(5, 4, 3, 3),
        "fw": weights(3, 5),
        "fb": weights(3),
    }
    for k, c in ((1, 4), (2, 5)):
        init.update(
            {f"s{k}": weights(c) + 1, f"b{k}": weights(c), f"m{k}": weights(c), f"v{k}": np.abs(weights(c)) + 0.5}
        )
    design = check(model(nodes, {"x": [1, 3, 8, 8]}, None, init), (1, 3, 8, 8))
    kinds = [n.__class__.__name__ for n in design.kernel.nodes]
    assert kinds.count("Transpose") == 1
    assert kinds[:1] == ["Transpose"] and kinds.count("Conv") == 2
    bn_left = [n for n in design.kernel.nodes if n.layer.startswith("bn") and n.__class__.__name__ == "Elementwise"]
    assert not bn_left


@pytest.mark.parametrize(
    "starts,ends,axes,steps",
    [
        ([1], [3], [1], None),
        ([0, -3], [2, 100], [1, 2], [1, 2]),
        ([-2], [-1], [-1], None),
        ([1, 0], [4, 5], None, None),
    ],
)
def test_slice(starts, ends, axes, steps):
    inputs, init = ["x", "st", "en"], {"st": np.array(starts, np.int64), "en": np.array(ends, np.int64)}
    if axes is not None:
        inputs.append("ax")
        init["ax"] = np.array(axes, np.int64)
    if steps is not None:
        inputs.append("sp")
        init["sp"] = np.array(steps, np.int64)
    nodes = [helper.make_node("Slice", inputs, ["s"], name="slice"), helper.make_node("Relu", ["s"], ["y"], name="r")]
    check(model(nodes, {"x": [4, 5, 6]}, None, init), (4, 5, 6))


@pytest.mark.parametrize("split,opset", [([2, 4], 13), (None, 13), (None, 18)])
def test_split(split, opset):
    inputs, init, extra = ["x"], {}, {}
    if split is not None:
        inputs.append("sp")
        init["sp"] = np.array(split, np.int64)
    elif opset >= 18:
        extra["num_outputs"] = 2
    nodes = [
        helper.make_node("Split", inputs, ["a", "b"], name="split", axis=1, **extra),
        helper.make_node("Mul", ["a", "a"], ["a2"], name="sq"),
        helper.make_node("Concat", ["b", "a2"], ["y"], axis=1, name="cat"),
    ]
    check(model(nodes, {"x": [1, 6, 3]}, None, init, opset=opset), (1, 6, 3))


@pytest.mark.parametrize("axis,opset", [(-1, 13), (1, 13), (1, 11)])
def test_log_softmax(axis, opset):
    check(unary_model("LogSoftmax", [1, 4, 6], opset=opset, axis=axis), (1, 4, 6))


@pytest.mark.parametrize("op", ["Greater", "Less", "Equal", "GreaterOrEqual", "LessOrEqual"])
def test_compare_and_where(op):
    nodes = [
        helper.make_node("Floor", ["x"], ["fx"], name="floor"),
        helper.make_node(op, ["fx", "c"], ["m"], name="cmp"),
        helper.make_node("Where", ["m", "x", "z"], ["y"], name="where"),
    ]
    init = {"c": np.array([0.0, -1.0, 1.0], np.float32), "z": np.array(0.25, np.float32)}
    check(model(nodes, {"x": [1, 4, 3]}, None, init), (1, 4, 3))


@pytest.mark.parametrize("opset", [7, 9, 10])
def test_older_opsets_attributes_are_converted(opset):
    """Clip's min/max and Unsqueeze/Squeeze's axes were attributes before opsets 11 and 13."""
    nodes = [
        helper.make_node("Clip", ["x"], ["c"], name="clip", min=-0.5, max=0.75),
        helper.make_node("Unsqueeze", ["c"], ["u"], name="unsqueeze", axes=[1]),
        helper.make_node("Squeeze", ["u"], ["y"], name="squeeze", axes=[1]),
    ]
    check(model(nodes, {"x": [1, 6]}, None, opset=opset), (1, 6))
