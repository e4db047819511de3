"""The options of ``fpgalab.compile``, checked once: a bad option is a ValueError saying what is allowed."""

from __future__ import annotations

from dataclasses import dataclass, field

from .ir.types import FixedType, NumType
from .passes.quantize import DEFAULT_TABLE_TYPE, PrecisionConfig, parse_precision
from .sim.tables import DEFAULT_TABLES, TableSpec

DEFAULT_DEVICE = "xcvu9p"
DEFAULT_CLOCK_MHZ = 200.0
DEFAULT_PRECISION = "ap_fixed<16,6>"


@dataclass(frozen=True)
class Options:
    device: str = DEFAULT_DEVICE
    clock_mhz: float = DEFAULT_CLOCK_MHZ
    precision_spec: object = DEFAULT_PRECISION  # as the user wrote it (str or dict), kept for to_json
    precision: PrecisionConfig = field(default_factory=lambda: parse_precision(DEFAULT_PRECISION))
    tables: dict = field(default_factory=lambda: dict(DEFAULT_TABLES), hash=False)

    @property
    def precision_text(self) -> str:
        return self.precision.describe()

    @property
    def table_type(self) -> NumType:
        table = self.precision.default.table
        return table if isinstance(table, FixedType) else DEFAULT_TABLE_TYPE

    def to_dict(self) -> dict:
        return {"device": self.device, "clock_mhz": self.clock_mhz, "precision": self.precision_spec,
                "tables": {k: [t.size, t.lo, t.hi] for k, t in self.tables.items()}}


ALLOWED = ("device", "clock_mhz", "precision", "tables")


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
    from .parts import load_device  # noqa: PLC0415

    load_device(device)  # raises ValueError listing the known parts
    clock = options.get("clock_mhz", DEFAULT_CLOCK_MHZ)
    if isinstance(clock, bool) or not isinstance(clock, (int, float)) or not clock > 0:
        raise ValueError(f"clock_mhz must be a positive number of MHz, got {clock!r}")
    spec = options.get("precision", DEFAULT_PRECISION)
    return Options(device, float(clock), spec, parse_precision(spec), _tables(options.get("tables")))
