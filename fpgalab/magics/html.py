"""Small HTML pieces of the widgets: the summary header, tables and code blocks (inline styles only,
so they look the same in JupyterLab, Notebook 7 and VS Code, light theme or dark)."""

from __future__ import annotations

from html import escape

from fpgalab.magics import text

CARD = (
    "display:inline-block;margin:0 6px 6px 0;padding:5px 9px;border:1px solid rgba(128,128,128,.35);"
    "border-radius:6px;min-width:84px;vertical-align:top"
)
SMALL = "font-size:11px;opacity:.75"
BIG = "font-size:16px;font-weight:600"
TABLE = "border-collapse:collapse;font-size:12px;margin:6px 0;text-align:left;white-space:nowrap"
CAPTION = "text-align:left;font-weight:600;padding:4px 0"


def card(title: str, value: str, detail: str = "", color: str = "") -> str:
    style = BIG + (f";color:{color}" if color else "")
    extra = f"<div style='{SMALL}'>{escape(detail)}</div>" if detail else ""
    return (
        f"<div style='{CARD}'><div style='{SMALL}'>{escape(title)}</div>"
        f"<div style='{style}'>{escape(value)}</div>{extra}</div>"
    )


def header(name: str, design, report, device, accuracy=None) -> str:
    """The summary at the top of a %%fpga output."""
    fits = ("fits", "#2e7d32") if report.fits else ("does not fit", "#c62828")
    flow = "dataflow" if report.dataflow else "sequential"
    title = (
        f"<div style='margin-bottom:6px'><b>{escape(name)}</b> &nbsp;<span style='{SMALL}'>"
        f"{escape(design.name)} · {escape(device.name)} ({escape(device.part)}) · {report.clock_mhz:g} MHz · "
        f"{escape(design.options.precision_text)} · {flow}</span></div>"
    )
    cards = [
        card("latency", f"{text.number(report.cycles)} cycles", text.microseconds(report.latency_us)),
        card("interval", f"{text.number(report.interval)} cycles", f"{report.throughput:,.0f} inputs/s"),
        card(
            "fit",
            fits[0],
            f"largest: {report.utilization.limiting.upper()} {text.percent(report.utilization.max)}",
            fits[1],
        ),
    ]
    for kind in text.kinds_of(device):
        if kind == "uram" and not report.resources.uram:
            continue
        fraction = getattr(report.utilization, kind)
        cards.append(
            card(
                kind.upper(),
                text.percent(fraction),
                text.number(getattr(report.resources, kind)),
                "#c62828" if fraction > 1 else "",
            )
        )
    if accuracy is not None:
        if accuracy.accuracy is not None:
            cards.append(
                card("accuracy", text.percent(accuracy.accuracy), f"float {text.percent(accuracy.float_accuracy)}")
            )
        elif accuracy.top1_agreement is not None:
            cards.append(card("top-1 agreement", text.percent(accuracy.top1_agreement), f"{accuracy.samples} samples"))
        else:
            cards.append(card("max |error|", f"{accuracy.max_abs_error:.3g}", f"{accuracy.samples} samples"))
    warnings = "".join(f"<div style='color:#b26a00;font-size:12px'>⚠ {escape(w)}</div>" for w in report.warnings)
    return title + "<div>" + "".join(cards) + "</div>" + warnings


def table(rows: list[tuple], caption: str = "") -> str:
    """An HTML table; the first row is the header."""
    cell = "padding:1px 10px 1px 0;text-align:left"  # JupyterLab right-aligns table cells unless told
    head = "".join(f"<th style='{cell}'>{escape(str(v))}</th>" for v in rows[0])
    body = "".join(
        "<tr>" + "".join(f"<td style='{cell}'>{escape(str(v))}</td>" for v in row) + "</tr>" for row in rows[1:]
    )
    cap = f"<caption style='{CAPTION}'>{escape(caption)}</caption>" if caption else ""
    return f"<table style='{TABLE}'>{cap}<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def layer_rows(report, nodes: bool = False) -> list[tuple]:
    """The per-layer table: one row per Keras layer (``nodes=True``: per node, labelled by ``text.layer_labels``)."""
    rows = [("layer", "kind", "cycles", "II", "LUT", "FF", "DSP", "BRAM")]
    entries = report.rows(nodes)
    labels = text.layer_labels(report) if nodes else [row["layer"] for row in entries]
    for name, row in zip(labels, entries):
        rows.append(
            (
                name,
                row["kind"],
                text.number(row["cycles"]),
                "-" if row["ii"] is None else row["ii"],
                *(text.number(row[k]) for k in text.SHOWN_KINDS),
            )
        )
    rows.append(
        (
            "total",
            "",
            text.number(report.cycles),
            "",
            *(text.number(getattr(report.resources, k)) for k in text.SHOWN_KINDS),
        )
    )
    return rows


def node_details(report) -> str:
    """The nodes inside each layer, folded away until asked for (empty when every layer is one node)."""
    if len(report.groups()) == len(report.per_layer):
        return ""
    inner = table(layer_rows(report, nodes=True), "Per node")
    return f"<details><summary style='{CAPTION}'>nodes inside the layers</summary>{inner}</details>"


def pre(code: str, max_lines: int = 400, note: str = "") -> str:
    lines = code.splitlines()
    more = ""
    if len(lines) > max_lines:
        more = f"\n… {len(lines) - max_lines} more lines{note}"
        lines = lines[:max_lines]
    return (
        "<pre style='max-height:420px;overflow:auto;font-size:12px;line-height:1.35;margin:0;padding:6px;"
        f"border:1px solid rgba(128,128,128,.3);border-radius:4px'>{escape(chr(10).join(lines) + more)}</pre>"
    )


def message(text_: str, color: str = "#666") -> str:
    return f"<div style='color:{color};font-size:12px;padding:4px 0'>{escape(text_)}</div>"
