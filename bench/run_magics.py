"""Benchmark the notebook experience: a ``%%fpga`` cell end to end, and a widget control change.

    .venv/bin/python bench/run_magics.py [--runs 7] [--no-write]

Drives the magic through IPython's InteractiveShell in one warm process (TensorFlow imported,
one untimed warm-up run per case), so the time includes running the cell, capture, lowering,
passes, schedule, resource estimate, accuracy (when data is given), widget construction and
the display of its mime bundle. Medians go into bench/RESULTS.md under
"## Notebook: %%fpga render time"; the other sections of that file are left as they are.
"""

from __future__ import annotations

import argparse
import platform
import re
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
RESULTS = ROOT / "bench" / "RESULTS.md"
HEADING = "## Notebook: %%fpga render time"

SETUP = """\
import numpy as np
import tensorflow as tf
from examples import models
digits = models.digits_mlp().fn
x_train, x_test, y_train, y_test = models.digits_data()
lenet = models.lenet5().fn
lenet_x = models.lenet5().args[0]
"""

CELLS = [  # (label, line, body, target)
    ("digits MLP 64-32-16-10", "--inputs x_test[:1]", "model = digits", 1.0),
    (
        "digits MLP, with --data/--labels (450 test digits: Accuracy tab)",
        "--data x_test --labels y_test",
        "model = digits",
        1.0,
    ),
    ("LeNet-5", "--inputs lenet_x", "model = lenet", 1.0),
    ("LeNet-5, the Keras model built anew in the cell each run", "--inputs lenet_x", "model = models.lenet5().fn", 1.0),
]


def shell():
    from IPython.testing.globalipapp import get_ipython

    ip = get_ipython()
    ip.run_line_magic("load_ext", "fpgalab")
    result = ip.run_cell(SETUP)
    if not result.success:
        raise SystemExit("setup failed")
    return ip


def time_cell(ip, line: str, body: str, runs: int) -> float:
    from IPython.utils.capture import capture_output

    times = []
    for run in range(runs + 1):
        start = time.perf_counter()
        with capture_output() as captured:
            result = ip.run_cell(f"%%fpga {line}\n{body}")
        elapsed = time.perf_counter() - start
        if not result.success or not captured.outputs:
            raise SystemExit(f"%%fpga {line} failed:\n{captured.stdout}{captured.stderr}")
        if run:  # the first run is the warm-up
            times.append(elapsed)
    return statistics.median(times)


def time_controls(ip, line: str, body: str, runs: int, reuse: int) -> dict[str, float]:
    """Median seconds of a control change (rebuild + redraw) for precision, reuse and device."""
    from fpgalab.magics import session_of
    from fpgalab.magics.cell import run
    from fpgalab.magics.options import parse_cell_line

    view = run(ip, session_of(ip), parse_cell_line(line), body)
    changes = {
        "precision": (view.precision, ["ap_fixed<8,3>", "ap_fixed<16,6>"]),
        "reuse": (view.reuse, [reuse, "default"]),
        "device": (view.device, ["xcu250", "xcvu9p"]),
    }
    medians = {}
    for name, (control, values) in changes.items():
        times = []
        for k in range(2 * runs + 1):
            start = time.perf_counter()
            control.value = values[k % 2]
            elapsed = time.perf_counter() - start
            if "cannot build" in view.status.value:
                raise SystemExit(f"control {name}: {view.status.value}")
            if k:
                times.append(elapsed)
        medians[name] = statistics.median(times)
    return medians


def section(rows: list[tuple[str, float, float]], runs: int) -> str:
    import numpy

    lines = [
        HEADING,
        "",
        f"Machine: {platform.machine()}, {_cores()} cores, Python {platform.python_version()}, NumPy "
        f"{numpy.__version__}. Method: `bench/run_magics.py --runs {runs}`: median wall-clock time of the runs "
        "in one warm IPython shell (TensorFlow imported, one untimed warm-up per case), the cell driven through "
        "`InteractiveShell.run_cell` including widget construction and display.",
        "",
        "| what | median | target |",
        "| --- | --- | --- |",
    ]
    lines += [f"| {label} | {seconds:.3f} s | ≤ {target:g} s |" for label, seconds, target in rows]
    return "\n".join(lines) + "\n"


def _cores() -> int:
    import os

    return os.cpu_count() or 1


def write_section(text: str) -> None:
    current = RESULTS.read_text() if RESULTS.exists() else "# Benchmark results\n"
    pattern = re.compile(rf"^{re.escape(HEADING)}\n.*?(?=^## |\Z)", re.S | re.M)
    if pattern.search(current):
        updated = pattern.sub(lambda m: text + "\n", current, count=1)
    else:
        updated = current.rstrip("\n") + "\n\n" + text
    RESULTS.write_text(updated.rstrip("\n") + "\n")


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--no-write", action="store_true", help="print, do not update bench/RESULTS.md")
    args = parser.parse_args(argv)
    ip = shell()
    rows = []
    for label, line, body, target in CELLS:
        seconds = time_cell(ip, line, body, args.runs)
        rows.append((f"`%%fpga` cell, {label}", seconds, target))
        print(f"{label}: {seconds:.3f} s")
    for name, seconds in time_controls(ip, "--data x_test --labels y_test", "model = digits", args.runs, 4).items():
        rows.append((f"widget control change ({name}), digits MLP with data: rebuild and redraw", seconds, 0.5))
        print(f"control {name}: {seconds:.3f} s")
    for name, seconds in time_controls(ip, "--inputs lenet_x", "model = lenet", args.runs, 5).items():
        rows.append((f"widget control change ({name}), LeNet-5: rebuild and redraw", seconds, 0.5))
        print(f"control {name} (LeNet-5): {seconds:.3f} s")
    text = section(rows, args.runs)
    print(text)
    if not args.no_write:
        write_section(text)


if __name__ == "__main__":
    main()
