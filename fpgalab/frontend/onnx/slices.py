"""ONNX Slice, Split and Pad: ``ir.Slice``, ``ir.Reverse`` (negative steps) and ``ir.Pad`` nodes (data
movement) with bounds known at compile time."""

from __future__ import annotations

import numpy as np

from fpgalab.errors import CompileError
from fpgalab.frontend.lowering import Known, View, positional_read
from fpgalab.frontend.onnx.rules import axis_of, known_input, rule, shape_of
from fpgalab.ir import nodes as ir
from fpgalab.sim.values import broadcast_in_dims


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
    reversed_dims = []  # axes sliced with a negative step
    for start, end, axis, step in zip(starts, ends, axes, steps):
        axis = axis_of(site, axis, len(own))
        if step == 0:
            raise CompileError(f"{site.where()}: step 0 on axis {axis}; steps must be nonzero")
        size = own[axis]
        start, end = (int(np.clip(v, -(2**62), 2**62)) for v in (start, end))  # INT64_MAX: "to the end"
        start, end = (start + size if start < 0 else start), (end + size if end < 0 else end)
        if step > 0:
            lows[axis], highs[axis] = min(max(start, 0), size), min(max(end, 0), size)
        else:  # backwards: the same elements sliced forwards, then reversed (ir.Reverse)
            start, end = min(max(start, 0), size - 1), min(max(end, -1), size - 1)
            count = len(range(start, end, step))
            lows[axis], highs[axis] = (start + (count - 1) * step, start + 1) if count else (0, 0)
            reversed_dims.append(axis)
        strides[axis] = abs(step)
        highs[axis] = max(highs[axis], lows[axis])
    value = slice_value(lw, site, args[0], lows, highs, strides)
    if reversed_dims:
        source = lw.buffer(value, site.name + "_in", site.op_name)
        dims = tuple(sorted(reversed_dims))
        node = ir.Reverse(lw.fresh(site.name + "_reversed"), (source.name,), source.shape, **lw.common(site), dims=dims)
        value = lw.fold_or_add(node, [value])
    return value


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


PAD_MODES = ("constant", "reflect", "edge", "wrap")


@rule("Pad")
def _pad(lw, site, args):
    """Constant padding is an ``ir.Pad``; reflect, edge and wrap (opset 19) read the input at the
    positions ``numpy.pad`` gives (``frontend.lowering.positional_read``). Negative pads crop (a slice)."""
    mode = site.attr("mode", "constant")
    if mode not in PAD_MODES:
        raise CompileError(f"{site.where()}: mode={mode!r} is not supported; supported: {', '.join(PAD_MODES)}")
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
    x = args[0]
    if any(p < 0 for p in low + high):  # crop first
        starts = [max(-p, 0) for p in low]
        x = slice_value(lw, site, x, starts, [n - max(-p, 0) for n, p in zip(own, high)], [1] * len(own))
        own, low, high = shape_of(x), [max(p, 0) for p in low], [max(p, 0) for p in high]
    shape = tuple(n + a + b for n, a, b in zip(own, low, high))
    if shape == own:
        return x
    if mode != "constant":
        if mode == "reflect" and any(n < 2 or a >= n or b >= n for n, a, b in zip(own, low, high) if a or b):
            raise CompileError(f"{site.where()}: reflect pads {pads} must be smaller than the padded axes of {own}")
        return read_positions(lw, site, x, np.pad(positions_of(own), list(zip(low, high)), mode=mode))
    source = lw.buffer(x, site.name + "_in", site.op_name)
    node = ir.Pad(
        lw.fresh(site.name), (source.name,), shape, **lw.common(site), low=tuple(low), high=tuple(high), value=value
    )
    return lw.fold_or_add(node, [x])


def positions_of(shape) -> np.ndarray:
    """The row-major position of each element of a tensor of ``shape``."""
    return np.arange(int(np.prod(shape, dtype=np.int64))).reshape(shape)


def read_positions(lw, site, value, positions: np.ndarray):
    """``value`` read at constant ``positions`` of its flattened form: folded when ``value`` is known, the
    value itself when they are its own order, and of a broadcast (``View``) a read of its source at the
    positions the broadcast maps them to, with no copy of the broadcast made."""
    known = lw.known(value)
    if known is not None:
        return Known(np.ascontiguousarray(known.array.reshape(-1)[positions]).astype(np.float32))
    if positions.shape == shape_of(value) and np.array_equal(positions.reshape(-1), np.arange(positions.size)):
        return value
    if isinstance(value, View):
        mapped = broadcast_in_dims(positions_of(value.source.shape), value.dims, value.shape).reshape(-1)
        return read_positions(lw, site, value.source, mapped[positions])
    return positional_read(lw, site, value, positions)
