"""One lowering rule per HLO opcode: ``RULES[opcode](lowering, instruction, operand_values)``."""

from __future__ import annotations

import numpy as np

from fpgalab.errors import CompileError
from fpgalab.frontend.lowering import Buffer, Known, Tuple, View, reshape, shape_of, transpose
from fpgalab.frontend.tf.conv_transpose import check_input_dilated, input_dilated_conv
from fpgalab.frontend.tf.opcodes import BINARY, COMPARE, INTEGER_TYPES, REDUCERS
from fpgalab.ir import nodes as ir
from fpgalab.ir.types import BOOL, integer_type

RULES: dict = {}


def rule(*opcodes):
    def register(fn):
        for op in opcodes:
            RULES[op] = fn
        return fn

    return register


def _where(ins) -> str:
    return f"'{ins.opcode}' ({ins.op_name or ins.name})"


@rule("parameter")
def _parameter(lw, ins, args):
    raise CompileError(f"unbound HLO parameter {ins.name}: internal inputs must be bound before lowering")


@rule("constant")
def _constant(lw, ins, args):
    literal = ins.attrs.get("literal")
    if literal is None:
        raise CompileError(f"constant {ins.name} of type {ins.shape} cannot be read; fpgalab takes float constants")
    return Known(np.asarray(literal, dtype=np.float32).reshape(ins.shape.dims), lw.fresh(ins.name))


@rule("copy")
def _copy(lw, ins, args):
    return args[0]


@rule("tuple")
def _tuple(lw, ins, args):
    return Tuple(tuple(args))


@rule("get-tuple-element")
def _get_tuple_element(lw, ins, args):
    return args[0].items[ins.attrs["tuple_index"]]


@rule("call", "fusion")
def _call(lw, ins, args):
    return lw.call(ins.called[0], args)


@rule("broadcast")
def _broadcast(lw, ins, args):
    value, dims, shape = args[0], tuple(ins.attrs.get("dimensions", ())), ins.shape.dims
    if isinstance(value, View):
        return View(value.source, tuple(dims[d] for d in value.dims), shape)
    if dims == tuple(range(len(shape))) and shape_of(value) == shape:
        return value
    return View(value, dims, shape)


@rule("reshape", "bitcast")
def _reshape(lw, ins, args):
    return reshape(lw, args[0], ins.shape.dims, ins)


@rule("transpose")
def _transpose(lw, ins, args):
    return transpose(lw, args[0], ins.attrs["dimensions"], ins)


@rule("reverse")
def _reverse(lw, ins, args):
    dims = tuple(ins.attrs.get("dimensions", ()))
    known = lw.known(args[0])
    if known is not None:  # a transposed convolution's kernel: reversed at compile time
        return Known(np.ascontiguousarray(np.flip(known.array, dims)), known.name)
    return _node_with_buffers(lw, ins, ir.Reverse, args[:1], dims=dims)


def _node_with_buffers(lw, ins, cls, args, **fields):
    buffers = [lw.buffer(a, f"{ins.name}_in{k}", ins.op_name) for k, a in enumerate(args)]
    dtype = hlo_type(ins.shape.dtype)  # integers keep their type (data movement, integer sums)
    node = cls(lw.fresh(ins.name), tuple(b.name for b in buffers), ins.shape.dims, dtype, **lw.common(ins), **fields)
    return lw.fold_or_add(node, args)


@rule("slice")
def _slice(lw, ins, args):
    starts, limits, strides = zip(*ins.attrs["slice"]) if ins.attrs.get("slice") else ((), (), ())
    return _node_with_buffers(lw, ins, ir.Slice, args[:1], starts=starts, limits=limits, strides=strides)


@rule("concatenate")
def _concatenate(lw, ins, args):
    return _node_with_buffers(lw, ins, ir.Concat, args, axis=ins.attrs["dimensions"][0])


