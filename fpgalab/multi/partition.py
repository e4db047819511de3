"""``design.partition(devices, link)``: a design split into contiguous stages, one per FPGA, and pipelined.

    split = design.partition(devices=["xcvu9p"] * 4, link="f1-p2p")
    print(split.report())            # stages, utilisation, cut traffic, throughput, latency, what binds
    split.simulate(frames=64)        # the multi-device pipeline as events (fpgalab.multi.pipeline_sim)
    split.emit("hls", "out/split")   # one Vitis HLS project per device, streams at the cuts

Model: device ``k`` runs the layers of stage ``k`` at the design's clock, a new frame every stage
interval (``fpgalab.multi.stages``); the link moves each cut's tensors once per frame
(``fpgalab.multi.links``). The pipeline's interval is the slowest of the stages and the links, its
throughput the inverse, its latency the first frame's way through every stage and link. The host's
own transfers into the first device and out of the last are the same for any number of devices and
are left out (``design.deploy`` models them for one card).
"""

from __future__ import annotations

from dataclasses import dataclass

from fpgalab.costs.operators import Resources
from fpgalab.estimate.report import Utilization, utilization
from fpgalab.multi.links import Link, load_link
from fpgalab.multi.split import best_split
from fpgalab.multi.stages import StageCosts, Tensor, cut_tensors, tensors
from fpgalab.parts import Device, load_device


@dataclass(frozen=True)
class Stage:
    index: int
    device: str
    first: int  # its layers are the schedule's [first, stop)
    stop: int
    layers: tuple[str, ...]  # the Keras layers (or, without one, the schedule's layer names)
    interval_cycles: int
    latency_cycles: int
    interval_s: float
    latency_s: float
    resources: Resources
    utilization: Utilization


@dataclass(frozen=True)
class Cut:
    """The tensors stage ``index`` sends to stage ``index + 1``."""

    index: int
    position: int  # before this layer
    tensors: tuple[Tensor, ...]
    nbytes: int
    hops: tuple[float, ...]  # seconds each hop of the link is busy with one frame
    interval_s: float  # the slowest hop: the frames per second the cut sustains
    latency_s: float  # one frame through every hop


@dataclass(frozen=True)
class Partition:
    design: object
    devices: tuple[Device, ...]
    link: Link
    max_utilization: float
    stages: tuple[Stage, ...]
    cuts: tuple[Cut, ...]

    @property
    def interval_s(self) -> float:
        return max([s.interval_s for s in self.stages] + [c.interval_s for c in self.cuts])

    @property
    def throughput(self) -> float:
        """Frames per second in steady state."""
        return 1.0 / self.interval_s

    @property
    def latency_s(self) -> float:
        return sum(s.latency_s for s in self.stages) + sum(c.latency_s for c in self.cuts)

    @property
    def binding(self) -> str:
        """What sets the interval: ``"stage k"`` or ``"link k->k+1"`` (the first, on a tie)."""
        worst = self.interval_s
        for stage in self.stages:
            if stage.interval_s >= worst:
                return f"stage {stage.index}"
            for cut in self.cuts:
                if cut.index == stage.index and cut.interval_s >= worst:
                    return f"link {cut.index}->{cut.index + 1}"
        return f"stage {self.stages[-1].index}"

    def report(self):
        from fpgalab.multi.report import PartitionReport  # noqa: PLC0415

        return PartitionReport.of(self)

    def simulate(self, frames: int = 64, buffers: int = 2):
        """The event simulation of ``frames`` inputs through the stages and links (``fpgalab.multi.pipeline_sim``)."""
        from fpgalab.multi.pipeline_sim import simulate_pipeline  # noqa: PLC0415

        return simulate_pipeline(self, frames, buffers)

    def emit(self, kind: str, path, overwrite: bool = False, **options):
        """One project per device in ``path/device<k>_<part>``: each stage's sub-network, streams at the cuts."""
        from fpgalab.multi.emit import emit_partition  # noqa: PLC0415

        return emit_partition(self, kind, path, overwrite=overwrite, **options)

    def stage_designs(self):
        """Each stage as a ``Design`` of its own (``fpgalab.multi.emit``): the sub-kernel of its layers."""
        from fpgalab.multi.emit import stage_designs  # noqa: PLC0415

        return stage_designs(self)


def _devices(devices) -> tuple[Device, ...]:
    if isinstance(devices, (str, Device)):
        devices = [devices]
    if not isinstance(devices, (list, tuple)) or not devices:
        raise ValueError('devices must be a non-empty list of part names, e.g. devices=["xcvu9p"] * 4')
    return tuple(load_device(d) for d in devices)


