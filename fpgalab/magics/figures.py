"""Plotly figures of a design, as plain figure dicts (``{"data": [...], "layout": {...}}``).

Plain dicts rather than ``go.Figure``: they are built in microseconds, carry a small fixed
style instead of plotly's default template (which changes with plotly's version and weighs
about 10 KB per figure), and go out as plotly's own mime type, which JupyterLab, Notebook 7
and VS Code render without a custom front end. ``go.Figure(fig)`` turns any of them into a
figure object for further editing.
"""

from __future__ import annotations

import numpy as np

from fpgalab.magics import text

PLOTLY_MIME = "application/vnd.plotly.v1+json"
COLORS = ("#4c78a8", "#f58518", "#54a24b", "#e45756", "#72b7b2", "#eeca3b", "#b279a2", "#ff9da6", "#9d755d", "#bab0ac")
FONT = {"family": "Inter, Helvetica, Arial, sans-serif", "size": 12, "color": "#333"}
CONFIG = {"displaylogo": False, "responsive": True}


def layout(title: str, height: int = 300, **extra) -> dict:
    base = {
        "title": {"text": title, "x": 0, "xanchor": "left", "font": {"size": 14}},
        "height": height,
        "margin": {"l": 10, "r": 10, "t": 40, "b": 40},
        "font": FONT,
        "plot_bgcolor": "white",
        "paper_bgcolor": "white",
        "colorway": list(COLORS),
        "hoverlabel": {"align": "left"},
        "xaxis": {"gridcolor": "#e5e5e5", "zerolinecolor": "#cccccc", "automargin": True},
        "yaxis": {"gridcolor": "#e5e5e5", "zerolinecolor": "#cccccc", "automargin": True},
        "legend": {"orientation": "h", "y": -0.2},
    }
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            base[key] = {**base[key], **value}
        else:
            base[key] = value
    return base


def bundle(figure: dict, summary: str) -> dict:
    """The mime bundle of a figure: plotly's JSON, and a text/plain summary of what it shows."""
    return {PLOTLY_MIME: {**figure, "config": CONFIG}, "text/plain": summary}


def _layer_names(report) -> list[str]:
    return text.layer_labels(report)


# ---- resources ------------------------------------------------------------------------------------------


def utilization_figure(report, device) -> dict:
    """One bar per resource: percent of the part used, with the 100% line."""
    kinds = text.kinds_of(device)
    cap = text.capacities(device)
    used = [getattr(report.resources, k) for k in kinds]
    pct = [100 * getattr(report.utilization, k) for k in kinds]
    colors = ["#e45756" if p > 100 else "#4c78a8" for p in pct]
    labels = [text.label(k, device) for k in kinds]
    hover = [f"{text.number(u)} of {text.number(cap[k])}" for u, k in zip(used, kinds)]
    bars = {
        "type": "bar",
        "orientation": "h",
        "x": pct,
        "y": labels,
        "marker": {"color": colors},
        "text": [f"{text.number(u)} ({text.percent(p / 100)})" for u, p in zip(used, pct)],
        "textposition": "outside",
        "cliponaxis": False,
        "hovertext": hover,
        "hoverinfo": "text+y",
        "name": "used",
    }
    largest = max(pct, default=0)
    zoomed = largest < 40  # a small design: zoom in rather than show slivers against 100%
    top = max(largest * 1.35, 0.01) if zoomed else max(110.0, largest * 1.25)
    title = f"Utilisation of {device.name} ({'fits' if report.fits else 'does not fit'})"
    if zoomed:
        title += "; axis zoomed, the part is 100%"
    shapes = (
        []
        if zoomed
        else [
            {
                "type": "line",
                "x0": 100,
                "x1": 100,
                "yref": "paper",
                "y0": 0,
                "y1": 1,
                "line": {"color": "#e45756", "dash": "dash", "width": 1},
            }
        ]
    )
    return {
        "data": [bars],
        "layout": layout(
            title,
            height=60 + 45 * len(kinds),
            xaxis={"title": {"text": "% of the part"}, "range": [0, top]},
            yaxis={"autorange": "reversed"},
            showlegend=False,
            shapes=shapes,
        ),
    }


def layer_resources_figure(report, device) -> dict:
    """Stacked bars: each resource's use, split by layer, in percent of the part."""
    kinds = text.SHOWN_KINDS
    cap = text.capacities(device)
    labels = [text.label(k, device) for k in kinds]
    data = []
    for index, (name, layer) in enumerate(zip(_layer_names(report), report.per_layer)):
        values = [getattr(layer.resources, k) for k in kinds]
        data.append(
            {
                "type": "bar",
                "name": name,
                "x": labels,
                "y": [100 * v / cap[k] if cap[k] else 0 for v, k in zip(values, kinds)],
                "hovertext": [f"{name}: {text.number(v)} {k.upper()}" for v, k in zip(values, kinds)],
                "hoverinfo": "text",
                "marker": {"color": COLORS[index % len(COLORS)]},
            }
        )
    return {
        "data": data,
        "layout": layout(
            "Per layer (stacked)", height=340, barmode="stack", yaxis={"title": {"text": "% of the part"}}
        ),
    }


