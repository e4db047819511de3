"""ONNX reductions: ReduceSum, ReduceMean, ReduceMax, ReduceMin (``axes`` as an attribute before
opset 18, as an input from 13 for ReduceSum and 18 for the others; ``keepdims``,
``noop_with_empty_axes``). A mean is a sum divided by the number of terms, as TensorFlow's."""

from __future__ import annotations

import math

from fpgalab.errors import CompileError
from fpgalab.frontend.lowering import reshape
from fpgalab.frontend.onnx.rules import axis_of, known_input, rule, scalar, shape_of
from fpgalab.frontend.tf.rules import elementwise
from fpgalab.ir import nodes as ir

KINDS = {"ReduceSum": "sum", "ReduceMean": "sum", "ReduceMax": "max", "ReduceMin": "min"}
INIT = {"sum": 0.0, "max": float("-inf"), "min": float("inf")}


@rule(*KINDS)
def _reduce(lw, site, args):
    x = args[0]
    own = shape_of(x)
    axes = known_input(lw, site, args, 1, "axes")
    axes = [int(a) for a in axes.reshape(-1)] if axes is not None else list(site.attr("axes", []))
    if not axes:
        if site.attr("noop_with_empty_axes", 0):
            return x
        axes = list(range(len(own)))
    dims = tuple(sorted({axis_of(site, a, len(own)) for a in axes}))
    if not dims:
        raise CompileError(f"{site.where()}: no axes to reduce")
    kind = KINDS[site.opcode]
    out = tuple(n for k, n in enumerate(own) if k not in dims)
    source = lw.buffer(x, site.name + "_in", site.op_name)
    node = ir.Reduce(lw.fresh(site.name), (source.name,), out, **lw.common(site), kind=kind, dims=dims, init=INIT[kind])
    y = lw.fold_or_add(node, [x])
    if site.opcode == "ReduceMean":
        y = elementwise(lw, site.at(out), "div", [y, scalar(float(math.prod(own[d] for d in dims)), out)])
    if site.attr("keepdims", 1):
        y = reshape(lw, y, tuple(1 if k in dims else n for k, n in enumerate(own)), site)
    return y
