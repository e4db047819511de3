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

An export writes with ``Design.emit`` (kind ``"hls4ml"``: ``design.hls4ml_config()`` as
``hls4ml_config.json``, the panel's "hls4ml config") under the kernel's starting directory (the notebook's folder
under JupyterLab): the path must be relative, without ``..``, and resolve (symlinks followed) inside
that folder; an existing target is only replaced when the panel confirmed with ``"overwrite": true``.

Outside a Jupyter kernel (plain IPython) ``register`` returns at once and nothing is imported or sent;
under a kernel whose front end never opens the comm (VS Code, Notebook without the panel) it costs
one dictionary entry.
"""

from __future__ import annotations

import json
import logging
import os
import re
from pathlib import Path, PurePosixPath, PureWindowsPath

from fpgalab.backends import MANIFEST
from fpgalab.magics.protocol import (
    MAX_FILES,
    MAX_PATH,
    TARGET,
    VERSION,
    ProtocolError,
    _SummaryCache,
    _text,
    parse_request,
    snapshot,
)

log = logging.getLogger("fpgalab.comm")


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
    reply = {
        "version": VERSION,
        "type": "export_result",
        "request_id": request["request_id"],
        "design": request["design"],
        "kind": request["kind"],
        "path": request["path"],
        "ok": False,
        "exists": False,
        "files": [],
        "error": None,
    }
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
    emit = write_hls4ml_config if request["kind"] == "hls4ml" else getattr(entry.design, "emit", None)
    if emit is None:
        reply["error"] = "this version of fpgalab cannot export designs yet"
        return reply
    try:
        if request["kind"] == "hls4ml":
            emit(entry.design, target)
        else:
            emit(request["kind"], str(target), overwrite=bool(request["overwrite"]))
    except Exception as err:  # noqa: BLE001 - shown in the panel, the kernel goes on
        reply["error"] = _text(f"{type(err).__name__}: {err}")
        return reply
    reply["ok"] = True
    reply["files"] = _listing(target)
    return reply


def write_hls4ml_config(design, target: Path) -> None:
    """The "hls4ml config" export: ``design.hls4ml_config()`` as ``hls4ml_config.json`` in ``target``
    (hls4ml's converter arguments; it needs no hls4ml)."""
    args = design.hls4ml_config()
    target.mkdir(parents=True, exist_ok=True)
    (target / "hls4ml_config.json").write_text(json.dumps(args, indent=2) + "\n")


def _listing(target: Path) -> list[str]:
    if target.is_file():
        return [target.name]
    files = []
    for dirpath, dirnames, filenames in os.walk(target):
        dirnames.sort()
        for name in sorted(filenames):
            if name == MANIFEST:  # fpgalab's own mark, not one of the exported files
                continue
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
