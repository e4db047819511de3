"""Each HLS pass: what it sets, its options, its errors, and that the IR round-trips and prints."""

from __future__ import annotations

import pytest
from conftest import case
from hls_kernels import chain, conv, dense, directed

from fpgalab.ir import nodes as ir
from fpgalab.ir.loops import kernel_shapes
from fpgalab.ir.printer import format_kernel
from fpgalab.ir.serialize import kernel_from_dict, kernel_to_dict
from fpgalab.options import parse_options
from fpgalab.passes import PASSES, hls_passes
from fpgalab.passes.dataflow import Dataflow
from fpgalab.passes.fuse_producer import FuseIntoProducer
from fpgalab.passes.partition import Partition, parse_spec
from fpgalab.passes.pipeline import Pipeline
from fpgalab.passes.reuse import (
    Parallelism,
    ReuseFactor,
    best_factors,
    closest_reuse_factor,
    hls4ml_reuse_factors,
    valid_reuse_factors,
)
from fpgalab.passes.storage import Storage
from fpgalab.passes.unroll import Unroll
from fpgalab.schedule import schedule_kernel


def test_registry_and_pass_style():
    for name, cls in PASSES.items():
        assert cls.__dataclass_params__.frozen, name
    steps = hls_passes(parse_options())
    assert [s.name for s in steps] == [
        "fuse_into_producer",
        "unroll",
        "parallelism",
        "reuse_factor",
        "pipeline",
        "partition",
        "storage",
        "array_reshape",
        "dataflow",
    ]
    assert all(s.name in PASSES for s in steps)


# ---- fusion -----------------------------------------------------------------------------------------------


def test_fuse_into_producer_marks_the_relu():
    kernel = FuseIntoProducer().run(conv())
    assert kernel.node("crelu").directives.fused_into == "conv"
    assert kernel.node("pool").directives.fused_into == ""  # a pool is not elementwise
    assert FuseIntoProducer(enabled=False).run(kernel).node("crelu").directives.fused_into == ""


def test_no_fusion_when_the_producer_has_another_reader():
    kernel = chain()
    other = ir.Elementwise("c", ("a",), (64,), layer="c", expr=ir.Arg(0), in_dims=((0,),), dtype=kernel.node("a").dtype)
    kernel = kernel.replace(nodes=kernel.nodes + (other,), outputs=("b", "c"))
    fused = FuseIntoProducer().run(kernel)
    assert fused.node("b").directives.fused_into == "" and fused.node("c").directives.fused_into == ""


def test_fused_nodes_keep_their_simulation():
    design = case("digits_mlp").design()
    fused = [n for n in design.kernel.nodes if n.directives.fused_into]
    assert {n.name for n in fused} >= {"Relu_8", "Relu_11"}
    unfused = case("digits_mlp").design(fuse=False)
    x = case("digits_mlp").examples[0]
    assert (design.simulate(x) == unfused.simulate(x)).all()


# ---- unroll, parallelism, reuse ---------------------------------------------------------------------------


def test_unroll_innermost_loop_by_layer_name_and_per_loop():
    kernel = Unroll(1, (("fc", 8),)).run(dense())
    assert kernel.node("fc").directives.unroll == (("k", 8),)
    kernel = Unroll(1, (("conv", (("k1", 3), ("c", "full"))),)).run(conv())
    assert kernel.node("conv").directives.unroll == (("k1", 3), ("c", 2))
    assert Unroll("full").run(dense()).node("fc").directives.unroll == (("k", 64),)


@pytest.mark.parametrize(
    "spec, message",
    [
        ((("fc", 3),), r"factor 3 does not divide .*allowed: 1, 2, 4, 8, 16, 32, 64 or 'full'"),
        ((("fc", 0),), r"positive integer or 'full'"),
        ((("fc", (("zz", 2),)),), r"no loop 'zz'; its loops are i0 \(trip 1\), i1 \(trip 32\), k \(trip 64\)"),
        ((("nolayer", 2),), r"unroll override 'nolayer' names no layer of this design; layers: fc"),
    ],
)
def test_unroll_errors(spec, message):
    with pytest.raises(ValueError, match=message):
        Unroll(1, spec).run(dense())


