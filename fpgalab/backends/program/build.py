"""The layer programs of a kernel: one builder per IR node class (``PROGRAMS``)."""

from __future__ import annotations

import numpy as np

from fpgalab.backends.program.index import (
    IAdd,
    IDiv,
    ILit,
    IMod,
    IMul,
    IRead,
    IVar,
    i_add,
    i_div,
    i_mul,
    i_vars,
    reindex,
    unflat_index,
)
from fpgalab.backends.program.recurrent import loop_program
from fpgalab.backends.program.values import Acc, LayerProgram, Lit, Prev, Read, TypeContext, Valid
from fpgalab.ir import nodes as ir
from fpgalab.ir.loops import kernel_shapes, loop_nest
from fpgalab.ir.types import FLOAT32, BoolType, FixedType
from fpgalab.sim import fixed
from fpgalab.sim.values import constant_value

# ---- helpers: indices of node classes --------------------------------------------------------------


def _var(loops_by_name: dict, name: str):
    """A loop variable, or 0 for a loop of trip 1 (which does not exist)."""
    return IVar(name) if loops_by_name.get(name, 1) > 1 else ILit(0)


class LayerBuilder:
    """Per-kernel facts a row needs: shapes, types, aliases (reshapes) and loop trips."""

    def __init__(self, kernel: ir.Kernel, ctx: TypeContext):
        self.kernel, self.ctx = kernel, ctx
        self.shapes = kernel_shapes(kernel)
        self.types = {name: buf.dtype for name, buf in kernel.buffers().items()}
        self.aliases = {n.name: n.inputs[0] for n in kernel.nodes if isinstance(n, ir.Reshape)}

    def storage(self, name: str) -> str:
        while name in self.aliases:
            name = self.aliases[name]
        return name

    def read(self, name: str, index: tuple, guards=(), fill=None) -> Read:
        """A read of logical buffer ``name`` at ``index``, resolved to its storage buffer."""
        while name in self.aliases:
            source = self.aliases[name]
            index = reindex(index, self.shapes[name], self.shapes[source])
            name = source
        index = tuple(ILit(0) if self.shapes[name][d] == 1 else ix for d, ix in enumerate(index))
        return Read(name, index, tuple(guards), fill)


def _out_loops(node: ir.Node) -> list[str]:
    if isinstance(node, ir.Conv):
        return ["n"] + [f"o{d}" for d in range(len(node.strides))] + ["f"]
    return [f"i{d}" for d in range(len(node.shape))]


def _broadcast_index(b: LayerBuilder, name: str, dims: tuple, trips: dict, out_names: list[str]) -> tuple:
    source = b.shapes[name]
    return tuple(ILit(0) if size == 1 else _var(trips, out_names[d]) for d, size in zip(dims, source))


def _lit(value: float, dtype) -> Lit:
    """The constant ``value`` (given as float32, as the IR holds it) in ``dtype``."""
    array = constant_value(value, dtype).array
    return Lit(_scalar(array[0], dtype), dtype)


def _scalar(value, dtype):
    if isinstance(dtype, FixedType):
        return int(value)
    if isinstance(dtype, BoolType):
        return bool(value)
    return float(np.float32(value))


# ---- rows ------------------------------------------------------------------------------------------


def _elementwise(node: ir.Elementwise, b: LayerBuilder, trips: dict) -> dict:
    names = [f"i{d}" for d in range(len(node.shape))]
    reads = [b.read(n, _broadcast_index(b, n, dims, trips, names)) for n, dims in zip(node.inputs, node.in_dims)]
    return {"reads": reads, "epilogue": [(ir.Op("convert", (node.expr,), node.dtype), node.dtype)]}


def _copy(node, b: LayerBuilder, trips: dict, index: tuple, guards=(), fill=None) -> dict:
    read = b.read(node.inputs[0], index, guards, fill)
    return {"reads": [read], "epilogue": [(ir.Op("convert", (ir.Arg(0),), node.dtype), node.dtype)]}


def _transpose(node: ir.Transpose, b, trips):
    return _copy(node, b, trips, tuple(_var(trips, f"i{node.perm.index(d)}") for d in range(len(node.perm))))


def _broadcast(node: ir.Broadcast, b, trips):
    return _copy(node, b, trips, _broadcast_index(b, node.inputs[0], node.dims, trips, _out_loops(node)))


