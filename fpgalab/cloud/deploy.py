"""A design deployed on a cloud FPGA card: the analytic model of a stream of batches.

What is modelled, per batch of ``batch`` samples handled by one compute unit (CU):

* host pre- and post-processing: ``host_seconds_per_sample`` x batch, half before sending and half
  after receiving (one host thread serves every CU);
* host->card DMA over PCIe: the platform's fixed per-transfer overhead for each input buffer (one
  transfer per buffer and batch) plus the batch's input bytes at the effective host->card rate; one
  link each way, shared by all CUs;
* the kernel: the batch loop of the exported kernel (``fpgalab.cloud.layout``): read a sample's words
  from the CU's bank, run the network, write its outputs; one pipeline taking a sample every
  ``max(interval, words a sample)`` cycles for an ``io="parallel"`` network with ``pack="sample"``,
  else a sample at a time (its words, the network's latency, its output words). Its time is the
  largest of that loop, each AXI port (``axi_width`` bits per cycle) and the bank (inputs plus
  outputs at the bank's realistic rate);
* card->host DMA of the results, like host->card.

Bytes on the wire: with ``convert="host"`` the host converts float to fixed point and the card moves
the fixed-point values in the layout ``pack`` names (``fpgalab.cloud.layout``: whole samples a word,
values back to back, or one value a word); with ``convert="kernel"`` 32-bit floats move and the
kernel converts. Every transfer is rounded up to whole words. Float32 designs always move floats.

Steady state: every CU owns its bank and double buffers (two input and two output buffers), so
transfers of one batch overlap the kernel of another; the stream runs at the pace of the busiest
resource: the host, either PCIe direction, or the CUs (kernel time / CUs). Batches go to the CUs in
turn, so on banks of different speeds the slowest sets the pace: every CU is given its time.
``fpgalab.cloud.events`` runs the same model as a discrete-event simulation. Not modelled: the DMA's own traffic on the
banks, banks shared by CUs, SLR crossings, the burst length (long bursts with enough outstanding
requests to hide the memory latency are assumed; ``burst`` is checked and kept for the export).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from fpgalab.cloud.layout import Layout, batch_cycles, layout_name, loop_kind
from fpgalab.cloud.platform import RESOURCES, Bank, Platform, load_platform
from fpgalab.ir.types import FixedType

AXI_WIDTHS = (32, 64, 128, 256, 512)
MAX_BURST = 256  # AXI4 INCR bursts: at most 256 beats


@dataclass(frozen=True)
class Stage:
    """One step of one batch on one resource, in seconds from the batch's start."""

    name: str
    resource: str
    start: float
    end: float


@dataclass(frozen=True)
class BatchCosts:
    """Seconds one batch spends on each resource, and the bytes it moves."""

    input_bytes: int
    output_bytes: int
    host_pre: float
    host_to_card: float
    read: float  # the kernel's read port
    compute: float
    write: float  # the kernel's write port
    bank: float  # inputs and outputs through the CU's bank
    card_to_host: float
    host_post: float

    @property
    def kernel(self) -> float:
        return max(self.read, self.compute, self.write, self.bank)

    @property
    def kernel_limit(self) -> str:
        """What sets the kernel's time: "kernel" (its interval), "bank" or "axi" (a port)."""
        parts = {"kernel": self.compute, "bank": self.bank, "axi": max(self.read, self.write)}
        return max(parts, key=lambda k: parts[k])


def _value_bits(dtype, convert: str) -> int:
    """Bits of one value on the wire: the fixed-point width, or a float32 when the kernel converts."""
    return dtype.width if isinstance(dtype, FixedType) and convert == "host" else 32


def buffer_layout(buf, axi_width: int, pack, convert: str) -> Layout:
    """How ``buf``'s values (a buffer with ``shape`` and ``dtype``) lie in the AXI words."""
    return Layout(layout_name(pack), _value_bits(buf.dtype, convert), math.prod(buf.shape) or 1, axi_width)


