"""One lowering rule per ONNX op type: ``RULES[op_type](lowering, site, operand_values)``.

This module holds the elementwise ops (numpy broadcasting), the activations and the data
movement ops, including the shape subgraphs exporters emit (``Shape``, ``Gather``, ``Cast``,
``Unsqueeze``, ``Concat`` feeding a ``Reshape``), which fold to ``Known`` values at compile time.
The compute layers (Gemm, MatMul, Conv, pools, BatchNormalization, Softmax) are in
``frontend.onnx.layers``. The array helpers are the TF front end's (``frontend.tf.rules``), so
both front ends build the same nodes for the same computation.
"""

from __future__ import annotations

import numpy as np

from fpgalab.errors import CompileError
from fpgalab.frontend.lowering import Buffer, Known, View
from fpgalab.frontend.tf.rules import elementwise, reshape
from fpgalab.frontend.tf.rules import transpose as _transpose
from fpgalab.ir import nodes as ir
from fpgalab.ir.types import BOOL

RULES: dict = {}


def rule(*op_types):
    def register(fn):
        for op in op_types:
            RULES[op] = fn
        return fn

    return register


# ---- helpers ----------------------------------------------------------------------------------


def shape_of(value) -> tuple[int, ...]:
    if isinstance(value, Known):
        return tuple(value.array.shape)
    return tuple(value.shape)


def known_input(lw, site, args, k: int, what: str) -> np.ndarray | None:
    """Operand ``k`` as a compile-time array (None when absent); a run-time operand is an error."""
    if k >= len(args) or args[k] is None:
        return None
    known = lw.known(args[k])
    if known is None:
        raise CompileError(f"{site.where()}: its {what} (input {k}) must be known at compile time (an initializer)")
    return known.array


def axis_of(site, axis: int, rank: int) -> int:
    if not -rank <= axis < rank:
        raise CompileError(f"{site.where()}: axis {axis} is out of range for a rank-{rank} tensor")
    return axis % rank


def broadcast(lw, site, value, shape: tuple[int, ...]):
    """``value`` broadcast to ``shape`` by numpy's rules, as an index map (``View``), not a copy."""
    own = shape_of(value)
    if own == tuple(shape):
        return value
    offset = len(shape) - len(own)
    kept = [k for k, n in enumerate(own) if n == shape[offset + k]]
    kept_shape = tuple(own[k] for k in kept)
    if isinstance(value, Known):
        source = Known(value.array.reshape(kept_shape), value.name)
    else:
        source = reshape(lw, lw.buffer(value, site.name + "_in", site.op_name), kept_shape, site)
    return View(source, tuple(offset + k for k in kept), tuple(shape))


def scalar(value: float, shape) -> View:
    return View(Known(np.asarray(value, dtype=np.float32).reshape(())), (), tuple(shape))


def transpose(lw, site, value, perm):
    """A transpose; of a transpose's output, one transpose of its input; one moving only size-1 dimensions, a reshape."""
    perm = tuple(int(p) for p in perm)
    own = shape_of(value)
    moved = [p for p in perm if own[p] != 1]
    if moved == sorted(moved):  # only size-1 dimensions move: the same memory, a reshape
        return reshape(lw, value, tuple(own[p] for p in perm), site)
    producer = lw.produced.get(value.name) if isinstance(value, Buffer) else None
    if isinstance(producer, ir.Transpose):
        perm = tuple(producer.perm[p] for p in perm)
        value = Buffer(producer.inputs[0], lw.buffers_shape(producer.inputs[0]))
    return _transpose(lw, value, perm, site)


def transposed_from(lw, value):
    """``(source, perm)`` when ``value`` is the output of a Transpose node, else None."""
    producer = lw.produced.get(value.name) if isinstance(value, Buffer) else None
    if isinstance(producer, ir.Transpose):
        return Buffer(producer.inputs[0], lw.buffers_shape(producer.inputs[0])), producer.perm
    return None


def unary(lw, site, value, expr):
    """One elementwise node computing ``expr`` of its one input (``ir.Arg(0)``).

    Of a transposed tensor it computes on the transpose's input and transposes the result, so the
    transposes around a channels-first activation (a Conv's NHWC result brought back to NCHW, then
    to NHWC for the next Conv or a Keras Flatten) meet and cancel."""
    moved = transposed_from(lw, value)
    if moved is not None:
        return transpose(lw, site, unary(lw, site, moved[0], expr), moved[1])
    shape = shape_of(value)
    source = lw.buffer(value, site.name + "_in", site.op_name)
    node = ir.Elementwise(
        lw.fresh(site.name),
        (source.name,),
        shape,
        ir.FLOAT32,
        expr=expr,
        in_dims=(tuple(range(len(shape))),),
        **lw.common(site),
    )
    return lw.fold_or_add(node, [value])


