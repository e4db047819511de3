"""The ``precision`` option: one type for everything, or roles and per-layer overrides (see ``fpgalab.options``)."""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace

from fpgalab.ir.types import FLOAT32, FixedType, FloatType, NumType, parse_type

ROLES = ("input", "weight", "bias", "accum", "result", "table")
DEFAULT_TABLE_TYPE = FixedType(18, 8, True, "AP_RND", "AP_SAT")
DEFAULT_FIXED = FixedType(16, 6)


@dataclass(frozen=True)
class AutoType:
    """``"auto"`` for a role: the type follows from the operands, exactly where it can (a sum of
    products gets every bit it can grow to, a constant the bits its values need), as hls4ml's
    precision inference does for QONNX models; ``fallback`` where no exact rule exists (inputs,
    table look-ups). ``fpgalab.passes.auto_precision`` gives the rules."""

    fallback: FixedType = DEFAULT_FIXED

    def __str__(self) -> str:
        return "auto"


AUTO = AutoType()


def parse_role_type(value, role: str):
    """A role's type: a precision string, or ``"auto"`` (not for ``input``: an input needs a type)."""
    if isinstance(value, AutoType) or (isinstance(value, str) and value.strip().lower() == "auto"):
        if role == "input":
            raise ValueError("the input role cannot be 'auto': give the input's type, e.g. 'ap_fixed<16,6>'")
        return AUTO
    return parse_type(value)


@dataclass(frozen=True)
class Roles:
    """The types of one layer; ``accum=None`` means derived from the operands (see module doc)."""

    input: NumType = FLOAT32
    weight: NumType | AutoType = FLOAT32
    bias: NumType | AutoType = FLOAT32
    result: NumType | AutoType = FLOAT32
    accum: NumType | AutoType | None = None
    table: NumType | AutoType = FLOAT32

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
            changes[key] = parse_role_type(value, key)
        return replace(self, **changes)


@dataclass(frozen=True)
class PrecisionConfig:
    default: Roles
    layers: dict = field(default_factory=dict, hash=False)  # override key -> Roles

    @property
    def is_float(self) -> bool:
        return isinstance(self.default.result, FloatType) and not self.layers

    @property
    def is_fixed(self) -> bool:
        """Whether the design computes in fixed point (its result role is a fixed type or ``auto``)."""
        return isinstance(self.default.result, (FixedType, AutoType))

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
