"""The ONNX compute layers' lowering rules: Gemm, MatMul, Conv, pools, BatchNormalization, Softmax.

ONNX convolutions and pools are channels-first (NCHW, PyTorch's layout). The IR's ``Conv`` is
channels-last, so a Conv lowers to a transpose of its input to NHWC, the convolution with its
kernel transposed at compile time to HWIO, its bias, and a transpose back to NCHW; transposes are
data movement, and one transpose of another is merged into one (``rules.transpose``). Pools
reduce over NCHW windows directly (``Pool`` takes a window over every dimension).
"""

from __future__ import annotations

import math

import numpy as np

from fpgalab.errors import CompileError
from fpgalab.frontend.lowering import Known, View, moved_type, reshape
from fpgalab.frontend.onnx.quant import integer_weights, rescaled
from fpgalab.frontend.onnx.rules import (
    axis_of,
    broadcast,
    known_input,
    rule,
    scalar,
    shape_of,
    transpose,
    transposed_from,
    unary,
)
from fpgalab.frontend.tf.rules import elementwise
from fpgalab.ir import nodes as ir


def _dot(lw, site, lhs, rhs, shape, **dims):
    reduced = tuple(dims.get("rhs_contract", ())) + tuple(dims.get("rhs_batch", ()))
    rhs, scale = integer_weights(lw, rhs, reduced)  # QONNX weights: the integers, the scale after
    buffers = [lw.buffer(v, f"{site.name}_in{k}", site.op_name) for k, v in enumerate((lhs, rhs))]
    node = ir.Dot(lw.fresh(site.name), tuple(b.name for b in buffers), tuple(shape), **lw.common(site), **dims)
    return rescaled(lw, site, lw.fold_or_add(node, [lhs, rhs]), scale)


def add_bias(lw, site, value, bias, shape):
    return elementwise(lw, site.at(shape), "add", [value, broadcast(lw, site, bias, tuple(shape))])


@rule("Gemm")
def _gemm(lw, site, args):
    a, b = args[0], args[1]
    alpha, beta = float(site.attr("alpha", 1.0)), float(site.attr("beta", 1.0))
    trans_a, trans_b = int(site.attr("transA", 0)), int(site.attr("transB", 0))
    if len(shape_of(a)) != 2 or len(shape_of(b)) != 2:
        raise CompileError(f"{site.where()}: Gemm takes 2-D A and B, got {shape_of(a)} and {shape_of(b)}")
    known_b = lw.known(b)
    if known_b is not None:  # weights: transposed and scaled at compile time, stored [K, N] as a Dense layer's
        array = known_b.array.T if trans_b else known_b.array
        if known_b.dtype is None:  # float weights take alpha; quantized ones stay the integers they are
            array, alpha = array * np.float32(alpha), 1.0
        dtype = moved_type(known_b.dtype, lambda a: a.T) if trans_b else known_b.dtype
        b, trans_b = Known(np.ascontiguousarray(array), known_b.name, dtype), 0
    m = shape_of(a)[1 if trans_a else 0]
    n = shape_of(b)[0 if trans_b else 1]
    y = _dot(lw, site, a, b, (m, n), lhs_contract=(0 if trans_a else 1,), rhs_contract=(1 if trans_b else 0,))
    if alpha != 1.0:
        y = elementwise(lw, site.at((m, n)), "mul", [y, scalar(alpha, (m, n))])
    if len(args) > 2 and args[2] is not None and beta != 0.0:
        c = args[2]
        known_c = lw.known(c)
        if known_c is not None and (known_c.dtype is None or beta == 1.0):
            c = Known(known_c.array * np.float32(beta), known_c.name, known_c.dtype)
        elif beta != 1.0:
            c = elementwise(lw, site.at(shape_of(c)), "mul", [c, scalar(beta, shape_of(c))])
        y = add_bias(lw, site, y, c, (m, n))
    return y