@rule("pad")
def _pad(lw, ins, args):
    value = lw.known(args[1])
    if value is None:
        raise CompileError(f"{_where(ins)}: the padding value must be a constant")
    padding = ins.attrs["padding"]
    if any(p[2] != 0 for p in padding) or any(p[0] < 0 or p[1] < 0 for p in padding):
        raise CompileError(f"{_where(ins)}: interior or negative padding is not supported; only edge padding ≥ 0")
    return _node_with_buffers(
        lw,
        ins,
        ir.Pad,
        args[:1],
        low=tuple(p[0] for p in padding),
        high=tuple(p[1] for p in padding),
        value=float(value.array.reshape(-1)[0]),
    )


# ---- elementwise ----------------------------------------------------------------------------------


def hlo_type(element_type: str):
    """The IR type a lowered value of this HLO element type has before precision is assigned:
    ``bool`` for predicates, ``ap_int<W>``/``ap_uint<W>`` for integers (``INTEGER_TYPES``), float32 else."""
    if element_type == "pred":
        return BOOL
    if element_type in INTEGER_TYPES:
        return integer_type(*INTEGER_TYPES[element_type])
    return ir.FLOAT32


def value_type(lw, value):
    """The IR type of a lowered value (float32 for compile-time values and float buffers)."""
    source = value.source if isinstance(value, View) else value
    if isinstance(source, Buffer):
        if source.name in lw.produced:
            return lw.produced[source.name].dtype
        for i in lw.inputs:
            if i.name == source.name:
                return i.dtype
    return ir.FLOAT32


def elementwise(lw, ins, op, args):
    shape = ins.shape.dims
    dtype = hlo_type(ins.shape.dtype)
    knowns = [lw.known(a) for a in args]
    if all(k is not None for k in knowns):
        node = ir.Elementwise(
            lw.fresh(ins.name),
            tuple(f"k{i}" for i in range(len(args))),
            shape,
            dtype,
            expr=ir.Op(op, tuple(ir.Arg(i) for i in range(len(args))), dtype),
            in_dims=tuple(tuple(range(len(shape))) for _ in args),
        )
        return lw.fold_or_add(node, [k for k in knowns])
    inputs, in_dims, leaves = [], [], []
    for k, value in enumerate(args):
        source, dims = (value.source, value.dims) if isinstance(value, View) else (value, tuple(range(len(shape))))
        if isinstance(source, Known) and source.array.size == 1:  # a scalar (relu's 0): a Const leaf
            leaves.append(ir.Const(float(source.array.reshape(-1)[0])))
            continue
        buffer = lw.buffer(source, f"{ins.name}_in{k}", ins.op_name)
        key = (buffer.name, tuple(dims))
        if key not in zip(inputs, in_dims):
            inputs.append(buffer.name)
            in_dims.append(tuple(dims))
        leaves.append(ir.Arg(list(zip(inputs, in_dims)).index(key)))
    node = ir.Elementwise(
        lw.fresh(ins.name),
        tuple(inputs),
        shape,
        dtype,
        expr=ir.Op(op, tuple(leaves), dtype),
        in_dims=tuple(in_dims),
        **lw.common(ins),
    )
    return lw.add_node(node)


@rule(*BINARY)
def _binary(lw, ins, args):
    return elementwise(lw, ins, BINARY[ins.opcode], args)


@rule("compare")
def _compare(lw, ins, args):
    return elementwise(lw, ins, COMPARE[ins.attrs["comparison_direction"]], args)


@rule("select")
def _select(lw, ins, args):
    return elementwise(lw, ins, "select", args)


@rule("clamp")
def _clamp(lw, ins, args):
    return elementwise(lw, ins, "clamp", args)  # HLO operand order: min, x, max


# ---- compute layers -------------------------------------------------------------------------------


@rule("dot")
def _dot(lw, ins, args):
    d = ins.attrs["dot_dimension_numbers"]
    return _node_with_buffers(
        lw,
        ins,
        ir.Dot,
        args,
        lhs_contract=d["lhs_contracting"],
        rhs_contract=d["rhs_contracting"],
        lhs_batch=d["lhs_batch"],
        rhs_batch=d["rhs_batch"],
    )


