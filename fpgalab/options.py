"""The options of ``fpgalab.compile``, checked once: a bad option is a ValueError saying what is allowed.

HLS directives (``fpgalab.passes``), each a design-wide value or a dict keyed by Keras layer, TF
op or node name (an optional "default" key for the rest); layer names are checked against the
model when it is compiled:

    fuse=True           elementwise nodes run inside their producer's loop (relu after conv)
    unroll=1            innermost loop by N, "full", or {loop: factor}; factors must divide trips
    parallelism=None    copies of the loop body per cycle (factors chosen to divide the trips)
    reuse=None          hls4ml's reuse factor (alias reuse_factor), on dense and conv layers
    pipeline=True       innermost loop pipelined at II=1; False; an II; {"ii", "loop", "flatten"}
    flatten=None        "auto" (perfect nests, as Vitis), "full" (one pipeline per layer), "none"
    partition="auto"    banks matching the unrolling; "none"; {buffer or layer: spec}
    storage="auto"      weights in "bram", "uram", "lutram" or "reg"; or per layer / buffer
    dataflow=True       layers run concurrently through FIFOs or ping-pong buffers
    fifo_depth=None     FIFO depth (elements), Vitis's default 2; or per layer / buffer
    channel="auto"      FIFO where the reader reads in order, else ping-pong; "pipo" forces PIPOs

``precision`` is one type for everything (``"ap_fixed<16,6>"`` or ``"float32"``), or a dict of
roles (``input``, ``weight``, ``bias``, ``accum``, ``result``, ``table``; ``default`` for the rest)
plus per-layer overrides keyed like the directives, each a type or a dict of roles::

    {"default": "ap_fixed<16,6>", "accum": "ap_fixed<32,12>", "dense_2": {"weight": "ap_fixed<8,2>"}}

Everything is parsed and checked here: ``parse_options`` checks what can be checked without the
model, and ``check_keys`` / ``check_override_keys`` check per-layer keys against the lowered
model (the passes call them before they apply an option). The passes receive checked values.

The estimate follows one synthesis ``flow`` (``fpgalab.costs.operators.FLOWS``):

    flow="hls"          what Vitis HLS + Vivado build from ``emit("hls")`` (DSP cascades and
                        accumulators in the DSP, function tables in block RAM, one-hot FSMs)
    flow="yosys"        what Yosys ``synth_xilinx`` / ``synth_ecp5`` builds from ``emit("verilog")``
                        (``Design.synthesize()``): fpgalab's own RTL, accumulators in fabric,
                        tables as LUT ROMs read in the cycle their index is ready

The flow changes the resource estimate only; the schedule and its cycles are the same.

Without directives this is what Vitis HLS does with default settings (innermost loops pipelined
at II=1, perfect loop nests flattened, no unrolling, no partitioning), plus dataflow between
layers, as DESIGN.md's ``compile`` signature has it. ``pipeline=False, partition="none",
dataflow=False`` is the LeFlow-like naive design.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace

from fpgalab.ir import nodes as ir
from fpgalab.ir.keys import node_matches
from fpgalab.ir.nodes import CHANNEL_KINDS, FLATTEN_MODES, STORAGE_KINDS
from fpgalab.ir.types import FLOAT32, FixedType, FloatType, NumType, parse_type
from fpgalab.parts import load_device, yosys_family
from fpgalab.sim.tables import DEFAULT_TABLES, TableSpec

DEFAULT_DEVICE = "xcvu9p"
DEFAULT_CLOCK_MHZ = 200.0
DEFAULT_PRECISION = "ap_fixed<16,6>"
DEFAULT_FLOW = "hls"
FLOWS = ("hls", "yosys")  # the same as fpgalab.costs.operators.FLOWS (checked by a unit test)
ROLES = ("input", "weight", "bias", "accum", "result", "table")
DEFAULT_TABLE_TYPE = FixedType(18, 8, True, "AP_RND", "AP_SAT")


# ---- precision: one type for everything, or roles and per-layer overrides


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


@dataclass(frozen=True)
class Options:
    device: str = DEFAULT_DEVICE
    clock_mhz: float = DEFAULT_CLOCK_MHZ
    precision_spec: object = DEFAULT_PRECISION  # as the user wrote it (str or dict), kept for to_json
    precision: PrecisionConfig = field(default_factory=lambda: parse_precision(DEFAULT_PRECISION))
    tables: dict = field(default_factory=lambda: dict(DEFAULT_TABLES), hash=False)
    # HLS directives (fpgalab.passes): a design-wide value or a dict of per-layer overrides each
    fuse: bool = True  # fuse elementwise nodes into their producers' loops
    unroll: object = field(default=1, hash=False)
    parallelism: object = field(default=None, hash=False)
    reuse: object = field(default=None, hash=False)
    pipeline: object = field(default=True, hash=False)
    flatten: object = None
    partition: object = field(default="auto", hash=False)
    storage: object = field(default="auto", hash=False)
    dataflow: bool = True
    fifo_depth: object = field(default=None, hash=False)
    channel: object = field(default="auto", hash=False)
    flow: str = DEFAULT_FLOW  # whose synthesis the resource estimate describes: "hls" | "yosys"

    @property
    def precision_text(self) -> str:
        return self.precision.describe()

    @property
    def table_type(self) -> NumType:
        table = self.precision.default.table
        return table if isinstance(table, FixedType) else DEFAULT_TABLE_TYPE

    def to_dict(self) -> dict:
        return {
            "device": self.device,
            "clock_mhz": self.clock_mhz,
            "precision": self.precision_spec,
            "tables": {k: [t.size, t.lo, t.hi] for k, t in self.tables.items()},
            **{name: getattr(self, name) for name in HLS_OPTIONS},
            "flow": self.flow,
        }


HLS_OPTIONS = (
    "fuse",
    "unroll",
    "parallelism",
    "reuse",
    "pipeline",
    "flatten",
    "partition",
    "storage",
    "dataflow",
    "fifo_depth",
    "channel",
)
ALLOWED = ("device", "clock_mhz", "precision", "tables") + HLS_OPTIONS + ("reuse_factor", "flow")


def _layer_dict(value, option: str, check) -> None:
    """Check a design-wide value, or each value of a per-layer dict, with ``check``."""
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                raise ValueError(f"{option} overrides are keyed by layer name (str), got key {key!r}")
            check(item, f"{option}[{key!r}]")
    else:
        check(value, option)


def _positive_or(*words):
    def check(value, where):
        if value in words or (isinstance(value, int) and not isinstance(value, bool) and value >= 1):
            return
        extra = "".join(f" or {w!r}" for w in words if w is not None)
        raise ValueError(f"{where} must be a positive integer{extra}, got {value!r}")

    return check


def _unroll_check(value, where):
    if isinstance(value, dict):
        for loop, factor in value.items():
            _positive_or("full")(factor, f"{where}[{loop!r}]")
        return
    _positive_or("full")(value, where)


def _pipeline_check(value, where):
    if isinstance(value, bool) or isinstance(value, dict):
        return
    if isinstance(value, int) and value >= 1:
        return
    raise ValueError(
        f"{where} must be True, False, a target II (integer >= 1) or a dict with ii/loop/flatten, got {value!r}"
    )


def _choice(choices):
    def check(value, where):
        if value not in choices:
            raise ValueError(f"{where} must be one of {', '.join(map(str, choices))}, got {value!r}")

    return check


def _hls_options(options: dict) -> dict:
    """The HLS options, checked as far as they can be without the model (layer names are checked later)."""
    if "reuse_factor" in options:
        if "reuse" in options:
            raise ValueError("give reuse or reuse_factor, not both (they are the same option)")
        options = {**options, "reuse": options.pop("reuse_factor")}
    result = {name: options[name] for name in HLS_OPTIONS if name in options}
    for name in ("fuse", "dataflow"):
        if name in result and not isinstance(result[name], bool):
            raise ValueError(f"{name} must be True or False, got {result[name]!r}")
    checks = {
        "unroll": _unroll_check,
        "parallelism": _positive_or(None, "full"),
        "reuse": _positive_or(None),
        "pipeline": _pipeline_check,
        "fifo_depth": _positive_or(None),
        "storage": _choice(STORAGE_KINDS),
        "channel": _choice(CHANNEL_KINDS),
    }
    for name, check in checks.items():
        if name in result:
            _layer_dict(result[name], name, check)
    if result.get("flatten") is not None:
        _choice(FLATTEN_MODES)(result["flatten"], "flatten")
    partition = result.get("partition", "auto")
    if not isinstance(partition, dict) and partition not in ("auto", "none"):
        raise ValueError(f"partition must be 'auto', 'none' or a dict of buffer/layer specs, got {partition!r}")
    return result


def _tables(spec) -> dict:
    tables = dict(DEFAULT_TABLES)
    if spec is None:
        return tables
    if not isinstance(spec, dict):
        raise ValueError("tables must be a dict like {'exp': (1024, -8, 8)}: function -> (size, lo, hi)")
    for name, value in spec.items():
        if name not in DEFAULT_TABLES:
            raise ValueError(f"unknown table {name!r}; tables exist for: {', '.join(DEFAULT_TABLES)}")
        if isinstance(value, TableSpec):
            tables[name] = value
            continue
        try:
            size, lo, hi = value
        except (TypeError, ValueError):
            raise ValueError(f"table {name!r} must be (size, lo, hi), got {value!r}") from None
        tables[name] = TableSpec(name, int(size), float(lo), float(hi))
    return tables


def parse_options(**options) -> Options:
    unknown = sorted(set(options) - set(ALLOWED))
    if unknown:
        raise ValueError(f"unknown option(s) {', '.join(unknown)}; fpgalab.compile takes: {', '.join(ALLOWED)}")
    device = options.get("device", DEFAULT_DEVICE)
    if not isinstance(device, str) or not device.strip():
        raise ValueError(f"device must be a part name such as 'xcvu9p' (see fpgalab.parts()), got {device!r}")
    part = load_device(device)  # raises ValueError listing the known parts
    storage = options.get("storage", "auto")
    if part.uram_block is None and "uram" in (storage.values() if isinstance(storage, dict) else [storage]):
        raise ValueError(f"storage 'uram': device {part.name} has no UltraRAM; allowed: auto, bram, lutram, reg")
    clock = options.get("clock_mhz", DEFAULT_CLOCK_MHZ)
    if isinstance(clock, bool) or not isinstance(clock, (int, float)) or not clock > 0:
        raise ValueError(f"clock_mhz must be a positive number of MHz, got {clock!r}")
    spec = options.get("precision", DEFAULT_PRECISION)
    return Options(
        device,
        float(clock),
        spec,
        parse_precision(spec),
        _tables(options.get("tables")),
        **_hls_options(dict(options)),
        flow=_flow(options.get("flow", DEFAULT_FLOW), part),
    )


def _flow(flow, part) -> str:
    if flow not in FLOWS:
        raise ValueError(
            f"flow must be one of {', '.join(FLOWS)} (the synthesis the estimate describes: Vitis HLS "
            f"or fpgalab's Verilog through Yosys), got {flow!r}"
        )
    if flow == "yosys":
        if yosys_family(part) is None:
            raise ValueError(
                f"flow 'yosys': Yosys has no synthesis script for {part.name} ({part.vendor}); "
                "it maps Xilinx 7-series/UltraScale+ and Lattice ECP5 parts. Use flow='hls'"
            )
    return flow


# ---- per-layer keys, checked against the model once it is lowered (the passes call these)


def check_override_keys(keys, kernel: ir.Kernel, option: str) -> None:
    """An override naming no layer is a ValueError listing the layers there are."""
    for key in keys:
        if not any(node_matches(key, n) for n in kernel.nodes):
            layers = sorted({n.layer for n in kernel.nodes if n.layer})
            raise ValueError(f"{option} override {key!r} names no layer of this design; layers: {', '.join(layers)}")


def check_keys(overrides: tuple, kernel: ir.Kernel, option: str, buffers_allowed: bool = False) -> None:
    """A key naming no layer (nor buffer, where allowed) is a ValueError listing the layers."""
    names = {b.name for b in (*kernel.inputs, *kernel.constants)} | {n.name for n in kernel.nodes}
    keys = [key for key, _ in overrides if not (buffers_allowed and key in names)]
    check_override_keys(keys, kernel, option)


def positive_int(value, what: str, allowed: str = "") -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{what} must be a positive integer{allowed}, got {value!r}")
    return value
