"""The schedule's rules on hand-computed cases: loop roles, II from recurrences and memory ports, depth, cycles.

Device xcvu9p at 200 MHz (latencies quoted at 250 MHz, scaled by ceil(n * 200 / 250)): fixed add 1,
DSP multiply 3, BRAM read 2 (not scaled), LUTRAM read 1, float add ceil(4.8) = 5, float multiply 3.
The dense layer is x[1,64] @ w[64,32] + b with a fused relu, ap_fixed<16,6> (acc ap_fixed<30,10>,
whose conversion to ap_fixed<16,6> with AP_TRN/AP_WRAP is wiring): epilogue E = relu 1 + write 1.
"""

from __future__ import annotations

import pytest
from hls_kernels import chain, conv, dense, directed, scheduled

from fpgalab.ir import nodes as ir
from fpgalab.schedule import plan_loops, schedule_kernel

OFF = {"dataflow": False}


def only(schedule):
    assert len(schedule.layers) == 1
    return schedule.layers[0]


def test_vitis_default_pipelines_the_reduction_at_ii_1():
    fc = only(scheduled(dense(), **OFF))
    assert [(lp.name, lp.role) for lp in fc.loops] == [("i1", "sequential"), ("k", "pipelined")]
    assert fc.nodes == ("fc", "relu") and fc.output == "relu"
    # D = BRAM read 2 + multiply 3 + accumulate 1; T = 32 * (1 + [1 + 63*1 + 6] + E=2)
    assert (fc.ii, fc.ii_limit, fc.depth, fc.epilogue, fc.trip) == (1, "target", 6, 2, 64)
    assert fc.cycles == 2 + 32 * (1 + (1 + 63 * 1 + 6) + 2) == 2338
    assert fc.formula.endswith("= 2338")


def test_float_accumulator_recurrence_limits_the_ii():
    fc = only(scheduled(dense(precision="float32"), **OFF))
    # the float add (5 cycles at 200 MHz) feeds the next iteration's add: II = 5
    assert (fc.ii_recurrence, fc.ii, fc.ii_limit) == (5, 5, "recurrence")
    assert fc.depth == 2 + 3 + 5  # BRAM read + fmul + fadd
    assert fc.cycles == 2 + 32 * (1 + (1 + 63 * 5 + 10) + 3)  # E = float max 2 + write 1


def test_memory_ports_limit_the_ii_without_partitioning():
    fc = only(scheduled(dense(), unroll={"fc": 4}, partition="none", **OFF))
    reads = {a.buffer: a for a in fc.accesses if a.mode == "read"}
    assert (reads["w"].per_bank, reads["w"].cycles) == (4, 2)  # 4 reads on one dual-port bank
    assert (fc.ii_memory, fc.ii, fc.ii_limit) == (2, 2, "memory ports")
    assert fc.depth == 2 + 3 + 2 + 1 + (2 - 1)  # read, mul, 2 tree levels, acc, one more memory cycle
    assert fc.cycles == 2 + 32 * (1 + (1 + 15 * 2 + 9) + 2)


def test_partitioning_multiplies_banks_and_restores_ii_1():
    s = scheduled(dense(), unroll={"fc": 4}, **OFF)  # partition="auto"
    fc = only(s)
    assert s.buffer("w").partition[0] == ir.PartitionSpec("cyclic", 4) and s.buffer("w").banks == 4
    assert s.buffer("x").partition[1] == ir.PartitionSpec("cyclic", 4)
    # each bank of w is a 512 x 16 ROM: LUT logic as Yosys maps it (read 1), no longer a BRAM (read 2)
    assert s.buffer("w").storage == "lutram" and s.buffer("w").read_latency == 1
    assert (fc.ii, fc.depth) == (1, 1 + 3 + 2 + 1)
    assert all(a.per_bank == 1 for a in fc.accesses)


def test_explicit_cyclic_partition_of_two_banks_serves_four_reads_with_two_ports():
    fc = only(scheduled(dense(), unroll={"fc": 4}, partition={"w": ("cyclic", 2, 0), "x": ("cyclic", 2, 1)}, **OFF))
    assert fc.ii == 1 and {a.buffer: a.per_bank for a in fc.accesses}["w"] == 2


def test_block_partition_counts_the_straddling_iteration():
    # 4 consecutive reads per iteration, 16 blocks of 4: each iteration reads one block -> 4 on a bank
    fc = only(scheduled(dense(), unroll={"fc": 4}, partition={"w": ("block", 16, 0), "x": ("cyclic", 4, 1)}, **OFF))
    assert {a.buffer: a.per_bank for a in fc.accesses}["w"] == 4 and fc.ii == 2


def test_not_pipelined_is_the_leflow_like_sequential_fsm():
    fc = only(scheduled(dense(), pipeline=False, **OFF))
    assert not fc.pipelined and fc.ii == 0 and all(lp.role == "sequential" for lp in fc.loops)
    assert fc.cycles == 2 + 32 * (1 + 64 * (1 + 6) + 2) == 14434


def test_pipelining_an_outer_loop_fully_unrolls_the_inner_one():
    fc = only(scheduled(dense(), pipeline={"fc": {"loop": "i1"}}, **OFF))
    assert [(lp.name, lp.unroll, lp.role) for lp in fc.loops] == [("i1", 1, "pipelined"), ("k", 64, "unrolled")]
    # D = LUTRAM read 1 + mul 3 + log2(64) = 6 tree levels + bias add 1 + E 2; P = 32
    assert (fc.copies, fc.depth, fc.trip, fc.ii) == (64, 13, 32, 1)
    assert fc.cycles == 2 + 1 + 31 + 13 == 47
    kinds = {(op.kind, op.stage): op.count for op in fc.operators}
    assert kinds[("mul", "core")] == 64 and kinds[("add", "tree")] == 63 and kinds[("add", "acc")] == 1


