"""Module-level tasks for tests/tools/test_scale_dask.py: the workers of a Dask cluster or a process
pool import them by name."""

from __future__ import annotations

import sys
import time
from pathlib import Path


def square_after(item):
    """``item`` is (value, seconds): sleep, then the square; a value of 3 raises."""
    value, seconds = item
    time.sleep(seconds)
    if value == 3:
        raise ValueError("three is refused")
    return value * value


def endless_tool(folder: str):
    """Run a tool that prints a line every 0.1 s forever (its pid written to ``folder``), through fpgalab's
    tool runner, as Yosys and Verilator are run."""
    from fpgalab.verify.tools import run_tool

    script = "import os, sys, time\nprint(os.getpid(), flush=True)\nwhile True:\n    print('tick', flush=True)\n    time.sleep(0.1)\n"
    runner = Path(folder) / "endless.py"
    runner.write_text(script)
    pids = []

    def keep_pid(line):
        if not pids:
            pids.append(int(line.split(": ")[1]))
            (Path(folder) / f"pid-{pids[0]}").write_text("")

    return run_tool("endless", [sys.executable, str(runner)], Path(folder), progress=keep_pid)
