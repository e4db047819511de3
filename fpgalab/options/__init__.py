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
    reshape=False       True: a partitioned buffer's banks packed side by side in one memory's
                        words (ARRAY_RESHAPE), e.g. 64 two-bit weights a 128-bit word; per layer / buffer
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

The function tables (``tables``) follow one of two semantics:

    tables="fpgalab"    fpgalab's own (the default for io="layered"): each entry at its bin's centre,
                        the index floored, a division a multiply by the reciprocal; nearer the float
                        model. A dict ``{function: (size, lo, hi)}`` sets ranges in this style.
    tables="hls4ml"     hls4ml 1.3.0's (the default for io="parallel" and "stream"): entries at the
                        bins' left edges, the index truncated toward zero, softmax's stable tables
                        indexed by top bits, a pooled sum divided by its window size as an integer
                        division (``fpgalab.passes.hls4ml_semantics``): the bits hls4ml computes.

The architecture (``io``) is what the design is built as:

    io="layered"        fpgalab's own (the default): one FSM per layer with the directives above,
                        layers overlapped by dataflow. It is the architecture all three backends
                        generate and that Verilator and Yosys check cycle- and bit-exactly
                        (bench/FIDELITY.md), and the one the HLS directives describe.
    io="parallel"       hls4ml's io_parallel: the network as one pipelined function, each layer a
                        fully unrolled call pipelined at II = its reuse factor, products simplified
                        against the weights, operations chained at the clock
                        (``fpgalab.schedule.io_parallel``). What Vitis HLS builds from hls4ml's
                        designs (bench/FIDELITY_HLS.md); ``emit("hls")`` writes that C++.
    io="stream"         hls4ml's io_stream: each layer a dataflow process over a stream of pixels
                        (convolutions and pooling with line buffers), ``fpgalab.schedule.io_stream``.
    strategy="latency"  hls4ml's Strategy for io="parallel" or "stream": "latency" (any reuse factor, the
                        multipliers limited to ceil(n_in x n_out / RF)) or "resource" (the closest
                        valid reuse factor, weights read from a ROM).
    clock_uncertainty   the part of the period HLS keeps free when it chains operations: 0.27
                        (Vitis HLS's default, as hls4ml sets it) or e.g. "12.5%" for Vivado HLS.

Without directives this is what Vitis HLS does with default settings (innermost loops pipelined
at II=1, perfect loop nests flattened, no unrolling, no partitioning), plus dataflow between
layers, as DESIGN.md's ``compile`` signature has it. ``pipeline=False, partition="none",
dataflow=False`` is the LeFlow-like naive design.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from fpgalab.costs.delays import delays_for
from fpgalab.ir.nodes import CHANNEL_KINDS, FLATTEN_MODES, STORAGE_KINDS
from fpgalab.ir.types import FixedType, NumType, parse_type
from fpgalab.options.keys import check_keys, check_override_keys, positive_int
from fpgalab.options.precision import (
    AUTO,
    DEFAULT_TABLE_TYPE,
    ROLES,
    AutoType,
    PrecisionConfig,
    Roles,
    parse_precision,
)
from fpgalab.parts import load_device, yosys_family
from fpgalab.sim.hls4ml_tables import activation_tables
from fpgalab.sim.tables import DEFAULT_TABLES, TableSpec

__all__ = [
    "ALLOWED",
    "AUTO",
    "AutoType",
    "DEFAULT_TABLE_TYPE",
    "FLOWS",
    "HLS_OPTIONS",
    "ROLES",
    "Options",
    "PrecisionConfig",
    "Roles",
    "check_keys",
    "check_override_keys",
    "parse_options",
    "parse_precision",
    "positive_int",
]

DEFAULT_DEVICE = "xcvu9p"
DEFAULT_CLOCK_MHZ = 200.0
DEFAULT_PRECISION = "ap_fixed<16,6>"
DEFAULT_FLOW = "hls"
IO_TYPES = ("layered", "parallel", "stream")  # fpgalab's own architecture; hls4ml's io_parallel, io_stream
STRATEGIES = ("latency", "resource")
DEFAULT_UNCERTAINTY = 0.27  # Vitis HLS's default clock uncertainty, as hls4ml sets it (27 %)
FLOWS = ("hls", "yosys")  # the same as fpgalab.costs.operators.FLOWS (checked by a unit test)


@dataclass(frozen=True)
class Options:
    device: str = DEFAULT_DEVICE
    clock_mhz: float = DEFAULT_CLOCK_MHZ
    precision_spec: object = DEFAULT_PRECISION  # as the user wrote it (str or dict), kept for to_json
    precision: PrecisionConfig = field(default_factory=lambda: parse_precision(DEFAULT_PRECISION))
    tables: dict = field(default_factory=lambda: dict(DEFAULT_TABLES), hash=False)
    table_style: str = "fpgalab"  # whose table and division semantics: "fpgalab" | "hls4ml"
    # HLS directives (fpgalab.passes): a design-wide value or a dict of per-layer overrides each
    fuse: bool = True  # fuse elementwise nodes into their producers' loops
    unroll: object = field(default=1, hash=False)
    parallelism: object = field(default=None, hash=False)
    reuse: object = field(default=None, hash=False)
    pipeline: object = field(default=True, hash=False)
    flatten: object = None
    partition: object = field(default="auto", hash=False)
    storage: object = field(default="auto", hash=False)
    reshape: object = field(default=False, hash=False)
    dataflow: bool = True
    fifo_depth: object = field(default=None, hash=False)
    channel: object = field(default="auto", hash=False)
    flow: str = DEFAULT_FLOW  # whose synthesis the resource estimate describes: "hls" | "yosys"
    io: str = "layered"  # the architecture: fpgalab's layered one, or hls4ml's io_parallel ("parallel")
    strategy: str = "latency"  # hls4ml's Strategy for io="parallel": "latency" | "resource"
    clock_uncertainty: float = DEFAULT_UNCERTAINTY  # fraction of the period HLS keeps free when chaining

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
            "tables": {k: _table_entry(t) for k, t in self.tables.items()},
            **({"table_style": self.table_style} if self.table_style != "fpgalab" else {}),
            **{name: getattr(self, name) for name in HLS_OPTIONS},
            "flow": self.flow,
            **({"io": self.io, "strategy": self.strategy} if self.io != "layered" else {}),
            **({"clock_uncertainty": self.clock_uncertainty} if self.clock_uncertainty != DEFAULT_UNCERTAINTY else {}),
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
    "reshape",
    "dataflow",
    "fifo_depth",
    "channel",
)
ALLOWED = (
    ("device", "clock_mhz", "precision", "tables", "table_style")
    + HLS_OPTIONS
    + ("reuse_factor", "flow", "io", "strategy", "clock_uncertainty")
)


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


