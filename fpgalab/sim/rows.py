"""The simulator's rows: how each IR node class computes, in float32 and in exact ap_fixed.

Fixed-point rows follow the HLS C++ that fpgalab emits: operands in their own types, each
operation's full-precision result assigned to the operation's type; dot products and
convolutions run ``acc = bias; for k: acc += w[k] * x[k]; out = acc`` with ``acc`` of the
accumulator type. When no product needs rounding in the accumulator and no partial sum can
overflow it, the sum is done at once with an exact matrix product (same result, BLAS speed);
otherwise the terms are added one by one in loop order.
"""

from __future__ import annotations

import numpy as np

from fpgalab.ir import nodes as ir
from fpgalab.ir.types import FLOAT32, FixedType
from fpgalab.sim import fixed
from fpgalab.sim.accumulate import (
    accumulate_sequential,
    sample_matmul,
    sum_is_exact,
    wrapped_sum,
    wrapping_sum,
)
from fpgalab.sim.elementwise import evaluate_expr
from fpgalab.sim.fixed import max_abs
from fpgalab.sim.loop import run_loop
from fpgalab.sim.values import SimValue, broadcast_in_dims, constant_value, convert, pick_rows, to_float

ROWS: dict = {}


def working_elements(node: ir.Node, kernel: ir.Kernel) -> int:
    """Elements per sample of the widest array a row builds (a convolution's im2col patches)."""
    out = int(np.prod(node.shape, dtype=np.int64))
    if isinstance(node, ir.Conv):
        kernel_shape = kernel.buffers()[node.inputs[1]].shape
        return out // kernel_shape[-1] * int(np.prod(kernel_shape[:-1], dtype=np.int64)) * max(1, node.groups)
    if isinstance(node, ir.Pool):
        return out * int(np.prod(node.window, dtype=np.int64))
    return max([out] + [int(np.prod(kernel.buffers()[i].shape, dtype=np.int64)) for i in node.inputs])


def row(cls):
    def register(fn):
        ROWS[cls] = fn
        return fn

    return register


def _mantissa(value: SimValue, dtype: FixedType) -> tuple[np.ndarray, int]:
    """Mantissa and fraction bits of a value in fixed arithmetic (other kinds converted to ``dtype`` first)."""
    if isinstance(value.dtype, FixedType):
        return value.array, value.dtype.frac
    return convert(value, dtype).array, dtype.frac


# ---- elementwise and data movement -----------------------------------------------------------------


@row(ir.Elementwise)
def _elementwise(node: ir.Elementwise, values, ctx):
    operands = [
        SimValue(broadcast_in_dims(v.array, dims, node.shape, sample_axis=True), v.dtype)
        for v, dims in zip(values, node.in_dims)
    ]
    result = evaluate_expr(node.expr, operands, ctx)
    return convert(result, node.dtype)


def _same_type(node, value: SimValue) -> SimValue:
    return convert(value, node.dtype)


@row(ir.Transpose)
def _transpose(node: ir.Transpose, values, ctx):
    v = values[0]
    return _same_type(node, SimValue(np.transpose(v.array, (0,) + tuple(p + 1 for p in node.perm)), v.dtype))


@row(ir.Reshape)
def _reshape(node: ir.Reshape, values, ctx):
    v = values[0]
    return _same_type(node, SimValue(v.array.reshape((v.array.shape[0],) + tuple(node.shape)), v.dtype))


@row(ir.Broadcast)
def _broadcast(node: ir.Broadcast, values, ctx):
    v = values[0]
    return _same_type(node, SimValue(broadcast_in_dims(v.array, node.dims, node.shape, sample_axis=True), v.dtype))


@row(ir.Slice)
def _slice(node: ir.Slice, values, ctx):
    v = values[0]
    index = (slice(None),) + tuple(slice(a, b, s) for a, b, s in zip(node.starts, node.limits, node.strides))
    return _same_type(node, SimValue(v.array[index], v.dtype))


@row(ir.Reverse)
def _reverse(node: ir.Reverse, values, ctx):
    v = values[0]
    return _same_type(node, SimValue(np.flip(v.array, tuple(d + 1 for d in node.dims)), v.dtype))


