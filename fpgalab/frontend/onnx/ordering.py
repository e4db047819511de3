"""ONNX ArgMax, ArgMin and TopK, lowered as the TF front end lowers argmax and ``tf.math.top_k``
(``frontend.tf.ordering``), onto ``Reduce`` and ``Elementwise`` nodes:

* **ArgMax / ArgMin**: the extreme value (a comparator tree, ``Reduce`` max or min), then the first
  position holding it (``select(x == best, i, n)`` and a ``Reduce`` min), or with
  ``select_last_index`` the last one (``select(x == best, i, -1)`` and a ``Reduce`` max).
* **TopK**: an all-pairs rank sort over the axis -- every element compared with every other (n^2
  comparators), its rank the count of elements ordered before it (on equal values the smaller
  position first, onnxruntime's order) -- then output ``r < k`` picks the element of rank ``r``
  (a k-way select per output, summed over one non-zero term), for the values and the indices.

Indices are integers (``ap_int<32>``, as TensorFlow's argmax in the TF front end).
"""

from __future__ import annotations

import numpy as np

from fpgalab.errors import CompileError
from fpgalab.frontend.lowering import reshape
from fpgalab.frontend.onnx.rules import axis_of, known_input, rule, shape_of
from fpgalab.ir import nodes as ir
from fpgalab.ir.types import BOOL, integer_type

INDEX = integer_type(32, True)


def _positions(lw, site, n: int, base: str):
    return lw.constant(np.arange(n, dtype=np.float32), site.name + base, site.op_name)


@rule("ArgMax", "ArgMin")
def _arg_reduce(lw, site, args):
    shape = shape_of(args[0])
    axis = axis_of(site, int(site.attr("axis", 0)), len(shape))
    kind = "max" if site.opcode == "ArgMax" else "min"
    position = arg_reduce(lw, site, args[0], axis, kind, last=bool(site.attr("select_last_index", 0)))
    if site.attr("keepdims", 1):
        return reshape(lw, position, tuple(1 if d == axis else m for d, m in enumerate(shape)), site)
    return position


def arg_reduce(lw, site, value, axis: int, kind: str, last: bool):
    """The first (or ``last``) position along ``axis`` of the maximum or minimum (``kind``)."""
    x = lw.buffer(value, site.name + "_in", site.op_name)
    shape = tuple(x.shape)
    n = shape[axis]
    kept = tuple(d for d in range(len(shape)) if d != axis)
    out = tuple(shape[d] for d in kept)
    common = lw.common(site)
    best = lw.add_node(
        ir.Reduce(
            lw.fresh(site.name + "_" + kind), (x.name,), out, kind=kind, dims=(axis,),
            init=float("-inf") if kind == "max" else float("inf"), **common,
        )
    )  # fmt: skip
    numbers = _positions(lw, site, n, "_positions")
    missing = -1.0 if last else float(n)
    expr = ir.Op("select", (ir.Op("cmp_eq", (ir.Arg(0), ir.Arg(1)), BOOL), ir.Arg(2), ir.Const(missing)), INDEX)
    candidates = lw.add_node(
        ir.Elementwise(
            lw.fresh(site.name + "_candidates"), (x.name, best.name, numbers.name), shape, INDEX, expr=expr,
            in_dims=(tuple(range(len(shape))), kept, (axis,)), **common,
        )
    )  # fmt: skip
    return lw.add_node(
        ir.Reduce(
            lw.fresh(site.name + ("_last" if last else "_first")), (candidates.name,), out, INDEX,
            kind="max" if last else "min", dims=(axis,), init=missing, **common,
        )
    )  # fmt: skip


def _shift(rank: int, dim: int, to: int) -> tuple:
    """in_dims of a rank-``rank`` array whose dimension ``dim`` goes to output dimension ``to`` (``dim`` or
    ``dim + 1``) of a pairwise array with one dimension more."""
    return tuple(to if k == dim else (k if k < dim else k + 1) for k in range(rank))


@rule("TopK")
def _top_k(lw, site, args):
    x = lw.buffer(args[0], site.name + "_in", site.op_name)
    shape = tuple(x.shape)
    rank = len(shape)
    axis = axis_of(site, int(site.attr("axis", -1)), rank)
    n = shape[axis]
    k = known_input(lw, site, args, 1, "k") if len(args) > 1 else None
    k = int(k.reshape(-1)[0]) if k is not None else int(site.attr("k", 0))  # opset <= 9: an attribute
    if not 1 <= k <= n:
        raise CompileError(f"{site.where()}: k={k}; it must be 1..{n} (the size of axis {axis})")
    compare = "cmp_gt" if site.attr("largest", 1) else "cmp_lt"
    common = lw.common(site)
    earlier = lw.constant(np.tril(np.ones((n, n), np.float32), -1), site.name + "_earlier", site.op_name)
    # before[.., i, j, ..] = 1 when element j is ordered before element i
    j_first = ir.Op(compare, (ir.Arg(0), ir.Arg(1)), BOOL)
    tie = ir.Op("cmp_eq", (ir.Arg(0), ir.Arg(1)), BOOL)
    expr = ir.Op("select", (j_first, ir.Const(1.0), ir.Op("select", (tie, ir.Arg(2), ir.Const(0.0)), INDEX)), INDEX)
    pairs = shape[:axis] + (n, n) + shape[axis + 1 :]
    before = lw.add_node(
        ir.Elementwise(
            lw.fresh(site.name + "_before"), (x.name, x.name, earlier.name), pairs, INDEX, expr=expr,
            in_dims=(_shift(rank, axis, axis + 1), _shift(rank, axis, axis), (axis, axis + 1)), **common,
        )
    )  # fmt: skip
    ranks = lw.add_node(
        ir.Reduce(lw.fresh(site.name + "_rank"), (before.name,), shape, INDEX, kind="sum", dims=(axis + 1,), **common)
    )
    places = _positions(lw, site, k, "_places")
    numbers = _positions(lw, site, n, "_positions")
    picks = shape[:axis] + (k, n) + shape[axis + 1 :]
    out = shape[:axis] + (k,) + shape[axis + 1 :]
    results = []
    for what, source, source_dims, dtype in (
        ("values", x, _shift(rank, axis, axis + 1), ir.FLOAT32),
        ("indices", numbers, (axis + 1,), INDEX),
    ):
        pick = ir.Op("select", (ir.Op("cmp_eq", (ir.Arg(0), ir.Arg(1)), BOOL), ir.Arg(2), ir.Const(0.0)), dtype)
        chosen = lw.add_node(
            ir.Elementwise(
                lw.fresh(f"{site.name}_pick_{what}"), (ranks.name, places.name, source.name), picks, dtype,
                expr=pick, in_dims=(_shift(rank, axis, axis + 1), (axis,), source_dims), **common,
            )
        )  # fmt: skip
        results.append(
            lw.add_node(
                ir.Reduce(
                    lw.fresh(f"{site.name}_{what}"), (chosen.name,), out, dtype, kind="sum", dims=(axis + 1,), **common
                )
            )
        )
    return tuple(results)
