"""Bit-accurate functional simulator: runs a kernel on a batch of samples with NumPy.

Every buffer is held with a leading *sample* axis (one invocation of the accelerator per
sample), so a batch of 10,000 inputs is one pass over the nodes. Values are ``SimValue``s:
float32 arrays for float types, int64 mantissas for ``ap_fixed`` types (exact, see
``fpgalab.sim.fixed``) and bool arrays for predicates. Each node class has one row in
``fpgalab.sim.rows.ROWS``; this module holds the value type, the conversions and the driver.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..ir import nodes as ir
from ..ir.types import BOOL, FLOAT32, BoolType, FixedType, FloatType, NumType
from . import fixed, tables


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


def broadcast_in_dims(array: np.ndarray, dims: tuple[int, ...], shape: tuple[int, ...],
                      sample_axis: bool = False) -> np.ndarray:
    """Broadcast ``array`` to ``shape`` mapping its dimension i to output dimension dims[i] (HLO broadcast).

    With ``sample_axis`` the arrays carry a leading sample axis that is kept as it is.
    """
    lead = 1 if sample_axis else 0
    order = sorted(range(len(dims)), key=lambda i: dims[i])
    moved = np.transpose(array, tuple(range(lead)) + tuple(lead + i for i in order))
    sorted_dims = [dims[i] for i in order]
    view_shape = list(array.shape[:lead]) + [moved.shape[lead + sorted_dims.index(d)] if d in sorted_dims else 1
                                             for d in range(len(shape))]
    expanded = moved.reshape(view_shape)
    return np.broadcast_to(expanded, tuple(expanded.shape[:lead]) + tuple(shape))


# ---- driver --------------------------------------------------------------------------------------

def evaluate_float(node: ir.Node, arrays: list[np.ndarray]) -> np.ndarray:
    """Run one float32 node on float32 arrays that carry a sample axis (constant folding uses this)."""
    from .rows import ROWS  # noqa: PLC0415

    values = [SimValue(np.asarray(a, dtype=np.float32), FLOAT32) for a in arrays]
    return ROWS[type(node)](node, values, SimContext()).array


def input_value(spec: ir.Input, array: np.ndarray) -> SimValue:
    return convert(SimValue(np.asarray(array, dtype=np.float32), FLOAT32), spec.dtype)


def constant_buffer(const: ir.Constant) -> SimValue:
    return convert(SimValue(np.asarray(const.value, dtype=np.float32)[None], FLOAT32), const.dtype)


CHUNK_ELEMENTS = 1 << 23  # samples per pass are chosen so the widest working array stays near this size


def samples_per_chunk(kernel: ir.Kernel) -> int:
    """How many samples to simulate at once: large batches in chunks keep arrays in cache-sized pieces."""
    from .rows import working_elements  # noqa: PLC0415

    widest = max([working_elements(n, kernel) for n in kernel.nodes] + [1])
    return max(1, CHUNK_ELEMENTS // widest)


def run_kernel(kernel: ir.Kernel, inputs: list[np.ndarray], context: SimContext | None = None,
               keep: bool = False) -> dict[str, SimValue]:
    """Simulate ``kernel`` on ``inputs`` (each with a leading sample axis).

    Returns the outputs by name, or every buffer when ``keep`` is True (per-layer error uses it).
    A large batch runs in chunks of samples; results are joined along the sample axis.
    """
    samples = max(a.shape[0] for a in inputs) if inputs else 1
    chunk = samples_per_chunk(kernel)
    if samples <= chunk:
        return _run_chunk(kernel, inputs, context, keep)
    parts = []
    for start in range(0, samples, chunk):
        pieces = [a[start:start + chunk] if a.shape[0] == samples else a for a in inputs]
        parts.append((min(chunk, samples - start), _run_chunk(kernel, pieces, context, keep)))
    constants = {c.name for c in kernel.constants}
    joined = {}
    for name, first in parts[0][1].items():
        if name in constants:
            joined[name] = first  # the same for every sample: kept with its sample axis of 1
            continue
        arrays = [np.broadcast_to(part[name].array, (count,) + part[name].array.shape[1:]) for count, part in parts]
        joined[name] = SimValue(np.concatenate(arrays), first.dtype)
    return joined


def _run_chunk(kernel: ir.Kernel, inputs: list[np.ndarray], context: SimContext | None,
               keep: bool) -> dict[str, SimValue]:
    from .rows import ROWS  # noqa: PLC0415

    context = context or SimContext()
    values: dict[str, SimValue] = {}
    for spec, array in zip(kernel.inputs, inputs):
        values[spec.name] = input_value(spec, array)
    constants = {c.name: c for c in kernel.constants}
    last_use: dict[str, int] = {}
    for position, node in enumerate(kernel.nodes):
        for name in node.inputs:
            last_use[name] = position
    for position, node in enumerate(kernel.nodes):
        operands = []
        for name in node.inputs:
            if name not in values:
                values[name] = constant_buffer(constants[name])
            operands.append(values[name])
        row = ROWS.get(type(node))
        if row is None:
            raise NotImplementedError(f"the simulator has no row for {type(node).__name__}")
        values[node.name] = row(node, operands, context)
        if not keep:
            for name in set(node.inputs):
                if last_use.get(name) == position and name not in kernel.outputs:
                    values.pop(name, None)
    for name in kernel.outputs:
        if name not in values:
            values[name] = constant_buffer(constants[name])
    if keep:
        return values
    return {name: values[name] for name in kernel.outputs}
