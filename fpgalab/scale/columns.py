"""``explore(..., synthesize=True)``: the Yosys figures of each point's design as columns of its row."""

from __future__ import annotations

from fpgalab.scale.executor import resolve
from fpgalab.scale.sweeps import Failed, synthesize

YOSYS_COLUMNS = ("lut", "ff", "dsp", "bram", "uram")  # each as yosys_<kind>


def add_synthesis(rows: list[dict], designs: list, executor=None, workers=None, progress=None) -> None:
    """Synthesize each distinct design of the rows that succeeded and add ``yosys_lut`` .. ``yosys_uram``
    to their rows; a row whose synthesis failed gets its error as ``status`` and is not feasible."""
    order, labels, place = [], [], {}  # the distinct designs, first seen first (deployed several ways: several rows)
    for row, design in zip(rows, designs):
        if row["status"] == "ok" and id(design) not in place:
            place[id(design)] = len(order)
            order.append(design)
            labels.append(f"point {row['point']}")
    results = synthesize(order, executor, workers, progress, labels) if order else []
    for row, design in zip(rows, designs):
        result = results[place[id(design)]] if row["status"] == "ok" else None
        if isinstance(result, Failed):
            row.update({f"yosys_{kind}": None for kind in YOSYS_COLUMNS})
            row.update({"status": f"error: synthesis: {result.error}", "feasible": False})
        else:
            row.update({f"yosys_{kind}": getattr(result, kind, None) for kind in YOSYS_COLUMNS})


def check_executor(synthesize: bool, executor, workers) -> None:
    """Before anything is compiled: ``executor`` and ``workers`` are valid and come with ``synthesize``."""
    resolve(executor, workers)
    if (executor is not None or workers is not None) and not synthesize:
        raise ValueError(
            "executor= and workers= run each point's Yosys synthesis on other cores or machines; "
            "give synthesize=True with them (the estimates themselves take milliseconds per point here)"
        )
