"""ONNX ops that rearrange or repeat a tensor: Expand, Tile, DepthToSpace, SpaceToDepth, GatherElements,
GatherND (constant indices), and Cast of a run-time tensor.

Each becomes data movement the IR already has: Expand a broadcast (an index map, ``rules.broadcast``);
DepthToSpace and SpaceToDepth a reshape, a transpose and a reshape; Tile and the constant-index gathers
a read of the tensor at positions known at compile time (``frontend.lowering.positional_read``, an
``ir.Lookup`` into the flattened tensor, as resizes lower). Cast to an integer type truncates toward
zero (onnxruntime's conversion), to bool compares with zero.
"""

from __future__ import annotations

import numpy as np

from fpgalab.errors import CompileError
from fpgalab.frontend.lowering import Known, reshape
from fpgalab.frontend.onnx.rules import axis_of, broadcast, known_input, rule, scalar, shape_of, transpose, unary
from fpgalab.frontend.onnx.slices import positions_of, read_positions
from fpgalab.frontend.tf.rules import elementwise
from fpgalab.ir import nodes as ir
from fpgalab.ir.types import BOOL

FLOAT_TYPES = (1, 10, 11, 16)  # float, float16, double, bfloat16
INTEGER_TYPES = (2, 3, 4, 5, 6, 7, 12, 13)  # (u)int8/16/32/64
BOOL_TYPE = 9


@rule("Expand")
def _expand(lw, site, args):
    target = [int(n) for n in known_input(lw, site, args, 1, "shape").reshape(-1)]
    shape = tuple(int(n) for n in np.broadcast_shapes(shape_of(args[0]), tuple(target)))
    own = shape_of(args[0])
    if len(own) < len(shape):
        value = reshape(lw, args[0], (1,) * (len(shape) - len(own)) + own, site)
        return broadcast(lw, site, value, shape)
    return broadcast(lw, site, args[0], shape)


@rule("Tile")
def _tile(lw, site, args):
    own = shape_of(args[0])
    repeats = [int(n) for n in known_input(lw, site, args, 1, "repeats").reshape(-1)]
    if len(repeats) != len(own) or any(r < 0 for r in repeats):
        raise CompileError(f"{site.where()}: repeats {repeats} must be {len(own)} numbers >= 0 (one per axis)")
    return read_positions(lw, site, args[0], np.tile(positions_of(own), repeats))


def _block_size(site) -> int:
    size = int(site.attr("blocksize", 0))
    if size < 1:
        raise CompileError(f"{site.where()}: blocksize={size}; it must be >= 1")
    return size


@rule("DepthToSpace")
def _depth_to_space(lw, site, args):
    n, c, h, w = shape_of(args[0])
    b = _block_size(site)
    mode = site.attr("mode", "DCR")
    if c % (b * b):
        raise CompileError(f"{site.where()}: {c} channels are not a multiple of blocksize^2 = {b * b}")
    if mode == "DCR":
        split, perm = (n, b, b, c // (b * b), h, w), (0, 3, 4, 1, 5, 2)
    elif mode == "CRD":
        split, perm = (n, c // (b * b), b, b, h, w), (0, 1, 4, 2, 5, 3)
    else:
        raise CompileError(f"{site.where()}: mode={mode!r} is not supported; supported: 'DCR', 'CRD'")
    moved = transpose(lw, site, reshape(lw, args[0], split, site), perm)
    return reshape(lw, moved, (n, c // (b * b), h * b, w * b), site)


@rule("SpaceToDepth")
def _space_to_depth(lw, site, args):
    n, c, h, w = shape_of(args[0])
    b = _block_size(site)
    if h % b or w % b:
        raise CompileError(f"{site.where()}: height {h} and width {w} must be multiples of blocksize {b}")
    split = reshape(lw, args[0], (n, c, h // b, b, w // b, b), site)
    return reshape(lw, transpose(lw, site, split, (0, 3, 5, 1, 2, 4)), (n, c * b * b, h // b, w // b), site)


@rule("GatherElements")
def _gather_elements(lw, site, args):
    own = shape_of(args[0])
    indices = known_input(lw, site, args, 1, "indices").astype(np.int64)
    axis = axis_of(site, int(site.attr("axis", 0)), len(own))
    indices = np.where(indices < 0, indices + own[axis], indices)
    if np.any(indices < 0) or np.any(indices >= own[axis]):
        raise CompileError(f"{site.where()}: indices out of range for axis {axis} of size {own[axis]}")
    if indices.ndim != len(own) or any(m > n for k, (m, n) in enumerate(zip(indices.shape, own)) if k != axis):
        raise CompileError(
            f"{site.where()}: indices {indices.shape} must have the rank of the data {own} and no larger"
        )
    reach = tuple(slice(None) if k == axis else slice(0, m) for k, m in enumerate(indices.shape))
    return read_positions(lw, site, args[0], np.take_along_axis(positions_of(own)[reach], indices, axis))


@rule("GatherND")
def _gather_nd(lw, site, args):
    own = shape_of(args[0])
    indices = known_input(lw, site, args, 1, "indices").astype(np.int64)
    batch = int(site.attr("batch_dims", 0))
    if batch:
        raise CompileError(f"{site.where()}: batch_dims={batch} is not supported; supported: 0")
    depth = indices.shape[-1]
    sizes = np.asarray(own[:depth])
    indices = np.where(indices < 0, indices + sizes, indices)
    if np.any(indices < 0) or np.any(indices >= sizes):
        raise CompileError(f"{site.where()}: indices out of range for the data's leading dimensions {own[:depth]}")
    positions = positions_of(own)[tuple(np.moveaxis(indices, -1, 0))]
    return read_positions(lw, site, args[0], positions)


@rule("Cast")
def _cast(lw, site, args):
    to = int(site.attr("to", 1))
    known = lw.known(args[0])
    if known is not None:
        return Known(_cast_array(site, known.array, to))
    if to in FLOAT_TYPES:  # float to float: the design's precision decides
        return args[0]
    x = ir.Arg(0)
    if to in INTEGER_TYPES:  # toward zero
        negative = ir.Op("cmp_lt", (x, ir.Const(0.0)), BOOL)
        return unary(lw, site, args[0], ir.Op("select", (negative, ir.Op("ceil", (x,)), ir.Op("floor", (x,)))))
    if to == BOOL_TYPE:
        shape = shape_of(args[0])
        return elementwise(lw, site.at(shape, "pred"), "cmp_ne", [args[0], scalar(0.0, shape)])
    raise CompileError(
        f"{site.where()}: casts to ONNX type {to}; supported: floating point {FLOAT_TYPES}, integers "
        f"{INTEGER_TYPES} (truncating) and bool ({BOOL_TYPE})"
    )


_NUMPY_TYPES = {1: np.float32, 2: np.uint8, 3: np.int8, 4: np.uint16, 5: np.int16, 6: np.int32, 7: np.int64}
_NUMPY_TYPES.update({9: np.bool_, 10: np.float16, 11: np.float64, 12: np.uint32, 13: np.uint64})


def _cast_array(site, array, to: int) -> np.ndarray:
    if to not in _NUMPY_TYPES:
        raise CompileError(f"{site.where()}: cast to ONNX type {to} is not supported; to: {sorted(_NUMPY_TYPES)}")
    return array.astype(_NUMPY_TYPES[to]).astype(np.float32)