@rule("convolution")
def _convolution(lw, ins, args):
    dn, window = ins.attrs["convolution_dimension_numbers"], ins.attrs["window"]
    if ins.attrs.get("batch_group_count", 1) != 1:
        raise CompileError(f"{_where(ins)}: batch-grouped convolutions (weight gradients) are not supported")
    if any(w["window_reversal"] for w in window):
        raise CompileError(f"{_where(ins)}: window reversal is not supported")
    x = transpose(lw, args[0], (dn["input_batch"], *dn["input_spatial"], dn["input_feature"]), ins)
    k = transpose(lw, args[1], (*dn["kernel_spatial"], dn["kernel_input_feature"], dn["kernel_output_feature"]), ins)
    out_order = (dn["output_batch"], *dn["output_spatial"], dn["output_feature"])
    shape = tuple(ins.shape.dims[d] for d in out_order)
    if any(w["base_dilation"] != 1 for w in window):  # a transposed convolution
        check_input_dilated(ins, window, lw.known(k))
        result = input_dilated_conv(
            lw,
            ins,
            lw.known(x) or lw.buffer(x, f"{ins.name}_in0", ins.op_name),
            lw.known(k),
            shape,
            dilation=tuple(w["base_dilation"] for w in window),
            padding=tuple((w["padding_low"], w["padding_high"]) for w in window),
            groups=ins.attrs["feature_group_count"],
        )
        return transpose(lw, result, tuple(int(i) for i in np.argsort(out_order)), ins)
    buffers = [lw.buffer(v, f"{ins.name}_in{i}", ins.op_name) for i, v in enumerate((x, k))]
    node = ir.Conv(
        lw.fresh(ins.name),
        tuple(b.name for b in buffers),
        shape,
        **lw.common(ins),
        strides=tuple(w["stride"] for w in window),
        padding=tuple((w["padding_low"], w["padding_high"]) for w in window),
        dilation=tuple(w["window_dilation"] for w in window),
        groups=ins.attrs["feature_group_count"],
    )
    result = lw.fold_or_add(node, [x, k])
    return transpose(lw, result, tuple(int(i) for i in np.argsort(out_order)), ins)


def _reducer(lw, ins) -> str:
    comp = lw.module.computations[ins.called[0]]
    root = comp.by_id()[comp.root]
    params = {p.id for p in comp.parameters()}
    kind = REDUCERS.get(root.opcode)
    if kind is None or set(root.operands) != params or len(params) != 2:
        raise CompileError(
            f"{_where(ins)}: only sum, max and min reductions are supported (the reducer here is '{root.opcode}')"
        )
    return kind


def _init(lw, ins, value) -> float:
    known = lw.known(value)
    if known is None or known.array.size != 1:
        raise CompileError(f"{_where(ins)}: the initial value of a reduction must be a scalar constant")
    return float(known.array.reshape(-1)[0])


@rule("reduce")
def _reduce(lw, ins, args):
    if len(args) != 2:
        raise CompileError(f"{_where(ins)}: variadic reductions other than argmax/argmin are not supported")
    return _node_with_buffers(
        lw,
        ins,
        ir.Reduce,
        args[:1],
        kind=_reducer(lw, ins),
        dims=tuple(ins.attrs["dimensions"]),
        init=_init(lw, ins, args[1]),
    )


@rule("reduce-window")
def _reduce_window(lw, ins, args):
    if len(args) != 2:
        raise CompileError(f"{_where(ins)}: variadic reduce-window is not supported")
    window = ins.attrs["window"]
    if any(w["base_dilation"] != 1 or w["window_dilation"] != 1 for w in window):
        raise CompileError(f"{_where(ins)}: dilated pooling windows are not supported")
    return _node_with_buffers(
        lw,
        ins,
        ir.Pool,
        args[:1],
        kind=_reducer(lw, ins),
        window=tuple(w["size"] for w in window),
        strides=tuple(w["stride"] for w in window),
        padding=tuple((w["padding_low"], w["padding_high"]) for w in window),
        init=_init(lw, ins, args[1]),
    )
