"""ResNet-50 on an Alveo U250: fpgalab's estimate next to FINN's published dataflow accelerator on the
same card and to a published GPU perf/W figure for the same model.

The design (io="layered", fpgalab's dataflow architecture; Keras' ResNet-50 with random weights, the
structure sets throughput and resources):

* precision: 2-bit weights (ap_fixed<2,1>), 8-bit activations (ap_fixed<8,4>); FINN's design has
  1-bit weights and 2-bit activations, so fpgalab's datapath is wider than the one measured;
* parallelism per layer in proportion to its multiply-accumulates, so that every layer needs about
  ``TARGET_CYCLES`` cycles a frame (a power of two of lanes, at most ``MAX_LANES``): the dataflow
  balance FINN's folding also aims at; pooling, padding and adds 8 lanes, the stem pool 16;
* every memory packed with ``reshape=True`` (ARRAY_RESHAPE: a layer's lanes read one wide word);
  without it each 2-bit weight lane takes its own UltraRAM and the design needs 8,093 of the
  card's 1,280;
* each memory in block RAM or UltraRAM, chosen greedily on the estimate: all start in block RAM,
  then those saving the most block RAM per UltraRAM move to UltraRAM until block RAM fits.

Published: FINN's ResNet-50 on the U250 (Xilinx FINN blog, L. Petrica, 2020-03-11) and ResNet-50 on
an NVIDIA A2 (MLPerf Inference v2.1, on file in ``fpgalab/cloud/published_gpu.json``).
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import fpgalab
from fpgalab.cloud import deploy
from fpgalab.engines import batch_work
from fpgalab.estimate.resources import estimate_resources

CARD, PART, CLOCK_MHZ, BATCH = "alveo-u250", "xcu250", 200, 256
PRECISION = {"default": "ap_fixed<8,4>", "weight": "ap_fixed<2,1>"}
TARGET_CYCLES = (200_000, 300_000, 400_000)  # cycles per frame each layer aims at; the first that fits is reported
MAX_LANES = 512
FINN_RN50 = {
    "fps": 2000,
    "latency_s": 2e-3,
    "watts_at_max_fps": 70,
    "source": "Xilinx FINN blog, 'ResNet50 for Alveo released' (L. Petrica, 2020-03-11; Xilinx/finn "
    "docs/_posts/2020-03-11-rn50-released.md): Alveo U250, max 2000 FPS, min latency 2 ms, 70 W at max FPS",
}
GPU_FILE = Path(fpgalab.__file__).parent / "cloud" / "published_gpu.json"


def resnet50():
    import keras  # noqa: PLC0415

    model = keras.applications.ResNet50(weights=None, input_shape=(224, 224, 3), classes=1000)
    return model, keras.random.normal((1, 224, 224, 3), seed=1).numpy()


def balanced_parallelism(model, target_cycles: int) -> dict:
    """Lanes per convolution and dense layer: its multiply-accumulates a frame / ``target_cycles``,
    rounded to a power of two, 1 .. MAX_LANES; 8 for the other layers, 16 for the stem's pool."""
    import keras  # noqa: PLC0415

    lanes = {"default": 8, "pool1_pool": 16}
    for layer in model.layers:
        if isinstance(layer, keras.layers.Conv2D):
            kh, kw, cin, _ = layer.kernel.shape
            macs = math.prod(layer.output.shape[1:]) * kh * kw * cin
        elif isinstance(layer, keras.layers.Dense):
            macs = math.prod(layer.kernel.shape)
        else:
            continue
        lanes[layer.name] = min(MAX_LANES, 2 ** max(0, round(math.log2(max(1.0, macs / target_cycles)))))
    return lanes


def _memories(design) -> dict[str, tuple[float, float]]:
    """(block RAM, UltraRAM) of each buffer held in memories, from the design's estimate."""
    report = estimate_resources(design.schedule)
    out: dict = {}
    for layer in report.per_layer:
        for item in layer.items:
            if item.group == "memories" and not item.what.startswith("FIFO"):
                name = item.what.split()[1]
                bram, uram = out.get(name, (0.0, 0.0))
                out[name] = (bram + item.each.bram * item.count, uram + item.each.uram * item.count)
    return out


