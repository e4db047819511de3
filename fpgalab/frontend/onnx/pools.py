"""ONNX MaxPool (every attribute: dilations, ceil_mode, pads, auto_pad; storage_order, which orders only
the Indices output) and LpPool, GlobalLpPool (p = 1, 2).

An undilated MaxPool is one ``Pool`` node (``layers.pool``). A dilated one has no window the IR's
``Pool`` reads, so it is lowered as the positions it reads: the input padded with -inf (a ``Pad``),
read at the constant positions of every window's taps (``frontend.lowering.positional_read``, an
``ir.Lookup``, laid out [N, C, *out, taps]) and reduced over the taps (a ``Reduce`` max: the same
comparator tree a pool builds per output). LpPool sums ``|x|`` (p = 1) or ``x^2`` (p = 2, then a
square root) over each window with a sum ``Pool``.
"""

from __future__ import annotations

import numpy as np

from fpgalab.errors import CompileError
from fpgalab.frontend.lowering import positional_read
from fpgalab.frontend.onnx.layers import pool, window_padding
from fpgalab.frontend.onnx.reductions import reduce_node
from fpgalab.frontend.onnx.rules import rule, shape_of, unary
from fpgalab.frontend.onnx.tensors import positions_of
from fpgalab.ir import nodes as ir


@rule("MaxPool")
def _max_pool(lw, site, args):
    if site.outputs > 1:
        raise CompileError(
            f"{site.where()}: its second output (Indices, for MaxUnpool) is not supported; supported: the pooled values"
        )
    sx = shape_of(args[0])
    n = len(sx) - 2
    dilations = tuple(int(d) for d in site.attr("dilations", [1] * n))
    if all(d == 1 for d in dilations):
        return pool(lw, site, args, "max")[0]
    kernel = tuple(int(k) for k in site.attr("kernel_shape"))
    strides = tuple(int(s) for s in site.attr("strides", [1] * n))
    padding, sizes = window_padding(site, sx[2:], kernel, strides, dilations, bool(site.attr("ceil_mode", 0)))
    padded_shape = sx[:2] + tuple(s + lo + hi for s, (lo, hi) in zip(sx[2:], padding))
    source = lw.buffer(args[0], site.name + "_in", site.op_name)
    if any(lo or hi for lo, hi in padding):
        node = ir.Pad(
            lw.fresh(site.name + "_pad"), (source.name,), padded_shape, **lw.common(site),
            low=(0, 0) + tuple(lo for lo, _ in padding), high=(0, 0) + tuple(hi for _, hi in padding),
            value=float("-inf"),
        )  # fmt: skip
        source = lw.add_node(node)
    taps = []  # per spatial dimension: the index [out, tap] each window reads, spread over 2n axes
    for k in range(n):
        index = np.arange(sizes[k])[:, None] * strides[k] + np.arange(kernel[k])[None, :] * dilations[k]
        taps.append(index.reshape([sizes[k] if d == k else kernel[k] if d == n + k else 1 for d in range(2 * n)]))
    positions = positions_of(padded_shape)[(slice(None), slice(None), *taps)]
    positions = positions.reshape(sx[:2] + tuple(sizes) + (int(np.prod(kernel)),))
    windows = positional_read(lw, site, source, positions)
    return reduce_node(lw, site, windows, "max", (len(sx),))


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
