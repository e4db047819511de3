"""ONNX reductions: ReduceSum, ReduceMean, ReduceMax, ReduceMin, ReduceL1, ReduceL2, ReduceSumSquare,
ReduceLogSum, ReduceLogSumExp, ReduceProd (``axes`` as an attribute before opset 18, as an input
from 13 for ReduceSum and 18 for the others; ``keepdims``, ``noop_with_empty_axes``).

Each is one ``Reduce`` (an adder or comparator tree) with elementwise work before and after it: a
mean is a sum divided by the number of terms, as TensorFlow's; L1 sums ``|x|``, L2 is the square
root of the sum of squares; LogSumExp is ``m + log(sum(exp(x - m)))`` with ``m`` the maximum (the
stable form onnxruntime computes). A product has no reduction tree of its own: it is a chain of
multiplies of the slices along each reduced axis."""

from __future__ import annotations

import math

from fpgalab.errors import CompileError
from fpgalab.frontend.lowering import View, reshape
from fpgalab.frontend.onnx.rules import axis_of, known_input, rule, scalar, shape_of
from fpgalab.frontend.onnx.slices import slice_value
from fpgalab.frontend.tf.rules import elementwise
from fpgalab.ir import nodes as ir

KINDS = {"ReduceSum": "sum", "ReduceMean": "sum", "ReduceMax": "max", "ReduceMin": "min", "ReduceL1": "sum"}
KINDS.update({"ReduceL2": "sum", "ReduceSumSquare": "sum", "ReduceLogSum": "sum", "ReduceLogSumExp": "sum"})
BEFORE = {"ReduceL1": "abs", "ReduceL2": "square", "ReduceSumSquare": "square"}
AFTER = {"ReduceL2": "sqrt", "ReduceLogSum": "log", "ReduceLogSumExp": "log"}
INIT = {"sum": 0.0, "max": float("-inf"), "min": float("inf")}


def _reduce_axes(lw, site, args):
    """The reduced dimensions, sorted; None when the node is a no-op (empty axes, noop_with_empty_axes)."""
    own = shape_of(args[0])
    axes = known_input(lw, site, args, 1, "axes")
    axes = [int(a) for a in axes.reshape(-1)] if axes is not None else list(site.attr("axes", []))
    if not axes:
        if site.attr("noop_with_empty_axes", 0):
            return None
        axes = list(range(len(own)))
    dims = tuple(sorted({axis_of(site, a, len(own)) for a in axes}))
    if not dims:
        raise CompileError(f"{site.where()}: no axes to reduce")
    return dims


def reduce_node(lw, site, x, kind, dims):
    own = shape_of(x)
    out = tuple(n for k, n in enumerate(own) if k not in dims)
    source = lw.buffer(x, site.name + "_in", site.op_name)
    node = ir.Reduce(lw.fresh(site.name), (source.name,), out, **lw.common(site), kind=kind, dims=dims, init=INIT[kind])
    return lw.fold_or_add(node, [x])


@rule(*KINDS)
def _reduce(lw, site, args):
    x = args[0]
    own = shape_of(x)
    dims = _reduce_axes(lw, site, args)
    if dims is None:
        return x
    out = tuple(n for k, n in enumerate(own) if k not in dims)
    kept = tuple(k for k in range(len(own)) if k not in dims)
    op = site.opcode
    if op in BEFORE:
        x = (
            elementwise(lw, site.at(own), "abs", [x])
            if BEFORE[op] == "abs"
            else elementwise(lw, site.at(own), "mul", [x, x])
        )
    shift = None
    if op == "ReduceLogSumExp":
        shift = reduce_node(lw, site, x, "max", dims)
        x = elementwise(lw, site.at(own), "exp", [elementwise(lw, site.at(own), "sub", [x, View(shift, kept, own)])])
    y = reduce_node(lw, site, x, KINDS[op], dims)
    if op == "ReduceMean":
        y = elementwise(lw, site.at(out), "div", [y, scalar(float(math.prod(own[d] for d in dims)), out)])
    if op in AFTER:
        y = elementwise(lw, site.at(out), AFTER[op], [y])
    if shift is not None:
        y = elementwise(lw, site.at(out), "add", [y, shift])
    return _keep_dims(lw, site, y, own, dims)


def _keep_dims(lw, site, y, own, dims):
    if site.attr("keepdims", 1):
        return reshape(lw, y, tuple(1 if k in dims else n for k, n in enumerate(own)), site)
    return y


@rule("ReduceProd")
def _reduce_prod(lw, site, args):
    x = args[0]
    own = shape_of(x)
    dims = _reduce_axes(lw, site, args)
    if dims is None:
        return x
    for d in dims:  # a chain of multiplies of the slices along each axis, the axis kept at size 1
        shape = shape_of(x)
        parts = []
        for k in range(shape[d]):
            lows = [k if j == d else 0 for j in range(len(shape))]
            highs = [k + 1 if j == d else n for j, n in enumerate(shape)]
            parts.append(slice_value(lw, site, x, lows, highs, [1] * len(shape)))
        x = parts[0]
        for part in parts[1:]:
            x = elementwise(lw, site.at(shape_of(part)), "mul", [x, part])
    return _keep_dims(lw, site, reshape(lw, x, tuple(n for k, n in enumerate(own) if k not in dims), site), own, dims)