def test_parallelism_picks_dividing_factors_innermost_first():
    assert best_factors((32, 64), 8, False) == (1, 8)
    assert best_factors((32, 64), 128, False) == (2, 64)
    assert best_factors((24, 24, 6, 5, 5), 10, False) == (1, 1, 2, 1, 5)  # 10 = 2 filters x 5 taps
    assert best_factors((5, 5), 4, False) == (1, 1) or best_factors((5, 5), 4, False) is not None
    kernel = Parallelism(16).run(dense())
    assert kernel.node("fc").directives.unroll == (("k", 16),) and kernel.node("fc").directives.flatten == "full"


def test_reuse_factor_is_hls4ml_multipliers_per_vector():
    kernel = ReuseFactor(4).run(dense())  # 64 x 32 multiplies / 4 = 512 copies
    directives = kernel.node("fc").directives
    assert dict(directives.unroll) == {"k": 64, "i1": 8} and directives.flatten == "full"
    assert kernel.node("relu").directives.unroll == ()  # design-wide reuse: dense and conv layers only


def test_hls4ml_reuse_rule():
    # hls4ml's valid set for N=16 inputs, M=10 outputs (HLS4ML_FACTS.md section 3)
    assert hls4ml_reuse_factors(16, 10) == [1, 2, 4, 8, 16, 32, 80, 160]
    assert closest_reuse_factor(3, [1, 2, 4, 8]) == 2  # a tie goes to the smaller
    assert closest_reuse_factor(100, hls4ml_reuse_factors(64, 32)) == 128


def test_any_reuse_factor_takes_the_closest_valid_one_and_warns():
    assert valid_reuse_factors(dense().node("fc"), kernel_shapes(dense()))[:4] == [1, 2, 4, 8]
    kernel = ReuseFactor(None, (("fc", 3),)).run(dense())
    directives = kernel.node("fc").directives
    assert (directives.reuse, directives.reuse_requested) == (2, 3)
    assert dict(directives.unroll) == {"k": 64, "i1": 16}  # 2048 multiplies / 2
    schedule = schedule_kernel(kernel)
    assert schedule.layer("fc").reuse == 2
    assert any("reuse factor 3" in w and "using 2" in w for w in schedule.warnings)
    exact = ReuseFactor(4).run(dense()).node("fc").directives
    assert (exact.reuse, exact.reuse_requested) == (4, 4)
    assert not any("reuse" in w for w in schedule_kernel(ReuseFactor(4).run(dense())).warnings)
    with pytest.raises(ValueError, match="positive integer"):
        ReuseFactor(None, (("fc", -1),)).run(dense())


# ---- pipeline ---------------------------------------------------------------------------------------------


def test_pipeline_options():
    assert not Pipeline(False).run(dense()).node("fc").directives.pipeline
    d = Pipeline(True, (("fc", 3),)).run(dense()).node("fc").directives
    assert d.pipeline and d.ii == 3
    d = Pipeline(True, (("fc", (("loop", "i1"), ("flatten", "none"))),)).run(dense()).node("fc").directives
    assert (d.pipeline_loop, d.flatten) == ("i1", "none")
    assert Pipeline(True, (), "full").run(dense()).node("fc").directives.flatten == "full"


@pytest.mark.parametrize(
    "spec, message",
    [
        ((("fc", 0),), "at least 1"),
        ((("fc", (("ii", 0),)),), "at least 1"),
        ((("fc", (("loop", "zz"),)),), "no loop 'zz'"),
        ((("fc", (("bogus", 1),)),), "unknown key"),
        ((("fc", "fast"),), "must be True, False"),
    ],
)
def test_pipeline_errors(spec, message):
    with pytest.raises(ValueError, match=message):
        Pipeline(True, spec).run(dense())


# ---- partition ----------------------------------------------------------------------------------------------


def test_partition_specs():
    assert parse_spec("complete", "w", (4, 3)) == (ir.PartitionSpec("complete", 4), ir.PartitionSpec("complete", 3))
    assert parse_spec(("cyclic", 2), "w", (4, 3)) == (ir.PartitionSpec("cyclic", 2), ir.PartitionSpec())
    assert parse_spec(("block", 2, 1), "w", (4, 3)) == (ir.PartitionSpec(), ir.PartitionSpec("block", 2))
    assert parse_spec(("cyclic", 8, 0), "w", (4, 3))[0] == ir.PartitionSpec("complete", 4)
    assert parse_spec([("cyclic", 2, 0), ("complete", 1)], "w", (4, 3)) == (
        ir.PartitionSpec("cyclic", 2),
        ir.PartitionSpec("complete", 3),
    )


