"""ONNX Resize and Upsample in every mode and coordinate transformation, against onnxruntime (float32,
relative error <= 1e-5); opsets 10 (converted), 11, 13, 18 and 19 forms."""

from __future__ import annotations

import numpy as np
import pytest

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")

from onnx import helper  # noqa: E402
from test_onnx_ops import check, model  # noqa: E402

import fpgalab  # noqa: E402
from fpgalab.errors import CompileError  # noqa: E402

TRANSFORMS = ["half_pixel", "pytorch_half_pixel", "align_corners", "asymmetric", "tf_half_pixel_for_nn"]
SCALES = [(1, 1, 2, 2), (1, 1, 1.5, 3), (1, 1, 0.5, 0.75), (1, 1, 1, 2.5)]


def resize(shape, opset=13, scales=None, sizes=None, **attrs):
    inputs, init = ["x", "", ""], {}
    if scales is not None:
        inputs[2], init["s"] = "s", np.array(scales, np.float32)
    if sizes is not None:
        inputs.append("sz")
        init["sz"] = np.array(sizes, np.int64)
    node = helper.make_node("Resize", inputs, ["y"], name="up", **attrs)
    return model([node], {"x": list(shape)}, None, init, opset=opset)


@pytest.mark.parametrize("transform", TRANSFORMS[:4])
@pytest.mark.parametrize("scales", SCALES)
def test_linear(transform, scales):
    check(resize((1, 2, 4, 4), scales=scales, mode="linear", coordinate_transformation_mode=transform), (1, 2, 4, 4))


@pytest.mark.parametrize("transform", TRANSFORMS[:4])
@pytest.mark.parametrize("scales", SCALES[:3])
@pytest.mark.parametrize("a,exclude", [(-0.75, 0), (-0.5, 1)])
def test_cubic(transform, scales, a, exclude):
    built = resize(
        (1, 2, 4, 4), scales=scales, mode="cubic", coordinate_transformation_mode=transform, cubic_coeff_a=a,
        exclude_outside=exclude,
    )  # fmt: skip
    check(built, (1, 2, 4, 4))


@pytest.mark.parametrize("transform", TRANSFORMS)
@pytest.mark.parametrize("rounding", ["round_prefer_floor", "round_prefer_ceil", "floor", "ceil"])
@pytest.mark.parametrize("scales", SCALES[1:3])
def test_nearest_every_mode(transform, rounding, scales):
    built = resize(
        (1, 2, 4, 5), scales=scales, mode="nearest", coordinate_transformation_mode=transform, nearest_mode=rounding
    )
    check(built, (1, 2, 4, 5))


@pytest.mark.parametrize("mode", ["nearest", "linear", "cubic"])
def test_sizes_input(mode):
    check(resize((1, 2, 3, 5), sizes=(1, 2, 7, 4), mode=mode), (1, 2, 3, 5))


@pytest.mark.parametrize("policy", ["stretch", "not_larger", "not_smaller"])
@pytest.mark.parametrize("mode", ["nearest", "linear"])
def test_opset18_axes_and_aspect_ratio_policy(policy, mode):
    built = resize((1, 2, 3, 5), opset=18, sizes=(7, 8), axes=[2, 3], keep_aspect_ratio_policy=policy, mode=mode)
    check(built, (1, 2, 3, 5))


@pytest.mark.parametrize("mode", ["nearest", "linear"])
def test_opset19_half_pixel_symmetric(mode):
    built = resize(
        (1, 2, 3, 5),
        opset=19,
        scales=(1, 1, 1.7, 2.3),
        mode=mode,
        coordinate_transformation_mode="half_pixel_symmetric",
    )
    check(built, (1, 2, 3, 5))


@pytest.mark.parametrize("shape,scales", [((1, 3, 5), (1, 1, 2.0)), ((1, 2, 3, 4, 3), (1, 1, 2, 1.5, 2))])
def test_linear_on_three_and_five_dimensions(shape, scales):
    check(resize(shape, scales=scales, mode="linear"), shape)


@pytest.mark.parametrize("mode", ["nearest", "linear"])
@pytest.mark.parametrize("scales", [(1, 1, 2, 2), (1, 1, 1.5, 2.5), (1, 1, 0.5, 0.6)])
def test_opset10_resize_is_converted(mode, scales):
    """Opset 10 meant asymmetric coordinates (and nearest rounding down, or up when downsampling)."""
    node = helper.make_node("Resize", ["x", "s"], ["y"], name="up", mode=mode)
    check(model([node], {"x": [1, 2, 5, 5]}, None, {"s": np.array(scales, np.float32)}, opset=10), (1, 2, 5, 5))


@pytest.mark.parametrize("opset", [7, 9])
@pytest.mark.parametrize("mode", ["nearest", "linear"])
@pytest.mark.parametrize("factors", [(2, 3), (1.5, 2.5)])
def test_upsample(opset, mode, factors):
    scales = np.array([1, 1, *factors], np.float32)
    if opset == 7:
        node = helper.make_node("Upsample", ["x"], ["y"], name="up", mode=mode, scales=scales.tolist())
        built = model([node], {"x": [1, 2, 3, 3]}, None, opset=7)
    else:
        node = helper.make_node("Upsample", ["x", "s"], ["y"], name="up", mode=mode)
        built = model([node], {"x": [1, 2, 3, 3]}, None, {"s": scales}, opset=9)
    check(built, (1, 2, 3, 3))


def test_refusals_name_the_attribute():
    with pytest.raises(CompileError, match=r"Resize node 'up': antialias=1 is not supported; supported: antialias=0"):
        fpgalab.compile(resize((1, 2, 4, 4), opset=18, scales=(1, 1, 0.5, 0.5), mode="linear", antialias=1))
    roi = resize((1, 2, 4, 4), scales=(1, 1, 2, 2), mode="linear", coordinate_transformation_mode="tf_crop_and_resize")
    with pytest.raises(CompileError, match=r"Resize node 'up': coordinate_transformation_mode='tf_crop_and_resize'"):
        fpgalab.compile(roi)


@pytest.mark.parametrize("opset", [11, 13, 18, 19, 21])
@pytest.mark.parametrize("mode", ["nearest", "linear", "cubic"])
def test_every_resize_opset(opset, mode):
    """Opset 11's Resize takes roi, scales and sizes inputs; 13 makes roi and scales optional; 18 adds
    antialias, axes and keep_aspect_ratio_policy; 19 half_pixel_symmetric."""
    node = helper.make_node("Resize", ["x", "roi", "s"], ["y"], name="up", mode=mode)
    init = {"roi": np.array([], np.float32), "s": np.array([1, 1, 1.5, 2], np.float32)}
    check(model([node], {"x": [1, 2, 4, 3]}, None, init, opset=opset), (1, 2, 4, 3))