@rule("MatMul")
def _matmul(lw, site, args):
    a, b = args
    sa, sb = shape_of(a), shape_of(b)
    if len(sa) == 1 or len(sb) == 1:  # a row (column) vector, the 1 added to it dropped from the product
        a = reshape(lw, a, (1,) + sa, site) if len(sa) == 1 else a
        b = reshape(lw, b, sb + (1,), site) if len(sb) == 1 else b
        product = _matmul(lw, site, [a, b])
        shape = shape_of(product)
        shape = shape[:-2] + shape[-1:] if len(sa) == 1 else shape
        return reshape(lw, product, shape[:-1] if len(sb) == 1 else shape, site)
    if sa[-1] != sb[-2]:
        raise CompileError(f"{site.where()}: cannot multiply {sa} by {sb}")
    batch_shape = tuple(int(n) for n in np.broadcast_shapes(sa[:-2], sb[:-2]))
    if all(n == 1 for n in sb[:-2]):  # one weight matrix for every batch element: a 2-D right operand
        a = broadcast(lw, site, a, batch_shape + sa[-2:])
        b = reshape(lw, b, sb[-2:], site)
        shape = batch_shape + sa[-2:-1] + sb[-1:]
        return _dot(lw, site, a, b, shape, lhs_contract=(len(shape) - 1,), rhs_contract=(0,))
    a = broadcast(lw, site, reshape(lw, a, (1,) * (len(batch_shape) + 2 - len(sa)) + sa, site), batch_shape + sa[-2:])
    b = broadcast(lw, site, reshape(lw, b, (1,) * (len(batch_shape) + 2 - len(sb)) + sb, site), batch_shape + sb[-2:])
    batch = tuple(range(len(batch_shape)))
    return _dot(
        lw,
        site,
        a,
        b,
        batch_shape + sa[-2:-1] + sb[-1:],
        lhs_contract=(len(batch) + 1,),
        rhs_contract=(len(batch),),
        lhs_batch=batch,
        rhs_batch=batch,
    )


