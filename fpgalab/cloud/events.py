"""Batch-level discrete-event simulation of a deployment: batches through host, PCIe, banks and CUs.

The analytic model (``fpgalab.cloud.deploy``) says the stream runs at the pace of its busiest
resource. This runs the same stages as events instead, with the queues and buffers explicit, so
start-up, contention for the shared links and buffer back-pressure show. Batch ``j`` goes to CU
``j mod k`` (round robin) and takes, in order:

1. a free input buffer of its CU (two per CU: double buffering), then the host for pre-processing;
2. the host->card link (one for all CUs), to copy its inputs into the CU's bank;
3. a free output buffer of its CU, then the CU itself (with its own bank) for the kernel's time;
   the input buffer is free again when the kernel is done;
4. the card->host link (one for all CUs); the output buffer is free again when the copy is done;
5. the host for post-processing.

Every resource serves one batch at a time, first come first served (ties by batch number);
durations are the deployment's ``BatchCosts``. Times are seconds. The steady-state throughput is
measured between the first quarter of the run and the drain at its end, on whole rounds of the CUs.
"""

from __future__ import annotations

import heapq
import itertools
from collections import deque
from dataclasses import dataclass

BUFFERS = 2  # input and output buffers per compute unit (double buffering)


@dataclass(frozen=True)
class BatchTiming:
    index: int
    compute_unit: int
    start: float  # pre-processing begins
    kernel_start: float
    kernel_end: float
    end: float  # post-processing done


@dataclass(frozen=True)
class Span:
    """One resource serving one batch: ``resource`` is "host", "pcie host->card", "pcie card->host" or "cuK"."""

    resource: str
    batch: int
    start: float
    end: float


@dataclass(frozen=True)
class EventReport:
    batches: tuple[BatchTiming, ...]
    batch_size: int
    throughput: float  # inferences per second in steady state
    makespan: float  # seconds until the last batch is done
    busy: dict  # resource -> busy seconds
    spans: tuple[Span, ...] = ()  # every resource's service of every batch, in the order served

    @property
    def batches_per_second(self) -> float:
        return self.throughput / self.batch_size

    def utilization(self) -> dict[str, float]:
        return {name: seconds / self.makespan for name, seconds in self.busy.items()}


class _Server:
    """One resource serving one request at a time, first come first served."""

    def __init__(self, name: str):
        self.name, self.free, self.waiting, self.busy = name, True, deque(), 0.0


class _Pool:
    """A number of identical buffers; a waiting batch gets one as soon as one is released."""

    def __init__(self, size: int):
        self.size, self.waiting = size, deque()


def simulate_batches(deployment, batches: int = 64) -> EventReport:
    """Run ``batches`` batches of ``deployment`` through its resources; per-batch times and throughput."""
    if not isinstance(batches, int) or batches < 2:
        raise ValueError(f"simulate at least 2 batches, got {batches!r}")
    c, units = deployment.costs, deployment.compute_units
    host, h2c, c2h = _Server("host"), _Server("pcie host->card"), _Server("pcie card->host")
    cus = [_Server(f"cu{k}") for k in range(units)]
    in_bufs = [_Pool(BUFFERS) for _ in range(units)]
    out_bufs = [_Pool(BUFFERS) for _ in range(units)]
    events: list = []
    spans: list[Span] = []
    order = itertools.count()
    now = 0.0
    start, k_start, k_end, end = ({} for _ in range(4))

    def at(time, action, *args):
        heapq.heappush(events, (time, next(order), action, args))

    def acquire(pool, batch, then):
        if pool.size:
            pool.size -= 1
            then(batch)
        else:
            pool.waiting.append((batch, then))

    def release(pool):
        if pool.waiting:
            batch, then = pool.waiting.popleft()
            then(batch)
        else:
            pool.size += 1

    def request(server, batch, seconds, then, on_start=None):
        server.waiting.append((batch, seconds, then, on_start))
        if server.free:
            serve(server)

    def serve(server):
        if not server.waiting:
            server.free = True
            return
        batch, seconds, then, on_start = server.waiting.popleft()
        server.free = False
        server.busy += seconds
        spans.append(Span(server.name, batch, now, now + seconds))
        if on_start:
            on_start(batch)
        at(now + seconds, finish, server, batch, then)

    def finish(server, batch, then):
        serve(server)
        then(batch)

    def begin(j):
        request(host, j, c.host_pre, to_card, on_start=lambda b: start.__setitem__(b, now))

    def to_card(j):
        request(h2c, j, c.host_to_card, lambda b: acquire(out_bufs[b % units], b, kernel))

    def kernel(j):
        request(cus[j % units], j, c.kernel, kernel_done, on_start=lambda b: k_start.__setitem__(b, now))

    def kernel_done(j):
        k_end[j] = now
        release(in_bufs[j % units])
        request(c2h, j, c.card_to_host, to_host)

    def to_host(j):
        release(out_bufs[j % units])
        request(host, j, c.host_post, lambda b: end.__setitem__(b, now))

    for j in range(batches):
        acquire(in_bufs[j % units], j, begin)
    while events:
        now, _, action, args = heapq.heappop(events)
        action(*args)

    timings = tuple(BatchTiming(j, j % units, start[j], k_start[j], k_end[j], end[j]) for j in range(batches))
    # Steady state: skip the first quarter (start-up) and the batches still in flight when the last
    # one starts (the drain, when the host and links have less to do), on whole rounds of the CUs.
    ends = sorted(end.values())
    first = batches // 4
    rounds = (batches - 1 - 2 * BUFFERS * units - first) // units
    if rounds < 1:
        raise ValueError(
            f"simulate at least {first + 2 * BUFFERS * units + units + 1} batches for {units} compute unit(s)"
        )
    span = ends[first + rounds * units] - ends[first]
    throughput = deployment.batch * rounds * units / span if span > 0 else float("inf")
    busy = {s.name: s.busy for s in (host, h2c, c2h, *cus)}
    return EventReport(timings, deployment.batch, throughput, ends[-1], busy, tuple(spans))
