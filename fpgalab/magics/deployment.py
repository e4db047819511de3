"""The Deployment tab of ``%%fpga --deploy PLATFORM``: the design on a cloud FPGA card (``fpgalab.cloud``).

What the tab holds, as mime bundles like the other tabs (``panels``): a summary table (throughput,
latency of a batch and of one inference, what binds, compute units and banks), a Gantt chart of the
first batches through the event simulation (one row per resource: the host, each PCIe direction,
each bank, each compute unit), throughput and batch latency against batch size, and the CPU/GPU
comparison when this fpgalab's ``Deployment`` has ``compare``. Figures are plotly dicts in the
style of ``figures``.
"""

from __future__ import annotations

from dataclasses import dataclass

from fpgalab.cloud import Deployment, deploy
from fpgalab.cloud.compare import ModelNeeded
from fpgalab.magics import figures, html, text

SWEEP_BATCHES = (1, 4, 16, 64, 256, 1024)
ROW_NAMES = {"host": "host", "pcie host->card": "PCIe host→card", "pcie card->host": "PCIe card→host"}


@dataclass(frozen=True)
class DeployRequest:
    """What ``--deploy``, ``--batch`` and ``--compute-units`` ask for."""

    platform: str
    batch: int = 256
    compute_units: object = "auto"

    def deploy(self, design, batch: int | None = None) -> Deployment:
        return deploy(design, self.platform, batch=batch or self.batch, compute_units=self.compute_units)


def summary_line(deployment: Deployment) -> str:
    """One line for the view's text/plain summary."""
    return (
        f"deployed on {deployment.platform.name}: batch {deployment.batch}, {deployment.compute_units} compute "
        f"unit(s), {deployment.throughput:,.0f} inferences/s (bound by {deployment.binding}), batch "
        f"{text.microseconds(deployment.batch_latency * 1e6)}, one inference alone "
        f"{text.microseconds(deployment.inference_latency * 1e6)}"
    )


def summary_rows(deployment: Deployment) -> list[tuple]:
    report = deployment.report()
    rows = [
        ("", "value"),
        ("platform", f"{report.platform} ({report.part}), kernel at {report.clock_mhz:g} MHz"),
        ("throughput", f"{report.throughput:,.0f} inferences/s"),
        ("batch latency", f"{text.microseconds(report.batch_latency_s * 1e6)} (batch of {report.batch})"),
        ("one inference alone", text.microseconds(report.inference_latency_s * 1e6)),
        ("bound by", report.binding),
        ("compute units", f"{report.compute_units} ({report.units_that_fit} fit after the shell)"),
        ("banks", ", ".join(report.banks)),
        ("bytes per batch", f"{report.input_bytes:,} in, {report.output_bytes:,} out"),
    ]
    rows += [("work per batch, " + name, text.microseconds(seconds * 1e6)) for name, seconds in report.loads.items()]
    rows += [("note", note) for note in report.notes]
    return rows


# ---- the timeline of a few batches --------------------------------------------------------------------------


def shown_batches(deployment: Deployment) -> int:
    """Two rounds of the compute units, and at least six batches."""
    return max(6, 2 * deployment.compute_units)


def resource_spans(deployment: Deployment, events, batches: int) -> dict[str, list[tuple[int, float, float]]]:
    """Row label -> [(batch, start, end)] in seconds for the first ``batches`` batches of the event run.

    The host and the links come from the simulation's spans. A compute unit's bank is busy while the
    kernel's burst loops read the batch (from the kernel's start) and write the results back (up to
    its end), as in ``Deployment.timeline``.
    """
    costs = deployment.costs
    rows: dict[str, list] = {ROW_NAMES[name]: [] for name in ROW_NAMES}
    for unit, bank in enumerate(deployment.banks):
        rows[bank.name] = []
        rows[f"CU {unit}"] = []
    for span in events.spans:
        if span.batch >= batches:
            continue
        if span.resource in ROW_NAMES:
            rows[ROW_NAMES[span.resource]].append((span.batch, span.start, span.end))
            continue
        unit = int(span.resource.removeprefix("cu"))
        rows[f"CU {unit}"].append((span.batch, span.start, span.end))
        bank = rows[deployment.banks[unit].name]
        bank.append((span.batch, span.start, span.start + costs.read))
        bank.append((span.batch, span.end - costs.write, span.end))
    return rows


def time_unit(seconds: float) -> tuple[float, str]:
    """(scale, unit) to show times up to ``seconds``: microseconds, or milliseconds past 10 ms."""
    return (1e6, "µs") if seconds < 1e-2 else (1e3, "ms")


def timeline_figure(deployment: Deployment, events=None) -> dict:
    """A Gantt chart of the first batches: one trace, one row, per resource; bars coloured by batch."""
    events = events if events is not None else deployment.simulate()
    batches = min(shown_batches(deployment), len(events.batches))
    rows = resource_spans(deployment, events, batches)
    scale, unit = time_unit(max((end for spans in rows.values() for _, _, end in spans), default=0.0))
    data = []
    for row, spans in rows.items():
        data.append(
            {
                "type": "bar",
                "orientation": "h",
                "name": row,
                "y": [row] * len(spans),
                "base": [start * scale for _, start, _ in spans],
                "x": [(end - start) * scale for _, start, end in spans],
                "marker": {"color": [figures.COLORS[batch % len(figures.COLORS)] for batch, _, _ in spans]},
                "hovertext": [
                    f"{row}: batch {batch}, {start * scale:,.2f}-{end * scale:,.2f} {unit}"
                    for batch, start, end in spans
                ],
                "hoverinfo": "text",
                "showlegend": False,
            }
        )
    title = (
        f"The first {batches} batches of {deployment.batch} on {deployment.platform.name} "
        f"(event simulation; colour: batch): {deployment.throughput:,.0f} inferences/s, bound by {deployment.binding}"
    )
    return {
        "data": data,
        "layout": figures.layout(
            title,
            height=110 + (26 if len(rows) <= 12 else 16) * len(rows),
            barmode="overlay",
            xaxis={"title": {"text": unit}},
            yaxis={"autorange": "reversed", "type": "category"},
        ),
    }