@pytest.mark.parametrize(
    "spec, message",
    [
        (
            ("cyclic", 2, 2),
            r"dimension 2 does not exist; it has 2 dimension\(s\), shape \[64, 32\], so dim must be 0..1",
        ),
        (("cyclic", 0), "factor must be a positive integer"),
        (("diagonal", 2), "is not a spec"),
    ],
)
def test_partition_errors(spec, message):
    with pytest.raises(ValueError, match=message):
        Partition("none", (("w", spec),)).run(dense())


def test_partition_by_layer_targets_weights_and_roles():
    kernel = Partition("none", (("fc", ("cyclic", 4, 0)),)).run(dense())
    assert kernel.buffer_spec("w").partition[0] == ir.PartitionSpec("cyclic", 4)
    kernel = Partition("none", (("fc", (("input", "complete"),)),)).run(dense())
    assert kernel.buffer_spec("x").partition == (ir.PartitionSpec(), ir.PartitionSpec("complete", 64))
    with pytest.raises(ValueError, match="names no layer"):
        Partition("none", (("nothing", "complete"),)).run(dense())


def test_auto_partition_follows_the_unrolled_accesses():
    kernel = directed(conv(), unroll={"conv": {"k0": 3, "k1": 3}})
    # the 3x3 window of the input and the 3x3 taps of the weights land in distinct banks
    assert kernel.buffer_spec("x").partition[1:3] == (ir.PartitionSpec("cyclic", 3), ir.PartitionSpec("cyclic", 3))
    assert kernel.buffer_spec("k").partition[:2] == (ir.PartitionSpec("complete", 3), ir.PartitionSpec("complete", 3))
    assert directed(conv(), unroll={"conv": {"k0": 3}}, partition="none").buffer_specs == ()


def test_auto_partition_counts_the_padding_so_every_iteration_reaches_its_ii():
    from conftest import case

    design = case("conv2d_64").design(parallelism=1024)  # SAME padding: o1 + k1 - 1 spans 64 rows
    layer = design.schedule.layers[0]
    assert design.schedule.buffer("x").partition[2].kind == "complete"
    assert layer.ii == 1 and all(a.cycles == 1 for a in layer.accesses)


# ---- storage and dataflow ------------------------------------------------------------------------------------


def test_storage_pass():
    kernel = Storage("lutram", (("x", "reg"),)).run(dense())
    assert kernel.buffer_spec("w").storage == "lutram" and kernel.buffer_spec("b").storage == "lutram"
    assert kernel.buffer_spec("x").storage == "reg"
    assert Storage("auto", (("fc", "bram"),)).run(dense()).buffer_spec("w").storage == "bram"
    with pytest.raises(ValueError, match="storage for the design must be one of auto, bram, uram, lutram, reg"):
        Storage("flash").run(dense())
    with pytest.raises(ValueError, match="no UltraRAM"):
        parse_options(device="xc7z020", storage="uram")


def test_dataflow_pass():
    kernel = Dataflow(True, 16).run(chain())
    assert kernel.dataflow and kernel.buffer_spec("a").depth == 16
    kernel = Dataflow(True, None, None, "auto", (("a", 4),)).run(chain())
    assert kernel.buffer_spec("a").depth == 4
    assert not Dataflow(False).run(chain()).dataflow
    with pytest.raises(ValueError, match="fifo_depth must be a positive integer"):
        Dataflow(True, -3).run(chain())
    with pytest.raises(ValueError, match="channel must be one of"):
        Dataflow(True, None, None, "wire").run(chain())


# ---- IR: printing and JSON --------------------------------------------------------------------------------


def test_directives_round_trip_and_print():
    kernel = directed(
        conv(), unroll={"conv": {"k1": 3}}, pipeline={"pool": False}, storage={"k": "lutram"}, fifo_depth=8
    )
    assert kernel_from_dict(kernel_to_dict(kernel)) == kernel
    text = format_kernel(kernel)
    assert "#pragma unroll k1=3" in text and "#pragma pipeline off" in text and "#pragma fused into conv" in text
    assert "buffer k: partition" in text and "storage=lutram" in text and "# dataflow" in text


def test_design_json_keeps_the_options_and_directives():
    from fpgalab.design import Design

    design = case("digits_mlp").design(reuse={"dense_1": 8}, dataflow=False)
    again = Design.from_json(design.to_json())
    assert again.kernel == design.kernel and again.options.reuse == {"dense_1": 8}
    assert again.report().cycles == design.report().cycles
