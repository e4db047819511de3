"""Event simulation of a multi-device pipeline: frames through the stages and the links between them.

The pipeline is a chain of servers: stage 0, the hops of link 0->1, stage 1, ... Each stage is a
pipelined accelerator (``fpgalab.multi.stages``): it takes a new frame every ``interval`` and hands it
on ``latency`` after taking it. Each hop of a link (``fpgalab.multi.links``) moves one frame's cut
tensors at a time: it is busy ``hop`` seconds per frame and the frame arrives when it is done. After
every server sit ``buffers`` frame buffers (double buffering by default): a server cannot hand on a
frame while the next server has not yet taken the frame ``buffers`` before it. For frame ``k``
(times in seconds):

* server ``e`` starts it once it has arrived (server ``e-1`` handed it on; every frame is waiting at
  the first stage), ``interval`` after starting frame ``k-1``, and later by as much as the server
  stalled on frame ``k-1``;
* it hands it on at ``start + latency``, or once server ``e+1`` has started frame ``k - buffers``
  (a full output buffer stalls the server), whichever is later.

Like ``fpgalab.schedule.timing`` the simulation works on events (one start and one hand-on per
server and frame), in frame order, each referring only to earlier frames or earlier servers. The
steady-state interval is measured over the second half of the frames' completions.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PipelineTiming:
    frames: int
    interval_s: float  # between completions in steady state
    latency_s: float  # the first frame, from entering stage 0 to leaving the last stage
    stage_starts: tuple[tuple[float, ...], ...]  # [stage][frame]
    stage_ends: tuple[tuple[float, ...], ...]
    link_starts: tuple[tuple[float, ...], ...]  # [cut][frame]: its first hop starts
    link_ends: tuple[tuple[float, ...], ...]  # its last hop is done

    @property
    def throughput(self) -> float:
        return 1.0 / self.interval_s

    @property
    def makespan_s(self) -> float:
        return self.stage_ends[-1][-1]


def simulate_pipeline(partition, frames: int = 64, buffers: int = 2) -> PipelineTiming:
    if isinstance(frames, bool) or not isinstance(frames, int) or frames < 4:
        raise ValueError(f"frames must be an integer of at least 4 (a steady state to measure), got {frames!r}")
    if isinstance(buffers, bool) or not isinstance(buffers, int) or buffers < 1:
        raise ValueError(f"buffers must be a positive integer (frame buffers after each server), got {buffers!r}")
    servers = []  # (interval, latency, kind, index)
    for stage in partition.stages:
        if stage.index:
            cut = partition.cuts[stage.index - 1]
            servers += [(hop, hop, "hop", cut.index) for hop in cut.hops]
        servers.append((stage.interval_s, stage.latency_s, "stage", stage.index))
    count = len(servers)
    start = [[0.0] * frames for _ in range(count)]
    done = [[0.0] * frames for _ in range(count)]
    for k in range(frames):
        for e, (interval, latency, _, _) in enumerate(servers):
            ready = done[e - 1][k] if e else 0.0
            if k:
                stalled = done[e][k - 1] - (start[e][k - 1] + latency)
                ready = max(ready, start[e][k - 1] + interval + stalled)
            start[e][k] = ready
            finish = ready + latency
            if e + 1 < count and k >= buffers:
                finish = max(finish, start[e + 1][k - buffers])
            done[e][k] = finish
    out = done[-1]
    half = frames // 2
    stages = [e for e, server in enumerate(servers) if server[2] == "stage"]
    links = []
    for cut in partition.cuts:
        hops = [e for e, server in enumerate(servers) if server[2] == "hop" and server[3] == cut.index]
        links.append((tuple(start[hops[0]]), tuple(done[hops[-1]])))
    return PipelineTiming(
        frames,
        (out[-1] - out[-1 - half]) / half,
        out[0],
        tuple(tuple(start[e]) for e in stages),
        tuple(tuple(done[e]) for e in stages),
        tuple(link[0] for link in links),
        tuple(link[1] for link in links),
    )
