"""ONNX Gather and Resize (nearest). Of compile-time values a Gather folds (the shape subgraphs exporters
emit); of a run-time tensor at constant indices it is, as a nearest Resize is, a read at positions known at
compile time, lowered as the TF front end lowers its resizes -- the flattened tensor read through a
ROM of positions (``frontend.lowering.positional_read``, an ``ir.Lookup``)."""

from __future__ import annotations

import numpy as np

from fpgalab.errors import CompileError
from fpgalab.frontend.lowering import Known, positional_read
from fpgalab.frontend.onnx.rules import axis_of, known_input, rule, shape_of

COORDINATE_MODES = ("half_pixel", "pytorch_half_pixel", "align_corners", "asymmetric", "tf_half_pixel_for_nn")
NEAREST_MODES = ("round_prefer_floor", "round_prefer_ceil", "floor", "ceil")


def gather_positions(site, shape, indices: np.ndarray, axis: int) -> np.ndarray:
    indices = np.where(indices < 0, indices + shape[axis], indices).astype(np.int64)
    if np.any(indices < 0) or np.any(indices >= shape[axis]):
        raise CompileError(f"{site.where()}: indices out of range for axis {axis} of size {shape[axis]}")
    return np.take(np.arange(int(np.prod(shape))).reshape(shape), indices, axis=axis)


def nearest_sources(site, size: int, out: int, scale: float) -> np.ndarray:
    """The input index each of ``out`` outputs copies along one dimension (ONNX Resize, mode nearest)."""
    mode = site.attr("coordinate_transformation_mode", "half_pixel")
    rounding = site.attr("nearest_mode", "round_prefer_floor")
    if mode not in COORDINATE_MODES:
        raise CompileError(f"{site.where()}: coordinate_transformation_mode={mode!r}; supported: {COORDINATE_MODES}")
    if rounding not in NEAREST_MODES:
        raise CompileError(f"{site.where()}: nearest_mode={rounding!r}; supported: {NEAREST_MODES}")
    o = np.arange(out, dtype=np.float64)
    if mode == "half_pixel" or (mode == "pytorch_half_pixel" and out > 1):
        x = (o + 0.5) / scale - 0.5
    elif mode == "pytorch_half_pixel":
        x = np.zeros_like(o)
    elif mode == "align_corners":
        x = o * (size - 1) / (out - 1) if out > 1 else np.zeros_like(o)
    elif mode == "asymmetric":
        x = o / scale
    else:
        x = (o + 0.5) / scale
    if rounding == "floor":
        picked = np.floor(x)
    elif rounding == "ceil":
        picked = np.ceil(x)
    else:
        half = np.isclose(x - np.floor(x), 0.5)
        picked = np.where(half, np.floor(x) if rounding == "round_prefer_floor" else np.ceil(x), np.round(x))
    return np.clip(picked, 0, size - 1).astype(np.int64)


@rule("Resize", "Upsample")
def _resize(lw, site, args):
    x = args[0]
    own = shape_of(x)
    mode = site.attr("mode", "nearest")
    if mode != "nearest":
        raise CompileError(f"{site.where()}: mode={mode!r} is not supported; supported: nearest")
    if site.attr("antialias", 0) or "axes" in site.attrs:
        raise CompileError(f"{site.where()}: antialias and axes are not supported")
    scales = known_input(lw, site, args, 2 if site.opcode == "Resize" else 1, "scales")
    sizes = known_input(lw, site, args, 3, "sizes") if site.opcode == "Resize" else None
    if sizes is not None and sizes.size:
        out = [int(n) for n in sizes.reshape(-1)]
        scales = np.asarray(out, np.float64) / np.asarray(own, np.float64)
    elif scales is not None and scales.size:
        scales = scales.reshape(-1).astype(np.float64)
        out = [int(np.floor(n * s)) for n, s in zip(own, scales)]
    else:
        raise CompileError(f"{site.where()}: needs scales or sizes known at compile time")
    positions = np.arange(int(np.prod(own))).reshape(own)
    for axis, (size, count, scale) in enumerate(zip(own, out, scales)):
        if size != count:
            positions = np.take(positions, nearest_sources(site, size, count, float(scale)), axis=axis)
    if positions.shape == own:
        return x
    return positional_read(lw, site, x, positions)


@rule("Gather")
def _gather(lw, site, args):
    indices = known_input(lw, site, args, 1, "indices").astype(np.int64)
    data = lw.known(args[0])
    if data is not None:
        axis = axis_of(site, int(site.attr("axis", 0)), data.array.ndim)
        return Known(np.take(data.array, indices, axis=axis).astype(np.float32))
    own = shape_of(args[0])
    axis = axis_of(site, int(site.attr("axis", 0)), len(own))
    return positional_read(lw, site, args[0], gather_positions(site, own, indices, axis))
