"""One lowering rule per ONNX op type: ``RULES[op_type](lowering, site, operand_values)``.

This module holds the table, the helpers every ONNX rule uses (numpy broadcasting as index maps,
transposes that merge and cancel), the binary and variadic elementwise ops, Mod, comparisons and
logical ops, and the data movement ops; of compile-time values (the shape subgraphs exporters emit:
``Shape``, ``Gather``, ``Cast``, ``Unsqueeze``, ``Concat`` feeding a ``Reshape``) they fold to
``Known`` values. The other rules are in ``activations``, ``layers`` (Gemm, MatMul, Conv, pools,
BatchNormalization, Softmax), ``pools``, ``conv_transpose``, ``normalization``, ``ordering``,
``reductions``, ``resize``, ``slices``, ``tensors``, ``triangular``, ``einsum``, ``positional``
(Gather) and ``shapes``.
The array helpers are ``frontend.lowering``'s and the TF rules' ``elementwise``, so both front ends
build the same nodes for the same computation.
"""

from __future__ import annotations

import numpy as np

from fpgalab.errors import CompileError
from fpgalab.frontend.lowering import Buffer, Known, ScaledIntegers, View, moved_type, reshape, shape_of
from fpgalab.frontend.lowering import transpose as _transpose
from fpgalab.frontend.tf.rules import elementwise
from fpgalab.ir import nodes as ir

RULES: dict = {}


def rule(*op_types):
    def register(fn):
        for op in op_types:
            RULES[op] = fn
        return fn

    return register


# ---- helpers ----------------------------------------------------------------------------------


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
        source = Known(
            value.array.reshape(kept_shape), value.name, moved_type(value.dtype, lambda a: a.reshape(kept_shape))
        )
    else:
        source = reshape(lw, lw.buffer(value, site.name + "_in", site.op_name), kept_shape, site)
    return View(source, tuple(offset + k for k in kept), tuple(shape))


def scalar(value: float, shape) -> View:
    return View(Known(np.asarray(value, dtype=np.float32).reshape(())), (), tuple(shape))


def transpose(lw, site, value, perm):
    """A transpose. Of a transpose's output: one transpose of its input. Moving only size-1 dimensions:
    a reshape. The same transpose of the same buffer twice (one input read by two Convs): made once."""
    perm = tuple(int(p) for p in perm)
    moved = transposed_from(lw, value)
    if moved is not None:
        return transpose(lw, site, moved[0], tuple(moved[1][p] for p in perm))
    own = shape_of(value)
    kept = [p for p in perm if own[p] != 1]
    if kept == sorted(kept):  # the same memory: a reshape
        return reshape(lw, value, tuple(own[p] for p in perm), site)
    key = (value.name, perm) if isinstance(value, Buffer) else None
    if key not in lw.transposes:
        result = _transpose(lw, value, perm, site)
        if key is None:
            return result
        lw.transposes[key] = result
    return lw.transposes[key]


def transposed_from(lw, value):
    """``(source, perm)`` when ``value`` is the output of a Transpose node, else None."""
    producer = lw.produced.get(value.name) if isinstance(value, Buffer) else None
    if isinstance(producer, ir.Transpose):
        return Buffer(producer.inputs[0], lw.buffer_shape(producer.inputs[0])), producer.perm
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


# ---- elementwise ------------------------------------------------------------------------------

BINARY = {"Add": "add", "Sub": "sub", "Mul": "mul", "Div": "div", "Max": "max", "Min": "min", "Sum": "add"}
VARIADIC = ("Max", "Min", "Sum", "Mean")  # any number of operands (Max and Min from opset 8, Sum and Mean always)


@rule("Mean")
def _mean(lw, site, args):
    if len(args) == 1:
        return args[0]
    total = _binary(lw, _as_op(site, "Sum"), args)
    shape = shape_of(total)
    return elementwise(lw, site.at(shape), "div", [total, scalar(float(len(args)), shape)])


def _as_op(site, opcode):
    """The same node seen as another op type (a Mean's sum)."""
    return type(site)(site.name, site.op_name, opcode, site.attrs, site.shape, site.integer, site.outputs)


@rule(*BINARY)
def _binary(lw, site, args):
    if site.opcode in VARIADIC and len(args) != 2:  # one operand: itself; more: a chain of two-operand nodes
        if not args:
            raise CompileError(f"{site.where()}: has no operands; it takes one or more")
        result = args[0]
        for operand in args[1:]:
            result = _binary(lw, site, [result, operand])
        return result
    if len(args) != 2:
        raise CompileError(f"{site.where()}: takes two operands, got {len(args)}")
    shape = tuple(int(n) for n in np.broadcast_shapes(*(shape_of(a) for a in args)))
    knowns = [lw.known(a) for a in args]
    if site.integer and site.opcode == "Div" and all(k is not None for k in knowns):  # shape arithmetic
        return Known(np.trunc(knowns[0].array / knowns[1].array).astype(np.float32))
    moved = same_transpose(lw, args)
    if moved is not None:  # a residual add of two Conv results: on their channels-last sources
        sources, perm = moved
        computed = elementwise(lw, site.at(shape_of(sources[0])), BINARY[site.opcode], sources)
        return transpose(lw, site, computed, perm)
    operands = [broadcast(lw, site, a, shape) for a in args]
    return elementwise(lw, site.at(shape), BINARY[site.opcode], operands)


