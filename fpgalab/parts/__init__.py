"""The FPGA parts fpgalab estimates against.

Each part is one JSON file in this directory (``xcvu9p.json`` ...). ``load_device("vu9p")``
returns a frozen :class:`Device`; names and aliases are case-insensitive, and a path to a
``.json`` file loads a user's own part. User parts are also found in the directories named by
``$FPGALAB_DEVICE_PATH`` (``os.pathsep``-separated) and in ``~/.config/fpgalab/devices/``.
Files are validated fully: a missing, unknown or mistyped field raises ``ValueError`` naming
the file, the field and what was expected. Loaded devices are cached.

Units: ``luts`` counts the part's logic cells as its vendor's tools report them (Xilinx LUT6,
Intel ALUT = half an ALM, Lattice LUT4; see ``logic.lut_equivalent``); ``dsps`` counts
``dsp.unit``; ``bram`` counts ``bram_block.kind`` (RAMB18 on Xilinx, M20K on Stratix 10, M9K on
Stratix IV, 18 Kb EBR on ECP5); ``uram`` counts 288 Kb UltraRAMs (0 where absent).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from types import MappingProxyType
from typing import Any

from fpgalab.parts.device import (
    ClockSpec,
    Device,
    DspSpec,
    Latency,
    LogicSpec,
    MemoryBlock,
    MemShape,
    MulMode,
    yosys_family,
)

__all__ = [
    "ClockSpec",
    "Device",
    "DspSpec",
    "Latency",
    "LogicSpec",
    "MemoryBlock",
    "MemShape",
    "MulMode",
    "clear_cache",
    "list_devices",
    "load_device",
    "read_device_file",
    "search_dirs",
    "yosys_family",
]

ENV_VAR = "FPGALAB_DEVICE_PATH"
BUILTIN_DIR = Path(__file__).resolve().parent
USER_DIR = Path("~/.config/fpgalab/devices")


# ----------------------------------------------------------------------------- validation

# What a field must be; the text goes into the error message.
NONNEG, POS, NUM = "a non-negative integer", "a positive integer", "a positive number"
TEXT, TEXTS = "a non-empty string", "a list of non-empty strings"
OBJ, OBJ_OR_NULL = "an object", "an object or null"
OBJS, OBJS0 = "a non-empty list of objects", "a list of objects"
PAIR, MODE = "a pair of positive integers [A, B]", '"tdp" or "sdp"'
_MISSING = object()
_REQUIRED_SOURCES = ("resources", "logic", "dsp", "bram", "clock", "latency")


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


_CHECKS = {
    NONNEG: lambda v: _is_int(v) and v >= 0,
    POS: lambda v: _is_int(v) and v >= 1,
    NUM: lambda v: (_is_int(v) or isinstance(v, float)) and v > 0,
    TEXT: lambda v: isinstance(v, str) and v.strip() != "",
    TEXTS: lambda v: isinstance(v, list) and all(isinstance(s, str) and s.strip() for s in v),
    OBJ: lambda v: isinstance(v, dict),
    OBJ_OR_NULL: lambda v: v is None or isinstance(v, dict),
    OBJS: lambda v: isinstance(v, list) and len(v) > 0 and all(isinstance(x, dict) for x in v),
    OBJS0: lambda v: isinstance(v, list) and all(isinstance(x, dict) for x in v),
    PAIR: lambda v: isinstance(v, list) and len(v) == 2 and all(_is_int(x) and x >= 1 for x in v),
    MODE: lambda v: v in ("tdp", "sdp"),
}


class _Reader:
    """Reads one device file; every error names the file and the dotted field."""

    def __init__(self, source: str):
        self.source = source

    def fail(self, field: str, expected: str, got: Any = _MISSING) -> None:
        if got is _MISSING:
            raise ValueError(f"{self.source}: missing field '{field}' (expected {expected})")
        raise ValueError(f"{self.source}: field '{field}' must be {expected}, got {got!r}")

    def get(self, obj: dict, key: str, path: str, expected: str) -> Any:
        full = f"{path}.{key}" if path else key
        if key not in obj:
            self.fail(full, expected)
        value = obj[key]
        if not _CHECKS[expected](value):
            self.fail(full, expected, value)
        return tuple(value) if isinstance(value, list) else value

    def only(self, obj: dict, allowed: tuple[str, ...], path: str) -> None:
        for key in obj:
            if key not in allowed:
                full = f"{path}.{key}" if path else key
                allowed_text = ", ".join(allowed)
                raise ValueError(f"{self.source}: unknown field '{full}' (allowed here: {allowed_text})")

    def record(self, obj: dict, path: str, cls: type, **kinds: str) -> Any:
        """``cls(**fields)`` from exactly the fields named in ``kinds`` (name -> what it must be)."""
        self.only(obj, tuple(kinds), path)
        return cls(**{key: self.get(obj, key, path, kind) for key, kind in kinds.items()})


def _memory(r: _Reader, obj: dict, path: str) -> MemoryBlock:
    m = r.record(obj, path, dict, kind=TEXT, count=NONNEG, unit_bits=POS, ports=POS, shapes=OBJS)
    shapes = tuple(
        r.record(s, f"{path}.shapes[{i}]", MemShape, depth=POS, width=POS, mode=MODE) for i, s in enumerate(m["shapes"])
    )
    for i, shape in enumerate(shapes):
        if shape.depth * shape.width > m["unit_bits"]:
            limit = f"a shape of at most unit_bits={m['unit_bits']} bits"
            r.fail(f"{path}.shapes[{i}]", limit, f"{shape.depth} x {shape.width}")
    return MemoryBlock(**{**m, "shapes": shapes})


def _parse(data: Any, source: str) -> Device:
    r = _Reader(source)
    if not isinstance(data, dict):
        raise ValueError(f"{source}: a device file must hold a JSON object, got {type(data).__name__}")
    top = r.record(
        data,
        "",
        dict,
        name=TEXT,
        aliases=TEXTS,
        vendor=TEXT,
        family=TEXT,
        part=TEXT,
        boards=TEXTS,
        speed_grade=TEXT,
        resources=OBJ,
        logic=OBJ,
        dsp=OBJ,
        bram=OBJ,
        uram=OBJ_OR_NULL,
        other_memories=OBJS0,
        clock=OBJ,
        latency=OBJ,
        notes=TEXTS,
        sources=OBJ,
    )
    res = r.record(top["resources"], "resources", dict, luts=NONNEG, ffs=NONNEG, dsps=NONNEG)
    logic = r.record(
        top["logic"],
        "logic",
        LogicSpec,
        lut_inputs=POS,
        lut_kind=TEXT,
        lut_equivalent=TEXT,
        lutram_luts=NONNEG,
        lutram_bits_per_lut=POS,
    )
    dsp = r.record(top["dsp"], "dsp", dict, kind=TEXT, unit=TEXT, modes=OBJS, mul_lut_threshold=NONNEG)
    dsp["modes"] = tuple(
        r.record(m, f"dsp.modes[{i}]", MulMode, name=TEXT, signed_widths=PAIR, unsigned_widths=PAIR, per_unit=POS)
        for i, m in enumerate(dsp["modes"])
    )
    bram = _memory(r, top["bram"], "bram")
    uram = None if top["uram"] is None else _memory(r, top["uram"], "uram")
    others = tuple(_memory(r, m, f"other_memories[{i}]") for i, m in enumerate(top["other_memories"]))
    clock = r.record(top["clock"], "clock", ClockSpec, reference_mhz=NUM, max_practical_mhz=NUM)
    if clock.max_practical_mhz < clock.reference_mhz:
        r.fail("clock.max_practical_mhz", f"at least reference_mhz={clock.reference_mhz}", clock.max_practical_mhz)
    latency = r.record(top["latency"], "latency", Latency, **dict.fromkeys(Latency.__dataclass_fields__, NONNEG))
    sources = top["sources"]
    needed = _REQUIRED_SOURCES + ("uram",) * bool(uram) + ("other_memories",) * bool(others)
    for key in needed + tuple(sources):
        r.get(sources, key, "sources", TEXT)
    text = {k: top[k] for k in ("name", "aliases", "vendor", "family", "part", "boards", "speed_grade", "notes")}
    return Device(
        **text,
        **res,
        bram=bram.count,
        uram=uram.count if uram else 0,
        logic=logic,
        dsp=DspSpec(**dsp),
        bram_block=bram,
        uram_block=uram,
        other_memories=others,
        clock=clock,
        latency=latency,
        sources=MappingProxyType(dict(sources)),
        path=source,
    )


def read_device_file(path: str | os.PathLike) -> Device:
    """Read and validate one device JSON file (uncached)."""
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ValueError(f"{path}: cannot read device file: {exc.strerror or exc}") from None
    except json.JSONDecodeError as exc:
        where = f"line {exc.lineno} column {exc.colno}"
        raise ValueError(f"{path}: invalid JSON at {where}: {exc.msg}") from None
    return _parse(data, str(path))


# ----------------------------------------------------------------------------- registry

_registry_cache: dict[tuple, dict[str, Device]] = {}
_path_cache: dict[tuple, Device] = {}


def search_dirs() -> list[Path]:
    """Directories searched for device files: shipped parts, $FPGALAB_DEVICE_PATH, user dir."""
    dirs = [BUILTIN_DIR]
    dirs += [Path(p).expanduser() for p in os.environ.get(ENV_VAR, "").split(os.pathsep) if p.strip()]
    dirs.append(USER_DIR.expanduser())
    return dirs


def _device_files() -> list[Path]:
    files: list[Path] = []
    for d in search_dirs():
        if d.is_dir():
            files += sorted(p for p in d.glob("*.json") if p.is_file() and p not in files)
    return files


def _registry() -> dict[str, Device]:
    files = _device_files()
    key = tuple((str(p), p.stat().st_mtime_ns) for p in files)
    if key not in _registry_cache:
        index: dict[str, Device] = {}
        for path in files:
            dev = read_device_file(path)
            for label in (dev.name, *dev.aliases):
                other = index.setdefault(label.strip().lower(), dev)
                if other is not dev:
                    raise ValueError(f"{path}: device name or alias {label!r} is already used by {other.path}")
        _registry_cache.clear()
        _registry_cache[key] = index
    return _registry_cache[key]


def clear_cache() -> None:
    _registry_cache.clear()
    _path_cache.clear()


def load_device(name_or_path: str | os.PathLike | Device) -> Device:
    """The device named ``name_or_path`` (name or alias, any case) or read from that JSON path."""
    if isinstance(name_or_path, Device):
        return name_or_path
    text = str(name_or_path)
    is_path = text.lower().endswith(".json") or os.sep in text or "/" in text
    if isinstance(name_or_path, os.PathLike) or is_path:
        path = Path(name_or_path).expanduser().resolve()
        try:
            key = (str(path), path.stat().st_mtime_ns)
        except OSError:
            raise ValueError(f"{path}: no such device file") from None
        if key not in _path_cache:
            _path_cache[key] = read_device_file(path)
        return _path_cache[key]
    if not isinstance(name_or_path, str):
        raise TypeError(f"load_device takes a name, a path or a Device, not {type(name_or_path).__name__}")
    index = _registry()
    dev = index.get(name_or_path.strip().lower())
    if dev is None:
        known = "; ".join(f"{d.name} ({', '.join(d.aliases)})" for d in list_devices())
        raise ValueError(f"unknown device {name_or_path!r}; known devices: {known}")
    return dev


def list_devices() -> list[Device]:
    """Every device found (shipped and user), sorted by name."""
    unique = {id(d): d for d in _registry().values()}
    return sorted(unique.values(), key=lambda d: d.name)


__all__ = [
    "Device",
    "LogicSpec",
    "DspSpec",
    "MulMode",
    "MemoryBlock",
    "MemShape",
    "ClockSpec",
    "Latency",
    "load_device",
    "list_devices",
    "read_device_file",
    "search_dirs",
    "clear_cache",
    "ENV_VAR",
]
