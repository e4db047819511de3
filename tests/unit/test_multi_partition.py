"""design.partition: the split over devices is optimal (against brute force), the event simulation of
the pipeline agrees with the analytic interval and latency, and bad input is refused clearly."""

from __future__ import annotations

import itertools

import pytest
from conftest import case

import fpgalab  # noqa: F401  (attaches Design.partition)
from fpgalab.estimate.report import utilization
from fpgalab.multi import list_links, load_link, partition
from fpgalab.multi.stages import StageCosts, cut_tensors, tensors
from fpgalab.parts import load_device

DESIGNS = {
    "lenet5-stream": ("lenet5", {"io": "stream", "reuse": 16, "strategy": "resource"}),
    "lenet5-parallel": ("lenet5", {"io": "parallel", "reuse": 16, "strategy": "resource"}),
    "jet-parallel": ("jet_mlp", {"io": "parallel", "reuse": 1}),
    "lenet5-layered": ("lenet5", {"dataflow": True}),
    "mobilenet-stream": ("mobilenet_v1_small", {"io": "stream", "reuse": 32, "strategy": "resource"}),
}
_BUILT: dict = {}


def built(key):
    if key not in _BUILT:
        name, options = DESIGNS[key]
        _BUILT[key] = case(name).design(**options)
    return _BUILT[key]


def brute_force(design, devices, link, limit):
    """Every split into len(devices) non-empty contiguous stages: (interval, latency) of the best."""
    costs, clock, link = StageCosts(design), design.options.clock_mhz * 1e6, load_link(link)
    parts = [load_device(d) for d in devices]
    all_tensors = tensors(design)
    n = len(design.schedule.layers)
    best = None
    for inner in itertools.combinations(range(1, n), len(devices) - 1):
        bounds = (0, *inner, n)
        stages = [costs(i, j) for i, j in zip(bounds, bounds[1:])]
        if any(utilization(s.resources, p).max > limit for s, p in zip(stages, parts)):
            continue
        hops = [link.hop_seconds(sum(t.nbytes for t in cut_tensors(all_tensors, j))) for j in inner]
        interval = max([s.interval / clock for s in stages] + [max(h) for h in hops])
        latency = sum(s.latency / clock for s in stages) + sum(sum(h) for h in hops)
        if (
            best is None
            or interval < best[0] * (1 - 1e-12)
            or (interval <= best[0] * (1 + 1e-12) and latency < best[1])
        ):
            best = (interval, latency)
    return best


@pytest.mark.parametrize("key", list(DESIGNS))
@pytest.mark.parametrize("count", [2, 3, 4])
@pytest.mark.parametrize("link", ["pcie-host", "qsfp28-100g"])
def test_split_is_optimal_against_brute_force(key, count, link):
    design = built(key)
    whole = design.resources.utilization.max
    for limit in (1.0, min(1.0, whole * 0.6), min(1.0, whole * 0.35)):
        expected = brute_force(design, ["xcvu9p"] * count, link, limit)
        if expected is None:
            with pytest.raises(ValueError, match="does not fit|alone needs"):
                partition(design, ["xcvu9p"] * count, link, max_utilization=limit)
            continue
        split = partition(design, ["xcvu9p"] * count, link, max_utilization=limit)
        assert split.interval_s == pytest.approx(expected[0], rel=1e-9)
        assert split.latency_s == pytest.approx(expected[1], rel=1e-9)
        assert [s.stop for s in split.stages][-1] == len(design.schedule.layers)
        assert all(s.utilization.max <= limit for s in split.stages)


def test_split_over_different_parts_uses_each_parts_capacity():
    design = built("lenet5-layered")
    devices = ["xczu9eg", "xcvu9p", "xcu250"]
    limit = 0.6 * design.resources.utilization.max * load_device("xcvu9p").bram / load_device("xczu9eg").bram
    expected = brute_force(design, devices, "pcie-host", limit)
    split = design.partition(devices, link="pcie-host", max_utilization=limit)
    assert split.interval_s == pytest.approx(expected[0], rel=1e-9)
    assert [s.device for s in split.stages] == ["xczu9eg", "xcvu9p", "xcu250"]


@pytest.mark.parametrize("key", ["lenet5-stream", "lenet5-parallel", "lenet5-layered", "jet-parallel"])
def test_one_device_is_the_design_itself(key):
    design = built(key)
    split = design.partition(["xcvu9p"])
    clock = design.options.clock_mhz * 1e6
    assert split.stages[0].interval_cycles == design.timing.interval
    assert split.interval_s == pytest.approx(design.timing.interval / clock)
    assert split.latency_s == pytest.approx(design.timing.latency / clock)
    assert split.cuts == ()
    assert split.binding == "stage 0"
    if design.schedule.architecture == "stream":  # the stage chain of io_stream, run over every process
        assert StageCosts(design)._stream_latency(0, len(design.schedule.layers)) == design.timing.latency