def _slice(node: ir.Slice, b, trips):
    return _strided(node, b, trips, node.starts, node.strides)


def _reverse(node: ir.Reverse, b, trips):  # a slice read backwards along node.dims
    starts, strides = zip(*[(n - 1, -1) if d in node.dims else (0, 1) for d, n in enumerate(node.shape)])
    return _strided(node, b, trips, starts, strides)


def _strided(node, b, trips, starts, strides):
    index = (i_add(i_mul(_var(trips, f"i{d}"), step), start) for d, (start, step) in enumerate(zip(starts, strides)))
    return _copy(node, b, trips, tuple(index))


def _pad(node: ir.Pad, b, trips):
    source = b.shapes[node.inputs[0]]
    index = tuple(i_add(_var(trips, f"i{d}"), -low) for d, low in enumerate(node.low))
    guards = tuple((ix, size) for ix, size, low, high in zip(index, source, node.low, node.high) if low or high)
    return _copy(node, b, trips, index, guards, _lit(node.value, node.dtype) if guards else None)


def _concat(node: ir.Concat, b, trips):
    reads, offset = [], 0
    for name in node.inputs:
        index = tuple(i_add(_var(trips, f"i{d}"), -offset if d == node.axis else 0) for d in range(len(node.shape)))
        size = b.shapes[name][node.axis]
        reads.append(b.read(name, index, ((index[node.axis], size),), Lit(_scalar(0, node.dtype), node.dtype)))
        offset += size
    expr = ir.Arg(len(reads) - 1)
    for k in reversed(range(len(reads) - 1)):
        expr = ir.Op("select", (Valid(k), ir.Arg(k), expr), node.dtype)
    return {"reads": reads, "epilogue": [(ir.Op("convert", (expr,), node.dtype), node.dtype)]}


def _lookup(node: ir.Lookup, b: LayerBuilder, trips):
    """Read the id, then the table row it names (clamped): one ROM read addressed by data."""
    table, ids = node.inputs
    id_rank = len(b.shapes[ids])
    id_index = tuple(_var(trips, f"i{d}") for d in range(id_rank))
    row = IRead(0, int(b.shapes[table][0]), tuple(sorted(set().union(*(i_vars(ix) for ix in id_index)))))
    columns = tuple(_var(trips, f"i{id_rank + d}") for d in range(len(b.shapes[table]) - 1))
    reads = [b.read(ids, id_index), b.read(table, (row,) + columns)]
    return {"reads": reads, "epilogue": [(ir.Op("convert", (ir.Arg(1),), node.dtype), node.dtype)]}


def _mac_init(node, b: LayerBuilder, reads: list, bias_index: tuple):
    if len(node.inputs) < 3:
        return Lit(0 if isinstance(node.acc, FixedType) else 0.0, node.acc)
    reads.append(b.read(node.inputs[2], bias_index))
    return ir.Op("convert", (ir.Arg(len(reads) - 1),), node.acc)


def _mac_step(node, reads):
    a, w = ir.Arg(0), ir.Arg(1)
    if isinstance(node.acc, FixedType):
        return ir.Op("mul", (a, w), None)  # the exact product, added at full precision
    return ir.Op("mul", (ir.Op("convert", (a,), FLOAT32), ir.Op("convert", (w,), FLOAT32)), FLOAT32)


def _dot(node: ir.Dot, b: LayerBuilder, trips):
    lhs, rhs = b.shapes[node.inputs[0]], b.shapes[node.inputs[1]]
    nb = len(node.lhs_batch)
    lhs_free = [d for d in range(len(lhs)) if d not in node.lhs_batch and d not in node.lhs_contract]
    rhs_free = [d for d in range(len(rhs)) if d not in node.rhs_batch and d not in node.rhs_contract]
    sizes = [int(lhs[d]) for d in node.lhs_contract]
    k = _var(trips, "k")
    parts = unflat_index(k, tuple(sizes)) if sizes else ()

    def operand(shape, batch, free, contract, free_offset):
        idx = [None] * len(shape)
        for j, d in enumerate(batch):
            idx[d] = _var(trips, f"i{j}")
        for j, d in enumerate(free):
            idx[d] = _var(trips, f"i{free_offset + j}")
        for j, d in enumerate(contract):
            idx[d] = parts[j]
        return tuple(idx)

    reads = [
        b.read(node.inputs[0], operand(lhs, node.lhs_batch, lhs_free, node.lhs_contract, nb)),
        b.read(node.inputs[1], operand(rhs, node.rhs_batch, rhs_free, node.rhs_contract, nb + len(lhs_free))),
    ]
    init = _mac_init(node, b, reads, tuple(_var(trips, f"i{d}") for d in node.bias_dims))
    return {"reads": reads, "acc_kind": "mac", "acc_type": node.acc, "init": init, "step": _mac_step(node, reads)}