def window_padding(site, spatial, kernel, strides, dilations, ceil: bool = False):
    """(low, high) padding per spatial dimension from ``pads`` or ``auto_pad``, and the output size."""
    n = len(spatial)
    auto = site.attr("auto_pad", "NOTSET")
    pads = list(site.attr("pads", [0] * (2 * n)))
    padding = []
    for k in range(n):
        extent = dilations[k] * (kernel[k] - 1) + 1
        if auto in ("SAME_UPPER", "SAME_LOWER"):
            out = -(-spatial[k] // strides[k])
            total = max(0, (out - 1) * strides[k] + extent - spatial[k])
            small = total // 2
            padding.append((small, total - small) if auto == "SAME_UPPER" else (total - small, small))
        elif auto == "VALID":
            padding.append((0, 0))
        elif auto == "NOTSET":
            padding.append((int(pads[k]), int(pads[k + n])))
        else:
            raise CompileError(f"{site.where()}: auto_pad={auto!r}; supported: NOTSET, SAME_UPPER, SAME_LOWER, VALID")
    sizes = []
    for k in range(n):
        extent = dilations[k] * (kernel[k] - 1) + 1
        span = spatial[k] + sum(padding[k]) - extent
        size = (-(-span // strides[k]) if ceil else span // strides[k]) + 1
        if ceil and (size - 1) * strides[k] >= spatial[k] + padding[k][0]:
            size -= 1  # the last window must start inside the input or its low padding
        high = (size - 1) * strides[k] + extent - spatial[k] - padding[k][0]
        padding[k] = (padding[k][0], max(padding[k][1], high))
        sizes.append(size)
    return tuple(padding), tuple(sizes)


@rule("Conv")
def _conv(lw, site, args):
    x, w = args[0], args[1]
    sx, sw = shape_of(x), shape_of(w)
    n = len(sx) - 2
    if n < 1 or len(sw) != n + 2:
        raise CompileError(f"{site.where()}: input {sx} and weights {sw} are not an N-D convolution's")
    kernel = tuple(site.attr("kernel_shape", sw[2:]))
    strides = tuple(site.attr("strides", [1] * n))
    dilations = tuple(site.attr("dilations", [1] * n))
    groups = int(site.attr("group", 1))
    if sx[1] != sw[1] * groups:
        raise CompileError(f"{site.where()}: {sx[1]} input channels do not match weights {sw} with group={groups}")
    padding, sizes = window_padding(site, sx[2:], kernel, strides, dilations)
    rank = n + 2
    x_last = transpose(lw, site, x, (0, *range(2, rank), 1))
    w_last, scale = integer_weights(lw, transpose(lw, site, w, (*range(2, rank), 1, 0)), tuple(range(rank - 1)))
    shape = (sx[0], *sizes, sw[0])
    buffers = [lw.buffer(v, f"{site.name}_in{k}", site.op_name) for k, v in enumerate((x_last, w_last))]
    node = ir.Conv(
        lw.fresh(site.name),
        tuple(b.name for b in buffers),
        shape,
        **lw.common(site),
        strides=strides,
        padding=padding,
        dilation=dilations,
        groups=groups,
    )
    y = rescaled(lw, site, lw.fold_or_add(node, [x_last, w_last]), scale)
    if len(args) > 2 and args[2] is not None:
        y = add_bias(lw, site, y, args[2], shape)
    return transpose(lw, site, y, (0, rank - 1, *range(1, rank - 1)))


def pool(lw, site, args, kind: str):
    x = args[0]
    sx = shape_of(x)
    n = len(sx) - 2
    kernel = tuple(site.attr("kernel_shape"))
    strides = tuple(site.attr("strides", [1] * n))
    dilations = tuple(site.attr("dilations", [1] * n))
    if any(d != 1 for d in dilations):
        raise CompileError(
            f"{site.where()}: dilations={list(dilations)} is not supported; supported: 1 (MaxPool takes any)"
        )
    ceil = bool(site.attr("ceil_mode", 0))
    padding, sizes = window_padding(site, sx[2:], kernel, strides, dilations, ceil)
    shape = sx[:2] + sizes
    return (
        _window_reduce(lw, site, x, kind, shape, (1, 1) + kernel, (1, 1) + strides, ((0, 0), (0, 0)) + padding),
        padding,
        shape,
    )


def _window_reduce(lw, site, x, kind, shape, window, strides, padding):
    """A Pool node; of a transposed tensor (a Conv's result) it pools the channels-last source and
    transposes the result, so the transposes around it meet the next layer's and cancel."""
    moved = transposed_from(lw, x)
    if moved is not None:
        source, perm = moved
        order = np.argsort(perm)  # the value's dimension each source dimension is
        pooled = _window_reduce(
            lw, site, source, kind, tuple(shape[i] for i in order), tuple(window[i] for i in order),
            tuple(strides[i] for i in order), tuple(padding[i] for i in order),
        )  # fmt: skip
        return transpose(lw, site, pooled, perm)
    buffer = lw.buffer(x, site.name + "_in", site.op_name)
    node = ir.Pool(
        lw.fresh(site.name),
        (buffer.name,),
        tuple(shape),
        **lw.common(site),
        kind=kind,
        window=tuple(window),
        strides=tuple(strides),
        padding=tuple(padding),
        init=float("-inf") if kind == "max" else 0.0,
    )
    return lw.fold_or_add(node, [x])


@rule("AveragePool")
def _average_pool(lw, site, args):
    total, padding, shape = pool(lw, site, args, "sum")
    sx = shape_of(args[0])
    kernel = tuple(site.attr("kernel_shape"))
    strides = tuple(site.attr("strides", [1] * len(kernel)))
    pads = list(site.attr("pads", [0] * (2 * len(kernel))))
    include_pad = int(site.attr("count_include_pad", 0))
    explicit = site.attr("auto_pad", "NOTSET") == "NOTSET"
    counts = np.ones(shape[2:], dtype=np.float32)
    for k, (size, window, stride) in enumerate(zip(sx[2:], kernel, strides)):
        low, high = padding[k]
        start, limit = 0, size  # the positions a window counts: the input, and its pads if they count
        if include_pad:  # explicit or automatic pads count; the overhang ceil_mode adds does not
            start = -(int(pads[k]) if explicit else low)
            limit = size + (int(pads[k + len(kernel)]) if explicit else high)
        inside = [min(i * stride - low + window, limit) - max(i * stride - low, start) for i in range(shape[2 + k])]
        counts = counts * np.asarray(inside, dtype=np.float32).reshape(
            [-1 if j == k else 1 for j in range(len(kernel))]
        )
    if np.all(counts == counts.reshape(-1)[0]):
        return unary(lw, site, total, ir.Op("div", (ir.Arg(0), ir.Const(float(counts.reshape(-1)[0])))))
    divisor = View(Known(counts, lw.fresh(site.name + "_count")), tuple(range(2, len(shape))), shape)
    return elementwise(lw, site.at(shape), "div", [total, divisor])


def _global_pool(lw, site, args, kind):
    x = args[0]
    sx = shape_of(x)
    dims = tuple(range(2, len(sx)))
    moved = transposed_from(lw, x)
    if moved is not None and moved[1][0] < moved[1][1]:  # reduce the channels-last source: no transpose
        x, dims = moved[0], tuple(moved[1][d] for d in dims)
    source = lw.buffer(x, site.name + "_in", site.op_name)
    node = ir.Reduce(
        lw.fresh(site.name), (source.name,), sx[:2], **lw.common(site), kind=kind, dims=tuple(sorted(dims)),
        init=float("-inf") if kind == "max" else 0.0,
    )  # fmt: skip
    y = lw.fold_or_add(node, [x])
    if kind == "sum":
        y = elementwise(lw, site.at(sx[:2]), "div", [y, scalar(float(math.prod(sx[2:])), sx[:2])])
    return reshape(lw, y, sx[:2] + (1,) * len(dims), site)


@rule("GlobalAveragePool")
def _global_average_pool(lw, site, args):
    return _global_pool(lw, site, args, "sum")


@rule("GlobalMaxPool")
def _global_max_pool(lw, site, args):
    return _global_pool(lw, site, args, "max")


@rule("BatchNormalization")
def _batch_norm(lw, site, args):
    if int(site.attr("training_mode", 0)):
        raise CompileError(f"{site.where()}: training_mode=1; fpgalab designs run inference (training_mode=0)")
    x = args[0]
    sx = shape_of(x)
    scale, bias, mean, var = (
        known_input(lw, site, args, k, w) for k, w in ((1, "scale"), (2, "B"), (3, "mean"), (4, "var"))
    )
    factor = (scale / np.sqrt(var + np.float32(site.attr("epsilon", 1e-5)))).astype(np.float32)
    shift = (bias - mean * factor).astype(np.float32)
    if len(sx) > 2 and all(n == 1 for n in sx[2:]):  # BatchNorm1d after a Linear: [N, C, 1]
        return reshape(lw, _scale_shift(lw, site, reshape(lw, x, sx[:2], site), factor, shift, 1), sx, site)
    moved = transposed_from(lw, x)
    if moved is not None:  # after a Conv's transpose back to NCHW: on the Conv's channels-last output
        source, perm = moved
        return transpose(lw, site, _scale_shift(lw, site, source, factor, shift, perm[1]), perm)
    return _scale_shift(lw, site, x, factor, shift, 1 if len(sx) > 1 else 0)


def _scale_shift(lw, site, x, factor, shift, channel: int):
    """``x * factor + shift`` with per-channel constants along ``channel``: the multiply and add a
    folded batch normalization is (``passes.fold_batchnorm`` folds them into a Conv or Dot before)."""
    sx = shape_of(x)
    scaled = elementwise(
        lw, site.at(sx), "mul", [x, View(Known(factor, lw.fresh(site.name + "_scale")), (channel,), sx)]
    )
    return elementwise(
        lw, site.at(sx), "add", [scaled, View(Known(shift, lw.fresh(site.name + "_shift")), (channel,), sx)]
    )


def _reduce(lw, site, value, kind, axis):
    shape = shape_of(value)
    source = lw.buffer(value, site.name + "_in", site.op_name)
    out = tuple(n for k, n in enumerate(shape) if k != axis)
    node = ir.Reduce(
        lw.fresh(site.name), (source.name,), out, **lw.common(site), kind=kind, dims=(axis,),
        init=float("-inf") if kind == "max" else 0.0,
    )  # fmt: skip
    reduced = lw.fold_or_add(node, [value])
    return View(reduced, tuple(k for k in range(len(shape)) if k != axis), shape)


def softmax(lw, site, x, axis: int, log: bool = False):
    """``exp(x - max(x)) / sum(exp(x - max(x)))`` along ``axis``: the graph Keras's softmax lowers to;
    with ``log``, ``x - max(x) - log(sum(exp(x - max(x))))`` (log-softmax)."""
    shape = shape_of(x)
    at = site.at(shape)
    shifted = elementwise(lw, at, "sub", [x, _reduce(lw, site, x, "max", axis)])
    exps = elementwise(lw, at, "exp", [shifted])
    if log:
        total = _reduce(lw, site, exps, "sum", axis)
        logs = elementwise(lw, site.at(shape_of(total.source)), "log", [total.source])
        return elementwise(lw, at, "sub", [shifted, View(logs, total.dims, shape)])
    return elementwise(lw, at, "div", [exps, _reduce(lw, site, exps, "sum", axis)])


@rule("Softmax", "LogSoftmax")
def _softmax(lw, site, args):
    x = args[0]
    sx = shape_of(x)
    log = site.opcode == "LogSoftmax"
    if lw.opset >= 13:
        return softmax(lw, site, x, axis_of(site, int(site.attr("axis", -1)), len(sx)), log)
    axis = axis_of(site, int(site.attr("axis", 1)), len(sx))  # opsets < 13: over all dimensions from axis on
    flat = reshape(lw, x, (math.prod(sx[:axis]), math.prod(sx[axis:])), site)
    return reshape(lw, softmax(lw, site, flat, 1, log), sx, site)
