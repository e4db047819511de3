"""ONNX Slice, Split and Pad: ``ir.Slice`` and ``ir.Pad`` nodes (data movement) with bounds known at compile time."""

from __future__ import annotations

import numpy as np

from fpgalab.errors import CompileError
from fpgalab.frontend.onnx.rules import axis_of, known_input, rule, shape_of
from fpgalab.ir import nodes as ir


def slice_value(lw, site, value, starts, limits, strides):
    own = shape_of(value)
    shape = tuple(len(range(a, b, s)) for a, b, s in zip(starts, limits, strides))
    if shape == own:
        return value
    source = lw.buffer(value, site.name + "_in", site.op_name)
    node = ir.Slice(
        lw.fresh(site.name),
        (source.name,),
        shape,
        **lw.common(site),
        starts=tuple(starts),
        limits=tuple(limits),
        strides=tuple(strides),
    )
    return lw.fold_or_add(node, [value])


@rule("Slice")
def _slice(lw, site, args):
    own = shape_of(args[0])
    if len(args) > 1:  # opset 10 and later: bounds as inputs
        starts = known_input(lw, site, args, 1, "starts").reshape(-1)
        ends = known_input(lw, site, args, 2, "ends").reshape(-1)
        axes = known_input(lw, site, args, 3, "axes")
        steps = known_input(lw, site, args, 4, "steps")
    else:
        starts, ends = np.asarray(site.attr("starts")), np.asarray(site.attr("ends"))
        axes, steps = site.attr("axes"), None
    axes = range(len(starts)) if axes is None else [int(a) for a in np.reshape(axes, -1)]
    steps = [1] * len(starts) if steps is None else [int(s) for s in steps.reshape(-1)]
    lows, highs, strides = [0] * len(own), list(own), [1] * len(own)
    for start, end, axis, step in zip(starts, ends, axes, steps):
        axis = axis_of(site, axis, len(own))
        if step <= 0:
            raise CompileError(f"{site.where()}: step {step} on axis {axis}; supported: steps >= 1")
        size = own[axis]
        start, end = (int(np.clip(v, -(2**62), 2**62)) for v in (start, end))  # INT64_MAX: "to the end"
        start, end = (start + size if start < 0 else start), (end + size if end < 0 else end)
        lows[axis], highs[axis], strides[axis] = min(max(start, 0), size), min(max(end, 0), size), step
        highs[axis] = max(highs[axis], lows[axis])
    return slice_value(lw, site, args[0], lows, highs, strides)


@rule("Split")
def _split(lw, site, args):
    own = shape_of(args[0])
    axis = axis_of(site, int(site.attr("axis", 0)), len(own))
    sizes = known_input(lw, site, args, 1, "split")
    sizes = [int(n) for n in sizes.reshape(-1)] if sizes is not None else list(site.attr("split", []))
    if not sizes:
        parts = int(site.attr("num_outputs", 0)) or site.outputs
        chunk = -(-own[axis] // parts)
        sizes = [min(chunk, own[axis] - k * chunk) for k in range(parts)]
    if sum(sizes) != own[axis]:
        raise CompileError(f"{site.where()}: split sizes {sizes} do not add up to {own[axis]} along axis {axis}")
    results, start = [], 0
    for size in sizes:
        lows = [start if k == axis else 0 for k in range(len(own))]
        highs = [start + size if k == axis else n for k, n in enumerate(own)]
        results.append(slice_value(lw, site, args[0], lows, highs, [1] * len(own)))
        start += size
    return tuple(results)


@rule("Pad")
def _pad(lw, site, args):
    mode = site.attr("mode", "constant")
    if mode != "constant":
        raise CompileError(f"{site.where()}: mode={mode!r} is not supported; supported: constant")
    own = shape_of(args[0])
    pads = known_input(lw, site, args, 1, "pads")
    pads = [int(p) for p in (pads.reshape(-1) if pads is not None else site.attr("pads", []))]
    value = known_input(lw, site, args, 2, "constant_value")
    value = float(value.reshape(-1)[0]) if value is not None else float(site.attr("value", 0.0))
    axes = known_input(lw, site, args, 3, "axes")
    axes = [axis_of(site, int(a), len(own)) for a in axes.reshape(-1)] if axes is not None else range(len(own))
    low, high = [0] * len(own), [0] * len(own)
    for k, axis in enumerate(axes):
        low[axis], high[axis] = pads[k], pads[k + len(axes)]
    if any(p < 0 for p in low + high):
        raise CompileError(f"{site.where()}: negative pads {pads} (cropping) are not supported; pads must be >= 0")
    shape = tuple(n + a + b for n, a, b in zip(own, low, high))
    source = lw.buffer(args[0], site.name + "_in", site.op_name)
    node = ir.Pad(
        lw.fresh(site.name), (source.name,), shape, **lw.common(site), low=tuple(low), high=tuple(high), value=value
    )
    return lw.fold_or_add(node, [args[0]])
