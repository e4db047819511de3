"""Lowering rule for HLO ``gather``: the two forms TensorFlow models produce.

* **Ids at run time into a constant table** (``keras.layers.Embedding``, ``tf.gather(table, ids)``
  with a constant table): rows of the table picked by integer ids: one ``Lookup`` node, a ROM
  read addressed by the id. An id outside ``0 .. rows-1`` reads the nearest row: XLA clamps a
  gather's start index so the slice stays inside the operand (TensorFlow's own CPU kernel would
  raise instead, and Keras's Embedding first wraps negative ids by adding the row count).
* **Constant indices into a run-time tensor** (``tf.gather(x, [2, 0, 1], axis=1)``): data
  movement, free in hardware but for the wiring: each run of consecutive indices is a ``Slice``
  and the runs are joined by a ``Concat`` (a mux per output element where the runs meet).

Anything else (ids at run time into a tensor computed at run time, gathers of several index
dimensions) is refused with the forms that are supported.
"""

from __future__ import annotations

import numpy as np

from fpgalab.errors import CompileError
from fpgalab.frontend.lowering import Known
from fpgalab.frontend.tf.rules import rule, transpose
from fpgalab.ir import nodes as ir


def _where(ins) -> str:
    return f"'{ins.opcode}' ({ins.op_name or ins.name})"


def _axis(ins, operand_rank: int, index_rank: int) -> int:
    """The operand axis of a one-axis gather (tf.gather's ``axis``, batch_dims=0), or a CompileError."""
    g = ins.attrs["gather"]
    mapped = g["start_index_map"]
    if (
        len(mapped) != 1
        or tuple(g["collapsed_slice_dims"]) != tuple(mapped)
        or g["operand_batching_dims"]
        or g["index_vector_dim"] != index_rank
    ):
        raise CompileError(
            f"{_where(ins)}: fpgalab takes gathers along one axis with scalar indices (tf.gather(x, "
            "indices, axis=a), keras.layers.Embedding); this gather indexes several dimensions at once"
        )
    axis = mapped[0]
    sizes = list(ins.attrs["gather"]["slice_sizes"])
    expected = [1 if d == axis else n for d, n in enumerate(ins.operand_shape)]
    expected_offsets = tuple(d for d in range(axis)) + tuple(d + index_rank - 1 for d in range(axis + 1, operand_rank))
    if sizes != expected or tuple(g["offset_dims"]) != expected_offsets:
        raise CompileError(f"{_where(ins)}: only whole slices along the other axes are supported (tf.gather's form)")
    return axis


@rule("gather")
def _gather(lw, ins, args):
    operand, indices = args
    table = lw.known(operand)
    ids = lw.known(indices)
    operand_shape = table.array.shape if table is not None else tuple(lw.buffer(operand, ins.name + "_src").shape)
    index_shape = ids.array.shape if ids is not None else tuple(lw.buffer(indices, ins.name + "_ids").shape)
    ins = _with_operand_shape(ins, operand_shape)
    axis = _axis(ins, len(operand_shape), len(index_shape))
    if ids is not None:
        return _constant_gather(lw, ins, operand, ids.array, axis)
    if table is None:
        raise CompileError(
            f"{_where(ins)}: indices computed at run time can only pick rows of a constant table (an "
            "Embedding's weights, a tf.constant); here the gathered tensor is computed at run time too"
        )
    if axis != 0:  # move the picked axis to the front of the (compile-time) table
        table = Known(np.ascontiguousarray(np.moveaxis(table.array, axis, 0)), table.name)
    rom = lw.buffer(table, ins.name + "_table", ins.op_name)
    id_buffer = lw.buffer(indices, ins.name + "_ids", ins.op_name)
    shape = tuple(id_buffer.shape) + tuple(rom.shape[1:])
    result = lw.add_node(ir.Lookup(lw.fresh(ins.name), (rom.name, id_buffer.name), shape, **lw.common(ins)))
    # the rows come out as (ids..., axes before, axes after); tf.gather orders (before, ids..., after)
    k = len(index_shape)
    perm = tuple(range(k, k + axis)) + tuple(range(k)) + tuple(range(k + axis, len(shape)))
    return transpose(lw, result, perm, ins)


class _Shaped:
    """An instruction seen with its operand's shape (the rule needs it to check the slice sizes)."""

    def __init__(self, ins, operand_shape):
        self._ins, self.operand_shape = ins, tuple(operand_shape)

    def __getattr__(self, name):
        return getattr(self._ins, name)


def _with_operand_shape(ins, operand_shape):
    return _Shaped(ins, operand_shape)


def _constant_gather(lw, ins, operand, indices: np.ndarray, axis: int):
    """Constant indices: runs of consecutive indices become slices joined by a concatenation."""
    if indices.ndim != 1:
        raise CompileError(f"{_where(ins)}: constant indices of a run-time tensor must be a list (one dimension)")
    source = lw.buffer(operand, ins.name + "_src", ins.op_name)
    size = source.shape[axis]
    picks = [int(min(max(i, 0), size - 1)) for i in indices.reshape(-1)]  # XLA clamps out-of-range indices
    runs, start = [], 0
    for k in range(1, len(picks) + 1):
        if k == len(picks) or picks[k] != picks[k - 1] + 1:
            runs.append((picks[start], picks[k - 1] + 1))
            start = k
    pieces = []
    for low, high in runs:
        if (low, high) == (0, size):
            pieces.append(source)
            continue
        starts = tuple(low if d == axis else 0 for d in range(len(source.shape)))
        limits = tuple(high if d == axis else n for d, n in enumerate(source.shape))
        shape = tuple(high - low if d == axis else n for d, n in enumerate(source.shape))
        node = ir.Slice(
            lw.fresh(ins.name + "_run"),
            (source.name,),
            shape,
            **lw.common(ins),
            starts=starts,
            limits=limits,
            strides=(1,) * len(shape),
        )
        pieces.append(lw.add_node(node))
    if len(pieces) == 1:
        return pieces[0]
    shape = tuple(len(picks) if d == axis else n for d, n in enumerate(source.shape))
    node = ir.Concat(lw.fresh(ins.name), tuple(p.name for p in pieces), shape, **lw.common(ins), axis=axis)
    return lw.add_node(node)
