"""Concise ``text/plain`` summaries of everything the magics show.

Terminals, nbval and screen readers get the figures from these. They hold no random ids, no
memory addresses and no timings, so an executed notebook compares equal run after run.
"""

from __future__ import annotations

from fpgalab.estimate.report import RESOURCE_KINDS

SHOWN_KINDS = ("lut", "ff", "dsp", "bram")


def number(value) -> str:
    """12345 -> '12,345'; 2.5 -> '2.5'; 3.0 -> '3'."""
    if isinstance(value, float) and not value.is_integer():
        return f"{value:,.1f}"
    return f"{int(value):,}"


def percent(fraction: float) -> str:
    if fraction == float("inf"):
        return "inf%"
    value = 100 * fraction
    return f"{value:.1f}%" if value >= 0.1 or value == 0 else f"{value:.2f}%"


def microseconds(value: float) -> str:
    """16.4 µs, 0.535 µs, 10,285 µs: three significant digits, never an exponent."""
    return f"{value:,.0f} µs" if value >= 100 else f"{value:.3g} µs"


def capacities(device) -> dict:
    return {"lut": device.luts, "ff": device.ffs, "dsp": device.dsps, "bram": device.bram, "uram": device.uram}


def kinds_of(device) -> tuple[str, ...]:
    """The resource kinds worth showing for a part (URAM only where the part has it)."""
    return SHOWN_KINDS + (("uram",) if device.uram else ())


def layer_labels(report) -> list[str]:
    """A unique, readable name per layer of a report: its Keras layer, or its node where a layer has several."""
    names = [layer.layer or layer.name for layer in report.per_layer]
    return [
        f"{n} · {layer.name}" if names.count(n) > 1 and n != layer.name else n
        for n, layer in zip(names, report.per_layer)
    ]


def label(kind: str, device=None) -> str:
    if kind == "bram" and device is not None:
        return f"BRAM ({device.bram_block.kind})"
    return kind.upper()


def precision_text(design) -> str:
    return design.options.precision_text


def timing_line(report) -> str:
    return (
        f"latency {number(report.cycles)} cycles = {microseconds(report.latency_us)}, "
        f"interval {number(report.interval)} cycles, {report.throughput:,.0f} inputs/s"
    )


def resources_line(report, device) -> str:
    parts = [
        f"{kind.upper()} {number(getattr(report.resources, kind))} ({percent(getattr(report.utilization, kind))})"
        for kind in kinds_of(device)
    ]
    return "resources: " + ", ".join(parts) + f" -> {'fits' if report.fits else 'DOES NOT FIT'} {device.name}"


def accuracy_line(accuracy) -> str:
    parts = [f"{accuracy.samples} samples vs {accuracy.reference}: max |err| {accuracy.max_abs_error:.3g}"]
    if accuracy.top1_agreement is not None:
        parts.append(f"top-1 agreement {percent(accuracy.top1_agreement)}")
    if accuracy.accuracy is not None:
        parts.append(f"accuracy {percent(accuracy.accuracy)} (float {percent(accuracy.float_accuracy)})")
    if accuracy.overflows:
        parts.append(f"overflows in {len(accuracy.overflows)} place(s), worst: {accuracy.overflows[0].describe()}")
    return "accuracy: " + ", ".join(parts)


def header_line(name: str, design, report) -> str:
    flow = "dataflow" if report.dataflow else "sequential layers"
    return f"{name}: {design.name} on {report.device} at {report.clock_mhz:g} MHz, {precision_text(design)}, {flow}"


def design_summary(name: str, design, report, device, accuracy=None, sweep=None) -> str:
    """The text/plain of a %%fpga output: header, timing, resources, accuracy and sweep lines."""
    lines = [header_line(name, design, report), timing_line(report), resources_line(report, device)]
    if accuracy is not None:
        lines.append(accuracy_line(accuracy))
    if sweep is not None:
        lines.append(sweep_line(sweep))
    lines += [f"warning: {w}" for w in report.warnings]
    return "\n".join(lines)


def resources_text(report, device) -> str:
    lines = [f"Resources on {device.name} ({device.part}):"]
    for kind in kinds_of(device):
        used = getattr(report.resources, kind)
        lines.append(
            f"  {kind.upper():4s} {number(used):>10s} of {number(capacities(device)[kind]):>10s} "
            f"({percent(getattr(report.utilization, kind))})"
        )
    lines.append(
        "Per layer: "
        + "; ".join(
            f"{name} " + " ".join(f"{k.upper()} {number(getattr(layer.resources, k))}" for k in SHOWN_KINDS)
            for name, layer in zip(layer_labels(report), report.per_layer)
        )
    )
    return "\n".join(lines)


def latency_text(report) -> str:
    lines = [f"Latency: {timing_line(report)}"]
    for name, layer in zip(layer_labels(report), report.per_layer):
        ii = f"II {layer.ii}" if layer.pipelined else "not pipelined"
        lines.append(f"  {name}: {number(layer.cycles)} cycles, cycles {number(layer.start)}-{number(layer.end)}, {ii}")
    return "\n".join(lines)


def layer_errors_text(accuracy) -> str:
    lines = [accuracy_line(accuracy), "Per layer, hardware vs float32 (max |err|, mean |err|):"]
    lines += [f"  {e.layer}: {e.max_abs_error:.3g}, {e.mean_abs_error:.3g}" for e in accuracy.per_layer]
    return "\n".join(lines)


def histogram_text(diffs) -> str:
    import numpy as np  # noqa: PLC0415

    if diffs.size == 0:
        return "Output differences: none"
    return (
        f"Output differences (hardware - float32), {diffs.size} values: min {float(np.min(diffs)):.3g}, "
        f"max {float(np.max(diffs)):.3g}, mean {float(np.mean(diffs)):.3g}, std {float(np.std(diffs)):.3g}"
    )