def test_unpartitioned_full_unroll_is_port_bound():
    fc = only(scheduled(dense(), pipeline={"fc": {"loop": "i1"}}, partition="none", **OFF))
    assert fc.ii_memory == 32 and fc.ii == 32  # 64 reads of one dual-port BRAM


def test_flatten_full_makes_one_pipeline_over_the_whole_nest():
    fc = only(scheduled(dense(), pipeline={"fc": {"flatten": "full"}}, **OFF))
    assert all(lp.role == "pipelined" for lp in fc.loops) and fc.trip == 32 * 64
    assert fc.epilogue_in_pipeline and fc.depth == 6 + 2
    assert fc.cycles == 2 + 1 + (32 * 64 - 1) * 1 + 8


def test_elementwise_nests_flatten_into_one_loop():
    s = scheduled(conv(), fuse=False, **OFF)
    relu = s.layer("crelu")
    assert relu.trip == 6 * 6 * 4 and all(lp.role == "pipelined" for lp in relu.loops)
    pool = s.layer("pool")
    assert [lp.role for lp in pool.loops] == ["sequential"] * 3 + ["pipelined"] * 2
    # pool: D = LUTRAM read 1 + max 1; per output 1 + [1 + (4-1)*1 + 2] + write 1
    assert pool.depth == 1 + 1 and pool.cycles == 2 + 3 * (1 + 3 * (1 + 4 * (1 + (1 + 3 + 2) + 1)))


def test_fused_relu_leaves_no_buffer_and_joins_the_epilogue():
    s = scheduled(conv(), **OFF)
    assert [layer.name for layer in s.layers] == ["conv", "pool"]
    assert s.layer("conv").output == "crelu"
    assert "conv" not in {b.name for b in s.buffers}
    assert s.buffer("crelu").writer == "conv" and s.buffer("crelu").readers == ("pool",)


def test_trip_one_loops_do_not_exist():
    loops = plan_loops(directed(dense()).node("fc"), {"x": (1, 64), "w": (64, 32), "b": (32,), "fc": (1, 32)})
    assert [lp.name for lp in loops] == ["i1", "k"]


def test_clock_scales_operator_latencies():
    slow = only(scheduled(dense(precision="float32"), clock_mhz=100, **OFF))
    fast = only(scheduled(dense(precision="float32"), clock_mhz=300, **OFF))
    assert slow.ii == 3 and fast.ii == 8  # float add: ceil(6 * 100/250) = 3, ceil(6 * 300/250) = 8


def test_unroll_that_does_not_divide_is_refused_with_the_allowed_factors():
    with pytest.raises(ValueError, match=r"factor 5 .*allowed: 1, 2, 4, 8, 16, 32, 64"):
        scheduled(dense(), unroll={"fc": 5})


def test_directives_that_bypass_the_passes_are_still_checked():
    kernel = directed(dense())
    bad = kernel.replace(
        nodes=tuple(n.replace(directives=ir.Directives(ii=0)) if n.name == "fc" else n for n in kernel.nodes)
    )
    with pytest.raises(ValueError, match="II .* at least 1"):
        schedule_kernel(bad)
    bad = kernel.replace(
        nodes=tuple(
            n.replace(directives=ir.Directives(unroll=(("q", 2),))) if n.name == "fc" else n for n in kernel.nodes
        )
    )
    with pytest.raises(ValueError, match="no loop 'q'"):
        schedule_kernel(bad)


def test_unknown_device_and_bad_clock_are_value_errors():
    with pytest.raises(ValueError, match="unknown device"):
        schedule_kernel(directed(dense()), "xc9999")
    with pytest.raises(ValueError, match="clock_mhz"):
        schedule_kernel(directed(dense()), "xcvu9p", -5)


def test_auto_storage_follows_yosys_memory_libmap():
    s = scheduled(dense(), **OFF)
    assert s.buffer("w").storage == "bram"  # a 2048 x 16 ROM (32 Kbit)
    assert s.buffer("x").storage == "lutram"  # a 64 x 16 RAM
    assert s.buffer("w").channel == "rom" and s.buffer("x").role == "input"
    s = scheduled(dense(n_in=256, n_out=4), **OFF)
    assert s.buffer("x").storage == "bram"  # a 256 x 16 RAM (4 Kbit) costs less as one RAMB18
    assert scheduled(dense(), pipeline={"fc": {"loop": "i1"}}, **OFF).buffer("x").storage == "reg"  # 1-word banks


def test_dataflow_channels_fifo_when_read_in_order_else_pingpong():
    assert [layer.name for layer in scheduled(chain()).layers] == ["a"]  # b is fused into a
    s = scheduled(chain(), fuse=False)
    assert s.dataflow and s.buffer("a").channel == "fifo" and s.buffer("a").depth == 2
    s = scheduled(conv(), fuse=False)
    assert s.buffer("conv").channel == "fifo"  # relu reads conv's output once, in order
    assert s.buffer("crelu").channel == "pipo"  # the pool reads windows


def test_schedule_is_deterministic():
    assert scheduled(conv()) == scheduled(conv())
