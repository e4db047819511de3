"""Which buffer elements a layer reads and writes in one loop iteration, and how they fall on banks.

A row per node class (``ACCESSES``) gives the node's accesses as index functions of its loop
variables (the loops of ``fpgalab.ir.loops.loop_nest``, by name). The schedule enumerates the
unrolled copies of one iteration (every unrolled loop takes ``base + 0 .. unroll-1``, the others
their base value), maps each element to its bank under the buffer's partitioning and counts the
distinct elements of the busiest bank: with ``ports`` ports a bank serves that many in
``ceil(count / ports)`` cycles, which bounds the II (Vitis HLS reports the same limit as
"II violation due to limited memory ports", UG1399 "Array Partitioning").

Elements outside the buffer (the padding of a convolution or a pad node) are not read: the
hardware predicates them to the pad value.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from fpgalab.ir import nodes as ir

MAX_ENUMERATED_COPIES = 1 << 16  # beyond this, conflicts are estimated as an even spread over banks


@dataclass(frozen=True)
class Access:
    """``buffer`` (as the node names it) read or written at ``index(env)``: one int array per dimension."""

    buffer: str
    mode: str  # read | write
    index: Callable[[dict], tuple]


def _out_index(node) -> Callable:
    rank = len(node.shape)
    return lambda env: tuple(env[f"i{d}"] for d in range(rank))


def _elementwise(node: ir.Elementwise, shapes) -> list[Access]:
    accesses = []
    for name, dims in zip(node.inputs, node.in_dims):
        source = shapes[name]

        def index(env, dims=dims, source=source):
            return tuple(env[f"i{d}"] if size > 1 else 0 * env[f"i{d}"] for d, size in zip(dims, source))

        accesses.append(Access(name, "read", index))
    return accesses


def _out_index_named(names) -> Callable:
    return lambda env: tuple(env[n] for n in names)


def _dot(node: ir.Dot, shapes) -> list[Access]:
    lhs, rhs = shapes[node.inputs[0]], shapes[node.inputs[1]]
    nb = len(node.lhs_batch)
    lhs_free = [d for d in range(len(lhs)) if d not in node.lhs_batch and d not in node.lhs_contract]
    rhs_free = [d for d in range(len(rhs)) if d not in node.rhs_batch and d not in node.rhs_contract]
    sizes = tuple(lhs[d] for d in node.lhs_contract)

    def operand(shape, batch, free, contract, free_offset):
        def index(env):
            parts = np.unravel_index(env["k"], sizes) if sizes else ()
            idx = [None] * len(shape)
            for j, d in enumerate(batch):
                idx[d] = env[f"i{j}"]
            for j, d in enumerate(free):
                idx[d] = env[f"i{free_offset + j}"]
            for j, d in enumerate(contract):
                idx[d] = parts[j]
            return tuple(idx)

        return index

    accesses = [
        Access(node.inputs[0], "read", operand(lhs, node.lhs_batch, lhs_free, node.lhs_contract, nb)),
        Access(node.inputs[1], "read", operand(rhs, node.rhs_batch, rhs_free, node.rhs_contract, nb + len(lhs_free))),
    ]
    if len(node.inputs) > 2:
        accesses.append(Access(node.inputs[2], "read", lambda env: tuple(env[f"i{d}"] for d in node.bias_dims)))
    return accesses


def _conv(node: ir.Conv, shapes) -> list[Access]:
    kernel = shapes[node.inputs[1]]
    spatial = len(node.strides)
    channels_per_group = kernel[spatial]
    filters_per_group = node.shape[-1] // node.groups

    def image(env):
        idx = [env["n"]]
        for d in range(spatial):
            idx.append(env[f"o{d}"] * node.strides[d] + env[f"k{d}"] * node.dilation[d] - node.padding[d][0])
        idx.append((env["f"] // filters_per_group) * channels_per_group + env["c"])
        return tuple(idx)

    def weights(env):
        return tuple(env[f"k{d}"] for d in range(spatial)) + (env["c"], env["f"])

    accesses = [Access(node.inputs[0], "read", image), Access(node.inputs[1], "read", weights)]
    if len(node.inputs) > 2:
        accesses.append(Access(node.inputs[2], "read", lambda env: (env["f"],)))
    return accesses


def _pool(node: ir.Pool, shapes) -> list[Access]:
    def index(env):
        idx = []
        for d, (window, stride, (low, _)) in enumerate(zip(node.window, node.strides, node.padding)):
            offset = env[f"w{d}"] if window > 1 else 0
            idx.append(env[f"i{d}"] * stride + offset - low)
        return tuple(idx)

    return [Access(node.inputs[0], "read", index)]


def _reduce(node: ir.Reduce, shapes) -> list[Access]:
    source = shapes[node.inputs[0]]
    kept = [d for d in range(len(source)) if d not in node.dims]

    def index(env):
        return tuple(env[f"r{d}"] if d in node.dims else env[f"i{kept.index(d)}"] for d in range(len(source)))

    return [Access(node.inputs[0], "read", index)]


def _transpose(node: ir.Transpose, shapes) -> list[Access]:
    inverse = [node.perm.index(d) for d in range(len(node.perm))]
    return [Access(node.inputs[0], "read", lambda env: tuple(env[f"i{inverse[d]}"] for d in range(len(inverse))))]


def _broadcast(node: ir.Broadcast, shapes) -> list[Access]:
    source = shapes[node.inputs[0]]
    return [
        Access(
            node.inputs[0],
            "read",
            lambda env: tuple(env[f"i{d}"] if size > 1 else 0 * env[f"i{d}"] for d, size in zip(node.dims, source)),
        )
    ]


def _slice(node: ir.Slice, shapes) -> list[Access]:
    return [
        Access(
            node.inputs[0],
            "read",
            lambda env: tuple(
                start + env[f"i{d}"] * stride for d, (start, stride) in enumerate(zip(node.starts, node.strides))
            ),
        )
    ]


def _pad(node: ir.Pad, shapes) -> list[Access]:
    return [Access(node.inputs[0], "read", lambda env: tuple(env[f"i{d}"] - low for d, low in enumerate(node.low)))]


def _concat(node: ir.Concat, shapes) -> list[Access]:
    accesses, offset = [], 0
    for name in node.inputs:

        def index(env, offset=offset):
            return tuple(env[f"i{d}"] - (offset if d == node.axis else 0) for d in range(len(node.shape)))

        accesses.append(Access(name, "read", index))
        offset += shapes[name][node.axis]
    return accesses


def _lookup(node: ir.Lookup, shapes) -> list[Access]:
    """The id at the output's leading index, then a table row chosen by it. The row is unknown
    before the design runs: each id position is counted as a row of its own (rows spread over the
    row dimension's banks as distinct ids would), and the columns at the output's trailing index."""
    table, ids = shapes[node.inputs[0]], shapes[node.inputs[1]]
    rank = len(ids)

    def id_index(env):
        return tuple(env[f"i{d}"] if size > 1 else 0 * env[f"i{d}"] for d, size in enumerate(ids))

    def table_index(env):
        position = 0
        for d, size in enumerate(ids):
            position = position * size + env[f"i{d}"]
        columns = tuple(env[f"i{rank + d}"] for d in range(len(table) - 1))
        return (position % table[0],) + columns

    return [Access(node.inputs[1], "read", id_index), Access(node.inputs[0], "read", table_index)]


def _reverse(node: ir.Reverse, shapes) -> list[Access]:
    def index(env):
        return tuple(n - 1 - env[f"i{d}"] if d in node.dims else env[f"i{d}"] for d, n in enumerate(node.shape))

    return [Access(node.inputs[0], "read", index)]


def _reshape(node, shapes) -> list[Access]:
    return []  # an alias of its input: readers read the input itself (see ``resolve_alias``)


def _slab(shape, axis: int, offset: int) -> Callable:
    """Every element of ``shape`` with index t + ``offset`` along ``axis`` (all of it when axis < 0)."""

    def index(env):
        t = np.asarray(env["t"]).reshape(-1, 1)
        size = list(shape)
        if axis >= 0:
            size[axis] = 1
        grid = [g.reshape(1, -1) for g in np.indices(size)]
        full = (t.shape[0], grid[0].shape[1] if grid else 1)
        return tuple(
            np.broadcast_to((t + offset) if d == axis else grid[d], full).reshape(-1) for d in range(len(shape))
        )

    return index


def _loop(node: ir.Loop, shapes) -> list[Access]:
    """One step reads the start values and whole inputs, the slice t of each sequence, and writes
    slice t of the stacked output (or, for a final state, the whole output)."""
    reads = [
        Access(name, "read", _slab(shapes[name], axis, offset))
        for name, axis, offset in zip(
            node.inputs, (-1,) * node.carried + node.step_axes, (0,) * node.carried + node.step_offsets
        )
    ]
    return reads + [Access(node.name, "write", _slab(node.shape, node.stack_axis, 0))]


ACCESSES = {
    ir.Elementwise: _elementwise,
    ir.Dot: _dot,
    ir.Conv: _conv,
    ir.Pool: _pool,
    ir.Reduce: _reduce,
    ir.Transpose: _transpose,
    ir.Broadcast: _broadcast,
    ir.Slice: _slice,
    ir.Pad: _pad,
    ir.Concat: _concat,
    ir.Lookup: _lookup,
    ir.Reverse: _reverse,
    ir.Reshape: _reshape,
    ir.Loop: _loop,
}


def node_accesses(node: ir.Node, shapes: dict) -> list[Access]:
    """Reads of ``node`` then its write of the output at the output index."""
    reads = ACCESSES[type(node)](node, shapes)
    if isinstance(node, (ir.Reshape, ir.Loop)):
        return reads
    if isinstance(node, ir.Conv):
        write = _out_index_named(["n"] + [f"o{d}" for d in range(len(node.strides))] + ["f"])
    else:
        write = _out_index(node)
    return reads + [Access(node.name, "write", write)]


def resolve_alias(name: str, index: tuple, aliases: dict, shapes: dict) -> tuple[str, tuple]:
    """Follow reshapes to the buffer that holds the data: the flat row-major index is the same."""
    while name in aliases:
        source = aliases[name]
        flat = np.ravel_multi_index(tuple(np.clip(i, 0, s - 1) for i, s in zip(index, shapes[name])), shapes[name])
        index, name = np.unravel_index(flat, shapes[source]), source
    return name, index


# ---- enumeration of one iteration and bank conflicts ---------------------------------------------------


def iteration_env(nest_names: list[str], unroll: dict[str, int], base: dict[str, int]) -> tuple[dict, int]:
    """Loop values of every unrolled copy of one iteration: flat arrays of equal length."""
    factors = [unroll.get(name, 1) for name in nest_names]
    copies = math.prod(factors)
    grids = np.indices(factors).reshape(len(factors), -1) if factors else np.zeros((0, 1), dtype=np.int64)
    env = {name: base.get(name, 0) + grids[k] for k, name in enumerate(nest_names)}
    return env, copies


def corner_env(nest_names: list[str], unroll: dict[str, int], base: dict[str, int]) -> dict:
    """Like ``iteration_env`` but every unrolled loop takes only its first and last value."""
    values = [(0, unroll[name] - 1) if unroll.get(name, 1) > 1 else (0,) for name in nest_names]
    grids = list(itertools.product(*values)) or [()]
    return {
        name: base.get(name, 0) + np.array([g[k] for g in grids], dtype=np.int64) for k, name in enumerate(nest_names)
    }


def bank_of(index: tuple, shape: tuple, partition: tuple) -> np.ndarray:
    """Linear bank number of each element under per-dimension partitioning."""
    bank = np.zeros(np.shape(index[0]) if index else (1,), dtype=np.int64)
    for d, size in enumerate(shape):
        spec = partition[d] if d < len(partition) else ir.PartitionSpec()
        if spec.kind == "cyclic":
            banks, which = spec.factor, index[d] % spec.factor
        elif spec.kind == "block":
            banks, which = spec.factor, index[d] // math.ceil(size / spec.factor)
        elif spec.kind == "complete":
            banks, which = size, index[d]
        else:
            continue
        bank = bank * banks + which
    return bank


def word_of(index: tuple, shape: tuple, partition: tuple) -> np.ndarray:
    """Address of each element inside its bank: the word of a reshaped buffer (``ARRAY_RESHAPE``)
    that holds it next to the elements at the same address of the other banks."""
    word = np.zeros(np.shape(index[0]) if index else (1,), dtype=np.int64)
    for d, size in enumerate(shape):
        spec = partition[d] if d < len(partition) else ir.PartitionSpec()
        if spec.kind == "cyclic":
            depth, at = math.ceil(size / spec.factor), index[d] // spec.factor
        elif spec.kind == "block":
            depth = math.ceil(size / spec.factor)
            at = index[d] % depth
        elif spec.kind == "complete":
            continue
        else:
            depth, at = size, index[d]
        word = word * depth + at
    return word


def banks_of(shape: tuple, partition: tuple) -> int:
    total = 1
    for d, size in enumerate(shape):
        spec = partition[d] if d < len(partition) else ir.PartitionSpec()
        total *= size if spec.kind == "complete" else min(spec.factor, size) if spec.kind in ("cyclic", "block") else 1
    return total


def busiest_bank(indices: list[tuple], shape: tuple, partition: tuple, reshape: bool = False) -> tuple[int, int]:
    """(distinct elements, distinct elements in the busiest bank) among ``indices`` (tuples of index arrays).

    Elements outside the buffer (padding) are not accesses. ``reshape``: the banks are the lanes
    of one memory's words, so the second count is the distinct words (``word_of``) the elements fill.
    """
    if not shape:
        return 1, 1
    columns = np.concatenate(
        [
            np.stack(np.broadcast_arrays(*(np.asarray(i, dtype=np.int64) for i in ix))).reshape(len(shape), -1)
            for ix in indices
        ],
        axis=1,
    )
    sizes = np.asarray(shape, dtype=np.int64)[:, None]
    columns = columns[:, ((columns >= 0) & (columns < sizes)).all(axis=0)]
    if columns.shape[1] == 0:
        return 0, 0
    address = np.ravel_multi_index(tuple(columns), shape)
    if reshape:
        return int(np.unique(address).size), int(np.unique(word_of(tuple(columns), shape, partition)).size)
    size = math.prod(shape)
    bank = bank_of(tuple(columns), shape, partition)
    if columns.shape[1] <= 64:  # small: plain Python is faster than numpy's unique
        pairs = set(zip(bank.tolist(), address.tolist()))
        per_bank: dict = {}
        for b, _ in pairs:
            per_bank[b] = per_bank.get(b, 0) + 1
        return len(pairs), max(per_bank.values())
    keys = np.unique(bank * size + address)
    return int(keys.size), int(np.unique(keys // size, return_counts=True)[1].max())


def spread_estimate(copies: int, shape: tuple, partition: tuple) -> tuple[int, int]:
    """Too many copies to enumerate: assume distinct elements spread evenly over the banks."""
    distinct = min(copies, math.prod(shape))
    return distinct, math.ceil(distinct / banks_of(shape, partition))