def _conv(node: ir.Conv, b: LayerBuilder, trips):
    x_name, w_name = node.inputs[0], node.inputs[1]
    kernel = b.shapes[w_name]
    spatial = len(node.strides)
    cg, fg = kernel[spatial], node.shape[-1] // node.groups
    image = [_var(trips, "n")]
    guards = []
    for d in range(spatial):
        ix = i_add(
            i_mul(_var(trips, f"o{d}"), node.strides[d]),
            i_mul(_var(trips, f"k{d}"), node.dilation[d]),
            -node.padding[d][0],
        )
        image.append(ix)
        if node.padding[d][0] or node.padding[d][1]:
            guards.append((ix, b.shapes[x_name][1 + d]))
    f, c = _var(trips, "f"), _var(trips, "c")
    image.append(i_add(i_mul(i_div(f, fg), cg), c) if node.groups > 1 else c)
    x_type = b.types[x_name]
    fill = Lit(_scalar(0, x_type), x_type) if guards else None
    reads = [
        b.read(x_name, tuple(image), tuple(guards), fill),
        b.read(w_name, tuple(_var(trips, f"k{d}") for d in range(spatial)) + (c, f)),
    ]
    init = _mac_init(node, b, reads, (f,))
    return {"reads": reads, "acc_kind": "mac", "acc_type": node.acc, "init": init, "step": _mac_step(node, reads)}


def _init_lit(kind: str, init: float, dtype) -> Lit:
    """The identity of a reduction: -inf becomes the type's minimum (``rows._init_value``)."""
    if isinstance(dtype, FixedType) and not np.isfinite(init):
        return Lit(dtype.min_int if init < 0 else dtype.max_int, dtype)
    return _lit(init, dtype)


def _window_rows(node, b: LayerBuilder, reads: list, in_type):
    """Accumulator, init, step and epilogue of a pool or reduce (``rows._pool``, ``rows._reduce``)."""
    is_pool = isinstance(node, ir.Pool)
    if node.kind == "sum" and isinstance(node.acc, FixedType):
        start = int(fixed.from_float(np.array([node.init]), node.acc)[0]) if np.isfinite(node.init) else 0
        return {
            "acc_kind": "sum",
            "acc_type": node.acc,
            "init": Lit(start, node.acc),
            "step": ir.Arg(0),
            "epilogue": [(ir.Op("convert", (Acc(),), node.dtype), node.dtype)],
        }
    if node.kind != "sum" and isinstance(in_type, FixedType):
        identity = Lit(in_type.min_int if node.kind == "max" else in_type.max_int, in_type)
        return {
            "acc_kind": node.kind,
            "acc_type": in_type,
            "init": identity,
            "step": ir.Arg(0),
            "epilogue": [(ir.Op("convert", (Acc(),), node.dtype), node.dtype)],
        }
    # float32
    step = ir.Op("convert", (ir.Arg(0),), FLOAT32)
    if node.kind == "sum":
        init, after = (
            Lit(0.0, FLOAT32),
            (ir.Op("add", (Acc(), Lit(float(np.float32(node.init)), FLOAT32)), FLOAT32) if node.init != 0 else Acc()),
        )
    else:
        init = Lit(float("-inf") if node.kind == "max" else float("inf"), FLOAT32)
        after = Acc()
        if not is_pool and np.isfinite(node.init):
            after = ir.Op(node.kind, (Acc(), Lit(float(np.float32(node.init)), FLOAT32)), FLOAT32)
    return {
        "acc_kind": node.kind,
        "acc_type": FLOAT32,
        "init": init,
        "step": step,
        "epilogue": [(ir.Op("convert", (after,), node.dtype), node.dtype)],
    }