def timeline_text(deployment: Deployment, events) -> str:
    batches = min(shown_batches(deployment), len(events.batches))
    lines = [f"first {batches} batches (event simulation), busy µs per resource:"]
    for row, spans in resource_spans(deployment, events, batches).items():
        busy = sum(end - start for _, start, end in spans)
        lines.append(f"  {row:16s} {busy * 1e6:9.2f}")
    return "\n".join(lines)


# ---- against batch size ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BatchPoint:
    batch: int
    throughput: float
    batch_latency: float
    binding: str


def batch_sweep(design, request: DeployRequest, batches=SWEEP_BATCHES) -> tuple[list[BatchPoint], list[str]]:
    """The deployment at each batch size, and why the ones left out do not deploy (a batch too large
    for the banks)."""
    points, skipped = [], []
    for batch in sorted({*batches, request.batch}):
        try:
            d = request.deploy(design, batch)
        except ValueError as err:
            skipped.append(f"batch {batch}: {err}")
            continue
        points.append(BatchPoint(batch, d.throughput, d.batch_latency, d.binding))
    return points, skipped


def batch_figure(points: list[BatchPoint], chosen: int, platform: str) -> dict:
    """Throughput (left axis) and batch latency (right axis) against batch size, both logarithmic."""
    x = [p.batch for p in points]
    hover = [
        f"batch {p.batch}: {p.throughput:,.0f} inferences/s, batch latency {p.batch_latency * 1e6:,.2f} µs, "
        f"bound by {p.binding}" + (" (chosen)" if p.batch == chosen else "")
        for p in points
    ]
    data = [
        {
            "type": "scatter",
            "mode": "lines+markers",
            "name": "throughput (inferences/s)",
            "x": x,
            "y": [p.throughput for p in points],
            "marker": {"color": figures.COLORS[0], "size": [11 if b == chosen else 7 for b in x]},
            "hovertext": hover,
            "hoverinfo": "text",
        },
        {
            "type": "scatter",
            "mode": "lines+markers",
            "name": "batch latency (µs)",
            "x": x,
            "y": [p.batch_latency * 1e6 for p in points],
            "yaxis": "y2",
            "marker": {"color": figures.COLORS[1], "size": [11 if b == chosen else 7 for b in x]},
            "line": {"dash": "dot"},
            "hovertext": hover,
            "hoverinfo": "text",
        },
    ]
    return {
        "data": data,
        "layout": figures.layout(
            f"Throughput and batch latency against batch size on {platform}",
            height=340,
            xaxis={"title": {"text": "batch size"}, "type": "log"},
            yaxis={"title": {"text": "inferences/s"}, "type": "log"},
            yaxis2={"title": {"text": "batch latency (µs)"}, "type": "log", "overlaying": "y", "side": "right"},
        ),
    }


def batch_rows(points: list[BatchPoint]) -> list[tuple]:
    rows = [("batch", "inferences/s", "batch latency", "bound by")]
    rows += [(p.batch, f"{p.throughput:,.0f}", text.microseconds(p.batch_latency * 1e6), p.binding) for p in points]
    return rows


# ---- the tab ------------------------------------------------------------------------------------------------


def _bundle(markup: str, plain: str) -> dict:
    return {"text/html": markup, "text/plain": plain}


def comparison(deployment: Deployment) -> list[dict]:
    """The CPU/GPU comparison, when ``Deployment.compare`` exists in this fpgalab."""
    if not callable(getattr(deployment, "compare", None)):
        return []
    try:
        result = deployment.compare()
    except ModelNeeded:  # the cell's design keeps no model to time: say how, not as a failure
        note = "CPU/GPU comparison: deployment.compare(model) times the Keras model in TensorFlow on this CPU"
        return [_bundle(html.message(note), note)]
    except Exception as err:  # noqa: BLE001 - the comparison's failure is shown in the tab, the rest stands
        return [
            _bundle(html.message(f"no comparison: {type(err).__name__}: {err}", "#c62828"), f"no comparison: {err}")
        ]
    markup = result._repr_html_() if callable(getattr(result, "_repr_html_", None)) else html.pre(str(result))
    return [_bundle(markup, str(result))]


def panel(design, request: DeployRequest, deployment: Deployment | None = None) -> list[dict]:
    """The tab's bundles; a design that cannot be deployed (after a control changed it) says why."""
    try:
        deployment = deployment or request.deploy(design)
    except ValueError as err:
        note = f"cannot deploy on {request.platform}: {err}"
        return [_bundle(html.message(note, "#c62828"), note)]
    events = deployment.simulate()
    rows = summary_rows(deployment)
    points, skipped = batch_sweep(design, request)
    items = [
        _bundle(html.table(rows, f"{design.name} on {deployment.platform.name}"), summary_line(deployment)),
        figures.bundle(timeline_figure(deployment, events), timeline_text(deployment, events)),
        figures.bundle(
            batch_figure(points, deployment.batch, deployment.platform.name), text.table(batch_rows(points))
        ),
        _bundle(html.table(batch_rows(points), "Against batch size"), text.table(batch_rows(points))),
    ]
    if skipped:
        items.append(_bundle(html.message("; ".join(skipped)), "\n".join(skipped)))
    return items + comparison(deployment)
