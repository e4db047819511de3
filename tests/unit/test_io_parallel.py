"""hls4ml's io_parallel architecture: constant multiplies, chaining at the clock, the schedule and
its estimate on a captured jet-tagging MLP (no TensorFlow needed)."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import case

from fpgalab.costs.constants import classify, constant_products, csd_digits, significant_bits
from fpgalab.costs.delays import FAMILIES, delays_for, effective_period
from fpgalab.options import parse_options
from fpgalab.parts import load_device
from fpgalab.schedule.chaining import Step, chain
from fpgalab.schedule.network import network_layers

HLS4ML = {"default": "ap_fixed<16,6>", "accum": "ap_fixed<16,6>"}


@pytest.fixture(scope="module")
def vu9p():
    return load_device("xcvu9p")


def test_canonical_signed_digits():
    assert [csd_digits(m) for m in (0, 1, -1, 2, 3, 7, 8, -12, 89, 0b101010101)] == [0, 1, 1, 1, 2, 2, 1, 2, 4, 5]
    assert significant_bits(12) == 3  # 3 after dropping two trailing zeros, plus the sign
    assert significant_bits(-155) == 9


def test_constant_multiplies_follow_the_weight(vu9p):
    assert classify(0, 16, vu9p) == "zero"
    assert classify(-64, 16, vu9p) == "shift"
    assert classify(0b1000001, 16, vu9p) == "shift_add"  # 2^6 + 1
    assert classify(89, 16, vu9p) == "dsp"  # 1011001: four digits, 8 significant bits
    assert classify(0b10101, 16, vu9p) == "dsp"
    assert classify(11, 16, vu9p) == "dsp"  # 16 - 4 - 1: three digits
    assert classify(21, 6, vu9p) == "lut_mul"  # a 6-bit operand times a narrow constant stays in LUTs
    assert classify(-155, 16, vu9p, simplify=False) == "dsp"
    matrix = np.array([[0, 89, 4], [3, 0, -155]])
    products = constant_products(matrix, 16, vu9p)
    assert products.counts["zero"] == 2 and products.counts["dsp"] == 2 and products.counts["shift"] == 1
    assert products.terms_per_output == 2 and products.nonzero == 4 and products.multipliers == 2


def test_chaining_packs_operations_into_clock_states():
    period = effective_period(200, 0.125)  # 5 ns less 12.5 %: 4.375 ns
    assert period == pytest.approx(4.375)
    # a constant multiply and six adder levels on UltraScale+: 1.94 + 4 x 0.58 fit, two more do not
    packed = chain([Step(1.94)] + [Step(0.58)] * 6, period)
    assert (packed.states, packed.latency) == (2, 1) and packed.starts == (0, 0, 0, 0, 0, 1, 1)
    assert packed.first == pytest.approx(1.94 + 4 * 0.58) and packed.last == pytest.approx(1.16)
    # a registered ROM read starts a new state after it; a step longer than the period spans states
    assert chain([Step(0.5), Step(1.15, latency=1), Step(0.5)], period).states == 2
    assert chain([Step(9.0)], period).states == 3
    with pytest.raises(ValueError, match="must be positive"):
        chain([Step(1.0)], 0.0)


def test_the_top_chains_calls_as_vivado_hls_did():
    # hls4ml's jet tagger on xcu250, Vivado HLS 2019.2 (Hector-Plata/hls4ml-tutorial, myproject.verbose.rpt):
    # each call's first/last state delays and latency; ReLUs of 0.96 ns in between. The report has 14 states.
    calls = [
        Step(3.10, 1, 4.06),
        Step(0.96),
        Step(4.37, 1, 1.35),
        Step(0.96),
        Step(4.02, 1, 1.35),
        Step(0.96),
        Step(3.96, 1, 0.67),
        Step(3.97, 4, 3.69),
    ]
    assert chain(calls, 4.375).latency == 13


def test_delays_are_per_family_and_other_vendors_are_refused():
    assert delays_for(load_device("xcu250")) is FAMILIES["xcup"]
    assert delays_for(load_device("xc7z020")) is FAMILIES["xc7"]
    assert FAMILIES["xc7"].add(16) > FAMILIES["xcup"].add(16) > FAMILIES["xcup"].add(8)
    with pytest.raises(ValueError, match="7-series and UltraScale"):
        parse_options(io="parallel", device="lfe5u-85f")


def test_io_options_are_checked():
    assert parse_options(io="parallel", strategy="Resource").strategy == "resource"
    assert parse_options(io="parallel", clock_uncertainty="12.5%").clock_uncertainty == pytest.approx(0.125)
    for options, message in (
        ({"io": "stream2"}, "io must be one of"),
        ({"io": "parallel", "strategy": "fast"}, "strategy must be one of"),
        ({"strategy": "resource"}, "give it with io='parallel'"),
        ({"clock_uncertainty": 1.5}, r"clock_uncertainty must be a fraction"),
    ):
        with pytest.raises(ValueError, match=message):
            parse_options(**options)


def test_network_layers_of_the_jet_tagger():
    kernel = case("jet_mlp").design(precision=HLS4ML).kernel
    layers = network_layers(kernel)
    assert [(layer.layer, layer.kind) for layer in layers] == [
        ("fc1", "dense"),
        ("relu1", "relu"),
        ("fc2", "dense"),
        ("relu2", "relu"),
        ("fc3", "dense"),
        ("relu3", "relu"),
        ("output", "dense"),
        ("softmax", "softmax"),
    ]
    fc2 = layers[2]
    assert (fc2.n_in, fc2.n_out, fc2.in_bits, fc2.accum_bits) == (64, 32, 16, 16)
    assert fc2.weights.shape == (64, 32) and fc2.weights.dtype == np.int64


def test_io_parallel_schedule_and_estimate_follow_reuse_and_weights():
    jet = case("jet_mlp")
    one = jet.design(io="parallel", precision=HLS4ML, device="xcu250", clock_uncertainty=0.125)
    report = one.report()
    assert report.interval == 1 and 8 <= report.cycles <= 16
    dense = [layer for layer in one.schedule.layers if layer.kind == "dense"]
    multipliers = sum(op.count for layer in dense for op in layer.operators if op.kind == "const_mul_dsp")
    assert report.resources.dsp == multipliers + 5  # the softmax's five multiplies
    four = jet.design(io="parallel", precision=HLS4ML, device="xcu250", clock_uncertainty=0.125, reuse=4).report()
    # the multiplier limit binds at reuse 4: DSPs = ceil(n_in * n_out / 4) per layer, as in hls4ml's reports
    assert four.resources.dsp == 256 + 512 + 256 + 40 + 5 and four.interval == 4 and four.cycles > report.cycles
    slow = jet.design(io="parallel", precision=HLS4ML, device="xc7z020", clock_uncertainty=0.125).report()
    assert slow.cycles > report.cycles  # 7-series operators are slower: fewer chain into one state
    vitis = jet.design(io="parallel", precision=HLS4ML, device="xcu250").report()
    assert vitis.cycles >= report.cycles  # 27 % uncertainty leaves less of the period to chain into


def test_pruned_weights_remove_multipliers_and_adders():
    jet = case("jet_mlp")
    full = jet.design(io="parallel", precision=HLS4ML, device="xcu250")
    kernel = full.kernel
    pruned_constants = []
    for const in kernel.constants:
        value = np.array(const.value)
        if const.name.endswith("kernel"):
            value[np.abs(value) < np.quantile(np.abs(value), 0.75)] = 0.0
        pruned_constants.append(const.__class__(const.name, const.shape, value, const.dtype, const.role, const.op_name))
    from fpgalab.estimate.io_parallel import estimate_parallel  # noqa: PLC0415
    from fpgalab.schedule.io_parallel import schedule_parallel  # noqa: PLC0415

    pruned = estimate_parallel(schedule_parallel(kernel.replace(constants=tuple(pruned_constants)), "xcu250"))
    dense = estimate_parallel(full.schedule)
    assert pruned.total.dsp < 0.35 * dense.total.dsp and pruned.total.lut < 0.5 * dense.total.lut


def test_resource_strategy_uses_the_closest_valid_reuse_and_warns():
    report = case("jet_mlp").design(io="parallel", strategy="resource", reuse=3, precision=HLS4ML).report()
    assert any("reuse factor 3 is not valid for the Resource strategy" in w for w in report.warnings)


def test_resource_strategy_reads_weights_from_rom_and_keeps_every_multiply():
    design = case("jet_mlp").design(io="parallel", strategy="resource", reuse=16, precision=HLS4ML, device="xcu250")
    report = design.report()
    # block_factor = ceil(n_in * n_out / 16) two-variable multiplies per layer, zeros included
    assert report.resources.dsp == 64 + 128 + 64 + 10 + 5
    assert report.resources.bram > 4  # weight ROMs besides the softmax tables
    dense = [layer for layer in design.schedule.layers if layer.kind == "dense"]
    assert all(layer.cycles >= 16 and layer.ii == layer.cycles + 1 for layer in dense)  # not pipelined
    assert report.interval == max(layer.ii for layer in design.schedule.layers)


def test_multiplier_limit_subtracts_pruned_zeros_like_hls4ml():
    from fpgalab.schedule.network import NetLayer  # noqa: PLC0415

    # a 32 x 32 layer pruned to 75 % zeros at reuse 64: DIV_ROUNDUP(1024, 64) - 768 / 64 = 16 - 12 = 4
    layer = NetLayer("fc", "fc", "dense", ("fc",), n_in=32, n_out=32, reuse=64, exact_zeros=768)
    assert layer.multiplier_limit == 4
    assert NetLayer("fc", "fc", "dense", ("fc",), n_in=16, n_out=10, reuse=200, exact_zeros=0).multiplier_limit == 1


def test_io_stream_processes_follow_the_pixels():
    from fpgalab.ir.loops import kernel_shapes  # noqa: PLC0415
    from fpgalab.schedule.network import network_layers, process_kind  # noqa: PLC0415

    lenet = case("lenet5").design(io="stream")
    kernel = lenet.kernel
    kinds = {layer.layer: process_kind(layer, kernel, kernel_shapes(kernel)) for layer in network_layers(kernel)}
    assert kinds["conv1"] == "window" and kinds["pool1"] == "window" and kinds["fc1"] == "frame"
    schedule = lenet.schedule
    conv1 = schedule.layer("conv1")
    # one 28 x 28 input pixel per cycle at reuse 1, then the depth of one window
    assert 28 * 28 < conv1.ii <= 28 * 28 + 8
    assert schedule.interval == max(layer.ii for layer in schedule.layers) + 1
    assert schedule.latency > conv1.ii  # the first input flows through every process
    slower = case("lenet5").design(io="stream", reuse=2).schedule
    assert 2 * 28 * 28 <= slower.layer("conv1").ii and slower.interval > schedule.interval
    report = lenet.report()
    assert report.resources.bram >= 4  # the softmax tables, and the deep pixel FIFOs
    assert any(item.what.startswith("line_buffer") for item in lenet.resources.layer("conv1").items)


def test_io_stream_words_count_every_dimension_but_the_last():
    """A word is the last dimension (a pixel's channels); every other dimension counts words,
    the first too: a leading batch of 1 adds none, a leading 3 is three times the words."""
    from fpgalab.schedule.network import stream_words  # noqa: PLC0415

    assert stream_words((1, 4, 4, 2)) == (16, 2)
    assert stream_words((1, 10)) == (1, 10)
    assert stream_words((3, 6)) == (3, 6)
    assert stream_words((2, 5, 3)) == (10, 3)
    assert stream_words((7,)) == (1, 7)
    assert stream_words(()) == (1, 1)
