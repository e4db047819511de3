"""The kernel side of the JupyterLab side panel: a Jupyter comm with target ``"fpgalab"``.

The panel (``labextension/``) opens a comm to this target when it connects to a kernel, after a
restart and after a cell that mentions fpgalab ran. The kernel answers the open, and every change of
the session (each ``%%fpga`` run), with a *snapshot*: the whole design list, small and JSON-only.
If the target is not registered (fpgalab not loaded), ipykernel closes the comm, which tells the
panel to show how to start.

Messages are JSON objects with ``"version": 1`` and a ``"type"``; both sides validate them and drop
(and log) anything malformed. Kernel → panel: ``snapshot``, ``export_result``, ``error``.
Panel → kernel: ``hello`` (the open's data), ``refresh``, ``export``::

    {"version": 1, "type": "export", "request_id": "3", "design": "mlp", "kind": "hls",
     "path": "exports/mlp_hls", "overwrite": false}

An export writes with ``Design.emit`` under the kernel's starting directory (the notebook's folder
under JupyterLab): the path must be relative, without ``..``, and resolve (symlinks followed) inside
that folder; an existing target is only replaced when the panel confirmed with ``"overwrite": true``.

Outside a Jupyter kernel (plain IPython) ``register`` returns at once and nothing is imported or sent;
under a kernel whose front end never opens the comm (VS Code, Notebook without the panel) it costs
one dictionary entry.
"""

from __future__ import annotations

import logging
import math
import numbers
import os
import re
from pathlib import Path, PurePosixPath, PureWindowsPath

TARGET = "fpgalab"
VERSION = 1
KINDS = ("hls", "llvm", "verilog")
RESOURCES = ("lut", "ff", "dsp", "bram", "uram")
MAX_LAYERS = 400          # per design in a snapshot; the panel compares layers of two designs
MAX_FILES = 200           # listed in an export result
MAX_PATH = 1024
MAX_TEXT = 2000           # any string sent is cut to this many characters

log = logging.getLogger("fpgalab.comm")


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
    try:
        from ..options import HLS_OPTIONS  # noqa: PLC0415
    except ImportError:  # pragma: no cover - stand-in designs in tests
        HLS_OPTIONS = ()
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
        "cycles": None, "interval": None, "latency_us": None, "throughput": None,
        "resources": None, "utilization": None, "fits": None, "layers": [], "warnings": [], "error": None,
    }
    try:
        report = design.report()
    except Exception as err:  # noqa: BLE001 - a design without figures is still listed, with the reason
        row["error"] = _text(f"{type(err).__name__}: {err}")
        return row
    row.update({
        "cycles": _count(report.cycles), "interval": _count(report.interval),
        "latency_us": _number(report.latency_us), "throughput": _number(report.throughput),
        "resources": _resources(report.resources), "utilization": _resources(report.utilization),
        "fits": bool(report.fits),
        "warnings": [_text(w, 500) for w in list(getattr(report, "warnings", ()) or ())[:20]],
    })
    layers = []
    for layer in list(getattr(report, "per_layer", ()) or ())[:MAX_LAYERS]:
        layers.append({"name": _text(getattr(layer, "name", ""), 200), "kind": _text(getattr(layer, "kind", ""), 60),
                       "cycles": _count(getattr(layer, "cycles", None)),
                       "resources": _resources(getattr(layer, "resources", None))})
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
    from .. import __version__  # noqa: PLC0415

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
            _check(value is None or (isinstance(value, dict) and all(
                _is_number_or_none(value.get(k)) for k in RESOURCES)), f"{key} must map {RESOURCES} to numbers")
        _check(row.get("fits") in (None, True, False), "fits must be a boolean or null")
        _check(row.get("cell_id") is None or isinstance(row["cell_id"], str), "cell_id must be a string or null")
        _check(row.get("error") is None or isinstance(row["error"], str), "error must be a string or null")
        _check(isinstance(row.get("options"), dict) and all(isinstance(v, str) for v in row["options"].values()),
               "options must map names to texts")
        _check(isinstance(row.get("layers"), list), "layers must be a list")
        _check(isinstance(row.get("warnings"), list) and all(isinstance(w, str) for w in row["warnings"]),
               "warnings must be texts")


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
    _check(data.get("version") == VERSION,
           f"unsupported version {data.get('version')!r} (this kernel speaks {VERSION})")
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
    return {"version": VERSION, "type": "export", "request_id": request_id, "design": data["design"],
            "kind": data["kind"], "path": data["path"], "overwrite": overwrite}


