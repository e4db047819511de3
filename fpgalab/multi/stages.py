"""What a contiguous run of a design's layers costs as one device's design: its interval, latency and
resources; and which tensors cross each cut between layers, with their bytes.

The layers are the schedule's (``design.schedule.layers``, topological order), so a stage is the
layers ``[first, stop)``. Its figures follow the architecture the design was scheduled in:

* ``io="stream"`` (hls4ml's io_stream): every layer is a dataflow process; a design of some of them
  restarts after its slowest process, ``interval = max(process cycles per frame) + 1``, and its
  latency follows the first input through them as ``fpgalab.schedule.io_stream`` does for the whole
  design: a process starts when each producer inside the stage has written its first word (at once
  for tensors arriving over the cut, which come whole), and ends no earlier than its own cycles
  after starting, nor than each producer's end plus its own tail.
* ``io="parallel"``: ``interval = max(layer interval)`` (``fpgalab.schedule.io_parallel``); the top
  calls the layers one after another, so a stage's latency is the span of its layers' calls.
* the layered architecture: the stage's own schedule (its layers and the buffers between them) run
  through the timing simulator (``fpgalab.schedule.timing``), dataflow or one layer after another.

A stage holding every layer is the design itself: its interval and latency are the design's timing.
A stage's resources are the sum of its layers' (``design.resources.per_layer``), as priced for the
design's part family; its utilisation is that against the part it is placed on.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

from fpgalab.costs.operators import Resources
from fpgalab.estimate.report import RESOURCE_KINDS
from fpgalab.ir import nodes as ir
from fpgalab.schedule import io_stream
from fpgalab.schedule.loops import fusion_chains
from fpgalab.schedule.network import network_layers
from fpgalab.schedule.timing import simulate_timing


@dataclass(frozen=True)
class Tensor:
    """A buffer a stage reads that an earlier stage (or the host, ``producer == -1``) wrote."""

    name: str
    shape: tuple[int, ...]
    dtype: str
    bits: int  # bits per element
    producer: int  # index of the layer writing it, -1 for a kernel input
    last_reader: int  # index of the last layer reading it; len(layers) for a kernel output

    @property
    def nbytes(self) -> int:
        """Bytes on a link: the elements packed at their type's width."""
        return math.ceil(math.prod(self.shape) * self.bits / 8)

    def crosses(self, cut: int) -> bool:
        """Whether the tensor crosses the cut before layer ``cut``."""
        return self.producer < cut <= self.last_reader


def node_layers(design) -> dict[str, int]:
    """The layer index of every node: the layer computing it; a node no layer holds (a reshape, a
    free alias) goes with the first layer reading it, or with its producer when none does."""
    layers = design.schedule.layers
    where = {name: k for k, layer in enumerate(layers) for name in layer.nodes}
    kernel = design.kernel
    readers: dict[str, list[str]] = {}
    for node in kernel.nodes:
        for name in node.inputs:
            readers.setdefault(name, []).append(node.name)

    def place(name: str) -> int:
        if name in where:
            return where[name]
        found = [place(r) for r in readers.get(name, ())]
        if found:
            where[name] = min(found)
        else:
            node = kernel.node(name)
            where[name] = max([where.get(i, -1) for i in node.inputs] + [0])
        return where[name]

    for node in reversed(kernel.nodes):
        place(node.name)
    return where


def tensors(design) -> tuple[Tensor, ...]:
    """Every buffer written by one layer (or the host) and read by a later layer (or the host at the end)."""
    kernel = design.kernel
    where = node_layers(design)
    n = len(design.schedule.layers)
    buffers = kernel.buffers()
    last: dict[str, int] = {}
    for node in kernel.nodes:
        for name in node.inputs:
            if not isinstance(buffers[name], ir.Constant):
                last[name] = max(last.get(name, -1), where[node.name])
    for name in kernel.outputs:
        last[name] = n
    found = []
    for name, reader in last.items():
        buf = buffers[name]
        producer = -1 if isinstance(buf, ir.Input) else where[name]
        if reader > producer:
            bits = getattr(buf.dtype, "width", None) or buf.dtype.bits
            found.append(Tensor(name, tuple(buf.shape), str(buf.dtype), int(bits), producer, reader))
    return tuple(found)


