"""The messages between the kernel and the side panel (protocol version 1): building and checking them.

Kernel → panel: ``snapshot`` (the whole design list, small and JSON-only), ``export_result``,
``error``; panel → kernel: ``hello``, ``refresh``, ``export``. Every message is a JSON object with
``"version": 1`` and a ``"type"``; both sides validate what they receive (``validate_snapshot``,
``parse_request``) and drop anything malformed. ``fpgalab.magics.comm`` carries them.
"""

from __future__ import annotations

import math
import numbers
import re

from fpgalab.options import HLS_OPTIONS
from fpgalab.version import __version__

TARGET = "fpgalab"
VERSION = 1
KINDS = ("hls", "llvm", "verilog", "hls4ml")  # hls4ml: the design's hls4ml configuration (JSON)
RESOURCES = ("lut", "ff", "dsp", "bram", "uram")
MAX_LAYERS = 400  # per design in a snapshot; the panel compares layers of two designs
MAX_FILES = 200  # listed in an export result
MAX_PATH = 1024
MAX_TEXT = 2000  # any string sent is cut to this many characters


class ProtocolError(ValueError):
    """A message that does not follow the panel protocol."""


# ---------------------------------------------------------------- kernel -> panel


def _text(value, limit: int = MAX_TEXT) -> str:
    text = value if isinstance(value, str) else str(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _number(value):
    """A finite JSON number, or None (JSON has no NaN or infinity)."""
    if isinstance(value, bool) or value is None:
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    if not math.isfinite(number):
        return None
    return int(value) if isinstance(value, numbers.Integral) else number


def _count(value):
    number = _number(value)
    return None if number is None else int(round(number))


def _option_text(value) -> str:
    if isinstance(value, dict):
        items = sorted(value.items(), key=lambda kv: str(kv[0]))
        return "{" + ", ".join(f"{k}: {_option_text(v)}" for k, v in items) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_option_text(v) for v in value) + "]"
    return _text(value, 200)


def _options(design) -> dict:
    """The user-facing options as short texts, for the panel's comparison of two designs."""
    options = getattr(design, "options", None)
    out = {}
    if options is None:
        return out
    for name in HLS_OPTIONS:
        if hasattr(options, name):
            out[name] = _option_text(getattr(options, name))
    return out


def _resources(obj) -> dict:
    return {kind: _number(getattr(obj, kind, None)) for kind in RESOURCES}


def design_summary(entry) -> dict:
    """One row of the panel: what an ``Entry`` of the session shows, figures from ``design.report()``."""
    design = entry.design
    options = getattr(design, "options", None)
    row = {
        "name": _text(entry.name, 200),
        "device": _text(getattr(options, "device", "")),
        "clock_mhz": _number(getattr(options, "clock_mhz", None)),
        "precision": _text(getattr(options, "precision_text", "")),
        "source": _text(getattr(entry, "source", "") or ""),
        "cell_id": entry.cell_id if isinstance(entry.cell_id, str) else None,
        "execution_count": _count(entry.execution_count),
        "compiled_at": _text(entry.compiled_at or "", 64),
        "options": _options(design),
        "cycles": None,
        "interval": None,
        "latency_us": None,
        "throughput": None,
        "resources": None,
        "utilization": None,
        "fits": None,
        "layers": [],
        "warnings": [],
        "error": None,
    }
    try:
        report = design.report()
    except Exception as err:  # noqa: BLE001 - a design without figures is still listed, with the reason
        row["error"] = _text(f"{type(err).__name__}: {err}")
        return row
    row.update(
        {
            "cycles": _count(report.cycles),
            "interval": _count(report.interval),
            "latency_us": _number(report.latency_us),
            "throughput": _number(report.throughput),
            "resources": _resources(report.resources),
            "utilization": _resources(report.utilization),
            "fits": bool(report.fits),
            "warnings": [_text(w, 500) for w in list(getattr(report, "warnings", ()) or ())[:20]],
        }
    )
    layers = []
    for layer in list(getattr(report, "per_layer", ()) or ())[:MAX_LAYERS]:
        layers.append(
            {
                "name": _text(getattr(layer, "name", ""), 200),
                "kind": _text(getattr(layer, "kind", ""), 60),
                "cycles": _count(getattr(layer, "cycles", None)),
                "resources": _resources(getattr(layer, "resources", None)),
            }
        )
    row["layers"] = layers
    return row