def safe_target(root: Path, relative: str) -> Path:
    """``root / relative`` if it stays inside ``root`` once symlinks are followed; ValueError otherwise."""
    stripped = relative.strip()
    if not stripped or len(relative) > MAX_PATH or "\x00" in relative:
        raise ValueError("give a folder path relative to the notebook's folder")
    if relative != stripped:
        raise ValueError("the path must not start or end with spaces")
    posix, windows = PurePosixPath(relative), PureWindowsPath(relative)
    if posix.is_absolute() or windows.is_absolute() or windows.drive or relative.startswith(("~", "\\")):
        raise ValueError(f"{relative!r} is absolute; give a path relative to the notebook's folder")
    parts = re.split(r"[\\/]+", relative)
    if ".." in parts:
        raise ValueError(f"{relative!r} goes up with '..'; give a path inside the notebook's folder")
    base = root.resolve()
    target = base.joinpath(*[p for p in parts if p not in ("", ".")])
    if target == base:
        raise ValueError("give a folder inside the notebook's folder, not the folder itself")
    resolved = target.resolve()
    if resolved != base and base not in resolved.parents:
        raise ValueError(f"{relative!r} leads outside the notebook's folder (through a symlink)")
    return target


def export_design(session, request: dict, root: Path) -> dict:
    """Write one design with ``Design.emit`` for an ``export`` request; the ``export_result`` reply."""
    reply = {"version": VERSION, "type": "export_result", "request_id": request["request_id"],
             "design": request["design"], "kind": request["kind"], "path": request["path"], "ok": False,
             "exists": False, "files": [], "error": None}
    entry = session.entries.get(request["design"])
    if entry is None:
        reply["error"] = f"no design named {request['design']!r} in this kernel"
        return reply
    try:
        target = safe_target(root, request["path"])
    except ValueError as err:
        reply["error"] = str(err)
        return reply
    reply["path"] = target.relative_to(root.resolve()).as_posix()
    if (target.exists() or target.is_symlink()) and not request["overwrite"]:
        reply["exists"] = True
        reply["error"] = f"{reply['path']} exists"
        return reply
    emit = getattr(entry.design, "emit", None)
    if emit is None:
        reply["error"] = "this version of fpgalab cannot export designs yet"
        return reply
    try:
        emit(request["kind"], str(target), overwrite=bool(request["overwrite"]))
    except Exception as err:  # noqa: BLE001 - shown in the panel, the kernel goes on
        reply["error"] = _text(f"{type(err).__name__}: {err}")
        return reply
    reply["ok"] = True
    reply["files"] = _listing(target)
    return reply


def _listing(target: Path) -> list[str]:
    if target.is_file():
        return [target.name]
    files = []
    for dirpath, dirnames, filenames in os.walk(target):
        dirnames.sort()
        for name in sorted(filenames):
            files.append((Path(dirpath) / name).relative_to(target).as_posix())
            if len(files) >= MAX_FILES:
                return files
    return files


# ---------------------------------------------------------------- the link

