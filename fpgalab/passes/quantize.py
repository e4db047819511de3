"""Precision assignment: give every buffer, accumulator and operation its numeric type.

The user's ``precision`` option is read and checked by ``fpgalab.options.parse_precision`` into a
``PrecisionConfig`` (design roles plus per-layer overrides); this pass applies it.

When ``accum`` is not given it is chosen so that no product is rounded: the fraction bits of
both operands, and the result's integer bits plus 4 guard bits, at most 64 bits. hls4ml uses the
layer precision for its accumulator; give ``accum`` explicitly to model that.

Inside a fused expression an operation keeps the full precision C++ gives it; one whose exact
result would be wider than 64 bits (``FUSED_WIDTH``: chained products such as GELU's
``0.044715 * x * x * x`` at wide types) gets 64 bits (``passes.natural.bound_intermediates``).

A softmax's sum of exponentials is not given the layer's result type: it gets a type wide
enough for its number of classes (``fpgalab.passes.softmax``), or the layer's ``accum``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

import numpy as np

from fpgalab.ir import nodes as ir
from fpgalab.ir.keys import node_matches
from fpgalab.ir.types import (
    BOOL,
    FLOAT32,
    MAX_FIXED_WIDTH,
    BoolType,
    FixedType,
    FloatType,
    NumType,
    integer_type,
    is_integer_type,
)
from fpgalab.options import DEFAULT_TABLE_TYPE, AutoType, PrecisionConfig, Roles, check_override_keys
from fpgalab.passes import auto_precision as auto
from fpgalab.passes.natural import bound_intermediates, natural_result
from fpgalab.passes.softmax import softmax_sums, sum_type
from fpgalab.sim.tables import DEFAULT_TABLES

GUARD_BITS = 4


def _accum_for(roles: Roles, operand_fracs: int) -> NumType:
    if roles.accum is not None:
        return roles.accum
    result = roles.result
    if not isinstance(result, FixedType):
        return FLOAT32
    integer = result.integer + GUARD_BITS
    frac = min(operand_fracs, MAX_FIXED_WIDTH - integer)
    return FixedType(max(1, integer + frac), integer, True)


def _frac(dtype) -> int:
    return dtype.frac if isinstance(dtype, FixedType) else 0


def _integer_constant_type(value: float, limit: FixedType) -> FixedType:
    """The narrowest ap_int holding a whole constant of an integer operation, at most ``limit``'s width
    (HLS sizes a literal the same way; a narrow operand keeps products narrow)."""
    magnitude = int(abs(value))
    width = max(2, magnitude.bit_length() + 1)
    return integer_type(min(width, limit.width), True) if value == int(value) else limit


def _compared_integer(op: ir.Op, operand_types) -> FixedType | None:
    """The integer type a comparison compares in: that of an integer operand it reads, if any."""
    if not op.op.startswith("cmp_"):
        return None
    for arg in op.args:
        if isinstance(arg, ir.Arg) and arg.index < len(operand_types) and is_integer_type(operand_types[arg.index]):
            return operand_types[arg.index]
    return None


def compared_with_integers(expr, operand_types) -> dict:
    """Operand position -> integer type, for the operands a comparison sets against an integer operand
    (a one-hot's positions, an embedding's id bound): they are whole numbers of that type."""
    found: dict = {}
    for op in ir.expr_ops(expr):
        integer = _compared_integer(op, operand_types)
        for arg in op.args if integer is not None else ():
            if isinstance(arg, ir.Arg):
                found.setdefault(arg.index, integer)
    return found


def _retype_expr(expr, dtype: NumType, const_type: NumType, operand_types=()):
    if isinstance(expr, ir.Const):
        if is_integer_type(const_type):
            return ir.Const(expr.value, _integer_constant_type(expr.value, const_type))
        return ir.Const(expr.value, const_type)
    if isinstance(expr, ir.Op):
        integer = _compared_integer(expr, operand_types)
        arg_const_type = integer if integer is not None else const_type
        args = tuple(_retype_expr(a, dtype, arg_const_type, operand_types) for a in expr.args)
        op_type = BOOL if isinstance(expr.dtype, BoolType) else None if expr.dtype is None else dtype
        return ir.Op(expr.op, args, op_type)
    return expr


def _located_extrema(kernel: ir.Kernel) -> set[str]:
    """Maxima and minima read only to find where they are (argmax's ``x == max``): they keep their
    operand's type, so that the comparison with the operand is exact."""
    users = kernel.users()
    return {
        node.name
        for node in kernel.nodes
        if isinstance(node, ir.Reduce)
        and node.kind in ("max", "min")
        and node.name not in kernel.outputs
        and users.get(node.name)
        and all(isinstance(u, ir.Elementwise) and is_integer_type(u.dtype) for u in users[node.name])
    }


def mean_sums(kernel: ir.Kernel) -> dict[str, int]:
    """The sums inside a layer that scales them next (a mean: GlobalAveragePooling, AveragePooling,
    reduce_mean), with the number of terms each adds: ``{node name: count}``.

    Such a sum is the layer's accumulator, not its result (hls4ml types it ``accum_t``): given the
    result type it would wrap as soon as the inputs' sum passes the result's range, though the mean
    would fit. ``AssignPrecision`` widens it by ``ceil(log2(count))`` integer bits.
    """
    users = kernel.users()
    sums = {}
    for node in kernel.nodes:
        if not isinstance(node, (ir.Reduce, ir.Pool)) or node.kind != "sum" or node.name in kernel.outputs:
            continue
        readers = users.get(node.name, [])
        if not readers or not all(isinstance(u, ir.Elementwise) and u.layer == node.layer for u in readers):
            continue
        if isinstance(node, ir.Pool):
            count = int(np.prod(node.window, dtype=np.int64))
        else:
            shape = kernel.buffers()[node.inputs[0]].shape
            count = int(np.prod([shape[d] for d in node.dims], dtype=np.int64))
        if count > 1:
            sums[node.name] = count
    return sums


@dataclass(frozen=True)
class AssignPrecision:
    """Set the types of inputs, constants, nodes, accumulators and expression ops from a PrecisionConfig."""

    precision: PrecisionConfig
    name: str = "assign_precision"
    tables: dict | None = field(default=None, hash=False, compare=False)  # the design's; None: the defaults
    table_type: NumType | None = None  # the design's table type; None: the default

    def roles_of(self, node) -> Roles:
        roles = self.precision.default
        for key, layer_roles in self.precision.layers.items():
            if node_matches(key, node):
                roles = layer_roles
        return roles

    def run(self, kernel: ir.Kernel) -> ir.Kernel:
        check_override_keys(self.precision.layers, kernel, "precision")
        return self._assign(kernel, [self._input_type(i) for i in kernel.inputs])

    def _assign(self, kernel: ir.Kernel, input_types) -> ir.Kernel:
        types: dict[str, NumType] = {}
        inputs = tuple(replace(i, dtype=t) for i, t in zip(kernel.inputs, input_types))
        types.update({i.name: i.dtype for i in inputs})
        constant_roles = {}
        lowered = {name: self._integer(buffer.dtype) for name, buffer in kernel.buffers().items()}
        for node in kernel.nodes:
            roles = self.roles_of(node)
            compared = {}
            if isinstance(node, ir.Elementwise):
                compared = compared_with_integers(node.expr, [lowered[i] for i in node.inputs])
            for position, name in enumerate(node.inputs):
                role = "bias" if isinstance(node, (ir.Dot, ir.Conv)) and position == 2 else "weight"
                integer = None if node.given_type else self._integer(node.dtype)
                dtype = integer or compared.get(position) or getattr(roles, role)
                if isinstance(node, ir.Lookup) and position == 1:
                    dtype = self._position_type(kernel, node) or dtype
                constant_roles.setdefault(name, (role, dtype))
        constants = tuple(
            replace(
                c,
                dtype=self._constant_type(c, constant_roles.get(c.name, ("weight", self.precision.default.weight))[1]),
                role=constant_roles.get(c.name, ("constant",))[0],
            )
            for c in kernel.constants
        )
        types.update({c.name: c.dtype for c in constants})
        sums = softmax_sums(kernel, (self.tables or DEFAULT_TABLES)["exp"])
        located = _located_extrema(kernel)
        means = mean_sums(kernel)
        nodes = []
        for node in kernel.nodes:
            roles = self.roles_of(node)
            operand_types = [types[i] for i in node.inputs]
            if node.given_type:
                node = self._given(kernel, node, operand_types)
            elif isinstance(roles.result, AutoType) and not isinstance(node, (ir.Loop, ir.Lookup)):
                node = self._auto(kernel, node, roles, operand_types)
            elif node.name in sums and isinstance(roles.result, FixedType):
                node = self._softmax_sum(node, roles, sums[node.name], operand_types[0])
            elif node.name in located and isinstance(roles.result, FixedType):
                node = node.replace(dtype=operand_types[0], acc=operand_types[0])
            elif node.name in means and isinstance(roles.result, FixedType) and roles.accum is None:
                node = self._typed(node, roles, operand_types)
                grow = max(0, math.ceil(math.log2(means[node.name])))
                dtype = replace(roles.result, width=roles.result.width + grow, integer=roles.result.integer + grow)
                acc = node.acc if node.acc.integer >= dtype.integer else dtype  # the sum, term by term
                node = node.replace(dtype=dtype, acc=acc)
            else:
                node = self._typed(node, roles, operand_types)
            types[node.name] = node.dtype
            nodes.append(node)
        return kernel.replace(inputs=inputs, constants=constants, nodes=tuple(nodes))

    def _position_type(self, kernel: ir.Kernel, node: ir.Lookup) -> NumType | None:
        """The type of a Lookup's constant ids in a fixed-point design: an ap_uint wide enough for
        the table's last row (the ids are positions into it); None in a float32 design."""
        if not self.precision.is_fixed:
            return None
        rows = kernel.buffers()[node.inputs[0]].shape[0]
        return integer_type(max(1, (rows - 1).bit_length()), False)

    def _integer(self, dtype) -> NumType | None:
        """The type an integer value keeps: its own in a fixed-point design (integers are exact there),
        None in a float32 one (float32 holds integers exactly up to 2**24) and for non-integers."""
        if is_integer_type(dtype) and self.precision.is_fixed:
            return dtype
        return None

    def _input_type(self, spec: ir.Input) -> NumType:
        """An input's type: the ``input`` role, except that an integer input (token ids) keeps the
        ap_int/ap_uint type of its element type unless the ``input`` role is itself an integer type."""
        role = self.precision.default.input
        if not spec.integer or not self.precision.is_fixed or is_integer_type(role):
            return role
        return spec.dtype if is_integer_type(spec.dtype) else integer_type(32)

    def _constant_type(self, constant: ir.Constant, dtype):
        if constant.given_type:
            return constant.dtype  # the model's own (QONNX-quantized weights)
        return auto.constant_type(constant.value) if isinstance(dtype, AutoType) else dtype

    def _table_type(self) -> FixedType:
        return self.table_type if isinstance(self.table_type, FixedType) else DEFAULT_TABLE_TYPE

    def _given(self, kernel, node, operand_types):
        """A node whose type the model gives (a QONNX Quant): the type stays; its constants get the
        types their values need and its sums every bit they can grow to, so only the Quant rounds."""
        if isinstance(node, ir.Elementwise) and any(isinstance(t, FloatType) for t in operand_types):
            if isinstance(node.expr, ir.Arg):
                return node  # the float value, converted to the given type
            return node.replace(expr=ir.Op("convert", (_float_expr(node.expr),), node.dtype))
        if isinstance(node, ir.Elementwise):
            expr = _typed_constants(node.expr)
            if isinstance(expr, ir.Op) and expr.dtype is None:
                expr = ir.Op(expr.op, expr.args, node.dtype)  # the root is the conversion to the given type
            return node.replace(expr=bound_intermediates(expr, operand_types, self._table_type()))
        if isinstance(node, (ir.Dot, ir.Conv, ir.Pool, ir.Reduce)):
            if not all(isinstance(t, FixedType) for t in operand_types):
                return node.replace(acc=FLOAT32)
            return node.replace(acc=self._auto(kernel, node, None, operand_types).acc)
        return node

    def _auto(self, kernel, node, roles, operand_types):
        """A node of the ``auto`` role: the type its operands imply (``fpgalab.passes.auto_precision``)."""
        buffers = kernel.buffers()
        if isinstance(node, ir.Elementwise):
            expr, dtype = natural_result(_typed_constants(node.expr), operand_types, self._table_type())
            return node.replace(expr=expr, dtype=dtype)
        if isinstance(node, (ir.Dot, ir.Conv)):
            a, w = operand_types[0], operand_types[1]
            if isinstance(node, ir.Dot):
                shape = buffers[node.inputs[0]].shape
                terms = int(np.prod([shape[d] for d in node.lhs_contract], dtype=np.int64))
            else:
                terms = int(np.prod(buffers[node.inputs[1]].shape[:-1], dtype=np.int64))
            bias = operand_types[2] if len(operand_types) > 2 else None
            acc = auto.sum_type(auto.product_type(a, w), terms, bias)
            return node.replace(dtype=node.dtype if node.given_type else acc, acc=acc)
        if isinstance(node, (ir.Pool, ir.Reduce)) and node.kind == "sum":
            if isinstance(node, ir.Pool):
                terms = int(np.prod(node.window, dtype=np.int64))
            else:
                terms = int(np.prod([buffers[node.inputs[0]].shape[d] for d in node.dims], dtype=np.int64))
            acc = auto.sum_type(operand_types[0], terms)
            return node.replace(dtype=node.dtype if node.given_type else acc, acc=acc)
        if isinstance(node, (ir.Pool, ir.Reduce)):
            return node.replace(dtype=node.dtype if node.given_type else operand_types[0], acc=operand_types[0])
        if isinstance(node, ir.DATA_MOVEMENT):
            common = operand_types[0] if len(set(operand_types)) == 1 else _common_type(operand_types)
            return node.replace(dtype=common)
        raise NotImplementedError(f"no auto precision rule for {type(node).__name__}")

    def _softmax_sum(self, node, roles: Roles, bound: float, operand):
        """A softmax's sum of exponentials: the layer's ``accum`` if given, else wide enough for ``bound``."""
        dtype = roles.accum if roles.accum is not None else sum_type(bound, _frac(operand), roles.result)
        return node.replace(dtype=dtype, acc=dtype)

    def _typed(self, node, roles: Roles, operand_types):
        integer = self._integer(node.dtype)
        if integer is not None and isinstance(node, (ir.Reduce, ir.Pool)):
            return node.replace(acc=integer)  # positions, ranks and integer sums: exact in their own type
        if isinstance(node, ir.Lookup):
            return node.replace(dtype=operand_types[0])  # the table's words, as stored
        if isinstance(node, ir.Loop):
            return self._loop(node, roles, operand_types)
        if isinstance(node, ir.DATA_MOVEMENT):
            return node.replace(dtype=operand_types[0] if len(set(operand_types)) == 1 else roles.result)
        if isinstance(node, ir.Elementwise):
            integer = self._integer(node.dtype)
            if integer is not None:
                return node.replace(expr=_retype_expr(node.expr, integer, integer))
            dtype = BOOL if isinstance(node.dtype, BoolType) else roles.result
            integers = [self._integer(t) for t in operand_types]
            expr = _retype_expr(node.expr, dtype, roles.weight, integers)
            if isinstance(dtype, FixedType):
                table_type = self.table_type if isinstance(self.table_type, FixedType) else DEFAULT_TABLE_TYPE
                expr = bound_intermediates(expr, operand_types, table_type)
            return node.replace(dtype=dtype, expr=expr)
        if isinstance(node, (ir.Dot, ir.Conv)):
            acc = _accum_for(roles, _frac(operand_types[0]) + _frac(operand_types[1]))
            return node.replace(dtype=roles.result, acc=acc)
        if isinstance(node, (ir.Pool, ir.Reduce)):
            if node.kind == "sum":
                return node.replace(dtype=roles.result, acc=_accum_for(roles, _frac(operand_types[0])))
            return node.replace(dtype=roles.result, acc=operand_types[0])
        raise NotImplementedError(f"no precision rule for {type(node).__name__}")

    def _loop(self, node: ir.Loop, roles: Roles, operand_types):
        """A loop's body is typed as a kernel of its own: its carried states (the state registers)
        get the loop layer's result type, its per-step inputs the type of the buffer they read.
        The loop's output has the type of the body value it holds."""
        input_types = [roles.result] * node.carried + list(operand_types[node.carried :])
        body = self._assign(node.body, input_types)
        if node.result < node.carried:
            dtype = body.inputs[node.result].dtype
        else:
            dtype = body.buffers()[body.outputs[node.result]].dtype
        return node.replace(body=body, dtype=dtype)


def _typed_constants(expr):
    """``expr`` with each constant leaf that has no fixed type given the type its value needs."""
    if isinstance(expr, ir.Const):
        return (
            expr
            if isinstance(expr.dtype, (FixedType, BoolType))
            else ir.Const(expr.value, auto.constant_type(expr.value))
        )
    if isinstance(expr, ir.Op):
        return ir.Op(expr.op, tuple(_typed_constants(a) for a in expr.args), expr.dtype)
    return expr


def _common_type(types) -> NumType:
    """A type holding every value of ``types`` (a concatenation of differently typed parts)."""
    fixed = [t for t in types if isinstance(t, FixedType)]
    if len(fixed) != len(types):
        return FLOAT32
    integer = max(t.integer for t in fixed) + int(len({t.signed for t in fixed}) > 1)
    return auto.natural(integer, max(t.frac for t in fixed), any(t.signed for t in fixed))


def _float_expr(expr):
    """``expr`` computed in float32 (a float design's layers fused into a given-type node)."""
    if isinstance(expr, ir.Const):
        return ir.Const(expr.value, FLOAT32)
    if isinstance(expr, ir.Op):
        dtype = BOOL if isinstance(expr.dtype, BoolType) else FLOAT32
        return ir.Op(expr.op, tuple(_float_expr(a) for a in expr.args), dtype)
    return expr