# ---- latency --------------------------------------------------------------------------------------------


def layer_cycles_figure(report) -> dict:
    names = _layer_names(report)
    hover = [
        f"{name}: {text.number(layer.cycles)} cycles<br>"
        f"{'II ' + str(layer.ii) if layer.pipelined else 'not pipelined'} ({layer.ii_limit}), "
        f"depth {layer.depth}, trip {text.number(layer.trip)}<br>{layer.formula}"
        for name, layer in zip(names, report.per_layer)
    ]
    bars = {
        "type": "bar",
        "orientation": "h",
        "x": [layer.cycles for layer in report.per_layer],
        "y": names,
        "hovertext": hover,
        "hoverinfo": "text",
        "marker": {"color": COLORS[0]},
        "text": [text.number(layer.cycles) for layer in report.per_layer],
        "textposition": "auto",
    }
    return {
        "data": [bars],
        "layout": layout(
            "Cycles per layer",
            height=80 + 28 * len(names),
            xaxis={"title": {"text": "cycles"}},
            yaxis={"autorange": "reversed"},
            showlegend=False,
        ),
    }


def gantt_figure(report) -> dict:
    """Each layer's busy span for the first input (and the second, one interval later, under dataflow)."""
    names = _layer_names(report)
    frames = [(0, "input 1", 1.0)]
    if report.dataflow and report.interval < report.cycles:
        frames.append((report.interval, "input 2", 0.45))
    data = []
    for offset, name, opacity in frames:
        data.append(
            {
                "type": "bar",
                "orientation": "h",
                "name": name,
                "y": names,
                "opacity": opacity,
                "base": [layer.start + offset for layer in report.per_layer],
                "x": [max(1, layer.end - layer.start) for layer in report.per_layer],
                "hovertext": [_span_hover(n, name, layer, offset) for n, layer in zip(names, report.per_layer)],
                "hoverinfo": "text",
                "marker": {"color": COLORS[0]},
            }
        )
    title = (
        f"Schedule: latency {text.number(report.cycles)} cycles, a new input every "
        f"{text.number(report.interval)}" + (" (dataflow)" if report.dataflow else " (layers in sequence)")
    )
    return {
        "data": data,
        "layout": layout(
            title,
            height=100 + 28 * len(names),
            barmode="overlay",
            xaxis={"title": {"text": "cycle"}},
            yaxis={"autorange": "reversed"},
        ),
    }


def _span_hover(layer_name: str, frame: str, layer, offset: int) -> str:
    stall = f", {layer.stall} stalled" if layer.stall else ""
    return (
        f"{layer_name} ({frame}): cycles {text.number(layer.start + offset)}-{text.number(layer.end + offset)}{stall}"
    )


# ---- accuracy -------------------------------------------------------------------------------------------


def layer_error_figure(accuracy) -> dict:
    layers = [e.layer for e in accuracy.per_layer]
    data = [
        {
            "type": "bar",
            "name": "max |error|",
            "x": layers,
            "y": [e.max_abs_error for e in accuracy.per_layer],
            "marker": {"color": COLORS[3]},
        },
        {
            "type": "bar",
            "name": "mean |error|",
            "x": layers,
            "y": [e.mean_abs_error for e in accuracy.per_layer],
            "marker": {"color": COLORS[0]},
        },
    ]
    return {
        "data": data,
        "layout": layout(
            "Error per layer, fixed point vs float32",
            height=320,
            barmode="group",
            yaxis={"type": "log", "dtick": "D2", "tickformat": ".0e", "title": {"text": "|hardware - float|"}},
        ),
    }


def histogram_figure(diffs: np.ndarray, bins: int = 40) -> dict:
    """Histogram of the output differences, binned here so the figure stays small."""
    diffs = np.asarray(diffs, dtype=np.float64).ravel()
    if diffs.size == 0 or float(np.max(diffs)) == float(np.min(diffs)):
        lo = float(diffs[0]) if diffs.size else 0.0
        edges = np.array([lo - 0.5, lo + 0.5])
        counts = np.array([diffs.size])
    else:
        counts, edges = np.histogram(diffs, bins=bins)
    centers = (edges[:-1] + edges[1:]) / 2
    bar = {
        "type": "bar",
        "x": [float(c) for c in centers],
        "y": [int(c) for c in counts],
        "width": float(edges[1] - edges[0]),
        "marker": {"color": COLORS[0]},
        "name": "outputs",
        "hovertemplate": "%{x:.3g}: %{y} outputs<extra></extra>",
    }
    return {
        "data": [bar],
        "layout": layout(
            "Output differences, hardware - float32",
            height=300,
            showlegend=False,
            bargap=0.02,
            xaxis={"title": {"text": "difference"}},
            yaxis={"title": {"text": "outputs"}},
        ),
    }


# ---- sweep and comparison -------------------------------------------------------------------------------
