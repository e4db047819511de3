"""A gather with constant start indices is data movement: its index map, computed at compile time
by ``gather_positions``, agrees with a plain element-by-element reading of XLA's gather semantics
on several gather forms; the Lookup of a run-time tensor at constant positions simulates, types
and costs as the data movement it is (no TensorFlow here)."""

from __future__ import annotations

import numpy as np
import pytest

from fpgalab.design import build_design
from fpgalab.frontend.tf.gather import gather_positions
from fpgalab.ir import nodes as ir
from fpgalab.ir.types import FixedType, integer_type
from fpgalab.options import parse_options
from fpgalab.sim.functional import run_kernel


def hlo_gather(operand, indices, offset_dims, collapsed, start_index_map, index_vector_dim, slice_sizes):
    """XLA's gather, one output element at a time, as the operation semantics describe it."""
    if index_vector_dim == indices.ndim:
        indices = indices[..., None]
    batch_shape = [n for d, n in enumerate(indices.shape) if d != index_vector_dim]
    offset_sizes = [slice_sizes[d] for d in range(operand.ndim) if d not in collapsed]
    out_rank = len(offset_dims) + len(batch_shape)
    batch_dims = [d for d in range(out_rank) if d not in offset_dims]
    out_shape = [0] * out_rank
    for d, n in zip(batch_dims, batch_shape):
        out_shape[d] = n
    for d, n in zip(offset_dims, offset_sizes):
        out_shape[d] = n
    out = np.empty(out_shape, operand.dtype)
    for out_index in np.ndindex(*out_shape):
        where = [out_index[d] for d in batch_dims]
        where.insert(index_vector_dim, slice(None))
        vector = indices[tuple(where)]
        start = [0] * operand.ndim
        for k, d in enumerate(start_index_map):
            start[d] = min(max(int(vector[k]), 0), operand.shape[d] - slice_sizes[d])
        offsets = iter(out_index[d] for d in offset_dims)
        full = [0 if d in collapsed else next(offsets) for d in range(operand.ndim)]
        out[out_index] = operand[tuple(s + o for s, o in zip(start, full))]
    return out


RNG = np.random.default_rng(3)
CONFIGS = {
    # a resize: a 3x3 window per output pixel (start indices past the edges are clamped)
    "window": ((1, 4, 5, 2), RNG.integers(-2, 6, (8, 10, 2)), (0, 1, 2, 3), (), (1, 2), 2, (1, 3, 3, 2)),
    # tf.gather(x, ids, axis=1): scalar indices, the index vector dimension implicit
    "one_axis": ((3, 6, 2), np.array([4, 0, 5, 9, -1]), (0, 2), (1,), (1,), 1, (3, 1, 2)),
    # tf.gather_nd: two collapsed dimensions picked by index pairs
    "gather_nd": ((4, 5, 3), RNG.integers(0, 5, (2, 3, 2)), (2,), (0, 1), (0, 1), 2, (1, 1, 3)),
    # the index vector first, the start index map reversed, blocks kept whole
    "vector_first": ((5, 6), RNG.integers(0, 6, (2, 4)), (1, 2), (), (1, 0), 0, (2, 3)),
    # a batch dimension between two offset dimensions
    "interleaved": ((4, 6, 3), RNG.integers(0, 6, (5, 1)), (0, 2), (1,), (1,), 1, (2, 1, 3)),
}


@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_positions_follow_xla_gather_semantics(name):
    shape, indices, offset_dims, collapsed, mapped, vector_dim, sizes = CONFIGS[name]
    operand = np.arange(int(np.prod(shape))).reshape(shape)
    dims = {
        "offset_dims": offset_dims,
        "collapsed_slice_dims": collapsed,
        "start_index_map": mapped,
        "index_vector_dim": vector_dim,
        "slice_sizes": sizes,
        "operand_batching_dims": (),
    }
    got = gather_positions(shape, indices, dims)
    np.testing.assert_array_equal(got, hlo_gather(operand, indices, offset_dims, collapsed, mapped, vector_dim, sizes))
    values = RNG.uniform(-1, 1, shape)  # the same map moves any tensor's elements
    np.testing.assert_array_equal(
        values.reshape(-1)[got], hlo_gather(values, indices, offset_dims, collapsed, mapped, vector_dim, sizes)
    )


POSITIONS = np.array([[[5, 0, 3], [3, 3, 1]]], np.float32)  # (1, 2, 3): one sample


def _moved() -> ir.Kernel:
    x = ir.Input("x", (1, 2, 3))
    flat = ir.Reshape("flat", ("x",), (6,))
    positions = ir.Constant("positions", POSITIONS.shape, POSITIONS)
    node = ir.Lookup("moved", ("flat", "positions"), POSITIONS.shape)
    return ir.Kernel("moved", (x,), (positions,), (flat, node), ("moved",))


def test_each_sample_reads_its_own_tensor_at_the_constant_positions():
    x = np.arange(12, dtype=np.float32).reshape(2, 1, 2, 3)  # two samples
    out = run_kernel(_moved(), [x])["moved"].array
    np.testing.assert_array_equal(out, x.reshape(2, 6)[:, POSITIONS.astype(int)])


def test_fixed_point_positions_are_unsigned_integers_and_no_clamp_is_built():
    design = build_design("moved", _moved(), parse_options(precision="ap_fixed<10,4>"), [(1, 2, 3)])
    assert design.kernel.buffers()["positions"].dtype == integer_type(3, False)  # positions 0..5
    assert design.kernel.node("moved").dtype == FixedType(10, 4)
    x = np.array([[[0.5, -1.25, 2.0], [3.0, -0.75, 1.5]]], np.float32)
    np.testing.assert_array_equal(design.simulate(x), x.reshape(-1)[POSITIONS.astype(int)])
    layer = design.schedule.layer("moved")
    assert all(op.kind != "minmax" for op in layer.operators)  # positions are inside by construction


def test_a_tensor_in_registers_is_read_through_a_multiplexer():
    options = parse_options(precision="ap_fixed<10,4>", partition={"x": "complete"})
    design = build_design("moved", _moved(), options, [(1, 2, 3)])
    muxes = [op for op in design.schedule.layer("moved").operators if op.kind == "mux"]
    assert muxes and len(muxes[0].widths) == design.schedule.buffer("x").banks > 1
