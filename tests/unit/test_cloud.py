"""Cloud deployment: platforms as data, the analytic model of a stream of batches, and the event simulation."""

from __future__ import annotations

import json

import pytest
from conftest import case

from fpgalab.cloud import Deployment, list_platforms, load_platform
from fpgalab.cloud.deploy import transfer_bytes
from fpgalab.cloud.platform import PLATFORM_DIR, read_platform_file
from fpgalab.ir.nodes import Input
from fpgalab.ir.types import FLOAT32, FixedType

F1 = dict(precision="ap_fixed<16,6>", device="xcvu9p", clock_mhz=250)
_DESIGNS: dict = {}


def design(name: str, **options):
    """A compiled test case (cached: deployment never changes a design)."""
    key = (name, tuple(sorted(options.items())))
    if key not in _DESIGNS:
        _DESIGNS[key] = case(name).design(**{**F1, **options})
    return _DESIGNS[key]


def handmade(tmp_path, name: str, realistic_gbps: float | None = None, lut_left: int | None = None):
    """The F1 platform with slower banks or a shell leaving only ``lut_left`` LUTs (a test card)."""
    data = json.loads((PLATFORM_DIR / "aws-f1.json").read_text())
    data["name"], data["aliases"] = name, [name]
    if realistic_gbps is not None:
        data["banks"][0]["realistic_gbps"] = realistic_gbps
    if lut_left is not None:
        data["shell"]["lut"] = 1_182_240 - lut_left
    path = tmp_path / f"{name}.json"
    path.write_text(json.dumps(data))
    return read_platform_file(path)


# ---------------------------------------------------------------- platforms


def test_every_platform_loads_with_a_source_for_each_number():
    names = {p.name for p in list_platforms()}
    assert names == {"aws-f1", "aws-f2", "alveo-u250", "alveo-u280", "alveo-u55c"}
    for platform in list_platforms():
        assert platform.device.name == platform.part
        assert all(text.strip() for text in platform.sources.values())
        rows = platform.figures()
        assert all(source.strip() for _, _, source in rows) and len(rows) >= 12
        assert all(v >= 0 for v in platform.available().values())
        lanes_gt = {3: 8.0, 4: 16.0}[platform.pcie.generation] * platform.pcie.lanes
        assert platform.pcie.peak_gbps == pytest.approx(lanes_gt * 128 / 130 / 8, rel=1e-3)
        assert platform.pcie.host_to_card_gbps < platform.pcie.peak_gbps


def test_platform_numbers_match_their_datasheets():
    u55c, u280, u250 = load_platform("u55c"), load_platform("alveo-u280"), load_platform("U250")
    hbm = [b for b in u55c.banks if b.kind == "HBM2"]
    assert len(hbm) == 32 and sum(b.peak_gbps for b in hbm) == pytest.approx(460)  # DS978, UG1393
    assert sum(b.size_bytes for b in hbm) == 16 * 2**30
    assert sum(b.size_bytes for b in u280.banks if b.kind == "HBM2") == 8 * 2**30  # DS963
    assert sum(b.peak_gbps for b in u250.banks) == pytest.approx(76.8)  # DS962: 77 GB/s
    assert (u55c.board_power_w, u280.board_power_w, u250.board_power_w) == (150, 225, 225)
    assert load_platform("f1").part == "xcvu9p" and load_platform("aws-f2").part == "xcvu47p"


def test_unknown_platform_names_the_known_ones():
    with pytest.raises(ValueError, match=r"unknown platform 'f3'.*alveo-u250 \(u250.*aws-f1 \(f1"):
        load_platform("f3")
    with pytest.raises(ValueError, match="unknown platform"):
        design("jet_mlp").deploy("vcu118", batch=16)


# ---------------------------------------------------------------- bytes on the wire