def place_memories(model, x, lanes: dict, bram_budget: float, uram_budget: float):
    """The design with each memory in block RAM or UltraRAM (greedy, see the module docstring), and
    the storage option that says where."""

    first = fpgalab.compile(model, x, device=PART, clock_mhz=CLOCK_MHZ, precision=PRECISION, parallelism=lanes)
    movable = [b.name for b in first.schedule.buffers if b.role == "activation" and b.channel == "pipo"]

    def build(storage):
        return fpgalab.compile(
            model, x, device=PART, clock_mhz=CLOCK_MHZ, precision=PRECISION, parallelism=lanes,
            storage=storage, reshape={"default": True, **dict.fromkeys(movable, True)},
        )  # fmt: skip

    all_bram = build({"default": "bram", **dict.fromkeys(movable, "bram")})
    in_bram = _memories(all_bram)
    in_uram = _memories(build({"default": "uram", **dict.fromkeys(movable, "uram")}))
    candidates = [n for n in in_bram if n in in_uram and in_uram[n][1] > 0]
    order = sorted(candidates, key=lambda n: -(in_bram[n][0] - in_uram[n][0]) / in_uram[n][1])
    bram = all_bram.report().resources.bram  # memories, tables and FIFOs
    uram, chosen = 0.0, set()
    for name in order:
        if bram <= 0.98 * bram_budget:  # a margin for what the greedy sum does not see
            break
        if uram + in_uram[name][1] > uram_budget:
            continue
        chosen.add(name)
        bram -= in_bram[name][0] - in_uram[name][0]
        uram += in_uram[name][1]
    weights = [n for n in in_bram if n not in movable]
    storage = {"default": "bram", **{n: ("uram" if n in chosen else "bram") for n in [*movable, *weights]}}
    return build(storage), storage


def published_gpu() -> dict:
    figures = json.loads(GPU_FILE.read_text())["figures"]
    return next(f for f in figures if f["model"].startswith("resnet50"))


def resnet50_on_u250() -> tuple[list[str], dict | None]:
    """Markdown lines for bench/CLOUD.md and the figures of the first target that fits (None: none)."""
    from fpgalab.cloud.platform import load_platform  # noqa: PLC0415

    model, x = resnet50()
    available = load_platform(CARD).available()
    gpu = published_gpu()
    lines = [
        "| cycles a layer aims at | lanes (sum) | fits | LUT / BRAM / URAM / DSP | network interval | inferences/s "
        "| batch latency | W | inf/s/W | est. / FINN inf/s | perf/W / FINN | perf/W / GPU |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    result = None
    for target in TARGET_CYCLES:
        lanes = balanced_parallelism(model, target)
        design, storage = place_memories(model, x, lanes, available["bram"], available["uram"])
        report = design.report()
        res = report.resources
        used = f"{res.lut:,.0f} / {res.bram:,.0f} / {res.uram:,.0f} / {res.dsp:,.0f}"
        total = sum(v for k, v in lanes.items() if k != "default")
        interval = f"{report.interval:,} cycles"
        try:
            deployment = deploy(design, CARD, batch=BATCH)
        except ValueError as error:
            why = str(error).split(": ", 1)[-1]
            lines.append(f"| {target:,} | {total:,} | no: {why} | {used} | {interval} | - | - | - | - | - | - | - |")
            continue
        watts = deployment.power().total_w
        row = {
            "target": target,
            "lanes": total,
            "throughput": deployment.throughput,
            "batch_latency": deployment.batch_latency,
            "watts": watts,
            "perf_per_watt": deployment.throughput / watts,
            "binding": deployment.binding,
            "interval": report.interval,
            "latency_cycles": report.cycles,
            "frames_overlapped": CLOCK_MHZ * 1e6 / report.interval,
            "slowest": max(design.schedule.layers, key=lambda layer: layer.cycles),
            "macs": batch_work(design.kernel, 1),
            "unreshaped": fpgalab.compile(
                model, x, device=PART, clock_mhz=CLOCK_MHZ, precision=PRECISION, parallelism=lanes, storage=storage
            )
            .report()
            .resources,
        }
        finn_perf_w = FINN_RN50["fps"] / FINN_RN50["watts_at_max_fps"]
        lines.append(
            f"| {target:,} | {total:,} | yes | {used} | {interval} | {row['throughput']:,.1f} "
            f"| {1e3 * row['batch_latency']:,.0f} ms | {watts:.1f} | {row['perf_per_watt']:.3f} "
            f"| {row['throughput'] / FINN_RN50['fps']:.4f} | {row['perf_per_watt'] / finn_perf_w:.4f} "
            f"| {row['perf_per_watt'] / gpu['perf_per_watt']:.4f} |"
        )
        result = result or row
    return lines, result
