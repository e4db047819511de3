"""The resource estimator on hand-computed cases (xcvu9p: DSP48E2 27x18, RAMB18E2, LUT6)."""

from __future__ import annotations

import pytest
from conftest import case
from hls_kernels import conv, dense, scheduled

from fpgalab.estimate import costs, estimate_resources
from fpgalab.parts import load_device
from fpgalab.report import RESOURCE_KINDS

VU9P = load_device("xcvu9p")
OFF = {"dataflow": False}


def estimate(kernel, device="xcvu9p", **options):
    return estimate_resources(scheduled(kernel, device=device, **options), device)


def items(report, layer, group=None):
    return [i for i in report.layer(layer).items if group is None or i.group == group]


def test_default_dense_is_one_mac_on_one_dsp():
    report = estimate(dense(), **OFF)
    ops = items(report, "fc", "operators")
    mac = [i for i in ops if i.what.startswith("multiply-accumulate")]
    assert len(mac) == 1 and mac[0].count == 1 and mac[0].total.dsp == 1 and mac[0].total.lut == 0
    relu = [i for i in ops if "minmax" in i.what][0]
    assert relu.total.lut == costs.comparator(16, VU9P).lut + costs.mux(16, 2, VU9P).lut == 11 + 16
    assert report.total.dsp == 1
    # w: a 2048 x 16 ROM = 2 RAMB18 (1K x 18 each); x, b and the output are small: LUTRAM / logic
    assert report.total.bram == VU9P.bram_for(2048, 16) == 2


def test_control_items_follow_the_loops():
    report = estimate(dense(), **OFF)
    control = {i.what: i for i in items(report, "fc", "control")}
    assert control["counter of loop i1"].each == costs.loop_counter(32, VU9P).resources
    assert control["counter of loop k"].each == costs.loop_counter(64, VU9P).resources
    assert control["FSM"].formula.startswith("one-hot FSM of 6 states")  # IDLE, DONE, i1, pipeline, E=2
    assert control["pipeline stage valid bits"].total.ff == 6


def test_unrolled_reduction_builds_an_adder_tree():
    report = estimate(dense(), unroll={"fc": 4}, **OFF)
    ops = {i.what: i for i in items(report, "fc", "operators")}
    assert ops["mul (core)"].count == 4 and ops["mul (core)"].total.dsp == 4
    assert ops["add (tree)"].count == 3 and ops["add (tree)"].each.lut == 30  # 30-bit accumulator adds
    assert ops["add (acc)"].count == 1
    # w is cut into 4 banks of 512 x 16: ROMs of 8 Kbit go to LUT logic, as Yosys maps them
    assert report.total.dsp == 4 and report.total.bram == 0


def test_full_unroll_needs_one_dsp_per_multiply():
    report = estimate(dense(), pipeline={"fc": {"loop": "i1"}}, **OFF)
    assert report.total.dsp == 64
    muls = [i for i in items(report, "fc", "operators") if i.what == "mul (core)"][0]
    assert muls.count == 64 and muls.formula.startswith("16x16 signed multiply: 1 DSP48E2")


def test_narrow_multiplies_go_to_luts():
    report = estimate(dense(precision="ap_fixed<8,3>"), **OFF)
    assert report.total.dsp == 0
    mac = [i for i in items(report, "fc", "operators") if i.what.startswith("multiply")][0]
    assert mac.total.lut >= costs.soft_multiplier_luts(8, 8, True, VU9P) == round(2.4 * 7 * 8)


def test_float_operators_come_from_the_float_table():
    report = estimate(dense(precision="float32"), **OFF)
    ops = {i.what: i for i in items(report, "fc", "operators")}
    assert ops["mul (core)"].each == costs.float_op("mul", VU9P).resources
    assert ops["add (acc)"].each == costs.float_op("add", VU9P).resources
    assert report.total.dsp == costs.float_op("mul", VU9P).dsp + costs.float_op("add", VU9P).dsp


def test_pingpong_buffers_double_the_memory():
    single = estimate(conv(size=40, channels=4, filters=8), **OFF)
    double = estimate(conv(size=40, channels=4, filters=8), channel="pipo")
    mem_single = [i for i in items(single, "conv", "memories") if "crelu" in i.what][0]
    mem_double = [i for i in items(double, "conv", "memories") if "crelu" in i.what][0]
    assert mem_double.count == 2 * mem_single.count and "ping-pong" in mem_double.what
    assert mem_single.each.bram == VU9P.bram_for(38 * 38 * 8, 16) == 12


def test_fifo_channels_are_priced_as_fifos():
    report = estimate(conv(), fuse=False, fifo_depth={"conv": 16})
    fifo = [i for i in items(report, "conv", "memories") if i.what.startswith("FIFO")][0]
    assert fifo.each == costs.fifo(16, 16, VU9P).resources


def test_totals_add_up_and_utilization_divides_by_the_part():
    report = estimate(conv())
    for kind in RESOURCE_KINDS:
        assert getattr(report.total, kind) == sum(getattr(layer.total, kind) for layer in report.per_layer)
    assert report.utilization.lut == pytest.approx(report.total.lut / VU9P.luts)
    assert report.utilization.bram == pytest.approx(report.total.bram / VU9P.bram)
    assert report.fits


def test_an_overflowing_design_is_reported_with_the_layer():
    report = estimate(dense(), device="xc7z020", pipeline={"fc": {"loop": "i1", "flatten": "full"}},
                      unroll={"fc": {"i1": 32}}, **OFF)
    assert report.total.dsp == 64 * 32 and not report.fits
    assert report.utilization.dsp == pytest.approx(2048 / 220)
    assert any(w.startswith("DSP") and "layer fc (fc)" in w for w in report.warnings)


def test_breakdown_shows_the_formula_behind_each_figure():
    text = estimate(dense(), **OFF).breakdown("fc")
    assert "MAC 16x16+=30" in text and "RAMB18E2" in text and "loop counter to 64" in text


def test_design_report_joins_schedule_timing_and_resources():
    design = case("lenet5").design()
    report = design.report()
    assert report.fits and report.cycles == design.timing.latency and report.interval == design.timing.interval
    assert report.latency_us == pytest.approx(report.cycles / 200.0)
    assert report.throughput == pytest.approx(200e6 / report.interval)
    conv1 = report.layer("conv1")
    assert conv1.kind == "conv" and conv1.formula.startswith("L = 2 + ") and conv1.items
    assert sum(layer.resources.dsp for layer in report.per_layer) == report.resources.dsp
    assert "conv1" in str(report) and "fits" in str(report)
    frame = report.to_frame()
    assert list(frame["layer"])[:2] == ["conv1", "pool1"]
