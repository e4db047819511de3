"""ONNX Trilu, CumSum, Hardmax and OneHot: ops built from a constant mask or an index comparison.

* **Trilu** multiplies by a constant 0/1 mask (an ``Elementwise`` multiply by a ROM broadcast over
  the leading dimensions).
* **CumSum** along an axis is a product with a constant triangular 0/1 matrix: one ``Dot`` (the
  adder tree a running sum unrolls to), its result's axis brought back in place by a transpose;
  ``exclusive`` and ``reverse`` shift and flip the triangle.
* **Hardmax** is 1 at the first position of the maximum (``ordering``'s ArgMax), compared with each
  position.
* **OneHot** compares each (run-time) index with the positions 0..depth-1 (negative indices count
  from the end) and selects the on or off value.
"""

from __future__ import annotations

import numpy as np

from fpgalab.errors import CompileError
from fpgalab.frontend.lowering import Known, View
from fpgalab.frontend.onnx.ordering import arg_reduce
from fpgalab.frontend.onnx.rules import axis_of, known_input, rule, scalar, shape_of, transpose
from fpgalab.frontend.tf.rules import elementwise
from fpgalab.ir import nodes as ir


@rule("Trilu")
def _trilu(lw, site, args):
    own = shape_of(args[0])
    if len(own) < 2:
        raise CompileError(f"{site.where()}: takes a tensor of rank >= 2, got {own}")
    k = known_input(lw, site, args, 1, "k")
    k = int(k.reshape(-1)[0]) if k is not None else 0
    rows, cols = own[-2:]
    mask = (
        np.triu(np.ones((rows, cols), np.float32), k)
        if site.attr("upper", 1)
        else np.tril(np.ones((rows, cols), np.float32), k)
    )
    rank = len(own)
    factor = View(Known(mask, lw.fresh(site.name + "_mask")), (rank - 2, rank - 1), own)
    return elementwise(lw, site.at(own), "mul", [args[0], factor])


@rule("CumSum")
def _cum_sum(lw, site, args):
    own = shape_of(args[0])
    axis = known_input(lw, site, args, 1, "axis")
    axis = axis_of(site, int(axis.reshape(-1)[0]), len(own))
    n = own[axis]
    i, j = np.arange(n)[:, None], np.arange(n)[None, :]  # output j sums inputs i
    exclusive = bool(site.attr("exclusive", 0))
    if site.attr("reverse", 0):
        triangle = (i > j) if exclusive else (i >= j)
    else:
        triangle = (i < j) if exclusive else (i <= j)
    matrix = Known(triangle.astype(np.float32), lw.fresh(site.name + "_triangle"))
    source = lw.buffer(args[0], site.name + "_in", site.op_name)
    rom = lw.buffer(matrix, site.name + "_triangle", site.op_name)
    moved = own[:axis] + own[axis + 1 :] + (n,)
    node = ir.Dot(
        lw.fresh(site.name), (source.name, rom.name), moved, **lw.common(site), lhs_contract=(axis,), rhs_contract=(0,)
    )
    summed = lw.fold_or_add(node, [args[0], matrix])
    rank = len(own)
    return transpose(lw, site, summed, tuple(range(axis)) + (rank - 1,) + tuple(range(axis, rank - 1)))


@rule("Hardmax")
def _hardmax(lw, site, args):
    own = shape_of(args[0])
    axis = axis_of(site, int(site.attr("axis", -1 if lw.opset >= 13 else 1)), len(own))
    if lw.opset < 13 and axis != len(own) - 1:
        raise CompileError(
            f"{site.where()}: axis={axis} before opset 13 (over the flattened trailing axes) is not supported; supported: the last axis"
        )
    first = arg_reduce(lw, site, args[0], axis, "max", last=False)
    positions = Known(np.arange(own[axis], dtype=np.float32), lw.fresh(site.name + "_positions"))
    kept = tuple(d for d in range(len(own)) if d != axis)
    hit = elementwise(lw, site.at(own, "pred"), "cmp_eq", [View(first, kept, own), View(positions, (axis,), own)])
    return elementwise(lw, site.at(own), "select", [hit, scalar(1.0, own), scalar(0.0, own)])


@rule("OneHot")
def _one_hot(lw, site, args):
    indices = args[0]
    depth = int(known_input(lw, site, args, 1, "depth").reshape(-1)[0])
    values = known_input(lw, site, args, 2, "values").reshape(-1)
    own = shape_of(indices)
    rank = len(own) + 1
    axis = axis_of(site, int(site.attr("axis", -1)), rank)
    shape = own[:axis] + (depth,) + own[axis:]
    kept = tuple(d for d in range(rank) if d != axis)
    at = site.at(shape)
    index = View(lw.known(indices) or lw.buffer(indices, site.name + "_in", site.op_name), kept, shape)
    wrapped = elementwise(
        lw, at, "select",
        [elementwise(lw, site.at(shape, "pred"), "cmp_lt", [index, scalar(0.0, shape)]),
         elementwise(lw, at, "add", [index, scalar(float(depth), shape)]), index],
    )  # fmt: skip
    positions = View(Known(np.arange(depth, dtype=np.float32), lw.fresh(site.name + "_positions")), (axis,), shape)
    hit = elementwise(lw, site.at(shape, "pred"), "cmp_eq", [wrapped, positions])
    return elementwise(lw, at, "select", [hit, scalar(float(values[1]), shape), scalar(float(values[0]), shape)])
