"""ONNX LayerNormalization (opset 17), InstanceNormalization, GroupNormalization (opset 21),
MeanVarianceNormalization and LRN: statistics computed at run time.

Each is the graph Keras's LayerNormalization lowers to: the mean (a ``Reduce`` sum over the
normalized dimensions, divided by their count), the centred values, their variance the same way,
``rsqrt(variance + epsilon)`` (a table in fixed point) and the per-element scale and shift, all
``Reduce`` and ``Elementwise`` nodes. (BatchNormalization, with statistics known at compile time, is
a constant scale and shift: ``layers``.)
"""

from __future__ import annotations

import math

import numpy as np

from fpgalab.errors import CompileError
from fpgalab.frontend.lowering import Known, View, reshape
from fpgalab.frontend.onnx.reductions import reduce_node
from fpgalab.frontend.onnx.rules import axis_of, broadcast, rule, scalar, shape_of
from fpgalab.frontend.tf import functions  # noqa: F401 - it registers the power rule
from fpgalab.frontend.tf.rules import RULES as TF_RULES
from fpgalab.frontend.tf.rules import elementwise
from fpgalab.ir import nodes as ir


def normalize(lw, site, x, dims, epsilon: float):
    """``(x - mean) / sqrt(variance + epsilon)`` over ``dims``; also the mean and ``1/sqrt(variance + epsilon)``."""
    shape = shape_of(x)
    kept = tuple(k for k in range(len(shape)) if k not in dims)
    out = tuple(shape[k] for k in kept)
    count = float(math.prod(shape[d] for d in dims))
    at, at_out = site.at(shape), site.at(out)
    mean = elementwise(lw, at_out, "div", [reduce_node(lw, site, x, "sum", dims), scalar(count, out)])
    centred = elementwise(lw, at, "sub", [x, View(mean, kept, shape)])
    squares = elementwise(lw, at, "mul", [centred, centred])
    variance = elementwise(lw, at_out, "div", [reduce_node(lw, site, squares, "sum", dims), scalar(count, out)])
    inverse = elementwise(lw, at_out, "rsqrt", [elementwise(lw, at_out, "add", [variance, scalar(epsilon, out)])])
    return elementwise(lw, at, "mul", [centred, View(inverse, kept, shape)]), mean, inverse


def _scale_and_shift(lw, site, y, scale, bias, shape):
    y = elementwise(lw, site.at(shape), "mul", [y, scale])
    return y if bias is None else elementwise(lw, site.at(shape), "add", [y, bias])


@rule("LayerNormalization")
def _layer_norm(lw, site, args):
    x = args[0]
    shape = shape_of(x)
    axis = axis_of(site, int(site.attr("axis", -1)), len(shape))
    dims = tuple(range(axis, len(shape)))
    y, mean, inverse = normalize(lw, site, x, dims, float(site.attr("epsilon", 1e-5)))
    scale = broadcast(lw, site, args[1], shape)
    bias = broadcast(lw, site, args[2], shape) if len(args) > 2 and args[2] is not None else None
    stats_shape = shape[:axis] + (1,) * len(dims)  # Mean and InvStdDev keep the normalized axes at size 1
    return (
        _scale_and_shift(lw, site, y, scale, bias, shape),
        reshape(lw, mean, stats_shape, site),
        reshape(lw, inverse, stats_shape, site),
    )


@rule("InstanceNormalization")
def _instance_norm(lw, site, args):
    x = args[0]
    shape = shape_of(x)
    if len(shape) < 3:
        raise CompileError(f"{site.where()}: takes an [N, C, spatial...] input, got {shape}")
    y, _, _ = normalize(lw, site, x, tuple(range(2, len(shape))), float(site.attr("epsilon", 1e-5)))
    scale, bias = (View(_vector(lw, site, a, shape[1]), (1,), shape) for a in args[1:3])
    return _scale_and_shift(lw, site, y, scale, bias, shape)


@rule("GroupNormalization")
def _group_norm(lw, site, args):
    """Opset 21: a scale and bias per channel (opset 18's per group is the same with each repeated)."""
    x = args[0]
    shape = shape_of(x)
    groups = int(site.attr("num_groups", 0))
    n, c = shape[:2]
    if groups < 1 or c % groups:
        raise CompileError(f"{site.where()}: num_groups={groups} must be >= 1 and divide the {c} channels")
    grouped = reshape(lw, x, (n, groups, (c // groups) * math.prod(shape[2:])), site)
    y, _, _ = normalize(lw, site, grouped, (2,), float(site.attr("epsilon", 1e-5)))
    y = reshape(lw, y, shape, site)
    per_channel = []
    for a in args[1:3]:
        vector = _vector(lw, site, a, None)
        if vector.array.size == groups and lw.opset < 21:
            vector = Known(np.repeat(vector.array, c // groups), vector.name)
        if vector.array.size != c:
            raise CompileError(f"{site.where()}: scale and bias must have one value per channel ({c})")
        per_channel.append(View(vector, (1,), shape))
    return _scale_and_shift(lw, site, y, *per_channel, shape)


def _vector(lw, site, value, size):
    known = lw.known(value)
    if known is None:
        raise CompileError(f"{site.where()}: its scale and bias must be known at compile time (initializers)")
    array = known.array.reshape(-1)
    if size is not None and array.size != size:
        raise CompileError(f"{site.where()}: scale and bias must have one value per channel ({size})")
    return Known(array, known.name)


@rule("MeanVarianceNormalization")
def _mean_variance_norm(lw, site, args):
    """``(x - mean) / sqrt(variance)`` over ``axes`` (default N, H, W), epsilon 1e-9 as onnxruntime adds."""
    shape = shape_of(args[0])
    axes = site.attr("axes", [0, 2, 3])
    dims = tuple(sorted({axis_of(site, int(a), len(shape)) for a in axes}))
    return normalize(lw, site, args[0], dims, 1e-9)[0]


@rule("LRN")
def _lrn(lw, site, args):
    """``x / (bias + alpha / size * sum of x^2 over size neighbouring channels) ^ beta``: the squares summed by a
    ``Pool`` over a channel window, the power as the TF front end's (``exp(beta * log(.))`` for a fractional beta)."""
    x = args[0]
    shape = shape_of(x)
    size = int(site.attr("size", 1))
    alpha, beta, bias = (float(site.attr(k, d)) for k, d in (("alpha", 1e-4), ("beta", 0.75), ("bias", 1.0)))
    squares = elementwise(lw, site.at(shape), "mul", [x, x])
    low = (size - 1) // 2
    window = (1, size) + (1,) * (len(shape) - 2)
    padding = ((0, 0), (low, size - 1 - low)) + ((0, 0),) * (len(shape) - 2)
    source = lw.buffer(squares, site.name + "_squares", site.op_name)
    node = ir.Pool(
        lw.fresh(site.name + "_sum"), (source.name,), shape, **lw.common(site), kind="sum", window=window,
        strides=(1,) * len(shape), padding=padding, init=0.0,
    )  # fmt: skip
    total = lw.fold_or_add(node, [squares])
    scaled = elementwise(lw, site.at(shape), "mul", [total, scalar(alpha / size, shape)])
    base = elementwise(lw, site.at(shape), "add", [scaled, scalar(bias, shape)])
    denominator = TF_RULES["power"](lw, site.at(shape), [base, scalar(beta, shape)])
    return elementwise(lw, site.at(shape), "div", [x, denominator])
