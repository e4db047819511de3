"""The resource estimator on hand-computed cases (xcvu9p: DSP48E2 27x18, RAMB18E2, LUT6), in both flows."""

from __future__ import annotations

import math

import pytest
from conftest import case
from hls_kernels import conv, dense, directed, scheduled, typed

from fpgalab import costs
from fpgalab.estimate import estimate_resources, rtl_costs, table_roms
from fpgalab.estimate.report import RESOURCE_KINDS
from fpgalab.estimate.rtl_reads import layer_reads
from fpgalab.ir import nodes as ir
from fpgalab.options import DEFAULT_TABLE_TYPE, FLOWS, parse_options
from fpgalab.parts import load_device
from fpgalab.schedule import schedule_kernel
from fpgalab.sim.tables import DEFAULT_TABLES

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
    report = estimate(
        dense(), device="xc7z020", pipeline={"fc": {"loop": "i1", "flatten": "full"}}, unroll={"fc": {"i1": 32}}, **OFF
    )
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


# ---- flow="yosys": fpgalab's own Verilog as Yosys maps it ------------------------------------------------


def yosys_estimate(kernel, **options):
    schedule = scheduled(kernel, **options)
    return estimate_resources(schedule, "xcvu9p", flow="yosys"), schedule


def test_yosys_flow_keeps_the_accumulator_in_fabric():
    report, _ = yosys_estimate(dense(), **OFF)
    ops = {i.what: i for i in items(report, "fc", "operators")}
    assert ops["mul (core)"].total.dsp == 1 and ops["mul (core)"].total.lut == 0  # no MAC: xcup packs nothing
    assert ops["add (acc)"].total.lut == 30  # the 30-bit accumulator's adder in LUTs
    acc = [i for i in items(report, "fc", "addressing") if i.what.startswith("accumulator")][0]
    assert acc.total.ff == 30 and acc.total.lut == rtl_costs.RESTART_LUTS_PER_BIT * 30
    # w, 2048 x 16, is a ROM: its bit columns pack into 2 RAMB18 (2K x 9 each, one row)
    assert rtl_costs.block_count(2048, 16, VU9P, True) == (2, 1) and report.total.bram == 2


def test_yosys_flow_control_counts_the_rtl_registers():
    report, schedule = yosys_estimate(dense(), **OFF)
    layer = schedule.layer("fc")
    assert [lp.role for lp in layer.loops] == ["sequential", "pipelined"] and layer.depth == 6
    fsm = [i for i in items(report, "fc", "control") if i.what.startswith("FSM")][0]
    # states IDLE, DONE, one header, BODY, EPI: 3 bits; the body lasts 1 + 63 + 6 = 70 cycles: a 7-bit
    # step counter; loop counters of 32 and 64 iterations: 5 + 6 bits
    assert fsm.total.ff == 3 + 7 + 5 + 6 and fsm.total.lut == rtl_costs.CONTROL_LUTS_PER_BIT * 21
    flags = [i for i in items(report, "fc", "control") if i.what.startswith("issue")][0]
    assert flags.total.ff == 2 * 2  # issue and first, each delayed by R = 2 (w in block RAM)


def test_yosys_flow_reads_follow_the_rtl():
    kernel = directed(dense(), unroll={"fc": 4}, **OFF)
    schedule = schedule_kernel(kernel, "xcvu9p", 200.0)
    reads = layer_reads(kernel, schedule, dict(DEFAULT_TABLES), DEFAULT_TABLE_TYPE)["fc"]
    # four copies read four banks of x and w, each its own bank in every iteration; the bias once
    assert reads["x"].reads == reads["x"].reach == 4 and reads["w"].reads == reads["w"].reach == 4
    assert reads["b"].reads == 1 and not reads["x"].guarded
    report = estimate_resources(schedule, "xcvu9p", flow="yosys", rtl=rtl_costs.RtlFacts({}, {"fc": reads}, {}))
    memories = {i.what.split(":")[0]: i for i in items(report, "fc", "memories")}
    assert memories["input x [1, 64]"].count == 4 and "read ports" not in memories["input x [1, 64]"].what


def test_block_count_packs_the_columns_of_a_rom():
    # Yosys runs (bench/FIDELITY.md, lenet5_fc1): 30720 x 16 in 27 RAMB18 (2K x 9, 15 rows), 7680 x 16 in 7
    assert rtl_costs.block_count(30720, 16, VU9P, True) == (27, 15)
    assert rtl_costs.block_count(7680, 16, VU9P, True) == (7, 15)
    assert rtl_costs.block_count(4096, 16, VU9P, False) == (VU9P.bram_for(4096, 16), 1)  # a RAM: as Vivado


def test_logic_rom_luts_count_the_leaves_that_vary():
    assert table_roms.logic_rom_luts([5] * 64, 8) == 0  # constant columns are wires
    assert table_roms.logic_rom_luts(range(64), 6) == math.ceil(1.8 * 6)  # 6 columns, one 64-word leaf each
    assert table_roms.logic_rom_luts([0, 3] * 32, 2) == 2  # bit 1 copies bit 0: one column, one leaf


def test_tables_in_a_chain_become_one_rom():
    x = ir.Input("x", (8,))
    chain = ir.Op("logistic", (ir.Op("tanh", (ir.Arg(0),)),))
    pair = ir.Op("mul", (ir.Op("tanh", (ir.Arg(0),)), ir.Op("exp", (ir.Arg(1),))))
    nodes = (
        ir.Elementwise("a", ("x",), (8,), expr=chain, in_dims=((0,),)),
        ir.Elementwise("b", ("x", "a"), (8,), expr=pair, in_dims=((0,), (0,))),
    )
    kernel = typed(ir.Kernel("k", (x,), (), nodes, ("b",)))
    roms = table_roms.table_roms(kernel, dict(DEFAULT_TABLES), DEFAULT_TABLE_TYPE)
    first, second = roms["a"]
    assert second.absorbed and not first.absorbed and 1 < len(first.words) <= DEFAULT_TABLES["tanh"].size
    assert [r.function for r in roms["b"]] == ["tanh", "exp"] and not any(r.absorbed for r in roms["b"])
    assert len(roms["b"][1].words) == DEFAULT_TABLES["exp"].size  # two inputs: each table whole


def test_flow_is_a_checked_option():
    assert parse_options().flow == "hls" and parse_options(flow="yosys").to_dict()["flow"] == "yosys"
    with pytest.raises(ValueError, match="flow must be one of hls, yosys"):
        parse_options(flow="vitis")
    with pytest.raises(ValueError, match="no synthesis script"):
        parse_options(flow="yosys", device="1sx280")
    assert FLOWS == costs.FLOWS


def test_a_yosys_flow_design_prices_its_rtl():
    design = case("softmax_8").design(flow="yosys", dataflow=False)
    report = design.resources
    text = "\n".join(report.breakdown(layer.name) for layer in report.per_layer)
    assert "one-hot" not in text and "FSM: " in text and "exp table of 1024 x 16 in LUTs" in text
    assert report.total.bram == 0 and case("softmax_8").design(dataflow=False).resources.total.bram == 2
