"""What each tab of a design's output holds, as lists of mime bundles (a figure or an HTML table,
each with its text/plain). No ipywidgets here: ``widgets`` puts these into tabs, tests read them."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from fpgalab.ir.printer import format_kernel
from fpgalab.magics import compare_figures, figures, html, text
from fpgalab.magics.sparsity import sparsity_line


@dataclass
class Evaluation:
    """A design with everything its views show, computed once."""

    name: str  # the variable it is stored under
    design: object
    report: object
    device: object
    accuracy: object = None
    diffs: object = None  # hardware - float32 outputs over the data, flattened
    sweep: object = None
    sparsity: object = None  # the fpgalab.sparsify result the design came from (--sparsify, the slider)

    def summary(self) -> str:
        summary = text.design_summary(self.name, self.design, self.report, self.device, self.accuracy, self.sweep)
        if self.sparsity is None:
            return summary
        first, _, rest = summary.partition("\n")
        return "\n".join([first, sparsity_line(self.sparsity), rest])

    def header(self) -> str:
        """The HTML summary at the top of the view (with the sparsity reached, for a pruned design)."""
        markup = html.header(self.name, self.design, self.report, self.device, self.accuracy)
        if self.sparsity is not None:
            markup += html.message(sparsity_line(self.sparsity), "#333")
        return markup


def evaluate(name: str, design, data=None, sweep=None, sparsity=None) -> Evaluation:
    """Report the design, and when ``data`` = (x, y or None) is given, its accuracy and output differences."""
    from fpgalab.parts import load_device  # noqa: PLC0415

    report = design.report()
    accuracy = diffs = None
    if data is not None:
        x, y = data
        accuracy = design.accuracy(x, y)
        inputs = tuple(x) if isinstance(x, (tuple, list)) else (x,)  # several inputs: a tuple of batches
        hardware = design.simulate(*inputs)
        reference = design.simulate(*inputs, float_reference=True)
        if isinstance(hardware, tuple):
            hardware, reference = hardware[0], reference[0]
        diffs = (np.asarray(hardware, np.float64) - np.asarray(reference, np.float64)).ravel()
    return Evaluation(name, design, report, load_device(design.options.device), accuracy, diffs, sweep, sparsity)


def html_bundle(markup: str, plain: str) -> dict:
    return {"text/html": markup, "text/plain": plain}


def resources(ev: Evaluation) -> list[dict]:
    rows = html.layer_rows(ev.report)
    return [
        figures.bundle(figures.utilization_figure(ev.report, ev.device), text.resources_text(ev.report, ev.device)),
        figures.bundle(
            figures.layer_resources_figure(ev.report, ev.device), "Per-layer resources, stacked: see the table below"
        ),
        html_bundle(html.table(rows, "Per layer") + html.node_details(ev.report), text.table(rows)),
    ]


def latency(ev: Evaluation) -> list[dict]:
    summary = text.latency_text(ev.report)
    return [
        figures.bundle(figures.gantt_figure(ev.report), summary),
        figures.bundle(
            figures.layer_cycles_figure(ev.report),
            "Cycles per layer: "
            + ", ".join(f"{layer.layer or layer.name} {text.number(layer.cycles)}" for layer in ev.report.per_layer),
        ),
    ]


def accuracy(ev: Evaluation) -> list[dict]:
    if ev.accuracy is None:
        return [
            html_bundle(
                html.message(
                    "Give --data EXPR (and --labels EXPR) to see the accuracy of the "
                    "fixed-point hardware against float."
                ),
                "no accuracy: give --data",
            )
        ]
    acc = ev.accuracy
    rows = [("", "value")]
    rows.append(("samples", acc.samples))
    rows.append(("compared with", acc.reference))
    if acc.top1_agreement is not None:
        rows.append(("top-1 agreement with float", text.percent(acc.top1_agreement)))
    if acc.accuracy is not None:
        rows.append(("accuracy, hardware", text.percent(acc.accuracy)))
        rows.append(("accuracy, float", text.percent(acc.float_accuracy)))
    rows.append(("max |error|", f"{acc.max_abs_error:.3g}"))
    rows.append(("mean |error|", f"{acc.mean_abs_error:.3g}"))
    items = [html_bundle(html.table(rows, "Fixed point vs float"), text.accuracy_line(acc))]
    if acc.overflows:
        table = [("layer", "node", "what", "type", "samples", "fix")]
        table += [
            (o.layer, o.node, f"{o.role} {o.mode}", o.type_text, text.percent(o.share), o.fix) for o in acc.overflows
        ]
        items.append(html_bundle(html.table(table, "Overflows inside the layers"), text.table(table)))
    return [
        *items,
        figures.bundle(figures.layer_error_figure(acc), text.layer_errors_text(acc)),
        figures.bundle(figures.histogram_figure(ev.diffs), text.histogram_text(ev.diffs)),
    ]


def sweep(ev: Evaluation) -> list[dict]:
    result = ev.sweep
    columns = ["point", *result.keys, "cycles", "interval", *text.SHOWN_KINDS, "util_max"]
    if any(row.get("accuracy") is not None for row in result.rows):
        columns += ["accuracy", "overflow"]
    headers = {"util_max": "largest %", "lut": "LUT", "ff": "FF", "dsp": "DSP", "bram": "BRAM"}
    rows = [tuple(headers.get(c, c) for c in columns)]
    for row in result.pareto_rows:
        rows.append(
            tuple(
                "-"
                if row.get(c) is None
                else text.percent(row[c])
                if c in ("util_max", "accuracy", "overflow")
                else text.number(row[c])
                if isinstance(row[c], (int, float)) and not isinstance(row[c], bool)
                else row[c]
                for c in columns
            )
        )
    failed = [row for row in result.rows if row["status"] != "ok"]
    items = [
        figures.bundle(compare_figures.pareto_figure(result), text.sweep_line(result)),
        html_bundle(html.table(rows, "Pareto front"), text.sweep_text(result)),
    ]
    if failed:
        frows = [("point", *result.keys, "status")] + [
            (r["point"], *(r[k] for k in result.keys), r["status"]) for r in failed
        ]
        items.append(html_bundle(html.table(frows, "Failed points"), text.table(frows)))
    return items


# ---- code -------------------------------------------------------------------------------------------------

BACKENDS = (("HLS C++", "hls"), ("LLVM", "llvm"), ("Verilog", "verilog"))


def code_views(design) -> list[str]:
    views = ["IR", "float IR", "HLO"]
    if callable(getattr(design, "emit", None)):
        views += [label for label, _ in BACKENDS]
    return views


def code_text(design, view: str) -> str:
    if view == "IR":
        return design.ir_text()
    if view == "float IR":
        return format_kernel(design.float_kernel, True)
    if view == "HLO":
        return design.hlo_text or "(no HLO: this design was not captured from TensorFlow)"
    kind = dict(BACKENDS)[view]
    try:
        with tempfile.TemporaryDirectory(prefix="fpgalab-code-") as directory:
            design.emit(kind, directory, overwrite=True)
            return read_tree(Path(directory))
    except (NotImplementedError, ImportError) as err:
        return f"(the {view} backend is not available: {err})"
    except Exception as err:  # noqa: BLE001 - a backend that cannot take this design says why, in the tab
        return f"(the {view} backend cannot generate this design: {type(err).__name__}: {err})"


SOURCE_RANK = {".cpp": 0, ".cc": 0, ".ll": 0, ".v": 0, ".sv": 0, ".h": 1, ".hpp": 1, ".tcl": 2}


def _reading_order(path: Path) -> tuple:
    """The design's own source first, then headers, scripts, testbenches, helpers and data."""
    name = path.name.lower()
    helper = any(word in name for word in ("tb", "test", "support", "data"))
    return (helper, SOURCE_RANK.get(path.suffix.lower(), 3), path.as_posix())


def read_tree(root: Path, max_chars: int = 200_000) -> str:
    """Every text file under ``root``, each under a heading with its relative path."""
    parts = []
    for path in sorted((p for p in root.rglob("*") if p.is_file()), key=_reading_order):
        try:
            body = path.read_text()
        except UnicodeDecodeError:
            continue
        parts.append(f"// ===== {path.relative_to(root).as_posix()} =====\n{body}")
    joined = "\n".join(parts)
    if len(joined) <= max_chars:
        return joined
    return joined[:max_chars] + f"\n… ({len(joined) - max_chars} more characters)"


def code(design, view: str) -> dict:
    body = code_text(design, view)
    return html_bundle(html.pre(body), f"{view} of {design.name}: {len(body.splitlines())} lines")