def transfer_bytes(buffers, batch: int, axi_width: int, pack, convert: str) -> int:
    """Bytes a batch of these buffers takes, in whole words (``fpgalab.cloud.layout``)."""
    return sum(buffer_layout(b, axi_width, pack, convert).words(batch) * axi_width // 8 for b in buffers)


class Deployment:
    """``design`` on ``platform``: see the module docstring for what is modelled."""

    def __init__(
        self,
        design,
        platform,
        batch: int,
        compute_units="auto",
        banks=None,
        axi_width: int = 512,
        burst: int = 64,
        pack="sample",
        convert: str = "host",
        host_seconds_per_sample: float = 0.0,
    ):
        self.platform: Platform = load_platform(platform)
        self.design, self.design_name = design, design.name
        _check_options(batch, axi_width, burst, convert, host_seconds_per_sample)
        self.batch, self.axi_width, self.burst = batch, axi_width, burst
        self.pack, self.convert, self.host_seconds_per_sample = (
            layout_name(pack),
            convert,
            float(host_seconds_per_sample),
        )
        report = design.report()
        self.latency_cycles, self.interval_cycles = report.cycles, max(1, report.interval)
        self.clock_mhz = float(design.options.clock_mhz)
        if self.clock_mhz > self.platform.max_clock_mhz:
            raise ValueError(
                f"{design.name} is clocked at {self.clock_mhz:g} MHz; {self.platform.name} kernels run at most "
                f"{self.platform.max_clock_mhz:g} MHz: compile with clock_mhz <= {self.platform.max_clock_mhz:g}"
            )
        self.kernel_resources = {kind: float(getattr(report.resources, kind)) for kind in RESOURCES}
        self.fit_limit = _units_that_fit(self.kernel_resources, self.platform.available())
        self.notes = []
        if design.options.device != self.platform.part:
            self.notes.append(
                f"the design was estimated for {design.options.device}, the platform's part is {self.platform.part}"
            )
        self.compute_units = self._units(compute_units)
        self.banks: tuple[Bank, ...] = self._banks(banks)
        inputs = design.kernel.inputs
        table = design.kernel.buffers()
        outputs = [table[name] for name in design.kernel.outputs]
        self._buffers = (inputs, outputs)
        self.layouts = tuple(
            tuple(buffer_layout(b, axi_width, self.pack, convert) for b in side) for side in self._buffers
        )
        self.loop_kind = loop_kind(design, self.layouts[0] + self.layouts[1])
        self.pipelined = self.loop_kind != "sample"  # samples overlap in the kernel's batch loop
        self.costs = self._costs(batch)
        need = 2 * (self.costs.input_bytes + self.costs.output_bytes)
        for bank in self.banks:
            if need > bank.size_bytes:
                largest = batch * bank.size_bytes // need
                raise ValueError(
                    f"a batch of {batch} needs {need} bytes in {bank.name} (two input and two output buffers), "
                    f"which holds {bank.size_bytes}: use batch <= {largest}"
                )

    # ---- set-up
    def _units(self, compute_units) -> int:
        available, name = self.platform.available(), self.platform.name
        if self.fit_limit < 1:
            short = [k for k in RESOURCES if self.kernel_resources[k] > available[k]]
            raise ValueError(
                f"{self.design_name} does not fit {name}: it needs "
                + ", ".join(f"{self.kernel_resources[k]:g} {k}" for k in short)
                + " and the shell leaves "
                + ", ".join(f"{available[k]:g}" for k in short)
            )
        banks = len(self.platform.banks)
        if compute_units == "auto":
            return min(self.fit_limit, banks)
        if not isinstance(compute_units, int) or isinstance(compute_units, bool) or compute_units < 1:
            raise ValueError(f"compute_units must be 'auto' or a positive integer, got {compute_units!r}")
        if compute_units > banks:
            raise ValueError(
                f"{compute_units} compute units on {name}: each needs its own memory bank and there are {banks}"
            )
        if compute_units > self.fit_limit:
            binding = min(
                (k for k in RESOURCES if self.kernel_resources[k]),
                key=lambda k: available[k] / self.kernel_resources[k],
            )
            raise ValueError(
                f"{compute_units} compute units of {self.design_name} do not fit {name}: each takes "
                f"{self.kernel_resources[binding]:g} {binding}, the shell leaves {available[binding]:g}, "
                f"so at most {self.fit_limit} fit"
            )
        return compute_units

    def _banks(self, banks) -> tuple[Bank, ...]:
        if banks is None:
            return self.platform.banks[: self.compute_units]
        chosen = tuple(self.platform.bank(b) for b in ([banks] if isinstance(banks, str) else list(banks)))
        if len(chosen) != self.compute_units:
            raise ValueError(f"give one bank per compute unit: {self.compute_units} unit(s), {len(chosen)} bank(s)")
        if len({b.name for b in chosen}) != len(chosen):
            raise ValueError(f"each compute unit needs its own bank; {[b.name for b in chosen]} repeats one")
        return chosen

    def _costs(self, b: int) -> BatchCosts:
        link, (inputs, outputs) = self.platform.pcie, self._buffers
        in_bytes = transfer_bytes(inputs, b, self.axi_width, self.pack, self.convert)
        out_bytes = transfer_bytes(outputs, b, self.axi_width, self.pack, self.convert)
        port = self.axi_width / 8 * self.clock_mhz * 1e6  # bytes per second, one beat per cycle
        slowest_bank = min(bank.realistic_gbps for bank in self.banks) * 1e9
        cycles = batch_cycles(b, *self.layouts, self.latency_cycles, self.interval_cycles, self.pipelined)
        host = b * self.host_seconds_per_sample / 2
        return BatchCosts(
            input_bytes=in_bytes,
            output_bytes=out_bytes,
            host_pre=host,
            host_to_card=link.seconds(in_bytes, to_card=True, transfers=len(inputs)),
            read=in_bytes / port,
            compute=cycles / (self.clock_mhz * 1e6),
            write=out_bytes / port,
            bank=(in_bytes + out_bytes) / slowest_bank,
            card_to_host=link.seconds(out_bytes, to_card=False, transfers=len(outputs)),
            host_post=host,
        )

    # ---- results
    def loads(self) -> dict[str, float]:
        """Seconds of work per batch each resource (or group of CUs, per CU) must do in steady state."""
        c = self.costs
        return {
            "host": c.host_pre + c.host_post,
            "pcie host->card": c.host_to_card,
            "pcie card->host": c.card_to_host,
            "compute units": c.kernel / self.compute_units,
        }

    @property
    def batches_per_second(self) -> float:
        return 1.0 / max(self.loads().values())

    @property
    def throughput(self) -> float:
        """Inferences per second for a stream of batches."""
        return self.batch * self.batches_per_second

    @property
    def binding(self) -> str:
        """What limits the throughput: "host", "pcie", "bank", "axi", "kernel", or "fit" (the kernel binds
        and more compute units would help, the banks allow them, but no more fit on the part)."""
        loads = self.loads()
        worst = max(loads, key=lambda k: loads[k])
        if worst.startswith("pcie"):
            return "pcie"
        if worst == "host":
            return "host"
        limit = self.costs.kernel_limit
        if limit == "kernel" and self.compute_units == self.fit_limit < len(self.platform.banks):
            return "fit"
        return limit

    @property
    def batch_latency(self) -> float:
        """Seconds from a batch's pre-processing to its post-processing done, with nothing else running."""
        return self.timeline()[-1].end

    @property
    def inference_latency(self) -> float:
        """Seconds for one sample sent alone (a batch of one): overheads and the kernel's latency."""
        return self._timeline(self._costs(1))[-1].end

    def timeline(self) -> tuple[Stage, ...]:
        """The steps of one batch alone on the card, in seconds from its start."""
        return self._timeline(self.costs)

    def _timeline(self, c: BatchCosts) -> tuple[Stage, ...]:
        stages = []
        stages.append(Stage("host pre-processing", "host", 0.0, c.host_pre))
        t = c.host_pre
        stages.append(Stage("host -> card (PCIe)", "pcie host->card", t, t + c.host_to_card))
        t += c.host_to_card
        bank = self.banks[0].name
        stages.append(Stage(f"read from {bank}", f"cu0 / {bank}", t, t + c.read))
        stages.append(Stage("compute", "cu0", t, t + c.compute))
        stages.append(Stage(f"write back to {bank}", f"cu0 / {bank}", t + c.kernel - c.write, t + c.kernel))
        t += c.kernel
        stages.append(Stage("card -> host (PCIe)", "pcie card->host", t, t + c.card_to_host))
        t += c.card_to_host
        stages.append(Stage("host post-processing", "host", t, t + c.host_post))
        return tuple(stages)

    def simulate(self, batches: int | None = None):
        """The discrete-event simulation of ``batches`` batches (``fpgalab.cloud.events``; by default
        64, or 12 per compute unit when that is more)."""
        from fpgalab.cloud.events import simulate_batches  # noqa: PLC0415

        return simulate_batches(self, batches or max(64, 12 * self.compute_units))

    # ---- power (fpgalab.cloud.power)
    def traffic_gbps(self) -> tuple[float, float]:
        """(bank, PCIe) GB/s of the stream: every byte crosses PCIe once and a bank twice (the DMA
        writes the inputs, the kernel reads them; the kernel writes the outputs, the DMA reads them)."""
        pcie = self.batches_per_second * (self.costs.input_bytes + self.costs.output_bytes) / 1e9
        return 2 * pcie, pcie

    def power(self, toggle: float = 0.125):
        """The card's power for this stream: ``fpgalab.cloud.power.estimate_power`` with the deployment's
        compute units, clock, banks and traffic."""
        from fpgalab.cloud.power import estimate_power  # noqa: PLC0415

        memory, pcie = self.traffic_gbps()
        return estimate_power(
            self.design,
            clock_mhz=self.clock_mhz,
            toggle=toggle,
            platform=self.platform,
            compute_units=self.compute_units,
            memory_gbps=memory,
            pcie_gbps=pcie,
            memory_kinds=tuple(bank.kind for bank in self.banks),
        )

    def inferences_per_joule(self, toggle: float = 0.125) -> float:
        """Perf/W: inferences per second per watt of the whole card."""
        return self.throughput / self.power(toggle).total_w

    def report(self):
        from fpgalab.cloud.report import deployment_report  # noqa: PLC0415

        return deployment_report(self)

    def emit(self, kind: str, folder, inputs=None, platform: str | None = None):
        """Write the deployment as ``kind`` into ``folder``: only ``"vitis"`` (``fpgalab.cloud.vitis``:
        the batch kernel, ``nk=``/``sp=`` for these compute units and banks, the XRT host, the Makefile)
        with this batch, AXI width and packing. ``inputs``: the batch written as data/ (default: test
        inputs); ``platform``: the Vitis platform name the Makefile builds for. Returns the folder."""
        if kind != "vitis":
            raise ValueError(f"a deployment emits 'vitis' (design.emit writes 'hls', 'llvm', 'verilog'), got {kind!r}")
        if self.convert != "host":
            raise ValueError("the Vitis export converts float <-> fixed on the host: deploy with convert='host'")
        from fpgalab.cloud.vitis import emit_vitis  # noqa: PLC0415

        return emit_vitis(
            self.design,
            folder,
            batch=self.batch,
            compute_units=self.compute_units,
            banks=tuple(bank.name for bank in self.banks),
            axi_width=self.axi_width,
            pack=self.pack,
            inputs=inputs,
            platform=platform,
        )

    def compare(self, model=None, x=None, threads=("1", "all"), batches=None, runs: int = 5, published=None):
        """This deployment next to TensorFlow on this machine's CPU (measured) and published GPU
        figures: ``fpgalab.cloud.compare.compare_deployment``."""
        from fpgalab.cloud.compare import compare_deployment  # noqa: PLC0415

        return compare_deployment(self, model, x=x, threads=threads, batches=batches, runs=runs, published=published)

    def __repr__(self) -> str:
        return (
            f"<Deployment {self.design_name} on {self.platform.name}: batch {self.batch}, "
            f"{self.compute_units} CU, {self.throughput:,.0f} inferences/s, bound by {self.binding}>"
        )


def _units_that_fit(kernel: dict[str, float], available: dict[str, float]) -> float:
    """Copies of the kernel the part holds after the shell (``inf`` for a kernel estimated at no resources)."""
    counts = [math.floor(available[k] / kernel[k]) for k in RESOURCES if kernel[k] > 0]
    return max(0, min(counts)) if counts else math.inf


def _check_options(batch, axi_width, burst, convert, host_seconds) -> None:
    if not isinstance(batch, int) or isinstance(batch, bool) or batch < 1:
        raise ValueError(f"batch must be a positive integer, got {batch!r}")
    if axi_width not in AXI_WIDTHS:
        raise ValueError(f"axi_width must be one of {AXI_WIDTHS} bits, got {axi_width!r}")
    if not isinstance(burst, int) or not 1 <= burst <= MAX_BURST:
        raise ValueError(f"burst must be 1..{MAX_BURST} beats (an AXI4 burst), got {burst!r}")
    if convert not in ("host", "kernel"):
        raise ValueError(f"convert must be 'host' (the host converts float <-> fixed) or 'kernel', got {convert!r}")
    if not isinstance(host_seconds, (int, float)) or host_seconds < 0:
        raise ValueError(f"host_seconds_per_sample must be a non-negative number, got {host_seconds!r}")


def deploy(design, platform, batch: int = 256, **options) -> Deployment:
    """``design`` on a cloud FPGA ``platform`` ("aws-f1", "u250", ...): see :class:`Deployment`."""
    return Deployment(design, platform, batch, **options)
