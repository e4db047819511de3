"""What every front end shares while it lowers a graph to the loop-nest IR.

A front end walks its graph (XLA's HLO, an ONNX graph) and gives each value one of these forms:
``Known`` (a compile-time array: weights and everything computed only from them), ``Buffer`` (a
run-time buffer of the kernel), ``View`` (a buffer or constant broadcast to a larger shape, kept as
an index map rather than copied) or ``Tuple``. ``GraphBuilder`` holds the kernel being built:
fresh names, nodes, ROM constants, and constant folding through the simulator's float32 rows, so
the kernel keeps only the work the hardware does.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np

from fpgalab.errors import CompileError
from fpgalab.ir import nodes as ir
from fpgalab.ir.keys import LAYER_SCOPE
from fpgalab.sim.functional import evaluate_float
from fpgalab.sim.values import broadcast_in_dims


@dataclass(frozen=True)
class Known:
    """A compile-time value (float32 array); ``name`` names its ROM if it becomes one.

    ``dtype`` is the type the model itself gives the values (weights quantized by a QONNX ``Quant``);
    it stays with them through compile-time data movement and becomes the ROM's type."""

    array: np.ndarray
    name: str = ""
    dtype: object = None  # a FixedType holding the values exactly, or ScaledIntegers


@dataclass(frozen=True)
class ScaledIntegers:
    """A ``Known``'s values are integers of ``dtype`` times ``scale`` (an array of the values' shape):
    weights under a QONNX Quant whose scale is not a power of two. A Dot or Conv computes on the
    integers and multiplies its result by the scale when the scale is one per output channel;
    anywhere else the values are used as they are."""

    dtype: object
    scale: np.ndarray = field(compare=False, hash=False)

    def integers(self, values: np.ndarray) -> np.ndarray:
        return np.round(np.asarray(values, np.float64) / self.scale).astype(np.float32)


def moved_type(dtype, move):
    """A ``Known``'s ``dtype`` after its values were moved by ``move`` (its scales move with them)."""
    if isinstance(dtype, ScaledIntegers):
        return ScaledIntegers(dtype.dtype, np.asarray(move(dtype.scale), np.float32))
    return dtype


@dataclass(frozen=True)
class Buffer:
    """A run-time buffer of the kernel."""

    name: str
    shape: tuple[int, ...]


@dataclass(frozen=True)
class View:
    """``source`` broadcast to ``shape``; ``dims`` gives the output dimension of each source dimension."""

    source: object  # Known | Buffer
    dims: tuple[int, ...]
    shape: tuple[int, ...]


@dataclass(frozen=True)
class Tuple:
    items: tuple


def sanitize(name: str) -> str:
    text = re.sub(r"[^0-9A-Za-z_]", "_", name).strip("_") or "v"
    return "v_" + text if text[0].isdigit() else text


_SCOPE_PART = re.compile(rf"^({LAYER_SCOPE}\d+)(?:_\d+)?$")  # TF uniquifies a scope entered twice: _1, _2 ...


def layer_of(op_name: str, layer_names: frozenset[str], scopes: dict | None = None) -> str:
    """The Keras layer (or TF name scope) an HLO op came from, for per-layer options and reports.

    A Keras model is captured with each layer's call inside a name scope of its own (``scopes``:
    scope -> the layer's name as ``model.layers`` has it); the innermost one names the layer, so
    Keras's call-name suffixes (``dense_1`` for a layer named ``dense``) cannot mislead. Without
    scopes (plain TF functions), the op's name scopes are matched against ``layer_names``."""
    parts = [p for p in op_name.split("/") if p]
    if scopes:
        for part in reversed(parts):
            match = _SCOPE_PART.match(part)
            if match and match.group(1) in scopes:
                return scopes[match.group(1)]
    for part in parts:
        if part in layer_names:
            return part
        base = re.sub(r"_\d+$", "", part)
        if base in layer_names:
            return base
    if len(parts) >= 2:
        return "/".join(parts[1:-1]) if len(parts) > 2 and layer_names else "/".join(parts[:-1])
    return parts[0] if parts else ""


