"""Cycle-approximate timing of a scheduled design: latency, interval and throughput, per layer and overall.

The simulator works on events, one start and one end per layer and input frame, never on cycles,
so its cost grows with the number of layers (and loops, through the schedule), not with the
cycles simulated.

Without dataflow the layers run one after another (``fpgalab.schedule``): layer i starts in the
cycle after layer i-1 is done, latency = sum of the layers' L, interval = latency.

With dataflow every layer is a process that starts frame k when (cycles counted as in the
schedule; ``L`` its latency, ``r0``/``r1`` its first/last read, ``w0``/``w1`` its first/last
write, measured from its start):

* it has finished frame k-1:                        start[p,k] >= end[p,k-1]
* each ping-pong (PIPO) input is complete:          start[p,k] >= end[q,k]
* a buffer of each PIPO output is free (depth B):   start[p,k] >= end[c,k-B] for every reader c
* each FIFO input has its first element:            start[p,k] >= start[q,k] + w0_q + 1 - r0_p

and ends no earlier than ``start + L``, nor before reading its FIFO inputs' last element
(``last write of q + 1 + L_p - r1_p``), nor, on a FIFO output of depth F with M elements, before
the reader has taken element M-1-F (reads are interpolated linearly from r0 to r1: the
producer blocks when the FIFO is full). These are exact for PIPO channels; FIFO stalls are
approximate: they use first/last element times and a linear read rate, and a depth-1 FIFO is
taken to sustain one element per cycle.

The simulator runs inputs until ``STEADY_FRAMES`` successive ones leave the last layers at the
same distance (the periodic regime of these max-plus equations), at most ``frames`` (2 x layers
+ 4 by default; then the mean distance over the second half, rounded up), and reports the
latency of the first input (cycles until every layer is done with it) and that distance as the
interval. Throughput = clock / interval.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from fpgalab.schedule.model import Schedule

STEADY_FRAMES = 4  # stop once this many successive inputs leave at the same distance


@dataclass(frozen=True)
class LayerTiming:
    name: str
    layer: str
    start: int  # cycle the layer starts on the first input
    end: int  # cycle after it is done (start + cycles + stall)
    cycles: int  # its own latency L
    stall: int  # cycles lost waiting on FIFOs, first input
    busy: int  # cycles per input in steady state (end - start of the last frame simulated)


@dataclass(frozen=True)
class TimingReport:
    latency: int  # cycles from start to done for one input
    interval: int  # cycles between successive inputs
    clock_mhz: float
    dataflow: bool
    frames: int  # inputs simulated
    layers: tuple[LayerTiming, ...]

    @property
    def latency_us(self) -> float:
        return self.latency / self.clock_mhz

    @property
    def throughput(self) -> float:
        """Inputs per second in steady state."""
        return self.clock_mhz * 1e6 / self.interval if self.interval else 0.0

    @property
    def stall(self) -> int:
        return sum(layer.stall for layer in self.layers)

    def gantt(self, width: int = 60) -> str:
        """A text Gantt chart of the first input."""
        scale = width / max(1, self.latency)
        lines = []
        for t in self.layers:
            begin = int(t.start * scale)
            length = max(1, int((t.end - t.start) * scale))
            lines.append(f"{t.name[:18]:18s} |{' ' * begin}{'#' * length}")
        return "\n".join(lines)


@dataclass(frozen=True)
class _Edge:
    producer: int
    consumer: int
    channel: str  # pipo | fifo | memory
    depth: int
    elements: int


def simulate_timing(schedule: Schedule, frames: int | None = None) -> TimingReport:
    """Latency, interval and per-layer start/end of a scheduled design."""
    layers = schedule.layers
    if schedule.architecture != "layered":
        return _static(schedule)
    if not schedule.dataflow or len(layers) <= 1:
        return _sequential(schedule)
    return _dataflow(schedule, frames)


def _sequential(schedule: Schedule) -> TimingReport:
    timings, clock = [], 0
    for layer in schedule.layers:
        timings.append(LayerTiming(layer.name, layer.layer, clock, clock + layer.cycles, layer.cycles, 0, layer.cycles))
        clock += layer.cycles
    return TimingReport(clock, clock, schedule.clock_mhz, False, 1, tuple(timings))


def _static(schedule: Schedule) -> TimingReport:
    """hls4ml's architectures: the scheduler fixed latency, interval and each layer's start cycle."""
    timings = tuple(
        LayerTiming(layer.name, layer.layer, start, start + layer.cycles + 1, layer.cycles, 0, max(1, layer.ii))
        for layer, start in zip(schedule.layers, schedule.starts)
    )
    return TimingReport(schedule.latency, schedule.interval, schedule.clock_mhz, False, 1, timings)


def _edges(schedule: Schedule) -> list[_Edge]:
    index = {layer.name: k for k, layer in enumerate(schedule.layers)}
    edges = []
    for buf in schedule.buffers:
        if not buf.writer or buf.writer not in index:
            continue
        for reader in buf.readers:
            if reader in index and reader != buf.writer:
                edges.append(_Edge(index[buf.writer], index[reader], buf.channel, buf.depth, buf.elements))
    return edges


def _dataflow(schedule: Schedule, frames: int | None) -> TimingReport:
    layers = schedule.layers
    n = len(layers)
    frames = frames or 2 * n + 4
    edges = _edges(schedule)
    inputs = [[e for e in edges if e.consumer == p] for p in range(n)]
    outputs = [[e for e in edges if e.producer == p] for p in range(n)]
    start = [[0] * frames for _ in range(n)]
    end = [[0] * frames for _ in range(n)]
    # Without FIFOs every constraint refers to an earlier layer (topological order) or an earlier
    # frame, so one sweep per frame is exact; FIFO back-pressure needs sweeps until nothing moves.
    sweeps = 2 * n + 2 if any(e.channel == "fifo" for e in edges) else 1
    writers = {buf.writer for buf in schedule.buffers if buf.name in schedule.outputs}
    last = [p for p, layer in enumerate(layers) if layer.name in writers] or [n - 1]
    simulated = frames
    for k in range(frames):
        for _sweep in range(sweeps):
            changed = False
            for p, layer in enumerate(layers):
                s = end[p][k - 1] if k else 0
                for e in inputs[p]:
                    if e.channel == "fifo":
                        q = layers[e.producer]
                        s = max(s, start[e.producer][k] + q.first_write + 1 - layer.first_read)
                    else:
                        s = max(s, end[e.producer][k])
                for e in outputs[p]:
                    if e.channel == "pipo" and k >= e.depth:
                        s = max(s, end[e.consumer][k - e.depth])
                finish = s + layer.cycles
                for e in inputs[p]:
                    if e.channel == "fifo":
                        q = layers[e.producer]
                        last_write = end[e.producer][k] - (q.cycles - q.last_write)
                        finish = max(finish, last_write + 1 + layer.cycles - layer.last_read)
                for e in outputs[p]:
                    if e.channel == "fifo" and e.elements - 1 - e.depth >= 0:
                        c = layers[e.consumer]
                        fraction = (e.elements - 1 - e.depth) / max(1, e.elements - 1)
                        read = start[e.consumer][k] + c.first_read + (c.last_read - c.first_read) * fraction
                        finish = max(finish, math.ceil(read) + 1 + layer.cycles - layer.last_write)
                if (s, finish) != (start[p][k], end[p][k]):
                    start[p][k], end[p][k], changed = s, finish, True
            if not changed:
                break
        if k >= STEADY_FRAMES and _steady([max(end[p][j] for p in last) for j in range(k - STEADY_FRAMES, k + 1)]):
            simulated = k + 1
            break
    done = [max(end[p][k] for p in last) for k in range(simulated)]
    if simulated < frames:
        interval = done[-1] - done[-2]
    else:
        half = max(1, simulated // 2)
        interval = math.ceil((done[-1] - done[-1 - half]) / half) if simulated > 1 else done[0]
    latency = max(end[p][0] for p in range(n))
    timings = tuple(
        LayerTiming(
            layer.name,
            layer.layer,
            start[p][0],
            end[p][0],
            layer.cycles,
            end[p][0] - start[p][0] - layer.cycles,
            end[p][simulated - 1] - start[p][simulated - 1],
        )
        for p, layer in enumerate(layers)
    )
    return TimingReport(latency, max(1, interval), schedule.clock_mhz, True, simulated, timings)


def _steady(done: list[int]) -> bool:
    """The last STEADY_FRAMES distances between outputs are equal: the periodic regime."""
    gaps = [b - a for a, b in zip(done, done[1:])]
    return len(set(gaps)) == 1