def sweep_line(sweep) -> str:
    best = sweep.best
    text = f"sweep: {sweep.points} points, {len(sweep.pareto_rows)} on the Pareto front, {sweep.failed} failed"
    if sweep.interrupted:
        text += f", interrupted after {sweep.points} of {sweep.planned}"
    if best is not None:
        rule = sweep.objective + (", within 1% of the best accuracy" if best.get("accuracy") is not None else "")
        text += f"; best ({rule}): {options_text(best, sweep.keys)}"
    return text


def options_text(row: dict, keys) -> str:
    return ", ".join(f"{key}={row[key]}" for key in keys)


def sweep_text(sweep) -> str:
    lines = [sweep_line(sweep), "Pareto front (cycles, largest utilisation, options):"]
    for row in sweep.pareto_rows:
        accuracy = f", accuracy {percent(row['accuracy'])}" if row.get("accuracy") is not None else ""
        lines.append(
            f"  {number(row['cycles'])} cycles, {percent(row['util_max'])}{accuracy}: {options_text(row, sweep.keys)}"
        )
    return "\n".join(lines)


def list_rows(session) -> list[tuple]:
    rows = [("name", "model", "device", "MHz", "precision", "cycles", "µs", "fits", "cell")]
    for entry in session.entries.values():
        d = entry.design
        report = d.report()
        rows.append(
            (
                entry.name,
                d.name,
                d.options.device,
                f"{d.options.clock_mhz:g}",
                d.options.precision_text,
                number(report.cycles),
                microseconds(report.latency_us).removesuffix(" µs"),
                "yes" if report.fits else "NO",
                f"[{entry.execution_count}]",
            )
        )
    return rows


def list_text(session) -> str:
    if not session.entries:
        return "no designs yet: put %%fpga on top of a cell that defines a function"
    return table(list_rows(session))


def table(rows: list[tuple]) -> str:
    widths = [max(len(str(row[i])) for row in rows) for i in range(len(rows[0]))]
    return "\n".join("  ".join(str(v).ljust(w) for v, w in zip(row, widths)).rstrip() for row in rows)


def compare_rows(named: list[tuple[str, object, object]]) -> list[tuple]:
    """(what, value a, value b) rows comparing designs; ``named`` is [(name, design, report)]."""
    rows = [("", *(name for name, _, _ in named))]
    rows.append(("model", *(d.name for _, d, _ in named)))
    rows.append(("device", *(f"{r.device} at {r.clock_mhz:g} MHz" for _, _, r in named)))
    rows.append(("precision", *(d.options.precision_text for _, d, _ in named)))
    rows.append(("latency", *(f"{number(r.cycles)} cycles = {microseconds(r.latency_us)}" for _, _, r in named)))
    rows.append(("interval", *(f"{number(r.interval)} cycles" for _, _, r in named)))
    rows.append(("throughput", *(f"{r.throughput:,.0f}/s" for _, _, r in named)))
    for kind in RESOURCE_KINDS[:4]:
        rows.append(
            (
                kind.upper(),
                *(
                    f"{number(getattr(r.resources, kind))} ({percent(getattr(r.utilization, kind))})"
                    for _, _, r in named
                ),
            )
        )
    rows.append(("fits", *("yes" if r.fits else "NO" for _, _, r in named)))
    return rows


def devices_rows(devices) -> list[tuple]:
    rows = [("name", "vendor", "family", "part", "LUT", "FF", "DSP", "BRAM", "URAM")]
    for d in devices:
        rows.append(
            (
                d.name,
                d.vendor,
                d.family,
                d.part,
                number(d.luts),
                number(d.ffs),
                number(d.dsps),
                f"{number(d.bram)} {d.bram_block.kind}",
                number(d.uram),
            )
        )
    return rows


def _yes(value) -> str:
    return "n/a" if value is None else "equal" if value else "DIFFERENT"


def verify_text(result) -> str:
    """``Design.verify()``'s report in a line (falls back to its repr for fields it does not have)."""
    if not hasattr(result, "llvm_equal"):
        return f"RTL verification: {result!r}"
    text = f"RTL verification: LLVM outputs {_yes(result.llvm_equal)}, RTL outputs {_yes(result.rtl_equal)}"
    if getattr(result, "rtl_cycles", None) is not None:
        text += f", RTL {number(result.rtl_cycles)} cycles vs simulator {number(result.simulator_cycles)}"
    if getattr(result, "note", ""):
        text += f" ({result.note})"
    return text


def synthesis_text(result, report) -> str:
    """Yosys's counts next to fpgalab's estimate."""
    if not all(hasattr(result, k) for k in SHOWN_KINDS):
        return f"Yosys synthesis: {result!r}"
    measured = ", ".join(f"{k.upper()} {number(getattr(result, k))}" for k in SHOWN_KINDS)
    # compare like with like: the estimate of fpgalab's own RTL as Yosys maps it (flow="yosys")
    resources = getattr(result, "estimate", None) or report.resources
    figures = resources if isinstance(resources, dict) else {k: getattr(resources, k) for k in SHOWN_KINDS}
    estimate = ", ".join(f"{k.upper()} {number(figures[k])}" for k in SHOWN_KINDS)
    return f"Yosys synthesis: {measured} (fpgalab's estimate for this RTL: {estimate})"


def config_text(defaults: dict) -> str:
    if not defaults:
        return "%fpga defaults: none set (fpgalab's own: device xcvu9p, clock 200 MHz, precision ap_fixed<16,6>)"
    return "%fpga defaults: " + ", ".join(f"{k}={v}" for k, v in defaults.items())
