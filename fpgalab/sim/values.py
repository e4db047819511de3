"""The simulator's values: a buffer's contents for a batch, and the conversions between types.

Values are ``SimValue``s: float32 arrays for float types, int64 mantissas for ``ap_fixed`` types
(exact, see ``fpgalab.sim.fixed``) and bool arrays for predicates, each with a leading sample axis.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from fpgalab.ir import nodes as ir
from fpgalab.ir.types import BOOL, FLOAT32, BoolType, FixedType, FloatType, NumType
from fpgalab.sim import fixed, tables


@dataclass(frozen=True)
class SimValue:
    """A buffer's contents for a batch: ``array`` has the sample axis first."""

    array: np.ndarray
    dtype: NumType

    @property
    def is_fixed(self) -> bool:
        return isinstance(self.dtype, FixedType)


@dataclass(frozen=True)
class SimContext:
    """What rows need besides their inputs: the non-linear tables of the design."""

    tables: dict = field(default_factory=lambda: dict(tables.DEFAULT_TABLES))
    table_type: NumType = FixedType(18, 8, True, "AP_RND", "AP_SAT")
    tally: object = None  # a fpgalab.sim.overflow.Tally to count overflows in, or None


# ---- conversions ---------------------------------------------------------------------------------


def to_float(value: SimValue) -> np.ndarray:
    """The values as float32 (exact for fixed types of up to 24 significant bits)."""
    if isinstance(value.dtype, FixedType):
        return fixed.to_float(value.array, value.dtype).astype(np.float32)
    if isinstance(value.dtype, BoolType):
        return value.array.astype(np.float32)
    return value.array


def to_exact(value: SimValue) -> np.ndarray:
    """The values as float64: exact for every fixed type fpgalab allows."""
    if isinstance(value.dtype, FixedType):
        return fixed.to_float(value.array, value.dtype)
    return value.array.astype(np.float64)


def convert(value: SimValue, dtype: NumType) -> SimValue:
    """Assign a value to a buffer of type ``dtype``, as an HLS assignment does."""
    if value.dtype == dtype:
        return value
    if isinstance(dtype, FloatType):
        return SimValue(to_float(value), FLOAT32)
    if isinstance(dtype, BoolType):
        return SimValue(to_exact(value) != 0, BOOL)
    if isinstance(value.dtype, FixedType):
        return SimValue(fixed.quantize(value.array, value.dtype.frac, dtype), dtype)
    if isinstance(value.dtype, BoolType):
        return SimValue(fixed.quantize(value.array.astype(np.int64), 0, dtype), dtype)
    return SimValue(fixed.from_float(value.array, dtype), dtype)


def constant_value(value: float, dtype: NumType) -> SimValue:
    """A scalar constant of the given type, shaped to broadcast against a batch."""
    return convert(SimValue(np.array([value], dtype=np.float32), FLOAT32), dtype)


def broadcast_in_dims(
    array: np.ndarray, dims: tuple[int, ...], shape: tuple[int, ...], sample_axis: bool = False
) -> np.ndarray:
    """Broadcast ``array`` to ``shape`` mapping its dimension i to output dimension dims[i] (HLO broadcast).

    With ``sample_axis`` the arrays carry a leading sample axis that is kept as it is.
    """
    lead = 1 if sample_axis else 0
    order = sorted(range(len(dims)), key=lambda i: dims[i])
    moved = np.transpose(array, tuple(range(lead)) + tuple(lead + i for i in order))
    sorted_dims = [dims[i] for i in order]
    view_shape = list(array.shape[:lead]) + [
        moved.shape[lead + sorted_dims.index(d)] if d in sorted_dims else 1 for d in range(len(shape))
    ]
    expanded = moved.reshape(view_shape)
    return np.broadcast_to(expanded, tuple(expanded.shape[:lead]) + tuple(shape))


def input_value(spec: ir.Input, array: np.ndarray) -> SimValue:
    """An input batch in the input's type; integer arrays (token ids) go to a fixed type exactly."""
    array = np.asarray(array)
    if array.dtype.kind in "iu" and isinstance(spec.dtype, FixedType):
        return SimValue(fixed.quantize(array.astype(np.int64), 0, spec.dtype), spec.dtype)
    return convert(SimValue(np.asarray(array, dtype=np.float32), FLOAT32), spec.dtype)


def constant_buffer(const: ir.Constant) -> SimValue:
    return convert(SimValue(np.asarray(const.value, dtype=np.float32)[None], FLOAT32), const.dtype)


def pick_rows(table: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """``table[s, rows[s, ...]]`` per sample s, each row clamped to the table. Either array may have one
    sample shared by all: a constant table read by each sample's ids (an Embedding), or each sample's
    run-time tensor read at constant positions (a resize's gather)."""
    rows = np.clip(rows, 0, table.shape[1] - 1)
    which = np.arange(table.shape[0]).reshape((-1,) + (1,) * (rows.ndim - 1))
    return table[which, rows]