def _boolean(value, where):
    if not isinstance(value, bool):
        raise ValueError(f"{where} must be True or False, got {value!r}")


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
        if name in result:
            _boolean(result[name], name)
    if "reshape" in result:
        _layer_dict(result["reshape"], "reshape", _boolean)
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


def _table_entry(t: TableSpec) -> list:
    if t.style == "fpgalab":
        return [t.size, t.lo, t.hi]
    return [t.size, t.lo, t.hi, t.style, str(t.word) if t.word is not None else None]


def _tables(spec, io: str) -> tuple[dict, str]:
    """The tables and their style: ``"fpgalab"``, ``"hls4ml"`` or a dict of ranges (fpgalab's style);
    None gives hls4ml's for hls4ml's architectures, else fpgalab's."""
    if spec is None:
        spec = "fpgalab" if io == "layered" else "hls4ml"
    if spec == "fpgalab":
        return dict(DEFAULT_TABLES), "fpgalab"
    if spec == "hls4ml":
        return {**DEFAULT_TABLES, **activation_tables()}, "hls4ml"
    if not isinstance(spec, dict):
        raise ValueError(
            "tables must be 'fpgalab', 'hls4ml' or a dict like {'exp': (1024, -8, 8)}: function -> (size, lo, hi), "
            f"got {spec!r}"
        )
    tables = dict(DEFAULT_TABLES)
    for name, value in spec.items():
        if name not in DEFAULT_TABLES:
            raise ValueError(f"unknown table {name!r}; tables exist for: {', '.join(DEFAULT_TABLES)}")
        if isinstance(value, TableSpec):
            tables[name] = value
            continue
        if isinstance(value, (list, tuple)) and len(value) == 5:  # as to_dict writes an hls4ml-style table
            size, lo, hi, style, word = value
            tables[name] = TableSpec(name, int(size), float(lo), float(hi), style, parse_type(word) if word else None)
            continue
        try:
            size, lo, hi = value
        except (TypeError, ValueError):
            raise ValueError(f"table {name!r} must be (size, lo, hi), got {value!r}") from None
        tables[name] = TableSpec(name, int(size), float(lo), float(hi))
    styles = {t.style for t in tables.values()} - {"fpgalab"}
    return tables, styles.pop() if styles else "fpgalab"


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
    if isinstance(clock, bool) or not isinstance(clock, (int, float)) or not 0 < clock < float("inf"):
        raise ValueError(f"clock_mhz must be a positive, finite number of MHz, got {clock!r}")
    spec = options.get("precision", DEFAULT_PRECISION)
    architecture = _architecture(options, part)
    reshape = options.get("reshape", False)
    if architecture["io"] != "layered" and (any(reshape.values()) if isinstance(reshape, dict) else reshape is True):
        raise ValueError(
            f"reshape applies to io='layered' designs (fpgalab's ARRAY_RESHAPE directive); io={architecture['io']!r} "
            "stores weights as hls4ml's templates do. Leave reshape out or use io='layered'"
        )
    tables, style = _tables(options.get("tables"), architecture["io"])
    if options.get("table_style", style) != style:
        raise ValueError(f"table_style {options['table_style']!r} does not match the tables given ({style})")
    return Options(
        device,
        float(clock),
        spec,
        parse_precision(spec),
        tables,
        style,
        **_hls_options(dict(options)),
        flow=_flow(options.get("flow", DEFAULT_FLOW), part),
        **architecture,
    )


