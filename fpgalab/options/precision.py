"""The ``precision`` option: one type for everything, or roles and per-layer overrides (see ``fpgalab.options``)."""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace

from fpgalab.ir.types import FLOAT32, FixedType, FloatType, NumType, parse_type

ROLES = ("input", "weight", "bias", "accum", "result", "table")
DEFAULT_TABLE_TYPE = FixedType(18, 8, True, "AP_RND", "AP_SAT")


@dataclass(frozen=True)
class Roles:
    """The types of one layer; ``accum=None`` means derived from the operands (see module doc)."""

    input: NumType = FLOAT32
    weight: NumType = FLOAT32
    bias: NumType = FLOAT32
    result: NumType = FLOAT32
    accum: NumType | None = None
    table: NumType = FLOAT32

    def updated(self, spec, where: str) -> Roles:
        if isinstance(spec, (str, FixedType, FloatType)):
            kind = parse_type(spec)
            return Roles(kind, kind, kind, kind, None, DEFAULT_TABLE_TYPE if isinstance(kind, FixedType) else FLOAT32)
        if not isinstance(spec, dict):
            raise ValueError(
                f"precision for {where} must be a type string or a dict of roles ({', '.join(ROLES)}), "
                f"got {type(spec).__name__}"
            )
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
