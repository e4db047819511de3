"""ONNX Resize (opsets 10 to 19) and Upsample (opsets 7 and 9): nearest, linear and cubic interpolation.

Every mode reads the input at positions known at compile time with weights known at compile time,
one axis after another (the interpolations are separable, as onnxruntime computes them). Along an
axis, output ``o`` maps to the input coordinate ``x(o)`` (``coordinate_transformation_mode``), and
reads taps around it: one for nearest (``nearest_mode`` rounds ``x``), two for linear (weights
``1 - r`` and ``r``, ``r`` the fraction of ``x``), four for cubic (Keys' cubic with
``cubic_coeff_a``; ``exclude_outside`` drops taps outside the input and renormalizes). Taps outside
the input read its edge. Each tap is a read of the tensor at constant positions
(``frontend.lowering.positional_read``: an ``ir.Lookup`` into the flattened tensor, as the TF front
end lowers its resizes); the taps' weighted sum is elementwise multiplies and adds with the weights
as a constant along the axis. Nearest resizes over all axes are one read.
"""

from __future__ import annotations

import numpy as np

from fpgalab.errors import CompileError
from fpgalab.frontend.lowering import Known, View
from fpgalab.frontend.onnx.rules import axis_of, known_input, rule, shape_of
from fpgalab.frontend.onnx.slices import positions_of, read_positions
from fpgalab.frontend.tf.rules import elementwise

COORDINATE_MODES = (
    "half_pixel",
    "half_pixel_symmetric",
    "pytorch_half_pixel",
    "align_corners",
    "asymmetric",
    "tf_half_pixel_for_nn",
)
NEAREST_MODES = ("round_prefer_floor", "round_prefer_ceil", "floor", "ceil")
MODES = ("nearest", "linear", "cubic")
ASPECT_POLICIES = ("stretch", "not_larger", "not_smaller")


def _supported(site, key: str, value, allowed) -> None:
    if value not in allowed:
        raise CompileError(f"{site.where()}: {key}={value!r} is not supported; supported: {', '.join(allowed)}")


def source_coordinates(site, mode: str, size: int, out: int, scale: float) -> np.ndarray:
    """The input coordinate each of ``out`` outputs maps to along one axis of ``size`` elements."""
    o = np.arange(out, dtype=np.float64)
    if mode == "half_pixel" or (mode == "pytorch_half_pixel" and out > 1):
        return (o + 0.5) / scale - 0.5
    if mode == "pytorch_half_pixel":
        return np.zeros_like(o)
    if mode == "half_pixel_symmetric":
        offset = size / 2 * (1 - out / (scale * size))
        return offset + (o + 0.5) / scale - 0.5
    if mode == "align_corners":
        return o * (size - 1) / (out - 1) if out > 1 else np.zeros_like(o)
    if mode == "asymmetric":
        return o / scale
    return (o + 0.5) / scale  # tf_half_pixel_for_nn


def nearest_taps(site, x: np.ndarray, size: int):
    rounding = site.attr("nearest_mode", "round_prefer_floor")
    _supported(site, "nearest_mode", rounding, NEAREST_MODES)
    if rounding == "floor":
        picked = np.floor(x)
    elif rounding == "ceil":
        picked = np.ceil(x)
    else:
        half = np.isclose(x - np.floor(x), 0.5)
        picked = np.where(half, np.floor(x) if rounding == "round_prefer_floor" else np.ceil(x), np.round(x))
    return np.clip(picked, 0, size - 1).astype(np.int64)[None], np.ones((1, x.size))


def _cubic_weights(r: np.ndarray, a: float) -> np.ndarray:
    """Keys' cubic convolution weights of the taps at floor(x) - 1 .. floor(x) + 2, ``r`` = x - floor(x)."""
    s = 1 - r
    return np.stack(
        [
            ((a * (r + 1) - 5 * a) * (r + 1) + 8 * a) * (r + 1) - 4 * a,
            ((a + 2) * r - (a + 3)) * r * r + 1,
            ((a + 2) * s - (a + 3)) * s * s + 1,
            ((a * (s + 1) - 5 * a) * (s + 1) + 8 * a) * (s + 1) - 4 * a,
        ]
    )


def interpolation_taps(site, mode: str, x: np.ndarray, size: int):
    """(indices [taps, out], weights [taps, out]) of linear or cubic interpolation at coordinates ``x``."""
    low = np.floor(x)
    r = x - low
    if mode == "linear":
        first, weights = low, np.stack([1 - r, r])
    else:
        first, weights = low - 1, _cubic_weights(r, float(site.attr("cubic_coeff_a", -0.75)))
    indices = first[None] + np.arange(weights.shape[0])[:, None]
    if mode == "cubic" and site.attr("exclude_outside", 0):
        weights = np.where((indices < 0) | (indices >= size), 0.0, weights)
        weights = weights / weights.sum(axis=0, keepdims=True)
    return np.clip(indices, 0, size - 1).astype(np.int64), weights


