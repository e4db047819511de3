"""IPython magics: ``%%fpga`` compiles the function a cell defines and shows the hardware; ``%fpga`` manages
the session. Load with ``%load_ext fpgalab``. This package is the only part of fpgalab that
imports IPython and ipywidgets.

    %%fpga --precision ap_fixed<8,3> --data x_test --labels y_test
    model = keras.Sequential([...])

The design is stored in the notebook as ``model_design`` (``--name`` to choose) and in the
session registry (``session_of(get_ipython())``), which ``%fpga list`` shows.
"""

from __future__ import annotations

import os
import sys

from IPython.core.error import UsageError
from IPython.core.magic import Magics, line_cell_magic, magics_class
from IPython.display import display

from fpgalab.magics import text
from fpgalab.magics.options import CELL_HELP, LINE_HELP, MagicUsageError, parse_cell_line, parse_line
from fpgalab.magics.session import Entry, Session

__all__ = ["Entry", "FpgaMagics", "Session", "load_ipython_extension", "session_of", "unload_ipython_extension"]

USAGE = f"""%%fpga: compile the function a cell defines into an FPGA design and show it.
%fpga:  session commands.

{CELL_HELP}
{LINE_HELP}"""


@magics_class
class FpgaMagics(Magics):
    def __init__(self, shell, session: Session):
        super().__init__(shell)
        self.session = session

    @line_cell_magic
    def fpga(self, line: str, cell: str | None = None):
        try:
            if cell is None:
                return self._line(line)
            return self._cell(line, cell)
        except MagicUsageError as err:
            raise UsageError(str(err)) from None

    fpga.__doc__ = USAGE

    # ---- %%fpga
    def _cell(self, line: str, cell: str):
        from fpgalab.magics.cell import run  # noqa: PLC0415

        args = parse_cell_line(line)
        if args.help:
            print(CELL_HELP)
            return None
        view = run(self.shell, self.session, args, cell)
        if view is not None:
            display(view)
        return None

    # ---- %fpga
    def _line(self, line: str):
        args = parse_line(line)
        if args.command == "onnx":  # %fpga --onnx PATH: the cell magic on an ONNX file, without a cell
            return self._cell(line, "")
        if args.command == "help":
            print(LINE_HELP)
        elif args.command == "config":
            self._config(args)
        elif args.command == "list":
            display(self._list())
        elif args.command == "devices":
            display(self._devices())
        elif args.command == "compare":
            self._compare(*args.names)
        elif args.command == "sparsity":
            display(self._sparsity(*args.names))
        return None

    def _config(self, args) -> None:
        from fpgalab.options import parse_options  # noqa: PLC0415

        if args.reset:
            self.session.set_defaults({})
        elif args.options:
            merged = {**self.session.defaults, **args.options}
            try:
                parse_options(**merged)
            except ValueError as err:
                raise UsageError(f"%fpga config: {err}") from None
            self.session.set_defaults(merged)
        print(text.config_text(self.session.defaults))

    def _list(self):
        from fpgalab.magics import html  # noqa: PLC0415
        from fpgalab.magics.widgets import Table  # noqa: PLC0415

        if not self.session.entries:
            return Table(text.list_text(self.session))
        rows = text.list_rows(self.session)
        return Table(text.table(rows), html.table(rows, f"{len(rows) - 1} designs in this session"))

    def _devices(self):
        from fpgalab.magics import html  # noqa: PLC0415
        from fpgalab.magics.widgets import Table  # noqa: PLC0415
        from fpgalab.parts import list_devices as devices  # noqa: PLC0415

        rows = text.devices_rows(devices())
        return Table(text.table(rows), html.table(rows, "Device library"))

    def _design_named(self, name: str):
        if name in self.session.entries:
            return self.session.entries[name].design
        from fpgalab.design import Design  # noqa: PLC0415

        value = self.shell.user_ns.get(name)
        if isinstance(value, Design):
            return value
        known = ", ".join(self.session.entries) or "none yet"
        raise UsageError(f"%fpga: no design named {name!r}; designs in this session: {known}")

    def _sparsity(self, name: str):
        from fpgalab.errors import CompileError  # noqa: PLC0415
        from fpgalab.magics.sparsity import sparsity_figure  # noqa: PLC0415

        entry = self.session.entries.get(name)
        design = self._design_named(name)
        try:
            return sparsity_figure(design, entry.data if entry is not None else None)
        except (CompileError, ValueError) as err:
            raise UsageError(f"%fpga sparsity {name}: {err}") from None

    def _compare(self, first: str, second: str) -> None:
        from fpgalab.magics import compare_figures, figures, html, panels  # noqa: PLC0415

        named = [(n, d, d.report()) for n in (first, second) for d in [self._design_named(n)]]
        rows = text.compare_rows(named)
        display(panels.html_bundle(html.table(rows, f"{first} vs {second}"), text.table(rows)), raw=True)
        display(
            figures.bundle(
                compare_figures.compare_figure(named),
                "Utilisation: "
                + "; ".join(
                    f"{n} "
                    + ", ".join(f"{k.upper()} {text.percent(getattr(r.utilization, k))}" for k in text.SHOWN_KINDS)
                    for n, _, r in named
                ),
            ),
            raw=True,
        )
        display(
            figures.bundle(
                compare_figures.compare_latency_figure(named),
                "Cycles: "
                + "; ".join(
                    f"{n} latency {text.number(r.cycles)}, interval {text.number(r.interval)}" for n, _, r in named
                ),
            ),
            raw=True,
        )


def session_of(shell) -> Session | None:
    """The fpgalab session of an IPython shell, or None before ``%load_ext fpgalab``."""
    magics = shell.magics_manager.registry.get("FpgaMagics") if shell is not None else None
    return getattr(magics, "session", None)


def load_ipython_extension(ipython) -> None:
    # TensorFlow's C++ start-up INFO lines would land in the first %%fpga cell's output as red stderr;
    # keep warnings and errors (a user's own setting wins; it only matters before TensorFlow is imported)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "1")
    session = session_of(ipython)
    if session is None:  # %reload_ext keeps the designs
        session = Session()
    ipython.register_magics(FpgaMagics(ipython, session))
    try:
        from fpgalab.magics import comm  # noqa: PLC0415 - the side panel's comm, when that part is installed
    except ImportError:
        return
    try:
        comm.register(ipython, session)
    except Exception as err:  # noqa: BLE001 - the magics work without the side panel
        print(f"fpgalab: the side panel's comm did not register: {type(err).__name__}: {err}", file=sys.stderr)


def unload_ipython_extension(ipython) -> None:
    """``%unload_ext``: close the side panel's comm; the designs stay in the namespace."""
    try:
        from fpgalab.magics import comm  # noqa: PLC0415
    except ImportError:
        return
    unregister = getattr(comm, "unregister", None)
    if unregister is not None:
        unregister(ipython)
