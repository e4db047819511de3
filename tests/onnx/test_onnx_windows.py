"""ONNX window ops in all their attribute forms: ConvTranspose (dilations, output_shape, output_padding,
auto_pad, groups; 1-D and 2-D) and MaxPool (dilations, ceil_mode, storage_order), against onnxruntime
(float32, relative error <= 1e-5)."""

from __future__ import annotations

import pytest

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")

from onnx import helper  # noqa: E402
from test_onnx_ops import check, model, unary_model, weights  # noqa: E402

import fpgalab  # noqa: E402
from fpgalab.errors import CompileError  # noqa: E402

CONV_TRANSPOSE_CASES = [
    ((1, 3, 4, 4), (3, 2, 3, 3), {"strides": [2, 2], "dilations": [2, 2]}),
    ((1, 2, 5), (2, 3, 3), {"strides": [2], "dilations": [3], "pads": [1, 2]}),
    ((1, 3, 4, 4), (3, 2, 3, 3), {"strides": [2, 2], "output_shape": [9, 10]}),
    ((1, 3, 4, 4), (3, 2, 3, 3), {"strides": [2, 2], "output_shape": [8, 8]}),
    ((1, 3, 4, 4), (3, 2, 3, 3), {"strides": [2, 2], "output_shape": [7, 10]}),
    ((1, 3, 4), (3, 2, 3), {"strides": [2], "output_shape": [8], "auto_pad": "SAME_LOWER"}),
    ((1, 3, 4), (3, 2, 3), {"strides": [2], "output_shape": [10], "auto_pad": "SAME_UPPER"}),
    ((1, 3, 4, 4), (3, 2, 3, 3), {"strides": [2, 2], "auto_pad": "SAME_UPPER"}),
    ((1, 3, 4, 4), (3, 2, 4, 4), {"strides": [2, 2], "auto_pad": "SAME_LOWER"}),
    ((1, 3, 5), (3, 2, 4), {"strides": [3], "auto_pad": "SAME_UPPER", "output_padding": [1]}),
    ((1, 4, 3, 3), (4, 2, 3, 3), {"strides": [2, 2], "group": 2, "output_padding": [1, 1], "pads": [1, 1, 1, 1]}),
    ((1, 6, 5), (6, 1, 3), {"strides": [2], "group": 6, "dilations": [2]}),
    ((1, 2, 3, 3), (2, 2, 3, 3), {}),
    ((1, 2, 4, 4), (2, 3, 3, 2), {"dilations": [2, 3], "pads": [1, 0, 2, 1]}),
    ((1, 4, 5), (4, 2, 3), {"dilations": [2], "group": 2, "auto_pad": "SAME_UPPER"}),
    ((1, 2, 3, 3), (2, 2, 2, 2), {"auto_pad": "VALID", "strides": [1, 2]}),
]


@pytest.mark.parametrize("x,w,attrs", CONV_TRANSPOSE_CASES)
@pytest.mark.parametrize("bias", [True, False])
def test_conv_transpose_attributes(x, w, attrs, bias):
    inputs = ["x", "w", "b"] if bias else ["x", "w"]
    node = helper.make_node("ConvTranspose", inputs, ["y"], name="deconv", **attrs)
    init = {"w": weights(*w), "b": weights(w[1] * attrs.get("group", 1))}
    check(model([node], {"x": list(x)}, None, {k: v for k, v in init.items() if k in inputs}), x)


def test_conv_transpose_pads_past_the_kernel_are_refused():
    node = helper.make_node("ConvTranspose", ["x", "w"], ["y"], name="deconv", strides=[2, 2], pads=[3, 3, 3, 3])
    with pytest.raises(CompileError, match=r"ConvTranspose node 'deconv': pads .* must be at most kernel - 1"):
        fpgalab.compile(model([node], {"x": [1, 2, 4, 4]}, None, {"w": weights(2, 2, 3, 3)}))


MAXPOOL_CASES = [
    ((1, 2, 8, 8), {"kernel_shape": [2, 2], "dilations": [2, 2]}),
    ((1, 2, 9, 9), {"kernel_shape": [3, 3], "dilations": [2, 3], "strides": [2, 2], "pads": [1, 2, 1, 2]}),
    ((1, 2, 9, 8), {"kernel_shape": [2, 3], "dilations": [2, 2], "strides": [2, 2], "ceil_mode": 1}),
    ((1, 3, 11), {"kernel_shape": [3], "dilations": [3], "pads": [2, 1]}),
    ((1, 2, 7, 7), {"kernel_shape": [3, 3], "strides": [2, 2], "ceil_mode": 1, "storage_order": 1}),
]


@pytest.mark.parametrize("x,attrs", MAXPOOL_CASES)
def test_max_pool_attributes(x, attrs):
    check(unary_model("MaxPool", list(x), opset=12, **attrs), x)


def test_max_pool_indices_output_is_refused():
    node = helper.make_node("MaxPool", ["x"], ["y", "i"], name="pool", kernel_shape=[2, 2])
    with pytest.raises(CompileError, match=r"MaxPool node 'pool': its second output \(Indices"):
        fpgalab.compile(model([node], {"x": [1, 2, 4, 4]}, None))


@pytest.mark.parametrize("p", [1, 2])
@pytest.mark.parametrize(
    "attrs", [{"kernel_shape": [2, 2]}, {"kernel_shape": [3, 3], "strides": [2, 2], "pads": [1, 1, 1, 1]}]
)
def test_lp_pool(p, attrs):
    check(unary_model("LpPool", [1, 2, 6, 6], p=p, **attrs), (1, 2, 6, 6))


AVERAGE_CASES = [
    ((1, 2, 8, 8), {"kernel_shape": [2, 2], "dilations": [2, 2]}),
    ((1, 2, 9, 9), {"kernel_shape": [3, 3], "dilations": [2, 3], "strides": [2, 2], "pads": [1, 2, 1, 2]}),
    ((1, 2, 9, 9), {"kernel_shape": [3, 3], "dilations": [2, 2], "pads": [1, 1, 2, 2], "count_include_pad": 1}),
    ((1, 2, 9, 8), {"kernel_shape": [2, 3], "dilations": [2, 2], "strides": [2, 2], "ceil_mode": 1}),
    ((1, 3, 11), {"kernel_shape": [3], "dilations": [3], "pads": [2, 1]}),
]


@pytest.mark.parametrize("x,attrs", AVERAGE_CASES)
def test_average_pool_dilations_opset19(x, attrs):
    check(unary_model("AveragePool", list(x), opset=19, **attrs), x)