def _op(name, *args):
    return ir.Op(name, tuple(args), BOOL if name.startswith("cmp_") else ir.FLOAT32)


X, ZERO = ir.Arg(0), ir.Const(0.0)


# ---- elementwise ------------------------------------------------------------------------------

BINARY = {"Add": "add", "Sub": "sub", "Mul": "mul", "Div": "div", "Max": "max", "Min": "min"}


@rule(*BINARY)
def _binary(lw, site, args):
    if len(args) != 2:
        raise CompileError(f"{site.where()}: takes two operands here, got {len(args)}")
    shape = tuple(int(n) for n in np.broadcast_shapes(*(shape_of(a) for a in args)))
    operands = [broadcast(lw, site, a, shape) for a in args]
    return elementwise(lw, site.at(shape), BINARY[site.opcode], operands)


@rule("Relu")
def _relu(lw, site, args):
    return unary(lw, site, args[0], _op("max", X, ZERO))


@rule("LeakyRelu")
def _leaky_relu(lw, site, args):
    alpha = float(site.attr("alpha", 0.01))
    return unary(lw, site, args[0], _op("select", _op("cmp_gt", X, ZERO), X, _op("mul", X, ir.Const(alpha))))


@rule("Elu")
def _elu(lw, site, args):
    alpha = float(site.attr("alpha", 1.0))
    return unary(
        lw, site, args[0], _op("select", _op("cmp_gt", X, ZERO), X, _op("mul", _op("expm1", X), ir.Const(alpha)))
    )


@rule("Selu")
def _selu(lw, site, args):
    alpha = float(site.attr("alpha", 1.67326319217681884765625))
    gamma = float(site.attr("gamma", 1.05070102214813232421875))
    negative = _op("mul", _op("expm1", X), ir.Const(alpha * gamma))
    return unary(lw, site, args[0], _op("select", _op("cmp_gt", X, ZERO), _op("mul", X, ir.Const(gamma)), negative))


@rule("Sigmoid", "Tanh")
def _table_activation(lw, site, args):
    return unary(lw, site, args[0], _op("logistic" if site.opcode == "Sigmoid" else "tanh", X))


@rule("HardSigmoid")
def _hard_sigmoid(lw, site, args):
    alpha, beta = float(site.attr("alpha", 0.2)), float(site.attr("beta", 0.5))
    line = _op("add", _op("mul", X, ir.Const(alpha)), ir.Const(beta))
    return unary(lw, site, args[0], _op("clamp", ZERO, line, ir.Const(1.0)))


@rule("Clip")
def _clip(lw, site, args):
    low = known_input(lw, site, args, 1, "minimum")
    high = known_input(lw, site, args, 2, "maximum")
    low = float(low.reshape(-1)[0]) if low is not None else site.attr("min")
    high = float(high.reshape(-1)[0]) if high is not None else site.attr("max")
    expr = X
    if low is not None and high is not None:
        expr = _op("clamp", ir.Const(float(low)), X, ir.Const(float(high)))
    elif low is not None:
        expr = _op("max", X, ir.Const(float(low)))
    elif high is not None:
        expr = _op("min", X, ir.Const(float(high)))
    return args[0] if expr is X else unary(lw, site, args[0], expr)


# ---- data movement ----------------------------------------------------------------------------


@rule("Identity")
def _identity(lw, site, args):
    return args[0]


@rule("Dropout")
def _dropout(lw, site, args):
    training = known_input(lw, site, args, 2, "training_mode")
    if training is not None and bool(training.reshape(-1)[0]):
        raise CompileError(f"{site.where()}: training_mode=True; fpgalab designs run inference (training_mode=False)")
    return args[0], Known(np.ones(shape_of(args[0]), dtype=np.float32))


@rule("Constant")
def _constant(lw, site, args):
    for key in ("value", "value_float", "value_floats", "value_int", "value_ints"):
        if key in site.attrs:
            return Known(np.asarray(site.attrs[key], dtype=np.float32), lw.fresh(site.name))
    raise CompileError(
        f"{site.where()}: its attribute {sorted(site.attrs)} is not supported; "
        "supported: value, value_float, value_floats, value_int, value_ints"
    )


@rule("Reshape")
def _reshape(lw, site, args):
    target = [int(n) for n in known_input(lw, site, args, 1, "shape").reshape(-1)]
    own = shape_of(args[0])
    if not site.attr("allowzero", 0):
        target = [own[k] if n == 0 else n for k, n in enumerate(target)]
    if target.count(-1) > 1:
        raise CompileError(f"{site.where()}: the shape {target} has more than one -1")
    if -1 in target:
        rest = int(np.prod([n for n in target if n != -1]))
        target[target.index(-1)] = int(np.prod(own)) // max(rest, 1)
    if int(np.prod(target)) != int(np.prod(own)):
        raise CompileError(f"{site.where()}: cannot reshape {own} to {tuple(target)}")
    return reshape(lw, args[0], tuple(target), site)