def _pad_array(value: SimValue, low, high, fill: float, dtype) -> SimValue:
    value = convert(value, dtype)
    fill_value = constant_value(fill, dtype).array[0]
    widths = [(0, 0)] + list(zip(low, high))
    return SimValue(np.pad(value.array, widths, constant_values=fill_value), dtype)


@row(ir.Pad)
def _pad(node: ir.Pad, values, ctx):
    return _pad_array(values[0], node.low, node.high, node.value, node.dtype)


@row(ir.Concat)
def _concat(node: ir.Concat, values, ctx):
    converted = [convert(v, node.dtype).array for v in values]
    samples = max(a.shape[0] for a in converted)
    converted = [np.broadcast_to(a, (samples,) + a.shape[1:]) for a in converted]
    return SimValue(np.concatenate(converted, axis=node.axis + 1), node.dtype)


@row(ir.Lookup)
def _lookup(node: ir.Lookup, values, ctx):
    table, ids = values  # an id's integer part picks a row, clamped to the table as XLA clamps a gather's index
    fixed_ids = isinstance(ids.dtype, FixedType)
    whole = fixed.quantize(ids.array, ids.dtype.frac, FixedType(62, 62)) if fixed_ids else np.trunc(to_float(ids))
    picked = pick_rows(table.array, whole.astype(np.int64))
    return _same_type(node, SimValue(picked, table.dtype))


# ---- dot product -------------------------------------------------------------------------------------


def _dot_operands(node: ir.Dot, lhs: np.ndarray, rhs: np.ndarray):
    """Arrange as lhs (S, B, M, K) and rhs (S or 1, B, K, N); returns them and the output shape order."""
    l_rank, r_rank = lhs.ndim - 1, rhs.ndim - 1
    l_free = [d for d in range(l_rank) if d not in node.lhs_contract and d not in node.lhs_batch]
    r_free = [d for d in range(r_rank) if d not in node.rhs_contract and d not in node.rhs_batch]
    lhs_t = np.transpose(lhs, [0] + [1 + d for d in (*node.lhs_batch, *l_free, *node.lhs_contract)])
    rhs_t = np.transpose(rhs, [0] + [1 + d for d in (*node.rhs_batch, *node.rhs_contract, *r_free)])
    batch = int(np.prod([lhs.shape[1 + d] for d in node.lhs_batch], dtype=np.int64))
    m = int(np.prod([lhs.shape[1 + d] for d in l_free], dtype=np.int64))
    k = int(np.prod([lhs.shape[1 + d] for d in node.lhs_contract], dtype=np.int64))
    n = int(np.prod([rhs.shape[1 + d] for d in r_free], dtype=np.int64))
    return lhs_t.reshape(lhs.shape[0], batch, m, k), rhs_t.reshape(rhs.shape[0], batch, k, n)


def _bias_term(node, values, shape, dtype):
    """The bias broadcast to the output shape (sample axis first), or None."""
    if len(values) < 3:
        return None
    bias = convert(values[2], dtype) if not isinstance(dtype, FixedType) else values[2]
    return SimValue(broadcast_in_dims(bias.array, node_bias_dims(node), shape, sample_axis=True), bias.dtype)


def node_bias_dims(node) -> tuple[int, ...]:
    return node.bias_dims if isinstance(node, ir.Dot) else (len(node.shape) - 1,)


