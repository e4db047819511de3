"""The timing simulator: sequential and dataflow latency and interval, FIFO stalls, speed, stability."""

from __future__ import annotations

import statistics
import time

import pytest
from conftest import case
from hls_kernels import chain, conv, scheduled

from fpgalab.schedule.timing import simulate_timing


def test_sequential_layers_add_up():
    s = scheduled(conv(), dataflow=False)
    report = simulate_timing(s)
    cycles = [layer.cycles for layer in s.layers]
    assert report.latency == report.interval == sum(cycles)
    assert [(t.start, t.end) for t in report.layers] == [(0, cycles[0]), (cycles[0], sum(cycles))]
    assert report.latency_us == pytest.approx(sum(cycles) / 200.0)
    assert report.throughput == pytest.approx(200e6 / sum(cycles))


def test_pingpong_dataflow_overlaps_inputs_not_layers():
    s = scheduled(conv())  # conv (+relu) -> ping-pong -> pool
    assert s.buffer("crelu").channel == "pipo" and s.buffer("crelu").depth == 2
    report = simulate_timing(s)
    conv_cycles, pool_cycles = (layer.cycles for layer in s.layers)
    assert report.latency == conv_cycles + pool_cycles  # one input still goes layer by layer
    assert report.interval == max(conv_cycles, pool_cycles)  # but the next input enters the conv at once


def test_single_buffer_serialises_producer_and_consumer():
    s = scheduled(conv(), channel="pipo", fifo_depth={"conv": 1})
    assert s.buffer("crelu").depth == 1
    report = simulate_timing(s)
    assert report.interval == sum(layer.cycles for layer in s.layers)


def test_fifo_lets_the_consumer_start_on_the_first_element():
    s = scheduled(chain(), fuse=False)
    a, b = s.layers
    # a: read 1 + mul 3 + write 1 = D 5, L = 2 + 1 + 63 + 5 = 71, first write in cycle 2 + 5 - 1 = 6
    assert (a.cycles, a.depth, a.first_read, a.first_write, a.last_write) == (71, 5, 2, 6, 69)
    report = simulate_timing(s)
    ta, tb = report.layers
    assert tb.start == 0 + 6 + 1 - b.first_read == 5
    assert report.latency == tb.end == 74 < a.cycles + b.cycles
    assert report.interval == 71


def test_too_small_fifo_stalls_the_producer():
    small = simulate_timing(scheduled(chain(), fuse=False, pipeline={"b": 4}, fifo_depth=2))
    large = simulate_timing(scheduled(chain(), fuse=False, pipeline={"b": 4}, fifo_depth=64))
    assert small.layers[0].stall > 150 and large.layers[0].stall == 0
    assert small.layers[0].end > large.layers[0].end
    assert small.latency == large.latency  # the slow consumer decides when the result is ready


def test_cost_grows_with_loops_not_cycles():
    def seconds(n):
        s = scheduled(chain(n), fuse=False)
        times = []
        for _ in range(5):
            start = time.perf_counter()
            simulate_timing(s)
            times.append(time.perf_counter() - start)
        return statistics.median(times), simulate_timing(s).latency

    small, small_cycles = seconds(64)
    big, big_cycles = seconds(64 * 4096)
    assert big_cycles > 1000 * small_cycles
    assert big < 10 * small + 0.002


def test_lenet5_timing_is_fast_and_stable():
    design = case("lenet5").design()
    schedule = design.schedule
    times = []
    for _ in range(5):
        start = time.perf_counter()
        report = simulate_timing(schedule)
        times.append(time.perf_counter() - start)
    assert statistics.median(times) < 0.05
    again = simulate_timing(case("lenet5").design().schedule)
    assert again == report and report.latency > 0 and report.interval <= report.latency


@pytest.mark.parametrize("name", ["digits_mlp", "lenet5"])
def test_reports_are_the_same_across_runs(name):
    first = case(name).design().report()
    second = case(name).design().report()
    assert first == second
    assert first.to_dict() == second.to_dict()