def test_packing_and_conversion_set_the_bytes_moved():
    x = Input("x", (16,), FixedType(6, 3))
    assert (
        transfer_bytes([x], 64, 512, pack=True, convert="host") == 13 * 64
    )  # 85 whole words per beat: 1024 words in 13 beats
    assert transfer_bytes([x], 1, 512, pack=True, convert="host") == 64  # one beat
    assert transfer_bytes([x], 64, 512, pack=False, convert="host") == 64 * 16 * 64  # one value a word
    assert transfer_bytes([x], 64, 512, pack=True, convert="kernel") == 64 * 16 * 4  # float32
    assert transfer_bytes([Input("f", (16,), FLOAT32)], 64, 512, pack=True, convert="host") == 64 * 16 * 4
    # 16-bit words: 32 per 512-bit beat; 5 x 3 words = 15 -> one beat
    assert transfer_bytes([Input("y", (5,), FixedType(16, 6))], 3, 512, pack=True, convert="host") == 64
    # whole samples a word: 96 bits a sample, 5 samples a word; 18 x 16 = 288 bits: one sample a word
    assert transfer_bytes([x], 64, 512, pack="sample", convert="host") == 13 * 64
    assert transfer_bytes([Input("z", (18,), FixedType(16, 6))], 64, 512, pack="sample", convert="host") == 64 * 64
    assert transfer_bytes([Input("z", (18,), FixedType(16, 6))], 64, 512, pack="dense", convert="host") == 36 * 64
    # a sample larger than a word starts a new one: 40 values of 16 bits take 2 words
    assert transfer_bytes([Input("w", (40,), FixedType(16, 6))], 3, 512, pack="sample", convert="host") == 6 * 64
    with pytest.raises(ValueError, match="pack must be 'sample'"):
        transfer_bytes([x], 1, 512, pack="tight", convert="host")


def test_the_kernel_loop_costs_what_the_exported_loop_does():
    from fpgalab.cloud.layout import Layout, batch_cycles

    x, y = Layout("sample", 16, 18, 512), Layout("sample", 16, 1, 512)
    # one pipeline: a sample every max(interval, words a sample) cycles
    assert batch_cycles(100, [x], [y], latency=9, interval=1, pipelined_loop=True) == 99 + 9 + 2
    big = Layout("sample", 16, 40, 512)  # two words a sample
    assert batch_cycles(100, [big], [y], latency=9, interval=1, pipelined_loop=True) == 99 * 2 + 9 + 2
    # a sample at a time: its words (values one a cycle when dense), the latency, its outputs
    dense = Layout("dense", 16, 18, 512)
    assert batch_cycles(10, [dense], [Layout("dense", 16, 1, 512)], 9, 1, False) == 10 * (18 + 9 + 1)
    assert batch_cycles(10, [x], [y], 9, 1, False) == 10 * (1 + 9 + 1)


# ---------------------------------------------------------------- the analytic model against the event simulation


def _agree(deployment: Deployment, binding: str, batches: int = 96):
    assert deployment.binding == binding, (deployment.binding, deployment.loads())
    events = deployment.simulate(batches)
    assert events.throughput == pytest.approx(deployment.throughput, rel=0.02)
    times = events.batches
    assert all(t.start <= t.kernel_start <= t.kernel_end <= t.end for t in times)
    assert {t.compute_unit for t in times} == set(range(deployment.compute_units))
    return events


def test_pcie_binds_a_fast_kernel_with_one_and_two_compute_units():
    fast = design("jet_mlp", io="parallel")  # interval 1 cycle, 16 inputs per sample
    one = fast.deploy("aws-f1", batch=1024, compute_units=1, convert="kernel")
    _agree(one, "pcie")
    auto = fast.deploy("aws-f1", batch=1024)  # 3337 DSPs each: two fit
    assert auto.compute_units == 2
    _agree(auto, "pcie")
    assert auto.throughput == pytest.approx(1024 / auto.costs.host_to_card)


def test_kernel_binds_a_slow_kernel_with_one_and_four_compute_units():
    slow = design("jet_mlp")  # fpgalab's layered design: latency 5,000-odd cycles, interval 2338
    one = slow.deploy("f1", batch=256, compute_units=1)
    events = _agree(one, "kernel")
    assert events.batches[0].end == pytest.approx(one.batch_latency)  # the first batch waits for nothing
    kernel_starts = [t.kernel_start for t in events.batches]
    gaps = {round(b - a, 12) for a, b in zip(kernel_starts, kernel_starts[1:])}
    assert gaps == {round(one.costs.kernel, 12)}  # the CU never idles: transfers hide behind it
    four = slow.deploy("f1", batch=256)  # as many as the four DDR banks allow
    assert four.compute_units == 4
    _agree(four, "kernel", batches=128)
    assert four.throughput == pytest.approx(4 * one.throughput)
    # a layered network with whole samples a word: a dataflow loop, a sample every interval
    report = slow.report()
    assert one.loop_kind == "dataflow" and report.interval < report.cycles
    assert one.costs.compute == pytest.approx((255 * report.interval + report.cycles + 2) / 250e6)
    # values back to back: a lane counter carries from sample to sample, so a sample at a time
    dense = slow.deploy("f1", batch=256, compute_units=1, pack=True)
    assert dense.loop_kind == "sample" and not dense.pipelined
    assert dense.costs.compute == pytest.approx(256 * (16 + report.cycles + 5) / 250e6)  # a value a cycle