@rule("Flatten")
def _flatten(lw, site, args):
    own = shape_of(args[0])
    axis = int(site.attr("axis", 1)) % (len(own) + 1) if own else 0
    return reshape(lw, args[0], (int(np.prod(own[:axis])), int(np.prod(own[axis:]))), site)


def _axes(lw, site, args) -> list[int] | None:
    axes = known_input(lw, site, args, 1, "axes")
    if axes is not None:
        return [int(a) for a in axes.reshape(-1)]
    return list(site.attr("axes")) if "axes" in site.attrs else None


@rule("Squeeze")
def _squeeze(lw, site, args):
    own = shape_of(args[0])
    axes = _axes(lw, site, args)
    axes = [k for k, n in enumerate(own) if n == 1] if axes is None else [axis_of(site, a, len(own)) for a in axes]
    if any(own[a] != 1 for a in axes):
        raise CompileError(f"{site.where()}: squeezes axes {axes} of shape {own}; each must have size 1")
    return reshape(lw, args[0], tuple(n for k, n in enumerate(own) if k not in axes), site)


@rule("Unsqueeze")
def _unsqueeze(lw, site, args):
    own = shape_of(args[0])
    axes = _axes(lw, site, args)
    if axes is None:
        raise CompileError(f"{site.where()}: has no axes")
    rank = len(own) + len(axes)
    axes = sorted(axis_of(site, a, rank) for a in axes)
    shape, rest = [], iter(own)
    for k in range(rank):
        shape.append(1 if k in axes else next(rest))
    return reshape(lw, args[0], tuple(shape), site)


@rule("Transpose")
def _transpose_rule(lw, site, args):
    rank = len(shape_of(args[0]))
    return transpose(lw, site, args[0], site.attr("perm", list(reversed(range(rank)))))


@rule("Concat")
def _concat(lw, site, args):
    shapes = [shape_of(a) for a in args]
    axis = axis_of(site, int(site.attr("axis", 0)), len(shapes[0]))
    knowns = [lw.known(a) for a in args]
    if all(k is not None for k in knowns):
        return Known(np.concatenate([k.array for k in knowns], axis=axis))
    shape = list(shapes[0])
    shape[axis] = sum(s[axis] for s in shapes)
    buffers = [lw.buffer(a, f"{site.name}_in{k}", site.op_name) for k, a in enumerate(args)]
    node = ir.Concat(lw.fresh(site.name), tuple(b.name for b in buffers), tuple(shape), axis=axis, **lw.common(site))
    return lw.add_node(node)


# ---- shape subgraphs: folded at compile time ----------------------------------------------------


@rule("Shape")
def _shape(lw, site, args):
    own = np.asarray(shape_of(args[0]), dtype=np.float32)
    start, end = int(site.attr("start", 0)), site.attr("end")
    return Known(own[start : (int(end) if end is not None else None)])


@rule("Gather")
def _gather(lw, site, args):
    data = lw.known(args[0])
    if data is None:
        raise CompileError(
            f"{site.where()}: gathers from a run-time tensor; fpgalab folds Gather only on compile-time values "
            "(shape subgraphs, constant tables)"
        )
    indices = known_input(lw, site, args, 1, "indices").astype(np.int64)
    axis = axis_of(site, int(site.attr("axis", 0)), data.array.ndim)
    return Known(np.take(data.array, indices, axis=axis).astype(np.float32))


_CASTS = {1: np.float32, 2: np.uint8, 3: np.int8, 5: np.int16, 6: np.int32, 7: np.int64, 9: np.bool_, 10: np.float16}
_CASTS.update({11: np.float64, 12: np.uint32, 13: np.uint64, 4: np.uint16})


@rule("Cast")
def _cast(lw, site, args):
    to = int(site.attr("to", 1))
    known = lw.known(args[0])
    if known is not None:
        if to not in _CASTS:
            raise CompileError(f"{site.where()}: cast to ONNX type {to} is not supported; to: {sorted(_CASTS)}")
        return Known(known.array.astype(_CASTS[to]).astype(np.float32))
    if to in (1, 10, 11):  # float to float: the design's precision decides
        return args[0]
    raise CompileError(
        f"{site.where()}: casts a run-time tensor to ONNX type {to}; fpgalab casts run-time tensors only to "
        "floating point (1 float, 10 float16, 11 double)"
    )