class _SummaryCache:
    """Rows by (name, design object, compile time): a snapshot after each run recomputes only the new one."""

    def __init__(self):
        self._rows: dict[tuple, dict] = {}

    def rows(self, session) -> list[dict]:
        keep, out = {}, []
        for entry in session.entries.values():
            key = (entry.name, id(entry.design), entry.compiled_at, entry.cell_id, entry.execution_count)
            row = self._rows.get(key)
            if row is None:
                row = design_summary(entry)
            keep[key] = row
            out.append(row)
        self._rows = keep
        return out


def snapshot(session, cache: _SummaryCache | None = None) -> dict:
    """The whole design list of ``session`` as one message (validated before it is returned)."""

    rows = (cache or _SummaryCache()).rows(session)
    message = {"version": VERSION, "type": "snapshot", "fpgalab": __version__, "designs": rows}
    validate_snapshot(message)
    return message


def validate_snapshot(message) -> None:
    """Raise ProtocolError unless ``message`` is a well-formed snapshot (what the panel also checks)."""
    _check(isinstance(message, dict), "a snapshot is an object")
    _check(message.get("version") == VERSION and message.get("type") == "snapshot", "not a version 1 snapshot")
    designs = message.get("designs")
    _check(isinstance(designs, list), "designs must be a list")
    names = set()
    for row in designs:
        _check(isinstance(row, dict), "a design is an object")
        for key in ("name", "device", "precision", "compiled_at", "source"):
            _check(isinstance(row.get(key), str), f"design {key} must be a string")
        _check(row["name"] not in names, f"design name {row['name']!r} repeated")
        names.add(row["name"])
        for key in ("cycles", "interval", "execution_count"):
            _check(row.get(key) is None or (type(row[key]) is int), f"{key} must be an integer or null")
        for key in ("clock_mhz", "latency_us", "throughput"):
            _check(_is_number_or_none(row.get(key)), f"{key} must be a number or null")
        for key in ("resources", "utilization"):
            value = row.get(key)
            _check(
                value is None or (isinstance(value, dict) and all(_is_number_or_none(value.get(k)) for k in RESOURCES)),
                f"{key} must map {RESOURCES} to numbers",
            )
        _check(row.get("fits") in (None, True, False), "fits must be a boolean or null")
        _check(row.get("cell_id") is None or isinstance(row["cell_id"], str), "cell_id must be a string or null")
        _check(row.get("error") is None or isinstance(row["error"], str), "error must be a string or null")
        _check(
            isinstance(row.get("options"), dict) and all(isinstance(v, str) for v in row["options"].values()),
            "options must map names to texts",
        )
        _check(isinstance(row.get("layers"), list), "layers must be a list")
        _check(
            isinstance(row.get("warnings"), list) and all(isinstance(w, str) for w in row["warnings"]),
            "warnings must be texts",
        )


def _is_number_or_none(value) -> bool:
    return value is None or (isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value))


def _check(condition: bool, what: str) -> None:
    if not condition:
        raise ProtocolError(what)


# ---------------------------------------------------------------- panel -> kernel

REQUEST_ID = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")


def parse_request(data) -> dict:
    """Check a message from the panel; return it with defaults filled in, or raise ProtocolError."""
    _check(isinstance(data, dict), "a message is an object")
    _check(
        data.get("version") == VERSION, f"unsupported version {data.get('version')!r} (this kernel speaks {VERSION})"
    )
    kind = data.get("type")
    if kind in ("hello", "refresh"):
        return {"version": VERSION, "type": kind}
    _check(kind == "export", f"unknown message type {kind!r}")
    request_id = data.get("request_id")
    _check(isinstance(request_id, str) and REQUEST_ID.match(request_id) is not None, "request_id must be a short id")
    _check(isinstance(data.get("design"), str) and 0 < len(data["design"]) <= 200, "design must be a name")
    _check(data.get("kind") in KINDS, f"kind must be one of {KINDS}")
    _check(isinstance(data.get("path"), str), "path must be a string")
    overwrite = data.get("overwrite", False)
    _check(overwrite in (True, False), "overwrite must be a boolean")
    return {
        "version": VERSION,
        "type": "export",
        "request_id": request_id,
        "design": data["design"],
        "kind": data["kind"],
        "path": data["path"],
        "overwrite": overwrite,
    }