def _architecture(options: dict, part) -> dict:
    """``io``, ``strategy`` and ``clock_uncertainty``: hls4ml's architecture and how HLS chains in it."""
    io = options.get("io", "layered")
    if io not in IO_TYPES:
        raise ValueError(
            f"io must be one of {', '.join(IO_TYPES)} (fpgalab's layered design, or hls4ml's io_parallel or io_stream), got {io!r}"
        )
    strategy = options.get("strategy", "latency")
    if isinstance(strategy, str):
        strategy = strategy.lower()
    if strategy not in STRATEGIES:
        raise ValueError(f"strategy must be one of {', '.join(STRATEGIES)} (hls4ml's Strategy), got {strategy!r}")
    if io == "layered" and strategy != "latency":
        raise ValueError("strategy applies to hls4ml's architecture: give it with io='parallel'")
    uncertainty = options.get("clock_uncertainty", DEFAULT_UNCERTAINTY)
    if isinstance(uncertainty, str) and uncertainty.strip().endswith("%"):
        try:
            uncertainty = float(uncertainty.strip()[:-1]) / 100
        except ValueError:
            pass
    if isinstance(uncertainty, bool) or not isinstance(uncertainty, (int, float)) or not 0 <= uncertainty < 1:
        raise ValueError(
            f"clock_uncertainty must be a fraction of the period in [0, 1) such as 0.27 or '27%', got {uncertainty!r}"
        )
    if io != "layered":
        delays_for(part)  # refuses a part whose HLS operator delays fpgalab has not read
    return {"io": io, "strategy": strategy, "clock_uncertainty": float(uncertainty)}


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