def _sizes_and_scales(lw, site, args, own):
    """The output shape and the scale per axis (``scales`` or ``sizes``, ``axes``, ``keep_aspect_ratio_policy``)."""
    rank = len(own)
    axes = [axis_of(site, int(a), rank) for a in site.attr("axes", range(rank))]
    if site.opcode == "Upsample":
        scales = known_input(lw, site, args, 1, "scales")
        scales, sizes = (scales if scales is not None else np.asarray(site.attr("scales", []))), None
    else:
        scales = known_input(lw, site, args, 2, "scales") if len(args) > 2 else known_input(lw, site, args, 1, "scales")
        sizes = known_input(lw, site, args, 3, "sizes")
    full = [1.0] * rank
    out = list(own)
    if sizes is not None and sizes.size:
        wanted = [int(n) for n in sizes.reshape(-1)]
        ratios = [wanted[k] / own[a] for k, a in enumerate(axes)]
        policy = site.attr("keep_aspect_ratio_policy", "stretch")
        _supported(site, "keep_aspect_ratio_policy", policy, ASPECT_POLICIES)
        if policy != "stretch":
            ratio = min(ratios) if policy == "not_larger" else max(ratios)
            ratios = [ratio] * len(axes)
            wanted = [int(np.floor(ratio * own[a] + 0.5)) for a in axes]
        for k, a in enumerate(axes):
            full[a], out[a] = ratios[k], wanted[k]
    elif scales is not None and scales.size:
        for k, a in enumerate(axes):
            full[a] = float(scales.reshape(-1)[k])
            out[a] = int(np.floor(own[a] * full[a]))
    else:
        raise CompileError(f"{site.where()}: needs scales or sizes known at compile time")
    if any(n < 1 for n in out):
        raise CompileError(f"{site.where()}: the output shape {out} has an empty dimension")
    return out, full


@rule("Resize", "Upsample")
def _resize(lw, site, args):
    x = args[0]
    own = shape_of(x)
    mode = site.attr("mode", "nearest")
    _supported(site, "mode", mode, MODES)
    if site.attr("antialias", 0):
        raise CompileError(f"{site.where()}: antialias=1 is not supported; supported: antialias=0")
    default = "asymmetric" if site.opcode == "Upsample" or lw.opset < 11 else "half_pixel"
    transform = site.attr("coordinate_transformation_mode", default)
    if transform == "tf_crop_and_resize":
        raise CompileError(
            f"{site.where()}: coordinate_transformation_mode='tf_crop_and_resize' (a crop given by a region of "
            f"interest) is not supported; supported: {', '.join(COORDINATE_MODES)}"
        )
    _supported(site, "coordinate_transformation_mode", transform, COORDINATE_MODES)
    out, scales = _sizes_and_scales(lw, site, args, own)
    plans = []
    for axis, (size, count, scale) in enumerate(zip(own, out, scales)):
        if count == size and scale == 1.0:
            continue  # an axis not resized is copied (onnxruntime's too, whatever the coordinate transformation)
        coordinates = source_coordinates(site, transform, size, count, scale)
        if mode == "nearest":
            indices, weights = nearest_taps(site, coordinates, size)
        else:
            indices, weights = interpolation_taps(site, mode, coordinates, size)
        keep = np.any(weights != 0, axis=1)
        indices, weights = indices[keep], weights[keep]
        if indices.shape[0] == 1 and np.all(weights == 1) and np.array_equal(indices[0], np.arange(size)):
            continue  # this axis is unchanged
        plans.append((axis, indices, weights))
    if mode == "nearest":
        positions = positions_of(own)
        for axis, indices, _ in plans:
            positions = np.take(positions, indices[0], axis=axis)
        return x if not plans else read_positions(lw, site, x, positions)
    for axis, indices, weights in plans:
        x = _interpolate_axis(lw, site, x, axis, indices, weights)
    return x


def _interpolate_axis(lw, site, x, axis: int, indices: np.ndarray, weights: np.ndarray):
    """The weighted sum over taps of ``x`` read at ``indices`` along ``axis``."""
    own = shape_of(x)
    shape = own[:axis] + (indices.shape[1],) + own[axis + 1 :]
    total = None
    for tap, weight in zip(indices, weights):
        read = read_positions(lw, site, x, np.take(positions_of(own), tap, axis=axis))
        if np.all(weight == 1):
            term = read
        else:
            factor = View(Known(weight.astype(np.float32), lw.fresh(site.name + "_weights")), (axis,), shape)
            term = elementwise(lw, site.at(shape), "mul", [read, factor])
        total = term if total is None else elementwise(lw, site.at(shape), "add", [total, term])
    return total


def legacy_resize_attributes(model) -> None:
    """Spell out, on the Resize nodes of ``model`` converted from a model of opset < 11 (its Upsample and
    opset-10 Resize nodes), what those opsets meant and what onnx's version converter leaves unsaid:
    coordinates ``asymmetric``, and nearest rounding down when upsampling, up when downsampling
    (onnxruntime's reading of those opsets). A node that upsamples along one axis and downsamples
    along another is refused."""
    from onnx import helper, numpy_helper  # noqa: PLC0415

    constants = {t.name: numpy_helper.to_array(t) for t in model.graph.initializer}
    for node in model.graph.node:
        if node.op_type == "Constant" and node.attribute and node.attribute[0].name == "value":
            constants[node.output[0]] = numpy_helper.to_array(node.attribute[0].t)
    for k, node in enumerate(model.graph.node):
        names = {a.name for a in node.attribute}
        if node.op_type != "Resize" or "coordinate_transformation_mode" in names:
            continue
        scales = constants.get(node.input[2] if len(node.input) > 2 else node.input[1])
        node.attribute.append(helper.make_attribute("coordinate_transformation_mode", "asymmetric"))
        resized = [float(v) for v in np.reshape(scales, -1) if float(v) != 1.0] if scales is not None else []
        if "nearest_mode" not in names and resized:
            if all(v > 1 for v in resized) or all(v < 1 for v in resized):
                node.attribute.append(helper.make_attribute("nearest_mode", "floor" if resized[0] > 1 else "ceil"))
            else:
                raise CompileError(
                    f"ONNX Upsample or Resize node {node.name or f'Resize_{k}'!r} upsamples some axes and "
                    f"downsamples others (scales {list(np.reshape(scales, -1))}) at an opset before 11; fpgalab "
                    "takes such a resize from opset 11 on, where its rounding is given"
                )
