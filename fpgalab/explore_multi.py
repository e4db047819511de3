"""The ``devices`` axis of ``fpgalab.explore``: each point's design split over that many FPGAs.

    result = fpgalab.explore(model, x, space={"reuse": [1, 4], "devices": [1, 2, 4]},
                             multi={"link": "qsfp28-100g"}, objective="multi_throughput")

``space["devices"]`` holds device counts (positive integers); ``multi={...}`` what every split shares:
``link`` (a name of ``fpgalab.multi.list_links()``, default "pcie-host"), ``device`` (the part of every
device, default the design's) and ``max_utilization`` (default: the ``max_util`` constraint, at most 1).
The design is built once per combination of compile options and partitioned once per count
(``design.partition``, ``fpgalab.multi``). A split that is impossible (more devices than layers, a
layer that fits no part) is a row whose ``status`` holds the error.

Columns of such a row: ``devices``, ``link``, ``multi_throughput`` (frames per second of the
pipeline), ``multi_interval_us``, ``multi_latency_us``, ``multi_binds`` (the stage or link that sets
the interval) and ``stage_util_max`` (the largest utilisation of any device); ``feasible`` then says
whether the split fits, not whether the whole design fits one part.
"""

from __future__ import annotations

from fpgalab.multi import partition

SPACE_KEY = "devices"
MULTI_KEYS = ("link", "device", "max_utilization")
OBJECTIVES = ("multi_throughput", "multi_latency")
COLUMNS = ("link", "multi_throughput", "multi_interval_us", "multi_latency_us", "multi_binds", "stage_util_max")


def split_devices(space: dict) -> tuple[dict, list | None]:
    """(the space without ``devices``, its device counts or None)."""
    if not isinstance(space, dict) or SPACE_KEY not in space:
        return space, None
    counts = space[SPACE_KEY]
    if not isinstance(counts, (list, tuple)) or not counts:
        raise ValueError(f"space['devices'] must be a non-empty list of device counts, e.g. [1, 2, 4]; got {counts!r}")
    for count in counts:
        if isinstance(count, bool) or not isinstance(count, int) or count < 1:
            raise ValueError(f"space['devices'] values must be positive integers (numbers of FPGAs), got {count!r}")
    return {k: v for k, v in space.items() if k != SPACE_KEY}, list(counts)


def multi_combinations(combos: list[dict], counts: list | None, multi: dict | None, max_util: float) -> list[dict]:
    """Every deployment combination once per device count (``combos`` unchanged without counts)."""
    multi = dict(multi or {})
    unknown = sorted(set(multi) - set(MULTI_KEYS))
    if unknown:
        raise ValueError(f"unknown multi option(s) {', '.join(unknown)}; allowed: {', '.join(MULTI_KEYS)}")
    if counts is None:
        if multi:
            raise ValueError("multi={...} needs a devices axis: put 'devices': [1, 2, 4] in space")
        return combos
    shared = {"link": "pcie-host", "max_utilization": min(1.0, max_util), **multi}
    return [{**combo, SPACE_KEY: count, "_multi": shared} for combo in combos for count in counts]


def extra_columns(design, combo: dict, deployed_row) -> dict:
    """The deployment's columns (``deployed_row``) and the split's of one combination."""
    combo = dict(combo)
    count, shared = combo.pop(SPACE_KEY, None), combo.pop("_multi", None)
    row = deployed_row(design, combo) if combo else {}
    if count is None:
        return row
    device = shared.get("device") or design.options.device
    split = partition(design, [device] * count, shared["link"], shared["max_utilization"])
    row.update(
        {
            "link": split.link.name,
            "multi_throughput": split.throughput,
            "multi_interval_us": split.interval_s * 1e6,
            "multi_latency_us": split.latency_s * 1e6,
            "multi_binds": split.binding,
            "stage_util_max": max(s.utilization.max for s in split.stages),
            "feasible": True,
        }
    )
    return row


def objective_value(objective: str, row: dict) -> float:
    if objective == "multi_throughput":
        return -row["multi_throughput"]
    return row["multi_latency_us"]
