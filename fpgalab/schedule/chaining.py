"""Operation chaining: how an HLS scheduler packs a chain of operations into clock cycles.

Operations run one after another in the same cycle (state) while their summed delays fit the
clock period less its uncertainty; the first one that would not fit starts the next state, with
a register between them. An operation is never split across states. A registered operation (a
ROM read, a call of a pipelined function) spans states: it takes ``latency`` extra states, and
what follows can chain onto the delay of its last state. This is the ASAP scheduling with chaining
of Vivado/Vitis HLS (UG1399, "Scheduling"; the per-state delays are what its verbose schedule
reports list), applied to a critical path.

``Step(delay)`` is combinational; ``Step(delay, latency, last)`` a registered operation whose first
state takes ``delay`` and whose last state ``last``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class Step:
    delay: float  # ns in its first state
    latency: int = 0  # extra states it spans (0: combinational)
    last: float = 0.0  # ns in its last state, for latency > 0
    name: str = ""


@dataclass(frozen=True)
class Chained:
    """A chain packed into states: ``states`` of them, the delay used in the first and the last."""

    states: int
    first: float  # ns used in the first state
    last: float  # ns used in the last state
    starts: tuple[int, ...]  # the state each step starts in (0-based)

    @property
    def latency(self) -> int:
        """Cycles from the first state to the last: what a csynth report calls the latency."""
        return self.states - 1


def chain(steps, period: float, start: float = 0.0) -> Chained:
    """Pack ``steps`` (in dependency order) into states of ``period`` ns; ``start`` ns of the first
    state are already used by what came before. A combinational step longer than a whole period is
    given the states it needs (HLS pipelines such an operator, e.g. a DSP multiply on a slow part)."""
    if period <= 0:
        raise ValueError(f"the clock period less its uncertainty must be positive, got {period:.3f} ns")
    usage, starts = [start], []
    for step in steps:
        latency, first, last = step.latency, step.delay, step.last
        if not latency and first > period:
            latency = math.ceil(first / period) - 1
            first, last = period, first - latency * period
        if usage[-1] > 0 and usage[-1] + first > period:
            usage.append(0.0)
        starts.append(len(usage) - 1)
        usage[-1] += first
        if latency:
            usage.extend([period] * (latency - 1) + [last])
    return Chained(len(usage), usage[0], usage[-1], tuple(starts))