class GraphBuilder:
    """The kernel under construction: inputs, constants (ROMs) and nodes, with unique names."""

    def __init__(self, layer_names: frozenset[str], layer_scopes: dict | None = None):
        self.layer_names = layer_names
        self.layer_scopes = dict(layer_scopes or {})
        self.inputs: list[ir.Input] = []
        self.constants: dict[str, ir.Constant] = {}
        self.nodes: list[ir.Node] = []
        self.produced: dict[str, ir.Node] = {}
        self.used_names: set[str] = set()
        self.rom_of: dict[int, tuple] = {}  # id of a known value -> (value, its ROM buffer)

    # -- naming and bookkeeping
    def fresh(self, base: str) -> str:
        name, k = sanitize(base), 1
        while name in self.used_names:
            k += 1
            name = f"{sanitize(base)}_{k}"
        self.used_names.add(name)
        return name

    def add_node(self, node: ir.Node) -> Buffer:
        self.nodes.append(node)
        self.produced[node.name] = node
        return Buffer(node.name, node.shape)

    def constant(self, array: np.ndarray, base: str, op_name: str = "", dtype=None) -> Buffer:
        """A ROM of ``array``; ``dtype``: the type the model gives its values (kept by precision assignment)."""
        name = self.fresh(base)
        value = np.asarray(array, dtype=np.float32)
        given = {} if dtype is None or isinstance(dtype, ScaledIntegers) else {"dtype": dtype, "given_type": True}
        self.constants[name] = ir.Constant(name, value.shape, value, op_name=op_name, **given)
        return Buffer(name, value.shape)

    def buffer(self, value, base: str, op_name: str = "") -> Buffer:
        """Materialise a value as a buffer (constants become ROMs, views become Broadcast nodes)."""
        if isinstance(value, Buffer):
            return value
        if isinstance(value, Known):
            if id(value) not in self.rom_of:
                rom = self.constant(value.array, value.name or base, op_name, value.dtype)
                self.rom_of[id(value)] = (value, rom)
            return self.rom_of[id(value)][1]
        if isinstance(value, View):
            if isinstance(value.source, Known):
                return self.constant(self.known(value).array, base, op_name, value.source.dtype)
            node = ir.Broadcast(
                self.fresh(base),
                (value.source.name,),
                value.shape,
                dims=value.dims,
                op_name=op_name,
                layer=layer_of(op_name, self.layer_names, self.layer_scopes),
            )
            return self.add_node(node)
        raise CompileError(f"a tuple cannot be used as an array operand here ({base})")

    def buffer_shape(self, name: str) -> tuple[int, ...]:
        """The shape of a buffer: a node's output, a constant or an input."""
        if name in self.produced:
            return tuple(self.produced[name].shape)
        if name in self.constants:
            return tuple(self.constants[name].shape)
        return next(tuple(i.shape) for i in self.inputs if i.name == name)

    @staticmethod
    def known(value) -> Known | None:
        if isinstance(value, Known):
            return value
        if isinstance(value, View) and isinstance(value.source, Known):
            array = broadcast_in_dims(value.source.array, value.dims, value.shape).astype(np.float32)
            dtype = moved_type(value.source.dtype, lambda a: broadcast_in_dims(a, value.dims, value.shape))
            return Known(array, dtype=dtype)
        return None

    def fold_or_add(self, node: ir.Node, operand_values: list) -> object:
        """Evaluate a node now when all its inputs are compile-time values, else add it to the kernel."""
        knowns = [self.known(v) for v in operand_values]
        if all(k is not None for k in knowns):
            arrays = [k.array[None] for k in knowns]
            types = {k.dtype for k in knowns}
            moved = isinstance(node, ir.DATA_MOVEMENT) and len(types) == 1  # the same values, rearranged
            dtype = types.pop() if moved else None
            if isinstance(dtype, ScaledIntegers):
                dtype = moved_type(dtype, lambda a: evaluate_float(node, [a[None]])[0]) if len(knowns) == 1 else None
            return Known(np.asarray(evaluate_float(node, arrays)[0], dtype=np.float32), node.name, dtype)
        return self.add_node(node)


# ---- array helpers every front end's rules use (``ins``: anything with ``name`` and ``op_name``,
# for which ``lw.common(ins)`` gives the node's layer and op name)


def shape_of(value) -> tuple[int, ...]:
    return tuple(value.array.shape) if isinstance(value, Known) else tuple(value.shape)


def reshape(lw, value, shape, ins):
    """``value`` in ``shape`` (row-major): a compile-time reshape, the source of a broadcast that only
    added size-1 dimensions, or a Reshape node (one of another reads the first one's input)."""
    if isinstance(value, View):
        known = lw.known(value)
        if known is not None:
            value = known
        elif int(np.prod(value.source.shape)) == int(np.prod(shape)):
            value = value.source  # a broadcast that only added size-1 dimensions
        else:
            value = lw.buffer(value, ins.name + "_bcast", ins.op_name)
    if isinstance(value, Known):
        return Known(value.array.reshape(shape), value.name, moved_type(value.dtype, lambda a: a.reshape(shape)))
    if tuple(value.shape) == tuple(shape):
        return value
    producer = lw.produced.get(value.name)
    source = producer.inputs[0] if isinstance(producer, ir.Reshape) else value.name
    source_shape = lw.produced[source].shape if source in lw.produced else lw.buffer_shape(source)
    if tuple(source_shape) == tuple(shape):
        return Buffer(source, tuple(shape))
    return lw.add_node(ir.Reshape(lw.fresh(ins.name), (source,), tuple(shape), **lw.common(ins)))


def transpose(lw, value, perm, ins):
    """``value`` transposed by ``perm``: at compile time when it is known, else a Transpose node."""
    if tuple(perm) == tuple(range(len(perm))):
        return value
    known = lw.known(value)
    if known is not None:
        array = np.ascontiguousarray(np.transpose(known.array, perm))
        return Known(array, known.name, moved_type(known.dtype, lambda a: np.transpose(a, perm)))
    source = lw.buffer(value, ins.name + "_src", ins.op_name)
    shape = tuple(source.shape[p] for p in perm)
    return lw.add_node(ir.Transpose(lw.fresh(ins.name), (source.name,), shape, perm=tuple(perm), **lw.common(ins)))


def positional_read(lw, ins, operand, positions: np.ndarray):
    """The flattened operand read at constant positions: a Lookup into a run-time table."""
    source = lw.buffer(operand, ins.name + "_src", ins.op_name)
    size = int(np.prod(source.shape, dtype=np.int64))
    flat = lw.add_node(ir.Reshape(lw.fresh(ins.name + "_flat"), (source.name,), (size,), **lw.common(ins)))
    ids = lw.constant(positions.astype(np.float32), ins.name + "_positions", ins.op_name)
    return lw.add_node(ir.Lookup(lw.fresh(ins.name), (flat.name, ids.name), tuple(positions.shape), **lw.common(ins)))


def eliminate_dead_code(kernel: ir.Kernel) -> ir.Kernel:
    """Drop nodes and constants that no output depends on."""
    live = set(kernel.outputs)
    nodes = []
    for node in reversed(kernel.nodes):
        if node.name in live:
            nodes.append(node)
            live.update(node.inputs)
    nodes.reverse()
    constants = tuple(c for c in kernel.constants if c.name in live)
    return kernel.replace(nodes=tuple(nodes), constants=constants)