def cut_tensors(all_tensors, cut: int) -> tuple[Tensor, ...]:
    return tuple(t for t in all_tensors if t.crosses(cut))


@dataclass(frozen=True)
class StageFigures:
    first: int
    stop: int
    interval: int  # cycles between frames
    latency: int  # cycles of the first frame through the stage
    resources: Resources


class StageCosts:
    """Interval, latency and resources of any run of layers of ``design`` (cached)."""

    def __init__(self, design):
        self.design = design
        self.schedule = design.schedule
        self.layers = self.schedule.layers
        self.per_layer = design.resources.per_layer
        self.timing = design.timing
        self._cache: dict = {}
        self._processes = stream_processes(design) if self.schedule.architecture == "stream" else None

    def __call__(self, first: int, stop: int) -> StageFigures:
        key = (first, stop)
        if key not in self._cache:
            interval, latency = self._timing(first, stop)
            totals = [
                sum(getattr(self.per_layer[k].total, kind) for k in range(first, stop)) for kind in RESOURCE_KINDS
            ]
            self._cache[key] = StageFigures(first, stop, interval, latency, Resources(*totals))
        return self._cache[key]

    def _timing(self, first: int, stop: int) -> tuple[int, int]:
        if first == 0 and stop == len(self.layers):
            return self.timing.interval, self.timing.latency
        layers = self.layers[first:stop]
        architecture = self.schedule.architecture
        if architecture == "stream":
            return max(max(1, layer.ii) for layer in layers) + 1, self._stream_latency(first, stop)
        if architecture == "parallel":
            times = self.timing.layers[first:stop]
            return max(max(1, layer.ii) for layer in layers), max(t.end for t in times) - min(t.start for t in times)
        names = {layer.name for layer in layers}
        buffers = tuple(b for b in self.schedule.buffers if b.writer in names or names.intersection(b.readers))
        sub = replace(self.schedule, layers=layers, buffers=buffers)
        timing = simulate_timing(sub)
        return timing.interval, timing.latency

    def _stream_latency(self, first: int, stop: int) -> int:
        starts, ends = {}, {}
        for k in range(first, stop):
            cycles, first_word, tail, producers = self._processes[k]
            inside = [p for p in producers if first <= p < k]
            starts[k] = max([starts[p] + self._processes[p][1] for p in inside] + [0])
            ends[k] = max([starts[k] + cycles] + [ends[p] + tail for p in inside])
        return max(ends.values())


def stream_processes(design) -> list[tuple[int, int, int, tuple[int, ...]]]:
    """(cycles, first output word, tail, producer processes) of each io_stream process, in the
    schedule's order: the figures ``fpgalab.schedule.io_stream.schedule_stream`` chains."""
    kernel, options = design.kernel, design.options
    device = design.device
    d = io_stream.delays_for(device)
    period = io_stream.effective_period(options.clock_mhz, options.clock_uncertainty)
    shapes = io_stream.kernel_shapes(kernel)
    chains, _ = fusion_chains(kernel)
    producer_of, found = {}, []
    for layer in network_layers(kernel):
        members = io_stream._members(layer, kernel, chains)
        if not members:
            continue
        _, cycles, first_word, tail, _, _, _ = io_stream._process(
            layer, members, kernel, shapes, device, d, period, options.strategy
        )
        producers = tuple(
            dict.fromkeys(producer_of[i] for i in io_stream._external(members, kernel) if i in producer_of)
        )
        for name in members:
            producer_of[name] = len(found)
        found.append((cycles, first_word, tail, producers))
    return found