@row(ir.Dot)
def _dot(node: ir.Dot, values, ctx):
    lhs, rhs = values[0], values[1]
    if not isinstance(node.acc, FixedType):
        l4, r4 = _dot_operands(node, to_float(lhs), to_float(rhs))
        out = sample_matmul(l4, r4, exact=False).reshape((-1,) + tuple(node.shape))
        bias = _bias_term(node, values, node.shape, FLOAT32)
        if bias is not None:
            out = out + bias.array
        return convert(SimValue(out.astype(np.float32), FLOAT32), node.dtype)
    acc_type = node.acc
    l_mant, l_frac = _mantissa(lhs, acc_type)
    r_mant, r_frac = _mantissa(rhs, acc_type)
    l4, r4 = _dot_operands(node, l_mant, r_mant)
    samples = max(l4.shape[0], r4.shape[0])
    out_shape = (samples,) + tuple(node.shape)
    acc = _initial_acc(node, values, acc_type, out_shape)
    product_frac = l_frac + r_frac
    terms_abs = l4.shape[3] * max_abs(l_mant) * max_abs(r_mant)
    if sum_is_exact(acc_type, product_frac, max_abs(acc), terms_abs):
        products = sample_matmul(l4, r4, exact=True).reshape(out_shape)
        total, frac = fixed.add(acc, acc_type.frac, products, product_frac)
        acc = fixed.quantize(total, frac, acc_type)
    elif wrapping_sum(acc_type, product_frac, max_abs(l_mant) * max_abs(r_mant), l4.shape[3]):
        acc4 = acc.reshape(samples, l4.shape[1], l4.shape[2], r4.shape[3])
        acc = wrapped_sum(acc4, l4, r4, product_frac, acc_type).reshape(out_shape)
    else:
        acc4 = acc.reshape(samples, l4.shape[1], l4.shape[2], r4.shape[3])
        bound = max_abs(l_mant) * max_abs(r_mant)
        l4, r4 = fixed.widen(l4, bound), fixed.widen(r4, bound)
        terms = ((l4[..., k : k + 1] * r4[:, :, k : k + 1, :], product_frac) for k in range(l4.shape[3]))
        acc = accumulate_sequential(acc4, terms, acc_type).reshape(out_shape)
    return convert(SimValue(acc, acc_type), node.dtype)


def _initial_acc(node, values, acc_type: FixedType, out_shape) -> np.ndarray:
    """The accumulator's start: the bias converted to the accumulator type, else zero."""
    bias = _bias_term(node, values, out_shape[1:], acc_type)
    if bias is None:
        return np.zeros(out_shape, dtype=np.int64)
    start = convert(bias, acc_type).array
    return np.ascontiguousarray(np.broadcast_to(start, out_shape))


# ---- convolution -------------------------------------------------------------------------------------


def _patches(padded: np.ndarray, node: ir.Conv, kernel_spatial, out_spatial) -> np.ndarray:
    """im2col: (S, N, *out, K, C) where K runs over the kernel positions in loop order (row-major)."""
    spatial = len(kernel_spatial)
    extent = tuple((k - 1) * d + 1 for k, d in zip(kernel_spatial, node.dilation))
    axes = tuple(range(2, 2 + spatial))
    windows = np.lib.stride_tricks.sliding_window_view(padded, extent, axis=axes)  # (S, N, *pos, C, *extent)
    index = [slice(None), slice(None)]
    index += [slice(None, s * (o - 1) + 1, s) for s, o in zip(node.strides, out_spatial)]
    index += [slice(None)]
    index += [slice(None, None, d) for d in node.dilation]
    windows = windows[tuple(index)]
    rank = windows.ndim
    order = list(range(2 + spatial)) + list(range(rank - spatial, rank)) + [2 + spatial]
    moved = np.transpose(windows, order)  # (S, N, *out, *kernel, C)
    return moved.reshape(moved.shape[: 2 + spatial] + (-1, moved.shape[-1]))


def _conv_sum(patches: np.ndarray, kernel: np.ndarray, groups: int, exact: bool) -> np.ndarray:
    """Sum over kernel positions and input channels: patches (..., K, C) with kernel (K, C/groups, F)."""
    taps, cg, features = kernel.shape
    fg = features // groups
    lead = patches.shape[:-2]
    if cg == 1 and groups > 1:  # depthwise: output channel f reads input channel f // fg
        source = np.repeat(patches, fg, axis=-1) if fg > 1 else patches
        if not exact:
            return np.einsum("...kf,kf->...f", source, kernel[:, 0, :])
        bound = max_abs(source) * max_abs(kernel) * taps
        return np.sum(fixed.widen(source, bound) * fixed.widen(kernel[:, 0, :], bound), axis=-2)
    product = fixed.exact_matmul if exact else np.matmul
    parts = []
    for g in range(groups):
        block = patches[..., g * cg : (g + 1) * cg].reshape(-1, taps * cg)
        weights = kernel[:, :, g * fg : (g + 1) * fg].reshape(taps * cg, fg)
        parts.append(product(block, weights).reshape(lead + (fg,)))
    return parts[0] if groups == 1 else np.concatenate(parts, axis=-1)