def partition(design, devices, link="pcie-host", max_utilization: float = 1.0) -> Partition:
    """Split ``design`` over ``devices`` (part names, in pipeline order) joined by ``link`` (a name of
    ``fpgalab.multi.list_links()``): contiguous stages of its layers, one per device, with the smallest
    pipeline interval (stages and link transfers) such that every stage's utilisation of its part (each
    of LUT, FF, DSP, BRAM, URAM) is at most ``max_utilization``; among those, the least latency.

    The stages' resources are the design's estimate on its own part (``design.resources``), so the
    parts must be of the design's vendor (the same LUT, DSP and block RAM units); each stage runs at
    the design's clock."""
    parts = _devices(devices)
    own = design.device
    others = [p.name for p in parts if p.vendor != own.vendor]
    if others:
        raise ValueError(
            f"{design.name} is estimated in {own.vendor} resources ({own.name}); {', '.join(dict.fromkeys(others))} "
            f"count theirs in other units: give {own.vendor} parts, or compile the design for the other vendor's part"
        )
    link = load_link(link)
    if not isinstance(max_utilization, (int, float)) or not 0 < max_utilization <= 1:
        raise ValueError(f"max_utilization must be a fraction in (0, 1], got {max_utilization!r}")
    layers = design.schedule.layers
    n, count = len(layers), len(parts)
    if count > n:
        raise ValueError(
            f"{design.name} has {n} layer(s) and cannot be split over {count} devices: every device needs at "
            f"least one layer; give at most {n} devices"
        )
    if count > link.max_devices:
        raise ValueError(
            f"link {link.name!r} joins at most {link.max_devices} devices ({link.sources.get('max_devices', '')}); "
            f"got {count}"
        )
    costs = StageCosts(design)
    clock = design.options.clock_mhz * 1e6
    _check_layers_fit(design, costs, parts, max_utilization)
    all_tensors = tensors(design)
    cut_bytes = {j: sum(t.nbytes for t in cut_tensors(all_tensors, j)) for j in range(n + 1)}

    def fits(i: int, j: int, k: int) -> bool:
        return utilization(costs(i, j).resources, parts[k]).max <= max_utilization

    def stage(i: int, j: int, k: int):
        return costs(i, j).interval / clock if fits(i, j, k) else None

    bounds = best_split(
        n,
        count,
        stage,
        lambda j: link.interval_seconds(cut_bytes[j]),
        lambda i, j: costs(i, j).latency / clock,
        lambda j: link.transfer_seconds(cut_bytes[j]),
    )
    if bounds is None:
        raise ValueError(
            f"{design.name} does not fit {count} x {', '.join(dict.fromkeys(p.name for p in parts))} at "
            f"{100 * max_utilization:g}% utilisation in any split of its {n} layers; give more devices, larger "
            "parts, or a design with more reuse (fewer resources)"
        )
    stages, cuts = [], []
    for k, (i, j) in enumerate(zip(bounds, bounds[1:])):
        figures = costs(i, j)
        stages.append(
            Stage(
                k,
                parts[k].name,
                i,
                j,
                tuple(dict.fromkeys(layer.layer or layer.name for layer in layers[i:j])),
                figures.interval,
                figures.latency,
                figures.interval / clock,
                figures.latency / clock,
                figures.resources,
                utilization(figures.resources, parts[k]),
            )
        )
        if k:
            crossing = cut_tensors(all_tensors, i)
            hops = link.hop_seconds(cut_bytes[i])
            cuts.append(Cut(k - 1, i, crossing, cut_bytes[i], hops, max(hops), sum(hops)))
    return Partition(design, parts, link, float(max_utilization), tuple(stages), tuple(cuts))


def _check_layers_fit(design, costs, parts, limit) -> None:
    """A layer too large for every part given can be in no stage: say which, and by how much."""
    for k, layer in enumerate(design.schedule.layers):
        used = [utilization(costs(k, k + 1).resources, part) for part in parts]
        if all(u.max > limit for u in used):
            best = min(range(len(parts)), key=lambda p: used[p].max)
            u = used[best]
            raise ValueError(
                f"layer {layer.name} ({layer.layer or layer.kind}) alone needs {100 * u.max:.0f}% of the "
                f"{u.limiting.upper()} of {parts[best].name}, above the {100 * limit:g}% limit: no stage holding it "
                f"fits any of the parts given ({', '.join(dict.fromkeys(p.name for p in parts))}); give it more reuse "
                "or a larger part"
            )
