"""Lowering rule for HLO ``gather``: the two forms TensorFlow models produce.

* **Ids at run time into a constant table** (``keras.layers.Embedding``, ``tf.gather(table, ids)``
  with a constant table): rows of the table picked by integer ids: one ``Lookup`` node, a ROM
  read addressed by the id. An id outside ``0 .. rows-1`` reads the nearest row: XLA clamps a
  gather's start index so the slice stays inside the operand (TensorFlow's own CPU kernel would
  raise instead, and Keras's Embedding first wraps negative ids by adding the row count).
* **Constant indices into a run-time tensor** (``tf.gather(x, [2, 0, 1], axis=1)``): data
  movement, free in hardware but for the wiring: each run of consecutive indices is a ``Slice``
  and the runs are joined by a ``Concat`` (a mux per output element where the runs meet).
* **Any other gather with constant start indices** (every resize: ``tf.image.resize``,
  ``UpSampling2D(interpolation="bilinear")``, ``keras.layers.Resizing`` gather a window of the
  image per output pixel): XLA's gather semantics applied at compile time to the positions of
  the operand's elements give, for each output element, the position it copies
  (``gather_positions``). The operand, flattened, is read at those positions: a ``Lookup`` whose
  table is the run-time tensor and whose ids are a constant ROM of positions.

Anything else (ids at run time into a tensor computed at run time, run-time ids of several index
dimensions) is refused with the forms that are supported.
"""

from __future__ import annotations

import numpy as np

from fpgalab.errors import CompileError
from fpgalab.frontend.lowering import Known, positional_read, transpose
from fpgalab.frontend.tf.rules import rule
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


def gather_positions(operand_shape, indices: np.ndarray, dims: dict) -> np.ndarray:
    """XLA's gather, applied to the flat positions of an operand of ``operand_shape``: for each
    output element, the row-major position of the operand element it copies.

    ``dims`` holds the HLO's gather attributes (offset_dims, collapsed_slice_dims, start_index_map,
    index_vector_dim, slice_sizes). The output's batch dimensions (those not in offset_dims) walk
    the start indices; its offset dimensions walk the slice. Each start index is clamped so that the
    slice stays inside the operand, as XLA does."""
    if dims.get("operand_batching_dims"):
        raise CompileError("gathers with operand batching dimensions are not supported")
    rank = len(operand_shape)
    sizes, collapsed, mapped = dims["slice_sizes"], set(dims["collapsed_slice_dims"]), dims["start_index_map"]
    offset_dims = tuple(dims["offset_dims"])
    vector_dim = dims["index_vector_dim"]
    starts = np.asarray(indices, dtype=np.int64)
    starts = starts[..., None] if vector_dim == starts.ndim else np.moveaxis(starts, vector_dim, -1)
    kept = [d for d in range(rank) if d not in collapsed]  # operand dimensions the slice keeps, in order
    out_rank = len(offset_dims) + starts.ndim - 1
    batch_dims = [d for d in range(out_rank) if d not in offset_dims]
    out_shape = [0] * out_rank
    for d, n in zip(batch_dims, starts.shape[:-1]):
        out_shape[d] = n
    for d, k in zip(offset_dims, kept):
        out_shape[d] = sizes[k]
    grid = np.indices(out_shape, dtype=np.int64)
    start_vectors = starts[tuple(grid[d] for d in batch_dims)]  # (*out_shape, index vector)
    coords = []
    for d in range(rank):
        start = np.zeros(out_shape, np.int64)
        if d in mapped:
            start = np.clip(start_vectors[..., mapped.index(d)], 0, operand_shape[d] - sizes[d])
        offset = grid[offset_dims[kept.index(d)]] if d in kept else 0
        coords.append(start + offset)
    return np.ravel_multi_index(coords, operand_shape)


def _one_axis(ins, operand_shape, index_shape) -> int | None:
    """The axis of a tf.gather-form gather (see ``_axis``), or None for any other form."""
    try:
        return _axis(ins, len(operand_shape), len(index_shape))
    except CompileError:
        return None


@rule("gather")
def _gather(lw, ins, args):
    operand, indices = args
    table = lw.known(operand)
    ids = lw.known(indices)
    operand_shape = table.array.shape if table is not None else tuple(lw.buffer(operand, ins.name + "_src").shape)
    index_shape = ids.array.shape if ids is not None else tuple(lw.buffer(indices, ins.name + "_ids").shape)
    ins = _with_operand_shape(ins, operand_shape)
    if ids is not None:
        positions = gather_positions(operand_shape, ids.array, ins.attrs["gather"])
        if table is not None:
            return Known(np.ascontiguousarray(table.array.reshape(-1)[positions]), ins.name)
        axis = _one_axis(ins, operand_shape, index_shape)
        if axis is not None and ids.array.ndim == 1:
            return _constant_gather(lw, ins, operand, ids.array, axis)
        return positional_read(lw, ins, operand, positions)
    axis = _axis(ins, len(operand_shape), len(index_shape))
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
