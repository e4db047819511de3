"""``%%fpga --sweep``: explore a design space point by point, with a progress bar and a stop button.

Each point goes through ``fpgalab.explore`` on the already captured design (nothing is captured
twice); running the points one call at a time is what lets the bar move and the kernel's stop
button end the sweep between points, keeping the points already evaluated.
"""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass, field

from fpgalab.explore import explore, pareto_front
from fpgalab.magics.progress import Progress

ACCURACY_SLACK = 0.01  # with data, the best point is within this of the most accurate point's accuracy
OBJECTIVE_KEYS = {
    "latency": ("cycles", 1),
    "interval": ("interval", 1),
    "throughput": ("throughput", -1),
    "resources": ("util_max", 1),
}


@dataclass
class SweepResult:
    """The rows of a sweep (plain dicts), its Pareto front and best point, and the designs behind them."""

    rows: list[dict]
    pareto_rows: list[dict]
    best: dict | None
    keys: list[str]  # the swept options, in the order given
    planned: int
    failed: int
    interrupted: bool
    objective: str
    seconds: float
    designs: list = field(default_factory=list, repr=False)

    @property
    def points(self) -> int:
        return len(self.rows)

    def design(self, row):
        """The Design of a row (a row dict or its point number)."""
        point = row["point"] if isinstance(row, dict) else int(row)
        design = self.designs[point]
        if design is None:
            raise ValueError(f"point {point} failed: {self.rows[point]['status']}")
        return design

    @property
    def table(self):
        """The rows as a pandas DataFrame (a list of dicts without pandas)."""
        try:
            import pandas as pd  # noqa: PLC0415
        except ImportError:
            return self.rows
        return pd.DataFrame(self.rows)

    def __repr__(self) -> str:
        from fpgalab.magics import text  # noqa: PLC0415

        return text.sweep_text(self)


def _plain(value):
    return value.item() if hasattr(value, "item") and not isinstance(value, (str, bytes)) else value


def _rows(table) -> list[dict]:
    records = table.to_dict("records") if hasattr(table, "to_dict") else list(table)
    return [{k: _plain(v) for k, v in record.items()} for record in records]


def run_sweep(shell, design, space: dict, options: dict, data=None, objective: str = "latency") -> SweepResult:
    """Evaluate every combination of ``space`` on top of ``options`` for a compiled ``design``."""
    keys = list(space)
    points = [dict(zip(keys, combo)) for combo in itertools.product(*(space[k] for k in keys))]
    rows, designs, interrupted = [], [], False
    start = time.perf_counter()
    progress = Progress(shell, f"exploring {len(points)} points", len(points))
    try:
        for number, point in enumerate(points):
            result = explore(design, space={k: [v] for k, v in point.items()}, data=data, **options)
            row = _rows(result.table)[0]
            row["point"] = number
            rows.append(row)
            designs.append(result.design(0) if row["status"] == "ok" else None)
            progress.step(", ".join(f"{k}={v}" for k, v in point.items()))
    except KeyboardInterrupt:
        interrupted = True
        if not rows:
            progress.close(interrupted=True)
            raise
    progress.close(interrupted=interrupted)
    ok = [row for row in rows if row["status"] == "ok"]
    criteria = [("cycles", 1), ("util_max", 1)] + ([("accuracy", -1)] if data is not None else [])
    buildable = [row for row in ok if row.get("builds", True)]  # fpgalab.estimate.buildcheck
    front = {buildable[i]["point"] for i in pareto_front(buildable, criteria)}
    for row in rows:
        row["pareto"] = row["point"] in front
    key, sign = OBJECTIVE_KEYS[objective]
    feasible = [row for row in ok if row["feasible"]]
    if data is not None and feasible:  # fast but useless is not best: keep the points about as accurate as any
        top = max(row["accuracy"] for row in feasible)
        feasible = [row for row in feasible if row["accuracy"] >= top - ACCURACY_SLACK]
    best = min(feasible, key=lambda r: (sign * r[key], r["util_max"])) if feasible else None
    pareto_rows = sorted((row for row in rows if row["pareto"]), key=lambda r: (r["cycles"], r["util_max"]))
    return SweepResult(
        rows,
        pareto_rows,
        best,
        keys,
        len(points),
        len(rows) - len(ok),
        interrupted,
        objective,
        time.perf_counter() - start,
        designs,
    )
