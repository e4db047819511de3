"""ONNX MaxPool (every attribute: dilations, ceil_mode, pads, auto_pad; storage_order, which orders only
the Indices output), dilated AveragePool (opset 19) and LpPool, GlobalLpPool (p = 1, 2).

An undilated MaxPool is one ``Pool`` node (``layers.pool``). A dilated one has no window the IR's
``Pool`` reads, so it is lowered as the positions it reads: the input padded with -inf (a ``Pad``),
read at the constant positions of every window's taps (``frontend.lowering.positional_read``, an
``ir.Lookup``, laid out [N, C, *out, taps]) and reduced over the taps (a ``Reduce`` max: the same
comparator tree a pool builds per output); a dilated AveragePool the same with zeros, a ``Reduce``
sum and a division by each window's constant count. LpPool sums ``|x|`` (p = 1) or ``x^2`` (p = 2, then a
square root) over each window with a sum ``Pool``.
"""

from __future__ import annotations

import numpy as np

from fpgalab.errors import CompileError
from fpgalab.frontend.lowering import Known, View, positional_read
from fpgalab.frontend.onnx.layers import pool, window_padding
from fpgalab.frontend.onnx.reductions import reduce_node
from fpgalab.frontend.onnx.rules import RULES, rule, shape_of, unary
from fpgalab.frontend.onnx.slices import positions_of
from fpgalab.frontend.tf.rules import elementwise
from fpgalab.ir import nodes as ir


@rule("MaxPool")
def _max_pool(lw, site, args):
    if site.outputs > 1:
        raise CompileError(
            f"{site.where()}: its second output (Indices, for MaxUnpool) is not supported; supported: the pooled values"
        )
    if not _dilated(site, args[0]):
        return pool(lw, site, args, "max")[0]
    windows, _ = _dilated_windows(lw, site, args[0], float("-inf"))
    return reduce_node(lw, site, windows, "max", (len(shape_of(windows)) - 1,))


_UNDILATED_AVERAGE = RULES["AveragePool"]


@rule("AveragePool")
def _average_pool(lw, site, args):
    """Dilated (opset 19): the windows' taps read from the zero-padded input, summed, divided by the
    count of taps inside the input (and inside its explicit or SAME pads with count_include_pad)."""
    if not _dilated(site, args[0]):
        return _UNDILATED_AVERAGE(lw, site, args)
    windows, (padding, taps) = _dilated_windows(lw, site, args[0], 0.0)
    sx = shape_of(args[0])
    n = len(sx) - 2
    explicit = site.attr("auto_pad", "NOTSET") == "NOTSET"
    pads = [int(p) for p in site.attr("pads", [0] * (2 * n))]
    counted = np.ones((), np.float32)
    for k in range(n):  # the padded positions that count, along each spatial dimension
        low, high = padding[k]
        limit = low + sx[2 + k]
        begin = 0 if site.attr("count_include_pad", 0) else low
        if site.attr("count_include_pad", 0):
            limit += pads[k + n] if explicit else high
        line = np.zeros(sx[2 + k] + low + high, np.float32)
        line[begin:limit] = 1
        counted = np.multiply.outer(counted, line)
    counts = counted.reshape(-1)[_tap_positions(counted.shape, taps)].sum(axis=-1)
    total = reduce_node(lw, site, windows, "sum", (len(shape_of(windows)) - 1,))
    shape = shape_of(total)
    divisor = View(Known(counts.astype(np.float32), lw.fresh(site.name + "_count")), tuple(range(2, len(shape))), shape)
    return elementwise(lw, site.at(shape), "div", [total, divisor])


def _dilated(site, x) -> bool:
    return any(int(d) != 1 for d in site.attr("dilations", [1] * (len(shape_of(x)) - 2)))


def _tap_positions(shape, taps) -> np.ndarray:
    """Positions in a tensor of ``shape`` (its trailing dimensions spatial) of every window's taps:
    [..., *out, taps]."""
    lead = len(shape) - len(taps)
    picked = positions_of(shape)[(*(slice(None),) * lead, *taps)]
    out = picked.shape[: lead + len(taps)]
    return picked.reshape(out + (-1,))


def _dilated_windows(lw, site, x, fill: float):
    """Every window's taps of ``x`` padded with ``fill``, as [N, C, *out, taps] (a read at constant positions)."""
    sx = shape_of(x)
    n = len(sx) - 2
    kernel = tuple(int(k) for k in site.attr("kernel_shape"))
    strides = tuple(int(s) for s in site.attr("strides", [1] * n))
    dilations = tuple(int(d) for d in site.attr("dilations", [1] * n))
    padding, sizes = window_padding(site, sx[2:], kernel, strides, dilations, bool(site.attr("ceil_mode", 0)))
    padded_shape = sx[:2] + tuple(s + lo + hi for s, (lo, hi) in zip(sx[2:], padding))
    source = lw.buffer(x, site.name + "_in", site.op_name)
    if any(lo or hi for lo, hi in padding):
        node = ir.Pad(
            lw.fresh(site.name + "_pad"), (source.name,), padded_shape, **lw.common(site),
            low=(0, 0) + tuple(lo for lo, _ in padding), high=(0, 0) + tuple(hi for _, hi in padding), value=fill,
        )  # fmt: skip
        source = lw.add_node(node)
    taps = []  # per spatial dimension: the index [out, tap] each window reads, spread over 2n axes
    for k in range(n):
        index = np.arange(sizes[k])[:, None] * strides[k] + np.arange(kernel[k])[None, :] * dilations[k]
        taps.append(index.reshape([sizes[k] if d == k else kernel[k] if d == n + k else 1 for d in range(2 * n)]))
    windows = positional_read(lw, site, source, _tap_positions(padded_shape, taps))
    return windows, (padding, taps)


@rule("LpPool", "GlobalLpPool")
def _lp_pool(lw, site, args):
    p = int(site.attr("p", 2))
    if site.opcode == "GlobalLpPool":  # one window over all the spatial dimensions
        site = _with_attrs(site, kernel_shape=list(shape_of(args[0])[2:]))
    x = ir.Arg(0)
    if p == 1:
        magnitude = unary(lw, site, args[0], ir.Op("abs", (x,)))
    elif p == 2:
        magnitude = unary(lw, site, args[0], ir.Op("mul", (x, x)))
    else:
        raise CompileError(f"{site.where()}: p={p} is not supported; supported: 1, 2")
    total = pool(lw, site, [magnitude], "sum")[0]
    return total if p == 1 else unary(lw, site, total, ir.Op("sqrt", (x,)))


def _with_attrs(site, **attrs):
    return type(site)(
        site.name, site.op_name, site.opcode, {**site.attrs, **attrs}, site.shape, site.integer, site.outputs
    )
