"""Precision assignment: give every buffer, accumulator and operation its numeric type.

``precision`` is what the user writes: one type for everything (``"ap_fixed<16,6>"`` or
``"float32"``), or a dict of roles (``input``, ``weight``, ``bias``, ``accum``, ``result``,
``table``; ``default`` for the rest) plus per-layer overrides keyed by Keras layer name, TF op
name or node name, each a type or a dict of roles::

    {"default": "ap_fixed<16,6>", "accum": "ap_fixed<32,12>", "dense_2": {"weight": "ap_fixed<8,2>"}}

When ``accum`` is not given it is chosen so that no product is rounded: the fraction bits of
both operands, and the result's integer bits plus 4 guard bits, at most 32 bits (the widest
type fpgalab simulates exactly). hls4ml uses the layer precision for its accumulator; give
``accum`` explicitly to model that.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace

from ..ir import nodes as ir
from ..ir.types import BOOL, FLOAT32, MAX_FIXED_WIDTH, BoolType, FixedType, FloatType, NumType, parse_type

ROLES = ("input", "weight", "bias", "accum", "result", "table")
DEFAULT_TABLE_TYPE = FixedType(18, 8, True, "AP_RND", "AP_SAT")
GUARD_BITS = 4


@dataclass(frozen=True)
class Roles:
    """The types of one layer; ``accum=None`` means derived from the operands (see module doc)."""

    input: NumType = FLOAT32
    weight: NumType = FLOAT32
    bias: NumType = FLOAT32
    result: NumType = FLOAT32
    accum: NumType | None = None
    table: NumType = FLOAT32

    def updated(self, spec, where: str) -> "Roles":
        if isinstance(spec, (str, FixedType, FloatType)):
            kind = parse_type(spec)
            return Roles(kind, kind, kind, kind, None, DEFAULT_TABLE_TYPE if isinstance(kind, FixedType) else FLOAT32)
        if not isinstance(spec, dict):
            raise ValueError(f"precision for {where} must be a type string or a dict of roles ({', '.join(ROLES)}), "
                             f"got {type(spec).__name__}")
        changes = {}
        if "default" in spec:
            base = self.updated(spec["default"], where)
            changes = {f.name: getattr(base, f.name) for f in fields(Roles)}
        for key, value in spec.items():
            if key == "default":
                continue
            if key not in ROLES:
                raise ValueError(f"unknown precision role {key!r} for {where}; allowed: default, {', '.join(ROLES)}")
            changes[key] = parse_type(value)
        return replace(self, **changes)


@dataclass(frozen=True)
class PrecisionConfig:
    default: Roles
    layers: dict = field(default_factory=dict, hash=False)  # override key -> Roles

    @property
    def is_float(self) -> bool:
        return isinstance(self.default.result, FloatType) and not self.layers

    def describe(self) -> str:
        return str(self.default.result) + (f" (+{len(self.layers)} layer overrides)" if self.layers else "")


def parse_precision(precision) -> PrecisionConfig:
    """Read the user's ``precision`` option; ``ValueError`` says which part is wrong."""
    if precision is None:
        precision = "ap_fixed<16,6>"
    if not isinstance(precision, dict):
        return PrecisionConfig(Roles().updated(precision, "the design"))
    design_keys = {k: v for k, v in precision.items() if k in ROLES or k == "default"}
    default = Roles().updated(design_keys.get("default", "ap_fixed<16,6>"), "the design")
    default = default.updated({k: v for k, v in design_keys.items() if k != "default"}, "the design")
    layers = {}
    for key, spec in precision.items():
        if key in design_keys:
            continue
        layers[key] = default.updated(spec, f"layer {key!r}")
    return PrecisionConfig(default, layers)


def node_matches(key: str, node) -> bool:
    """Whether an option keyed ``key`` (layer, TF op name or node name) applies to ``node``."""
    op_name = getattr(node, "op_name", "")
    return key in (node.name, getattr(node, "layer", "")) or op_name == key or op_name.startswith(key + "/") \
        or f"/{key}/" in f"/{op_name}/"


def check_override_keys(keys, kernel: ir.Kernel, option: str) -> None:
    """An override naming no layer is a ValueError listing the layers there are."""
    for key in keys:
        if not any(node_matches(key, n) for n in kernel.nodes):
            layers = sorted({n.layer for n in kernel.nodes if n.layer})
            raise ValueError(f"{option} override {key!r} names no layer of this design; layers: {', '.join(layers)}")


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


def _retype_expr(expr, dtype: NumType, const_type: NumType):
    if isinstance(expr, ir.Const):
        return ir.Const(expr.value, const_type)
    if isinstance(expr, ir.Op):
        args = tuple(_retype_expr(a, dtype, const_type) for a in expr.args)
        op_type = BOOL if isinstance(expr.dtype, BoolType) else None if expr.dtype is None else dtype
        return ir.Op(expr.op, args, op_type)
    return expr


@dataclass(frozen=True)
class AssignPrecision:
    """Set the types of inputs, constants, nodes, accumulators and expression ops from a PrecisionConfig."""

    precision: PrecisionConfig
    name: str = "assign_precision"

    def roles_of(self, node) -> Roles:
        roles = self.precision.default
        for key, layer_roles in self.precision.layers.items():
            if node_matches(key, node):
                roles = layer_roles
        return roles

    def run(self, kernel: ir.Kernel) -> ir.Kernel:
        check_override_keys(self.precision.layers, kernel, "precision")
        types: dict[str, NumType] = {}
        inputs = tuple(replace(i, dtype=self.precision.default.input) for i in kernel.inputs)
        types.update({i.name: i.dtype for i in inputs})
        constant_roles = {}
        for node in kernel.nodes:
            roles = self.roles_of(node)
            for position, name in enumerate(node.inputs):
                role = "bias" if isinstance(node, (ir.Dot, ir.Conv)) and position == 2 else "weight"
                constant_roles.setdefault(name, (role, getattr(roles, role)))
        constants = tuple(replace(c, dtype=constant_roles.get(c.name, ("weight", self.precision.default.weight))[1],
                                  role=constant_roles.get(c.name, ("constant",))[0]) for c in kernel.constants)
        types.update({c.name: c.dtype for c in constants})
        nodes = []
        for node in kernel.nodes:
            roles = self.roles_of(node)
            operand_types = [types[i] for i in node.inputs]
            node = self._typed(node, roles, operand_types)
            types[node.name] = node.dtype
            nodes.append(node)
        return kernel.replace(inputs=inputs, constants=constants, nodes=tuple(nodes))

    def _typed(self, node, roles: Roles, operand_types):
        if isinstance(node, ir.DATA_MOVEMENT):
            return node.replace(dtype=operand_types[0] if len(set(operand_types)) == 1 else roles.result)
        if isinstance(node, ir.Elementwise):
            dtype = BOOL if isinstance(node.dtype, BoolType) else roles.result
            return node.replace(dtype=dtype, expr=_retype_expr(node.expr, dtype, roles.weight))
        if isinstance(node, (ir.Dot, ir.Conv)):
            acc = _accum_for(roles, _frac(operand_types[0]) + _frac(operand_types[1]))
            return node.replace(dtype=roles.result, acc=acc)
        if isinstance(node, (ir.Pool, ir.Reduce)):
            if node.kind == "sum":
                return node.replace(dtype=roles.result, acc=_accum_for(roles, _frac(operand_types[0])))
            return node.replace(dtype=roles.result, acc=operand_types[0])
        raise NotImplementedError(f"no precision rule for {type(node).__name__}")