def test_cut_tensors_are_what_the_later_stages_read():
    design = built("lenet5-stream")
    split = design.partition(["xcvu9p"] * 3, link="qsfp28-100g")
    buffers = design.kernel.buffers()
    for cut in split.cuts:
        assert cut.tensors, "a cut of a chain carries at least one tensor"
        for t in cut.tensors:
            elements = 1
            for size in buffers[t.name].shape:
                elements *= size
            assert t.nbytes == -(-elements * t.bits // 8)
        assert cut.latency_s == pytest.approx(split.link.transfer_seconds(cut.nbytes))
        assert cut.interval_s == pytest.approx(split.link.interval_seconds(cut.nbytes))
    report = split.report()
    assert len(report.stages) == 3 and len(report.cuts) == 2
    assert "binds" in str(report) and "cut 0->1" in str(report)
    assert report.to_dict()["binding"] == split.binding


@pytest.mark.parametrize(
    "key, devices, link",
    [
        ("lenet5-stream", ["xcvu9p"] * 2, "pcie-host"),
        ("lenet5-stream", ["xcvu9p"] * 4, "qsfp28-100g"),
        ("lenet5-parallel", ["xcvu9p"] * 3, "f1-p2p"),
        ("lenet5-layered", ["xcvu9p"] * 2, "qsfp28-100g"),
        ("jet-parallel", ["xcvu9p", "xcu250", "xcvu9p"], "pcie-host"),
        ("mobilenet-stream", ["xcvu9p"] * 4, "qsfp28-100g"),
        ("mobilenet-stream", ["xcvu9p"] * 6, "pcie-host"),
    ],
)
def test_event_simulation_matches_the_analytic_pipeline(key, devices, link):
    split = built(key).partition(devices, link=link)
    timing = split.simulate(frames=64)
    assert timing.interval_s == pytest.approx(split.interval_s, rel=0.02)
    assert timing.latency_s == pytest.approx(split.latency_s, rel=0.02)
    # the binding element is busy every interval: the frames leave one interval apart
    gaps = [b - a for a, b in zip(timing.stage_ends[-1][32:], timing.stage_ends[-1][33:])]
    assert max(gaps) == pytest.approx(split.interval_s, rel=0.02)


def test_single_buffers_slow_the_pipeline_down():
    """With one frame buffer per side a stage waits for the link to drain: the simulation shows it."""
    split = built("lenet5-stream").partition(["xcvu9p"] * 3, link="pcie-host")
    assert split.simulate(buffers=1).interval_s >= split.simulate(buffers=2).interval_s


def test_more_devices_than_layers_is_refused():
    design = built("lenet5-stream")
    n = len(design.schedule.layers)
    with pytest.raises(ValueError, match=f"has {n} layer\\(s\\) and cannot be split over {n + 1} devices"):
        design.partition(["xcvu9p"] * (n + 1), link="qsfp28-100g")


def test_a_layer_that_fits_no_part_is_named():
    design = built("lenet5-stream")
    with pytest.raises(ValueError, match=r"layer .* alone needs .* of xcvu9p.*no stage holding it fits"):
        design.partition(["xcvu9p"] * 2, max_utilization=1e-6)


def test_bad_names_and_limits_are_refused():
    design = built("lenet5-stream")
    with pytest.raises(ValueError, match="unknown device 'xcnope'"):
        design.partition(["xcvu9p", "xcnope"])
    with pytest.raises(ValueError, match="unknown link 'carrier-pigeon'; known links: pcie-host"):
        design.partition(["xcvu9p"] * 2, link="carrier-pigeon")
    with pytest.raises(ValueError, match="max_utilization must be a fraction"):
        design.partition(["xcvu9p"] * 2, max_utilization=1.5)
    with pytest.raises(ValueError, match="non-empty list of part names"):
        design.partition([])
    with pytest.raises(ValueError, match="link 'f1-p2p' joins at most 4 devices"):
        design.partition(["xcvu9p"] * 5, link="f1-p2p")
    with pytest.raises(ValueError, match="1sx280 count theirs in other units"):
        design.partition(["xcvu9p", "1sx280"])
    with pytest.raises(ValueError, match="frames must be an integer"):
        design.partition(["xcvu9p"] * 2).simulate(frames=2)


def test_links_carry_their_sources():
    for link in list_links():
        assert link.hops and all(h.gbytes_per_s > 0 and h.latency_us >= 0 for h in link.hops)
        for key in ("gbytes_per_s", "latency_us"):
            assert any(key in k or k in ("card->host", "host->card") for k in link.sources), (link.name, key)
        assert load_link(link.aliases[0]) is link
    pcie = load_link("pcie-host")
    assert pcie.transfer_seconds(11e9) == pytest.approx(11e9 / 12.1e9 + 1 + 2 * 5.3e-6)
    assert pcie.interval_seconds(11e9) == pytest.approx(1 + 5.3e-6)  # the host->card hop: the two DMAs overlap


def test_a_network_too_large_for_the_devices_given_is_refused():
    """Every layer fits one part, but no split over two does: the error says so and what to change."""
    design = built("lenet5-stream")
    costs, part = StageCosts(design), load_device("xcvu9p")
    limit = 1.01 * max(utilization(costs(k, k + 1).resources, part).max for k in range(len(design.schedule.layers)))
    expected = brute_force(design, ["xcvu9p"] * 2, "pcie-host", limit)
    assert expected is None
    with pytest.raises(ValueError, match=r"does not fit 2 x xcvu9p at .*% utilisation in any split of its 8 layers"):
        design.partition(["xcvu9p"] * 2, max_utilization=limit)
    assert len(design.partition(["xcvu9p"] * 6, max_utilization=limit).stages) == 6