class PanelLink:
    """The comm target of one kernel: open comms, the session they show, and the export root."""

    def __init__(self, session, root: Path):
        self.session = session
        self.root = Path(root)
        self.comms: dict[str, object] = {}
        self._cache = _SummaryCache()
        session.on_change.append(self.session_changed)

    # comm target callback: ``f(comm, open_msg)``
    def open(self, comm, msg) -> None:
        data = (msg.get("content") or {}).get("data")
        try:
            parse_request(data if data else {"version": VERSION, "type": "hello"})
        except ProtocolError as err:
            log.warning("fpgalab panel: dropped a comm open: %s", err)
            comm.send({"version": VERSION, "type": "error", "message": f"fpgalab kernel: {err}"})
            comm.close()
            return
        self.adopt(comm)

    def adopt(self, comm) -> None:
        """Serve ``comm`` from now on (a new open, or an open comm of the link this one replaces)."""
        self.comms[comm.comm_id] = comm
        comm.on_msg(lambda message, comm=comm: self.receive(comm, message))
        comm.on_close(lambda message, comm=comm: self.comms.pop(comm.comm_id, None))
        self._send(comm, self._snapshot())

    def receive(self, comm, msg) -> None:
        data = (msg.get("content") or {}).get("data")
        try:
            request = parse_request(data)
        except ProtocolError as err:
            log.warning("fpgalab panel: dropped a message: %s", err)
            return
        if request["type"] in ("refresh", "hello"):
            self._send(comm, self._snapshot())
        elif request["type"] == "export":
            self._send(comm, export_design(self.session, request, self.root))

    def session_changed(self, session) -> None:
        if not self.comms:
            return
        message = self._snapshot()
        for comm in list(self.comms.values()):
            self._send(comm, message)

    def _snapshot(self) -> dict:
        try:
            return snapshot(self.session, self._cache)
        except ProtocolError as err:  # a bug: say so in the panel rather than send a half-made list
            log.error("fpgalab panel: snapshot not sent: %s", err)
            return {"version": VERSION, "type": "error", "message": f"fpgalab kernel: bad snapshot ({err})"}

    def _send(self, comm, message: dict) -> None:
        try:
            comm.send(message)
        except Exception:  # noqa: BLE001 - a closed or broken comm must not break the user's cell
            log.debug("fpgalab panel: send failed", exc_info=True)
            self.comms.pop(getattr(comm, "comm_id", None), None)

    def close(self, keep_comms: bool = False) -> list:
        """Stop listening to the session; close the open comms, or hand them back with ``keep_comms``."""
        if self.session_changed in self.session.on_change:
            self.session.on_change.remove(self.session_changed)
        comms = list(self.comms.values())
        self.comms.clear()
        if keep_comms:
            return comms
        for comm in comms:
            try:
                comm.close()
            except Exception:  # noqa: BLE001
                pass
        return []


def _comm_manager(ipython):
    """The kernel's comm manager, or None outside an ipykernel kernel."""
    kernel = getattr(ipython, "kernel", None)
    if kernel is None:
        return None
    manager = getattr(kernel, "comm_manager", None)
    if manager is None or not hasattr(manager, "register_target"):
        return None
    return manager


def register(ipython, session) -> PanelLink | None:
    """Register the ``"fpgalab"`` comm target for ``session`` (again on ``%reload_ext``); None outside a kernel."""
    manager = _comm_manager(ipython)
    if manager is None:
        return None
    open_comms = unregister(ipython, keep_comms=True)  # %reload_ext: the panels stay connected
    link = PanelLink(session, Path.cwd())
    manager.register_target(TARGET, link.open)
    ipython._fpgalab_panel_link = link
    for comm in open_comms:
        link.adopt(comm)
    return link


def unregister(ipython, keep_comms: bool = False) -> list:
    """Drop the target and close the open comms (or return them, with ``keep_comms``)."""
    link = getattr(ipython, "_fpgalab_panel_link", None)
    if link is None:
        return []
    manager = _comm_manager(ipython)
    if manager is not None:
        try:
            manager.unregister_target(TARGET, link.open)
        except Exception:  # noqa: BLE001 - already gone
            pass
    ipython._fpgalab_panel_link = None
    return link.close(keep_comms)