def _pool(node: ir.Pool, b: LayerBuilder, trips):
    x_name = node.inputs[0]
    x_type = b.types[x_name]
    index, guards = [], []
    for d, (window, stride, (low, high)) in enumerate(zip(node.window, node.strides, node.padding)):
        offset = _var(trips, f"w{d}") if window > 1 else ILit(0)
        ix = i_add(i_mul(_var(trips, f"i{d}"), stride), offset, -low)
        index.append(ix)
        if low or high:
            guards.append((ix, b.shapes[x_name][d]))
    fill = None
    if guards:
        if node.kind == "sum":
            fill = Lit(_scalar(0, x_type), x_type)
        elif isinstance(x_type, FixedType):
            fill = _init_lit(node.kind, node.init, x_type)
        else:
            fill = Lit(float(np.float32(node.init)), FLOAT32)
    reads = [b.read(x_name, tuple(index), tuple(guards), fill)]
    return {"reads": reads, **_window_rows(node, b, reads, x_type)}


def _reduce(node: ir.Reduce, b: LayerBuilder, trips):
    x_name = node.inputs[0]
    source = b.shapes[x_name]
    kept = [d for d in range(len(source)) if d not in node.dims]
    index = tuple(
        _var(trips, f"r{d}") if d in node.dims else _var(trips, f"i{kept.index(d)}") for d in range(len(source))
    )
    reads = [b.read(x_name, index)]
    return {"reads": reads, **_window_rows(node, b, reads, b.types[x_name])}


PROGRAMS = {
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
    ir.Reverse: _reverse,
    ir.Lookup: _lookup,
    ir.Reshape: None,  # an alias of its input: no program (readers read the source)
    ir.Loop: loop_program,
}


# ---- fused chains ------------------------------------------------------------------------------------


def _renumber(expr, mapping: dict, producer_position: int):
    if isinstance(expr, ir.Arg):
        return Prev() if expr.index == producer_position else ir.Arg(mapping[expr.index])
    if isinstance(expr, ir.Op):
        return ir.Op(expr.op, tuple(_renumber(a, mapping, producer_position) for a in expr.args), expr.dtype)
    return expr


def layer_program(owner: ir.Node, fused: tuple, builder: LayerBuilder) -> LayerProgram:
    """The program of ``owner`` and the elementwise nodes fused into it (in chain order)."""
    shapes = builder.shapes
    nest = [lp for lp in loop_nest(owner, shapes) if lp.trip > 1]
    trips = {lp.name: lp.trip for lp in loop_nest(owner, shapes)}
    parts = PROGRAMS[type(owner)](owner, builder, trips)
    reads = list(parts["reads"])
    epilogue = list(parts.get("epilogue") or [(ir.Op("convert", (Acc(),), owner.dtype), owner.dtype)])
    out_names = _out_loops(owner)
    previous = owner
    for node in fused:
        position = node.inputs.index(previous.name)
        mapping = {}
        node_names = [f"i{d}" for d in range(len(node.shape))]
        for k, (name, dims) in enumerate(zip(node.inputs, node.in_dims)):
            if k == position:
                continue
            index = _broadcast_index(
                builder, name, dims, {n: trips.get(o, 1) for n, o in zip(node_names, out_names)}, node_names
            )
            index = tuple(_rename(ix, dict(zip(node_names, out_names))) for ix in index)
            reads.append(builder.read(name, index))
            mapping[k] = len(reads) - 1
        expr = _renumber(node.expr, mapping, position)
        epilogue.append((ir.Op("convert", (expr,), node.dtype), node.dtype))
        previous = node
    out_index = tuple(_var(trips, n) for n in out_names)
    last = fused[-1] if fused else owner
    return LayerProgram(
        owner.name,
        (owner.name,) + tuple(n.name for n in fused),
        last.name,
        last.dtype,
        out_index,
        tuple(nest),
        tuple(reads),
        parts.get("acc_kind", ""),
        parts.get("acc_type"),
        parts.get("init"),
        parts.get("step"),
        tuple(epilogue),
    )


def _rename(expr, names: dict):
    if isinstance(expr, IVar):
        return IVar(names.get(expr.name, expr.name))
    if isinstance(expr, IAdd):
        return IAdd(tuple(_rename(t, names) for t in expr.terms))
    if isinstance(expr, (IMul, IDiv, IMod)):
        return type(expr)(_rename(expr.arg, names), expr.factor if isinstance(expr, IMul) else expr.divisor)
    return expr
