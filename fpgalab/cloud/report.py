"""The report of a deployment: throughput, latencies, what binds, and one batch's timeline as text."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class DeploymentReport:
    design: str
    platform: str
    part: str
    batch: int
    compute_units: int
    units_that_fit: int
    banks: tuple[str, ...]
    clock_mhz: float
    throughput: float  # inferences per second, a stream of batches
    batch_latency_s: float
    inference_latency_s: float  # one sample sent alone
    binding: str
    loads: dict  # resource -> seconds of work per batch (CUs: per CU)
    input_bytes: int  # per batch
    output_bytes: int
    timeline: tuple  # Stage, one batch alone
    notes: tuple[str, ...]
    kernel_loop: str = ""  # how the exported kernel's batch loop runs (fpgalab.cloud.layout)
    # power (fpgalab.cloud.power), at the default 12.5% toggle rate
    watts: float | None = None
    inferences_per_joule: float | None = None  # perf/W: throughput / watts

    def _bank_text(self) -> str:
        if len(self.banks) <= 4:
            return ", ".join(self.banks)
        return f"{self.banks[0]} .. {self.banks[-1]} ({len(self.banks)} banks)"

    def gantt(self, width: int = 60) -> str:
        """The timeline of one batch as a text Gantt chart."""
        total = max(stage.end for stage in self.timeline) or 1.0
        lines = []
        for stage in self.timeline:
            begin = int(stage.start / total * width)
            length = max(1, int((stage.end - stage.start) / total * width))
            lines.append(
                f"{stage.name[:22]:22s} |{' ' * begin}{'#' * length}  {(stage.end - stage.start) * 1e6:.1f} us"
            )
        return "\n".join(lines)

    def __str__(self) -> str:
        lines = [
            f"{self.design} on {self.platform} ({self.part}), {self.clock_mhz:g} MHz",
            f"batch {self.batch}, {self.compute_units} compute unit(s) on {self._bank_text()} "
            f"({self.units_that_fit} fit after the shell)",
            f"throughput      {self.throughput:,.0f} inferences/s (bound by {self.binding})",
            f"batch latency   {self.batch_latency_s * 1e6:,.1f} us",
            f"inference alone {self.inference_latency_s * 1e6:,.1f} us",
            f"bytes per batch {self.input_bytes:,} in, {self.output_bytes:,} out",
            f"kernel loop     {self.kernel_loop}",
            "work per batch: " + ", ".join(f"{k} {v * 1e6:.1f} us" for k, v in self.loads.items()),
            self.gantt(),
        ]
        if self.watts is not None:
            lines.insert(
                -1, f"power           {self.watts:,.1f} W (12.5% toggle), {self.inferences_per_joule:,.0f} inferences/J"
            )
        lines += [f"note: {note}" for note in self.notes]
        return "\n".join(lines)


def deployment_report(deployment) -> DeploymentReport:
    power = deployment.power()
    return DeploymentReport(
        design=deployment.design_name,
        platform=deployment.platform.name,
        part=deployment.platform.part,
        batch=deployment.batch,
        compute_units=deployment.compute_units,
        units_that_fit=deployment.fit_limit,
        banks=tuple(bank.name for bank in deployment.banks),
        clock_mhz=deployment.clock_mhz,
        throughput=deployment.throughput,
        batch_latency_s=deployment.batch_latency,
        inference_latency_s=deployment.inference_latency,
        binding=deployment.binding,
        loads=deployment.loads(),
        input_bytes=deployment.costs.input_bytes,
        output_bytes=deployment.costs.output_bytes,
        timeline=deployment.timeline(),
        kernel_loop=_kernel_loop(deployment),
        notes=tuple(deployment.notes) + power.warnings,
        watts=power.total_w,
        inferences_per_joule=deployment.throughput / power.total_w,
    )


def _kernel_loop(deployment) -> str:
    """How the kernel's batch loop runs: one pipeline, or a sample at a time, with the layout."""
    ins, outs = deployment.layouts
    words = max(layout.cycles_per_sample for layout in ins + outs)
    step = max(deployment.interval_cycles, words)
    if deployment.loop_kind == "pipeline":
        return f"one pipeline, a sample every {step} cycle(s) (pack={deployment.pack!r})"
    if deployment.loop_kind == "dataflow":
        return (
            f"a dataflow loop: read, network and write overlap, a sample every {step} cycle(s), "
            f"the first after {deployment.latency_cycles} (pack={deployment.pack!r})"
        )
    return (
        f"a sample at a time: its words, the network's {deployment.latency_cycles} cycles, its outputs "
        f"(pack={deployment.pack!r}; pack='sample' overlaps samples)"
    )
