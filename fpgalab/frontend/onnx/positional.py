"""ONNX Gather. Of compile-time values it folds (the shape subgraphs exporters emit); of a run-time
tensor at constant indices it is, as a nearest Resize is, a read at positions known at compile time,
lowered as the TF front end lowers its resizes -- the flattened tensor read through a ROM of
positions (``frontend.lowering.positional_read``, an ``ir.Lookup``). Indices computed at run time
pick rows of a constant table, as the TF front end lowers Keras's Embedding: one ``ir.Lookup``, a
ROM read addressed by the index (negative indices count from the end: ``select(i < 0, i + n, i)``
first), then a transpose bringing the rows' axes to where ONNX puts them."""

from __future__ import annotations

import numpy as np

from fpgalab.errors import CompileError
from fpgalab.frontend.lowering import Known, positional_read
from fpgalab.frontend.onnx.rules import axis_of, known_input, rule, scalar, shape_of, transpose
from fpgalab.frontend.tf.rules import elementwise
from fpgalab.ir import nodes as ir


def gather_positions(site, shape, indices: np.ndarray, axis: int) -> np.ndarray:
    indices = np.where(indices < 0, indices + shape[axis], indices).astype(np.int64)
    if np.any(indices < 0) or np.any(indices >= shape[axis]):
        raise CompileError(f"{site.where()}: indices out of range for axis {axis} of size {shape[axis]}")
    return np.take(np.arange(int(np.prod(shape))).reshape(shape), indices, axis=axis)


@rule("Gather")
def _gather(lw, site, args):
    if lw.known(args[1]) is None:
        return _run_time_gather(lw, site, args)
    indices = known_input(lw, site, args, 1, "indices").astype(np.int64)
    data = lw.known(args[0])
    if data is not None:
        axis = axis_of(site, int(site.attr("axis", 0)), data.array.ndim)
        return Known(np.take(data.array, indices, axis=axis).astype(np.float32))
    own = shape_of(args[0])
    axis = axis_of(site, int(site.attr("axis", 0)), len(own))
    return positional_read(lw, site, args[0], gather_positions(site, own, indices, axis))


def _run_time_gather(lw, site, args):
    table = lw.known(args[0])
    if table is None:
        raise CompileError(
            f"{site.where()}: indices computed at run time can only pick rows of a constant table (an "
            "initializer, as an embedding's weights); here the gathered tensor is computed at run time too"
        )
    axis = axis_of(site, int(site.attr("axis", 0)), table.array.ndim)
    rows = table.array.shape[axis]
    if axis != 0:  # the picked axis first, at compile time
        table = Known(np.ascontiguousarray(np.moveaxis(table.array, axis, 0)), table.name)
    rom = lw.buffer(table, site.name + "_table", site.op_name)
    index_shape = shape_of(args[1])
    wrapped = elementwise(
        lw,
        site.at(index_shape),
        "select",
        [
            elementwise(lw, site.at(index_shape, "pred"), "cmp_lt", [args[1], scalar(0.0, index_shape)]),
            elementwise(lw, site.at(index_shape), "add", [args[1], scalar(float(rows), index_shape)]),
            args[1],
        ],
    )
    shape = index_shape + tuple(rom.shape[1:])
    ids = lw.buffer(wrapped, site.name + "_ids", site.op_name)
    result = lw.add_node(ir.Lookup(lw.fresh(site.name), (rom.name, ids.name), shape, **lw.common(site)))
    k = len(
        index_shape
    )  # the rows come out as (indices..., axes before, axes after); ONNX: (before, indices..., after)
    return transpose(lw, site, result, tuple(range(k, k + axis)) + tuple(range(k)) + tuple(range(k + axis, len(shape))))