def same_transpose(lw, args):
    """``(sources, perm)`` when every operand is the output of a Transpose by the same ``perm`` of a tensor
    of the same shape, else None."""
    moved = [transposed_from(lw, a) for a in args]
    if any(m is None for m in moved) or len({(m[1], m[0].shape) for m in moved}) != 1:
        return None
    return [m[0] for m in moved], moved[0][1]


@rule("Mod")
def _mod(lw, site, args):
    """``a - whole(a / b) * b``: ``whole`` rounds toward zero with fmod=1 (C's fmod), down with fmod=0 (the
    sign of the divisor, Python's %)."""
    fmod = bool(site.attr("fmod", 0))
    shape = tuple(int(n) for n in np.broadcast_shapes(*(shape_of(a) for a in args)))
    knowns = [lw.known(a) for a in args]
    if all(k is not None for k in knowns):
        a, b = (k.array.astype(np.float64) for k in knowns)
        return Known((np.fmod(a, b) if fmod else np.mod(a, b)).astype(np.float32))
    a, b = (broadcast(lw, site, v, shape) for v in args)
    at = site.at(shape)
    quotient = elementwise(lw, at, "div", [a, b])
    if fmod:
        negative = elementwise(lw, site.at(shape, "pred"), "cmp_lt", [quotient, scalar(0.0, shape)])
        whole = elementwise(
            lw,
            at,
            "select",
            [negative, elementwise(lw, at, "ceil", [quotient]), elementwise(lw, at, "floor", [quotient])],
        )
    else:
        whole = elementwise(lw, at, "floor", [quotient])
    return elementwise(lw, at, "sub", [a, elementwise(lw, at, "mul", [whole, b])])


COMPARE = {
    "Greater": "cmp_gt",
    "Less": "cmp_lt",
    "Equal": "cmp_eq",
    "GreaterOrEqual": "cmp_ge",
    "LessOrEqual": "cmp_le",
}


@rule(*COMPARE)
def _compare(lw, site, args):
    shape = tuple(int(n) for n in np.broadcast_shapes(*(shape_of(a) for a in args)))
    operands = [broadcast(lw, site, a, shape) for a in args]
    return elementwise(lw, site.at(shape, "pred"), COMPARE[site.opcode], operands)


LOGICAL = {"And": "select", "Or": "select", "Xor": "cmp_ne"}


@rule(*LOGICAL)
def _logical(lw, site, args):
    """On booleans: ``a and b`` is ``select(a, b, false)``, ``a or b`` is ``select(a, true, b)``, xor is ``a != b``."""
    shape = tuple(int(n) for n in np.broadcast_shapes(*(shape_of(a) for a in args)))
    a, b = (broadcast(lw, site, v, shape) for v in args)
    operands = {"And": [a, b, scalar(0.0, shape)], "Or": [a, scalar(1.0, shape), b], "Xor": [a, b]}[site.opcode]
    return elementwise(lw, site.at(shape, "pred"), LOGICAL[site.opcode], operands)


@rule("Not")
def _not(lw, site, args):
    shape = shape_of(args[0])
    return elementwise(lw, site.at(shape, "pred"), "cmp_eq", [args[0], scalar(0.0, shape)])


@rule("Where")
def _where(lw, site, args):
    shape = tuple(int(n) for n in np.broadcast_shapes(*(shape_of(a) for a in args)))
    return elementwise(lw, site.at(shape), "select", [broadcast(lw, site, a, shape) for a in args])


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
        types = {None if isinstance(k.dtype, ScaledIntegers) else k.dtype for k in knowns}
        return Known(
            np.concatenate([k.array for k in knowns], axis=axis), dtype=types.pop() if len(types) == 1 else None
        )
    moved = [transposed_from(lw, a) for a in args]
    if all(m is not None for m in moved) and len({m[1] for m in moved}) == 1:  # on the channels-last sources
        perm = moved[0][1]
        return transpose(lw, site, _concat_buffers(lw, site, [m[0] for m in moved], perm[axis]), perm)
    return _concat_buffers(lw, site, args, axis)


def _concat_buffers(lw, site, args, axis):
    shapes = [shape_of(a) for a in args]
    shape = list(shapes[0])
    shape[axis] = sum(s[axis] for s in shapes)
    buffers = [lw.buffer(a, f"{site.name}_in{k}", site.op_name) for k, a in enumerate(args)]
    node = ir.Concat(lw.fresh(site.name), tuple(b.name for b in buffers), tuple(shape), axis=axis, **lw.common(site))
    return lw.add_node(node)
