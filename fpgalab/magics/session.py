"""The designs of one kernel session: what ``%%fpga`` compiled, in order, and the ``%fpga config`` defaults.

One ``Session`` lives per IPython shell (made by ``load_ipython_extension``). Listeners in
``on_change`` are called with the session after every change; the JupyterLab side panel's comm
(``fpgalab.magics.comm``) is one. A failing listener is reported once on stderr and never
breaks the cell that changed the session.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone

from fpgalab.design import Design


@dataclass
class Entry:
    name: str  # the variable the design is stored under in the user's namespace
    design: Design
    cell_id: str | None  # the front end's cell id ("cellId" in the execute request's metadata)
    execution_count: int
    compiled_at: str  # ISO 8601, UTC
    source: str = ""  # what was compiled: "function f", "keras model m", ...
    data: object = field(default=None, repr=False)  # (x, y) given with --data/--labels, for the accuracy view


def now_iso() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def current_cell_id(shell) -> str | None:
    """The id of the cell being run, when the front end sends one (JupyterLab, Notebook 7, VS Code)."""
    kernel = getattr(shell, "kernel", None)
    try:
        parent = kernel.get_parent() if kernel is not None else None
    except Exception:  # noqa: BLE001 - an old ipykernel or no request in flight
        parent = None
    metadata = (parent or {}).get("metadata") or {}
    cell_id = metadata.get("cellId")
    return cell_id if isinstance(cell_id, str) else None


class Session:
    """Ordered designs by name, session defaults, and change listeners."""

    def __init__(self):
        self.entries: dict[str, Entry] = {}
        self.defaults: dict = {}
        self.on_change: list[Callable[[Session], None]] = []
        self._failed_listeners: set[int] = set()

    def add(self, entry: Entry) -> Entry:
        """Store ``entry`` (a design compiled again under the same name moves to the end)."""
        self.entries.pop(entry.name, None)
        self.entries[entry.name] = entry
        self.changed()
        return entry

    def get(self, name: str) -> Entry:
        try:
            return self.entries[name]
        except KeyError:
            known = ", ".join(self.entries) or "none yet"
            raise KeyError(f"no design named {name!r} in this session; designs: {known}") from None

    def replace_design(self, name: str, design: Design) -> Entry:
        """A widget recomputed ``name`` with other options: keep its place, update the design."""
        entry = self.get(name)
        entry.design = design
        entry.compiled_at = now_iso()
        self.changed()
        return entry

    def set_defaults(self, defaults: dict) -> None:
        self.defaults = dict(defaults)
        self.changed()

    def changed(self) -> None:
        for listener in list(self.on_change):
            try:
                listener(self)
            except Exception as err:  # noqa: BLE001 - a listener must never break the user's cell
                if id(listener) not in self._failed_listeners:
                    self._failed_listeners.add(id(listener))
                    print(
                        f"fpgalab: session listener {listener!r} failed: {type(err).__name__}: {err}", file=sys.stderr
                    )

    def __len__(self) -> int:
        return len(self.entries)
