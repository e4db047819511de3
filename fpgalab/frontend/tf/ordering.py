"""Lowering rules for positions and order: ``iota``, argmax/argmin (XLA's variadic ``reduce`` over
values and an iota), and ``sort`` (``tf.sort``, ``tf.math.top_k``).

They become the IR's existing nodes, so every simulator row, cost and backend applies:

* **iota** is a compile-time array (a ROM where the hardware reads it; often folded away).
* **argmax / argmin** is two comparator trees: the maximum (a ``Reduce`` max), then the first
  position holding it (``select(x == max, i, n)`` and a ``Reduce`` min): TensorFlow's first index
  on ties. The comparison is exact when the maximum's type holds the values' type, as it does with
  one precision for the design.
* **sort** is an all-pairs rank sort, the sorter HLS builds for short rows: every element is
  compared with every other (n² comparators), its rank is the count of elements ordered before it
  (ties broken by position, as XLA's stable sort does), and output position ``r`` selects the
  element of rank ``r`` (an n-way select per output, summed over one non-zero term). ``top_k`` is
  the sort followed by a slice of its first k positions.
"""

from __future__ import annotations

import numpy as np

from fpgalab.errors import CompileError
from fpgalab.frontend.lowering import Known, Tuple
from fpgalab.frontend.tf.rules import RULES, hlo_type, rule
from fpgalab.ir import nodes as ir
from fpgalab.ir.types import BOOL

ORDER_COMPARES = {"GT": "cmp_gt", "LT": "cmp_lt", "GE": "cmp_ge", "LE": "cmp_le"}


def _where(ins) -> str:
    return f"'{ins.opcode}' ({ins.op_name or ins.name})"


@rule("iota")
def _iota(lw, ins, args):
    dim, shape = ins.attrs.get("dimensions", (0,))[0], ins.shape.dims
    positions = np.arange(shape[dim], dtype=np.float32).reshape([-1 if d == dim else 1 for d in range(len(shape))])
    return Known(np.ascontiguousarray(np.broadcast_to(positions, shape)), lw.fresh(ins.name))


@rule("set-dimension-size")
def _set_dimension_size(lw, ins, args):
    size = lw.known(args[1])
    dim = ins.attrs["dimensions"][0]
    if size is None or int(size.array.reshape(-1)[0]) != ins.shape.dims[dim]:
        raise CompileError(f"{_where(ins)}: dynamic dimension sizes are not supported; fpgalab needs static shapes")
    return args[0]


def _comparator(lw, ins) -> dict:
    """The comparator computation's instructions by id, its parameters and root."""
    comp = lw.module.computations[ins.called[0]]
    return {"by_id": comp.by_id(), "params": [p.id for p in comp.parameters()], "root": comp.by_id()[comp.root]}


def _is_positions(known: Known | None, dim: int) -> bool:
    if known is None:
        return False
    shape = known.array.shape
    expected = np.broadcast_to(np.arange(shape[dim]).reshape([-1 if d == dim else 1 for d in range(len(shape))]), shape)
    return bool(np.array_equal(known.array, expected))


def _arg_kind(lw, ins) -> str:
    """ "max" or "min" when the reducer is TensorFlow's argmax/argmin comparator (value compare, the
    smaller index on equal values); anything else is refused."""
    comp = _comparator(lw, ins)
    by_id, params, root = comp["by_id"], comp["params"], comp["root"]
    problem = CompileError(
        f"{_where(ins)}: this variadic reduction is not one fpgalab knows; it takes TensorFlow's "
        "argmax/argmin (a reduction over values and their positions, first position on ties)"
    )
    if len(params) != 4 or root.opcode != "tuple" or len(root.operands) != 2:
        raise problem
    value = by_id[root.operands[0]]
    if value.opcode != "select":
        raise problem
    test = by_id[value.operands[0]]
    direction = test.attrs.get("comparison_direction")
    if (
        test.opcode != "compare"
        or tuple(test.operands) != (params[0], params[2])
        or tuple(value.operands[1:]) != (params[0], params[2])
        or direction not in ORDER_COMPARES
    ):
        raise problem
    ties = [i for i in by_id.values() if i.opcode == "minimum" and set(i.operands) == {params[1], params[3]}]
    if not ties:
        raise problem
    return "max" if direction in ("GT", "GE") else "min"


_PLAIN_REDUCE = RULES["reduce"]


@rule("reduce")
def _reduce(lw, ins, args):
    """A reduction; with two operands and two initial values, TensorFlow's argmax/argmin."""
    return arg_reduce(lw, ins, args) if len(args) == 4 else _PLAIN_REDUCE(lw, ins, args)


