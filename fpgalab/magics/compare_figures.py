"""Figures across designs: the Pareto front of a sweep, and designs side by side (``%fpga compare``)."""

from __future__ import annotations

import numpy as np

from fpgalab.magics import text
from fpgalab.magics.figures import COLORS, layout


def pareto_figure(sweep) -> dict:
    """Every point of a sweep: cycles against the largest utilisation; hover shows its options.

    Without data the Pareto front is a red staircase; with data accuracy is a third objective,
    so the points are coloured by accuracy and the front is marked by larger diamonds.
    """
    ok = [row for row in sweep.rows if row["status"] == "ok"]
    with_accuracy = any(row.get("accuracy") is not None for row in ok)
    groups = (
        ("Pareto front", lambda r: r["pareto"], COLORS[3], 12, "diamond"),
        ("feasible", lambda r: not r["pareto"] and r["feasible"], COLORS[0], 8, "circle"),
        ("over the limit", lambda r: not r["pareto"] and not r["feasible"], "#bab0ac", 8, "x"),
    )
    data = []
    for name, keep, color, size, symbol in groups:
        rows = sorted((row for row in ok if keep(row)), key=lambda r: (r["cycles"], r["util_max"]))
        if not rows:
            continue
        marker = {"color": color, "size": size, "symbol": symbol, "line": {"width": 1, "color": "white"}}
        if with_accuracy:
            marker.update(
                color=[100 * row["accuracy"] for row in rows],
                colorscale="Viridis",
                cmin=0,
                cmax=100,
                showscale=not data,
                colorbar={"title": {"text": "accuracy %"}, "thickness": 12},
            )
        trace = {
            "type": "scatter",
            "mode": "markers",
            "name": name,
            "marker": marker,
            "x": [row["cycles"] for row in rows],
            "y": [100 * row["util_max"] for row in rows],
            "hoverinfo": "text",
            "hovertext": [_point_hover(row, sweep.keys) for row in rows],
        }
        if name == "Pareto front" and not with_accuracy:
            trace.update(mode="lines+markers", line={"shape": "hv", "color": color, "width": 1})
        data.append(trace)
    best = sweep.best
    annotations = []
    if best is not None:
        annotations.append(
            {
                "x": best["cycles"],
                "y": 100 * best["util_max"],
                "text": "best",
                "showarrow": True,
                "arrowhead": 2,
                "ax": 30,
                "ay": -30,
                "xref": "x",
                "yref": "y",
            }
        )
    xs = [row["cycles"] for row in ok]
    log = bool(xs) and max(xs) > 20 * max(1, min(xs))
    if log:  # plotly places annotations on a log axis by the exponent
        for note in annotations:
            note["x"] = float(np.log10(note["x"]))
    return {
        "data": data,
        "layout": layout(
            f"Design space: {sweep.points} points",
            height=380,
            annotations=annotations,
            xaxis={"title": {"text": "latency (cycles)"}, "type": "log" if log else "linear"},
            yaxis={"title": {"text": "largest utilisation (%)"}},
        ),
    }


def _point_hover(row: dict, keys) -> str:
    lines = [
        f"point {row['point']}: " + text.options_text(row, keys),
        f"{text.number(row['cycles'])} cycles, interval {text.number(row['interval'])}",
        " ".join(f"{k.upper()} {text.number(row[k])}" for k in text.SHOWN_KINDS),
        f"largest utilisation {text.percent(row['util_max'])}",
    ]
    if row.get("accuracy") is not None:
        lines.append(f"accuracy {text.percent(row['accuracy'])}")
    return "<br>".join(lines)


def compare_figure(named: list[tuple[str, object, object]]) -> dict:
    """Grouped bars: utilisation per resource for each design; named is [(name, design, report)]."""
    kinds = text.SHOWN_KINDS
    data = [
        {
            "type": "bar",
            "name": name,
            "x": [k.upper() for k in kinds],
            "y": [100 * getattr(report.utilization, k) for k in kinds],
            "hovertext": [f"{name}: {text.number(getattr(report.resources, k))} {k.upper()}" for k in kinds],
            "hoverinfo": "text",
            "marker": {"color": COLORS[i]},
        }
        for i, (name, _design, report) in enumerate(named)
    ]
    return {
        "data": data,
        "layout": layout("Utilisation", height=300, barmode="group", yaxis={"title": {"text": "% of the part"}}),
    }


def compare_latency_figure(named: list[tuple[str, object, object]]) -> dict:
    data = [
        {
            "type": "bar",
            "name": metric,
            "x": [name for name, _, _ in named],
            "y": [getattr(report, attr) for _, _, report in named],
            "marker": {"color": COLORS[i]},
        }
        for i, (metric, attr) in enumerate((("latency", "cycles"), ("interval", "interval")))
    ]
    return {"data": data, "layout": layout("Cycles", height=300, barmode="group", yaxis={"title": {"text": "cycles"}})}