def test_bank_binds_when_outputs_are_as_large_as_inputs(tmp_path):
    wide = design("vecmul_64", io="parallel")  # 2 x 64 words in, 64 out, one sample per cycle
    _agree(wide.deploy("aws-f1", batch=4096, compute_units=1), "bank")
    slow = handmade(tmp_path, "slow-banks", realistic_gbps=2.0)  # a card whose banks are slower than PCIe
    several = wide.deploy(slow, batch=4096, compute_units=3)
    _agree(several, "bank")
    assert several.throughput == pytest.approx(
        3 * 4096 * 2.0e9 / (several.costs.input_bytes + several.costs.output_bytes)
    )


def test_narrow_axi_ports_and_what_fits_bind(tmp_path):
    wide = design("vecmul_64", io="parallel")
    _agree(wide.deploy("aws-f1", batch=1024, compute_units=4, axi_width=32), "axi")
    slow = design("jet_mlp")  # 697 LUTs each
    small = handmade(tmp_path, "small-card", lut_left=1500)
    fit = slow.deploy(small, batch=64)
    assert fit.compute_units == fit.fit_limit == 2
    _agree(fit, "fit")


def test_host_time_binds_and_the_simulation_still_agrees():
    deployment = design("jet_mlp", device="xcu250", clock_mhz=300).deploy(
        "u250", batch=256, host_seconds_per_sample=50e-6
    )
    _agree(deployment, "host")
    assert deployment.throughput == pytest.approx(1 / 50e-6)


def test_timeline_and_latencies():
    deployment = design("jet_mlp").deploy("f1", batch=256, compute_units=2, banks=["DDR[2]", "DDR[0]"])
    stages = deployment.timeline()
    assert [s.resource for s in stages][:2] == ["host", "pcie host->card"]
    assert "DDR[2]" in stages[2].name
    c = deployment.costs
    assert deployment.batch_latency == pytest.approx(c.host_to_card + c.kernel + c.card_to_host)
    report = deployment.report()
    assert report.binding == "kernel" and report.banks == ("DDR[2]", "DDR[0]")
    alone = deployment.inference_latency
    assert alone < deployment.batch_latency
    assert alone > design("jet_mlp").report().cycles / 250e6 + 2 * 5e-6  # the kernel's latency and two DMA overheads
    assert "inferences/s" in str(report) and "compute" in report.gantt()


# ---------------------------------------------------------------- errors


def test_clear_errors_for_what_does_not_fit():
    fast = design("jet_mlp", io="parallel")
    with pytest.raises(ValueError, match="3 compute units of jet_mlp do not fit aws-f1.*3337 dsp.*at most 2 fit"):
        fast.deploy("aws-f1", batch=64, compute_units=3)
    with pytest.raises(ValueError, match="5 compute units on aws-f1: each needs its own memory bank and there are 4"):
        design("jet_mlp").deploy("aws-f1", batch=64, compute_units=5)
    big = design("conv2d_64", device="xcu280", clock_mhz=300)
    with pytest.raises(ValueError, match=r"a batch of 40000 needs .* bytes in HBM\[0\].*use batch <= \d+"):
        big.deploy("u280", batch=40000, compute_units=1)
    with pytest.raises(ValueError, match="each compute unit needs its own bank"):
        design("jet_mlp").deploy("f1", batch=64, compute_units=2, banks=["DDR[1]", "DDR[1]"])
    with pytest.raises(ValueError, match=r"aws-f1 has no memory bank 'HBM\[0\]'; its banks are DDR\[0\]..DDR\[3\]"):
        design("jet_mlp").deploy("f1", batch=64, compute_units=1, banks=["HBM[0]"])
    with pytest.raises(ValueError, match="axi_width must be one of"):
        design("jet_mlp").deploy("f1", batch=64, axi_width=100)
    with pytest.raises(ValueError, match="batch must be a positive integer"):
        design("jet_mlp").deploy("f1", batch=0)
    with pytest.raises(ValueError, match="clocked at 400 MHz; aws-f1 kernels run at most 300 MHz"):
        design("jet_mlp", clock_mhz=400).deploy("f1", batch=64)