def arg_reduce(lw, ins, args):
    """A variadic ``reduce`` (values, positions): TensorFlow's argmax/argmin, lowered to two comparator trees."""
    kind = _arg_kind(lw, ins)
    values, positions, _, _ = args
    dims = tuple(ins.attrs["dimensions"])
    if len(dims) != 1 or not _is_positions(lw.known(positions), dims[0]):
        raise CompileError(f"{_where(ins)}: argmax/argmin is supported over one dimension of positions 0..n-1")
    dim = dims[0]
    x = lw.buffer(values, ins.name + "_values", ins.op_name)
    shape, n = tuple(x.shape), x.shape[dim]
    kept = tuple(d for d in range(len(shape)) if d != dim)
    out_shape = tuple(shape[d] for d in kept)
    common = lw.common(ins)
    best = lw.add_node(
        ir.Reduce(
            lw.fresh(ins.name + "_" + kind),
            (x.name,),
            out_shape,
            kind=kind,
            dims=(dim,),
            init=float("-inf") if kind == "max" else float("inf"),
            **common,
        )
    )
    index_type = hlo_type(ins.shape.elements[1].dtype)
    numbers = lw.buffer(Known(np.arange(n, dtype=np.float32), lw.fresh(ins.name + "_positions")), "", ins.op_name)
    expr = ir.Op(
        "select",
        (ir.Op("cmp_eq", (ir.Arg(0), ir.Arg(1)), BOOL), ir.Arg(2), ir.Const(float(n))),
        index_type,
    )
    candidates = lw.add_node(
        ir.Elementwise(
            lw.fresh(ins.name + "_candidates"),
            (x.name, best.name, numbers.name),
            shape,
            index_type,
            expr=expr,
            in_dims=(tuple(range(len(shape))), kept, (dim,)),
            **common,
        )
    )
    first = lw.add_node(
        ir.Reduce(
            lw.fresh(ins.name + "_first"),
            (candidates.name,),
            out_shape,
            index_type,
            kind="min",
            dims=(dim,),
            init=float(n),
            **common,
        )
    )
    return Tuple((best, first))


def _sort_compare(lw, ins) -> str:
    comp = _comparator(lw, ins)
    root, params = comp["root"], comp["params"]
    direction = root.attrs.get("comparison_direction")
    if root.opcode != "compare" or tuple(root.operands) != (params[0], params[1]) or direction not in ("GT", "LT"):
        raise CompileError(
            f"{_where(ins)}: fpgalab sorts by the first operand with a plain greater-than or less-than "
            "comparator (tf.sort, tf.math.top_k, tf.argsort); this comparator is another"
        )
    return ORDER_COMPARES[direction]


def _shift(dims_of_source: int, dim: int, to: int) -> tuple:
    """in_dims of an array of rank ``dims_of_source`` whose dimension ``dim`` goes to output
    dimension ``to`` (``dim`` or ``dim + 1``) of a pairwise array with one dimension more."""
    return tuple(to if k == dim else (k if k < dim else k + 1) for k in range(dims_of_source))


@rule("sort")
def _sort(lw, ins, args):
    compare = _sort_compare(lw, ins)
    dim = ins.attrs["dimensions"][0]
    keys = lw.buffer(args[0], ins.name + "_keys", ins.op_name)
    shape = tuple(keys.shape)
    n, rank_of = shape[dim], len(shape)
    pair_shape = shape[:dim] + (n, n) + shape[dim + 1 :]
    common = lw.common(ins)
    count_type = hlo_type("s32")
    # before[i, j] = 1 when element j sorts before element i (ties: the earlier position first)
    earlier = lw.buffer(
        Known(np.tril(np.ones((n, n), np.float32), -1), lw.fresh(ins.name + "_earlier")), "", ins.op_name
    )
    j_first = ir.Op(compare, (ir.Arg(0), ir.Arg(1)), BOOL)
    tie = ir.Op("cmp_eq", (ir.Arg(0), ir.Arg(1)), BOOL)
    expr = ir.Op(
        "select", (j_first, ir.Const(1.0), ir.Op("select", (tie, ir.Arg(2), ir.Const(0.0)), count_type)), count_type
    )
    before = lw.add_node(
        ir.Elementwise(
            lw.fresh(ins.name + "_before"),
            (keys.name, keys.name, earlier.name),
            pair_shape,
            count_type,
            expr=expr,
            in_dims=(_shift(rank_of, dim, dim + 1), _shift(rank_of, dim, dim), (dim, dim + 1)),
            **common,
        )
    )
    rank = lw.add_node(
        ir.Reduce(
            lw.fresh(ins.name + "_rank"), (before.name,), shape, count_type, kind="sum", dims=(dim + 1,), **common
        )
    )
    places = lw.buffer(Known(np.arange(n, dtype=np.float32), lw.fresh(ins.name + "_places")), "", ins.op_name)
    outputs = []
    elements = ins.shape.elements or (ins.shape,)
    for k, (value, element) in enumerate(zip(args, elements)):
        source = lw.buffer(value, f"{ins.name}_operand{k}", ins.op_name)
        dtype = hlo_type(element.dtype)
        pick = ir.Op("select", (ir.Op("cmp_eq", (ir.Arg(0), ir.Arg(1)), BOOL), ir.Arg(2), ir.Const(0.0)), dtype)
        chosen = lw.add_node(
            ir.Elementwise(
                lw.fresh(f"{ins.name}_pick{k}"),
                (rank.name, places.name, source.name),
                pair_shape,
                dtype,
                expr=pick,
                in_dims=(_shift(rank_of, dim, dim + 1), (dim,), _shift(rank_of, dim, dim + 1)),
                **common,
            )
        )
        outputs.append(
            lw.add_node(
                ir.Reduce(
                    lw.fresh(f"{ins.name}_sorted{k}"),
                    (chosen.name,),
                    shape,
                    dtype,
                    kind="sum",
                    dims=(dim + 1,),
                    **common,
                )
            )
        )
    return Tuple(tuple(outputs)) if ins.shape.dtype == "tuple" else outputs[0]