@row(ir.Conv)
def _conv(node: ir.Conv, values, ctx):
    x, w = values[0], values[1]
    spatial = len(node.strides)
    kernel_spatial = tuple(w.array.shape[1 : 1 + spatial])
    out_spatial = tuple(node.shape[1 : 1 + spatial])
    widths = [(0, 0), (0, 0)] + list(node.padding) + [(0, 0)]
    out_shape = (x.array.shape[0],) + tuple(node.shape)

    def patches_of(array):
        return _patches(np.pad(array, widths), node, kernel_spatial, out_spatial)

    def taps(array):  # (K, C/groups, F); constants carry a sample axis of 1
        return array[0].reshape((-1,) + array.shape[1 + spatial :])

    if not isinstance(node.acc, FixedType):
        out = _conv_sum(patches_of(to_float(x)), taps(to_float(w)), node.groups, exact=False).reshape(out_shape)
        bias = _bias_term(node, values, node.shape, FLOAT32)
        if bias is not None:
            out = out + bias.array
        return convert(SimValue(out.astype(np.float32), FLOAT32), node.dtype)
    acc_type = node.acc
    x_arr, x_frac = _mantissa(x, acc_type)
    w_arr, w_frac = _mantissa(w, acc_type)
    kernel = taps(w_arr)
    acc = _initial_acc(node, values, acc_type, out_shape)
    product_frac = x_frac + w_frac
    terms_abs = kernel.shape[0] * kernel.shape[1] * max_abs(x_arr) * max_abs(w_arr)
    if sum_is_exact(acc_type, product_frac, max_abs(acc), terms_abs):
        if terms_abs < 1 << 53:  # integers stay exact in float64: im2col and BLAS in float64, one conversion back
            total = _conv_sum(
                patches_of(x_arr.astype(np.float64)), kernel.astype(np.float64), node.groups, exact=False
            ).astype(np.int64)
        else:
            total = _conv_sum(patches_of(x_arr), kernel, node.groups, exact=True)
        summed, frac = fixed.add(acc, acc_type.frac, total.reshape(out_shape), product_frac)
        return convert(SimValue(fixed.quantize(summed, frac, acc_type), acc_type), node.dtype)
    bound = max_abs(x_arr) * max_abs(w_arr)
    patches, kernel = fixed.widen(patches_of(x_arr), bound), fixed.widen(kernel, bound)
    cg, features = kernel.shape[1], kernel.shape[2]
    fg = features // node.groups
    channel = np.array([(f // fg) * cg for f in range(features)])
    if wrapping_sum(acc_type, product_frac, max_abs(x_arr) * max_abs(w_arr), kernel.shape[0] * cg):
        shift = product_frac - acc_type.frac
        half = (1 << (shift - 1)) if acc_type.quant == "AP_RND" else 0
        total = acc.astype(np.int64, copy=True)
        for k in range(kernel.shape[0]):  # all channels of one tap at once: q(x w) summed, wrapped once below
            window = patches[..., k, channel[None, :] + np.arange(cg)[:, None]]  # (..., cg, features)
            total += ((window * kernel[k] + half) >> shift).sum(axis=-2).reshape(out_shape)
        return convert(SimValue(fixed.quantize(total, acc_type.frac, acc_type), acc_type), node.dtype)

    def terms():
        for k in range(kernel.shape[0]):
            for c in range(cg):
                yield patches[..., k, channel + c].reshape(out_shape) * kernel[k, c], product_frac

    acc = accumulate_sequential(acc, terms(), acc_type)
    return convert(SimValue(acc, acc_type), node.dtype)


# ---- pooling and reductions ----------------------------------------------------------------------


def _reduce_array(array: np.ndarray, kind: str, axes: tuple[int, ...]) -> np.ndarray:
    if kind == "max":
        return np.max(array, axis=axes)
    if kind == "min":
        return np.min(array, axis=axes)
    return np.sum(array, axis=axes)


def _init_value(kind: str, init: float, dtype) -> np.ndarray:
    """The identity of a reduction in a type: -inf becomes the type's minimum, as hardware does."""
    if isinstance(dtype, FixedType) and not np.isfinite(init):
        return np.int64(dtype.min_int if init < 0 else dtype.max_int)
    return constant_value(init, dtype).array[0]


def _reduce_fixed_sum(array: np.ndarray, frac: int, acc_type: FixedType, axes, init_mant: int):
    """Sum in the accumulator type; exact at once when order cannot matter, else term by term."""
    count = int(np.prod([array.shape[a] for a in axes], dtype=np.int64)) if axes else 1
    start = np.full(np.delete(np.array(array.shape), axes).tolist(), init_mant, dtype=np.int64)
    array = fixed.widen(array, count * max_abs(array) + abs(init_mant))
    if sum_is_exact(acc_type, frac, abs(init_mant), count * max_abs(array)):
        total, total_frac = fixed.add(start, acc_type.frac, np.sum(array, axis=axes), frac)
        return fixed.quantize(total, total_frac, acc_type)
    moved = np.moveaxis(array, axes, tuple(range(array.ndim - len(axes), array.ndim)))
    flat = moved.reshape(moved.shape[: array.ndim - len(axes)] + (-1,))
    return accumulate_sequential(start, ((flat[..., k], frac) for k in range(flat.shape[-1])), acc_type)


@row(ir.Pool)
def _pool(node: ir.Pool, values, ctx):
    x = values[0]
    fixed_sum = node.kind == "sum" and isinstance(node.acc, FixedType)
    fixed_compare = node.kind != "sum" and isinstance(x.dtype, FixedType)
    if fixed_sum:
        arr, frac = _mantissa(x, node.acc)
        fill = 0  # padding adds nothing; the initial value starts the accumulator
    elif fixed_compare:
        arr, frac = x.array, x.dtype.frac  # max/min are exact in the input's own type
        fill = _init_value(node.kind, node.init, x.dtype)
    else:
        arr, fill = to_float(x), np.float32(node.init if node.kind != "sum" else 0.0)
    padded = np.pad(arr, [(0, 0)] + list(node.padding), constant_values=fill)
    windows = np.lib.stride_tricks.sliding_window_view(padded, node.window, axis=tuple(range(1, arr.ndim)))
    windows = windows[(slice(None),) + tuple(slice(None, None, s) for s in node.strides)]
    axes = tuple(range(arr.ndim, windows.ndim))
    if fixed_sum:
        init = int(fixed.from_float(np.array([node.init]), node.acc)[0]) if np.isfinite(node.init) else 0
        return convert(SimValue(_reduce_fixed_sum(windows, frac, node.acc, axes, init), node.acc), node.dtype)
    out = _reduce_array(windows, node.kind, axes)
    if fixed_compare:
        return convert(SimValue(out, x.dtype), node.dtype)
    if node.kind == "sum" and node.init != 0:
        out = out + np.float32(node.init)
    return convert(SimValue(np.asarray(out, dtype=np.float32), FLOAT32), node.dtype)


@row(ir.Reduce)
def _reduce(node: ir.Reduce, values, ctx):
    x = values[0]
    axes = tuple(d + 1 for d in node.dims)
    if node.kind == "sum" and isinstance(node.acc, FixedType):
        arr, frac = _mantissa(x, node.acc)
        init = int(fixed.from_float(np.array([node.init]), node.acc)[0])
        return convert(SimValue(_reduce_fixed_sum(arr, frac, node.acc, axes, init), node.acc), node.dtype)
    if isinstance(x.dtype, FixedType) and node.kind != "sum":
        out = _reduce_array(x.array, node.kind, axes)  # max/min are exact in the input's own type
        return convert(SimValue(out, x.dtype), node.dtype)
    arr = to_float(x)
    out = _reduce_array(arr, node.kind, axes)
    if node.kind == "sum" and node.init != 0:
        out = out + np.float32(node.init)
    elif node.kind in ("max", "min") and np.isfinite(node.init):
        out = (np.maximum if node.kind == "max" else np.minimum)(out, np.float32(node.init))
    return convert(SimValue(np.asarray(out, dtype=np.float32), FLOAT32), node.dtype)


@row(ir.Loop)
def _loop(node: ir.Loop, values, ctx):
    return run_loop(node, values, ctx, ROWS)
