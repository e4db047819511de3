"""Event simulation of a multi-device pipeline: frames through the stages and the links between them.

Each stage is a pipelined accelerator (``fpgalab.multi.stages``): it takes a new frame every
``interval`` and hands it on ``latency`` after taking it. Each link moves one frame's cut tensors at
a time in ``transfer`` (``fpgalab.multi.links``). Between a stage and a link sit ``buffers`` frame
buffers on each side (double buffering by default), so for frame ``k`` (times in seconds):

* stage ``s`` starts it when it has arrived (the link before is done with it; frames are all waiting
  at the first stage), ``interval`` after starting frame ``k-1``, and, if the stage stalled on its
  output for frame ``k-1``, that stall later;
* it is done at ``start + latency``, or once the link after has taken frame ``k - buffers`` out of
  the output buffers, whichever is later (a full output buffer stalls the stage);
* link ``s`` starts moving it when stage ``s`` is done with it, when it is done moving frame ``k-1``,
  and when stage ``s+1`` has taken frame ``k - buffers`` out of its input buffers; it is done
  ``transfer`` later.

Like ``fpgalab.schedule.timing`` the simulation works on events (one start and one end per stage,
link and frame), in frame order, each referring only to earlier frames or earlier stages. The
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
    link_starts: tuple[tuple[float, ...], ...]  # [cut][frame]
    link_ends: tuple[tuple[float, ...], ...]

    @property
    def throughput(self) -> float:
        return 1.0 / self.interval_s

    @property
    def makespan_s(self) -> float:
        return self.stage_ends[-1][-1]


def simulate_pipeline(partition, frames: int = 64, buffers: int = 2) -> PipelineTiming:
    if not isinstance(frames, int) or frames < 4:
        raise ValueError(f"frames must be an integer of at least 4 (a steady state to measure), got {frames!r}")
    if not isinstance(buffers, int) or buffers < 1:
        raise ValueError(f"buffers must be a positive integer (frame buffers at each side of a link), got {buffers!r}")
    stages, cuts = partition.stages, partition.cuts
    count = len(stages)
    start = [[0.0] * frames for _ in range(count)]
    end = [[0.0] * frames for _ in range(count)]
    link_start = [[0.0] * frames for _ in range(count - 1)]
    link_end = [[0.0] * frames for _ in range(count - 1)]
    for k in range(frames):
        for s, stage in enumerate(stages):
            ready = link_end[s - 1][k] if s else 0.0
            if k:
                stalled = end[s][k - 1] - (start[s][k - 1] + stage.latency_s)
                ready = max(ready, start[s][k - 1] + stage.interval_s + stalled)
            start[s][k] = ready
            done = ready + stage.latency_s
            if s < count - 1 and k >= buffers:
                done = max(done, link_start[s][k - buffers])
            end[s][k] = done
            if s < count - 1:
                go = max(done, link_end[s][k - 1] if k else 0.0)
                if k >= buffers:
                    go = max(go, start[s + 1][k - buffers])
                link_start[s][k] = go
                link_end[s][k] = go + cuts[s].seconds
    out = end[-1]
    half = frames // 2
    interval = (out[-1] - out[-1 - half]) / half
    return PipelineTiming(
        frames,
        interval,
        out[0],
        tuple(map(tuple, start)),
        tuple(map(tuple, end)),
        tuple(map(tuple, link_start)),
        tuple(map(tuple, link_end)),
    )
