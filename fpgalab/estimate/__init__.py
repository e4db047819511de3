"""Resource estimation of a whole design (``resources``), priced with ``fpgalab.costs``, and the design report."""

from __future__ import annotations

from fpgalab.estimate.io_parallel import estimate_parallel
from fpgalab.estimate.report import DesignReport, LayerReport, utilization
from fpgalab.estimate.resources import CostItem, LayerResources, ResourceReport, estimate_resources
from fpgalab.estimate.rtl_costs import rtl_facts
from fpgalab.parts import load_device

__all__ = ["CostItem", "LayerResources", "ResourceReport", "estimate_resources", "design_resources", "design_report"]


def design_resources(design, flow: str = "hls") -> ResourceReport:
    """The resource estimate of a compiled ``Design`` as ``flow`` builds it: "hls" (Vitis HLS from
    ``emit("hls")``) or "yosys" (fpgalab's Verilog through Yosys, ``Design.synthesize()``; priced
    with what the kernel's constants, tables and reads say, ``rtl_costs.rtl_facts``)."""

    if design.schedule.architecture in ("parallel", "stream"):
        if flow != "hls":
            raise ValueError(
                f"io={design.options.io!r} is estimated as Vitis HLS builds it (flow='hls'); "
                "fpgalab's Verilog is generated for io='layered'"
            )
        return estimate_parallel(design.schedule, design.device)
    rtl = None
    if flow == "yosys":
        rtl = rtl_facts(design.kernel, design.schedule, dict(design.options.tables), design.options.table_type)
    return estimate_resources(design.schedule, design.device, flow=flow, rtl=rtl)


def _clock_warnings(schedule, device) -> tuple[str, ...]:
    """A clock above what the part's fabric reaches is reported: the cycles stand, the time does not."""
    top = device.clock.max_practical_mhz
    if schedule.clock_mhz <= top:
        return ()
    return (
        f"{schedule.clock_mhz:g} MHz is above what {device.name}'s fabric reaches (about {top:g} MHz): "
        "the cycle counts hold, the times and throughput in µs do not",
    )


def design_report(name: str, schedule, timing, resources: ResourceReport, device=None) -> DesignReport:
    """Join the schedule, the timing and the resources into one frozen report."""

    device = load_device(device or schedule.device)
    times = {t.name: t for t in timing.layers}
    per_layer = []
    for layer, cost in zip(schedule.layers, resources.per_layer):
        t = times[layer.name]
        per_layer.append(
            LayerReport(
                layer.name,
                layer.layer,
                layer.kind,
                layer.nodes,
                layer.cycles,
                t.start,
                t.end,
                t.stall,
                layer.pipelined,
                layer.ii,
                layer.ii_limit,
                layer.depth,
                layer.trip,
                layer.copies,
                layer.formula,
                cost.total,
                utilization(cost.total, device),
                cost.items,
                layer.reuse,
            )
        )
    return DesignReport(
        name,
        schedule.device,
        schedule.clock_mhz,
        schedule.dataflow,
        timing.latency,
        timing.interval,
        timing.latency_us,
        timing.throughput,
        resources.total,
        resources.utilization,
        resources.fits,
        tuple(per_layer),
        tuple(schedule.warnings) + tuple(resources.warnings) + _clock_warnings(schedule, device),
    )
