"""Cloud benchmark (issue 15): the jet-tagging MLP and a CIFAR-size CNN on AWS F1 and an Alveo U55C,
next to TensorFlow on this machine's CPU and published GPU figures.

    .venv/bin/python bench/run_cloud.py [--runs 5] [--batch 256] [--write]

For each model and card: the design compiled for the card's part at 250 MHz, ``design.deploy`` at
--batch with the compute units that fit ("auto"), and from the deployment its throughput, the
latency of one batch and of one inference sent alone, the binding resource and the watts when the
deployment has a power model. ``deployment.compare`` times the same Keras model in TensorFlow on this
CPU in the same run (one thread, and all threads; one process each, median of --runs timed runs
after warm-up, at the same batch size) and lists the published GPU figures on file. --write writes
bench/CLOUD.md.

Models: ``examples.models.jet_mlp`` (16-64-32-32-5) in io="parallel" (hls4ml's latency strategy,
reuse 1); ``cifar_cnn`` below, a small VGG-like CNN on 32x32x3 with random weights (the structure
sets the throughput), in io="stream" with strategy="resource" and reuse 16, the first of the
architectures tried here that fits both parts (io="parallel" at reuse 1..16 needs more than the
parts' 1.2-1.3 M LUTs; reuse 32 parallel fits the U55C only).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402

import fpgalab  # noqa: E402
from examples import models  # noqa: E402
from fpgalab.cloud import deploy  # noqa: E402
from fpgalab.engines import batch_work  # noqa: E402

sys.path.insert(0, str(ROOT / "bench"))
from cloud_facile import SOURCE as FACILE_SOURCE  # noqa: E402
from cloud_facile import facile_against_published  # noqa: E402
from cloud_resnet50 import BATCH as RN50_BATCH  # noqa: E402
from cloud_resnet50 import CLOCK_MHZ as RN50_CLOCK  # noqa: E402
from cloud_resnet50 import FINN_RN50, published_gpu, resnet50_on_u250  # noqa: E402

OUT = ROOT / "bench" / "CLOUD.md"
CARDS = (("aws-f1", "xcvu9p"), ("alveo-u55c", "xcu55c"))
CLOCK_MHZ = 250
PRECISION = "ap_fixed<16,6>"


def cifar_cnn(seed: int = 0):
    """conv3x3(16)-pool-conv3x3(32)-pool-conv3x3(64)-pool-dense(64)-dense(10) on 32x32x3, random weights."""
    keras.utils.set_random_seed(seed)
    layers = keras.layers
    return keras.Sequential(
        [
            keras.Input((32, 32, 3), name="image"),
            layers.Conv2D(16, 3, activation="relu", name="conv1"),
            layers.MaxPooling2D(2, name="pool1"),
            layers.Conv2D(32, 3, activation="relu", name="conv2"),
            layers.MaxPooling2D(2, name="pool2"),
            layers.Conv2D(64, 3, activation="relu", name="conv3"),
            layers.MaxPooling2D(2, name="pool3"),
            layers.Flatten(name="flatten"),
            layers.Dense(64, activation="relu", name="fc1"),
            layers.Dense(10, activation="softmax", name="fc2"),
        ],
        name="cifar_cnn",
    )


def jet_mlp():
    example = models.jet_mlp()
    return example.fn, example.args[0]


def cnn():
    model = cifar_cnn()
    x = keras.random.normal((1, 32, 32, 3), seed=1).numpy()
    return model, x


MODELS = {
    "jet_mlp": (jet_mlp, {"io": "parallel"}),
    "cifar_cnn": (cnn, {"io": "stream", "strategy": "resource", "reuse": 16}),
}


def measure(name: str, batch: int, runs: int) -> list[dict]:
    build, options = MODELS[name]
    model, x = build()
    results, cpu = [], None
    for platform, part in CARDS:
        design = fpgalab.compile(model, x, precision=PRECISION, device=part, clock_mhz=CLOCK_MHZ, **options)
        deployment = deploy(design, platform, batch=batch)
        if cpu is None:  # the CPU does not depend on the card: time it once per model
            cpu = deployment.compare(model, x=x, batches=(batch,), runs=runs, published="all")
            print(cpu.table(), flush=True)
        print(deployment.report(), flush=True)
        results.append({"design": design, "deployment": deployment, "cpu": cpu, "options": options})
    return results


def resnet50_section(resnet: tuple[list[str], dict | None]) -> list[str]:
    table, row = resnet
    gpu = published_gpu()
    finn_w = FINN_RN50["fps"] / FINN_RN50["watts_at_max_fps"]
    lines = [
        f"Published: FINN's ResNet-50 on the U250, {FINN_RN50['fps']:,} inferences/s, "
        f"{FINN_RN50['latency_s'] * 1e3:g} ms, {FINN_RN50['watts_at_max_fps']} W ({finn_w:.1f} inferences/s/W); "
        f"source: {FINN_RN50['source']}. GPU: {gpu['gpu']}, {gpu['perf_per_watt']} inferences/s/W; "
        f"source: {gpu['source']}.",
        "",
        f"fpgalab's estimate of Keras' ResNet-50 (random weights) on the same card at {RN50_CLOCK} MHz, batch "
        f"{RN50_BATCH}, built as `bench/cloud_resnet50.py` describes: 2-bit weights, 8-bit activations, each "
        "layer's lanes in proportion to its multiply-accumulates, every memory reshaped (`reshape=True`, "
        "ARRAY_RESHAPE) and placed in block RAM or UltraRAM greedily.",
        "",
        *table,
        "",
    ]
    if row is None:
        return lines + ["No design tried here fits the U250, so there is no ratio."]
    bare = row["unreshaped"]
    return lines + [
        f"Without `reshape` (each bank a memory of its own, the rest alike) the design that fits needs "
        f"{bare.bram:,.0f} block RAMs and {bare.uram:,.0f} UltraRAMs: a 2-bit weight lane alone in a 72-bit word.",
        "",
        f"The design that fits runs {row['throughput']:,.1f} inferences/s at {row['perf_per_watt']:.3f} inferences/s/W: "
        f"{row['throughput'] / FINN_RN50['fps']:.3f} of FINN's throughput, {row['perf_per_watt'] / finn_w:.3f} of its "
        f"perf/W and {row['perf_per_watt'] / gpu['perf_per_watt']:.3f} of the A2's. What the comparison rests on:",
        "",
        "- The kernel's batch loop is a dataflow region (read, network, write), so frames overlap: a frame every",
        f"  {row['interval']:,} cycles (the network's interval), the first after {row['latency_cycles']:,}, since each",
        "  layer fills a whole frame buffer before the next layer starts on it: the latency is "
        f"{row['latency_cycles'] / row['interval']:.0f} intervals. FINN streams",
        f"  frames through its layers with line buffers: its latency (2 ms) is "
        f"{FINN_RN50['latency_s'] * FINN_RN50['fps']:.0f} of its intervals.",
        f"- The interval is above the cycles the layers aim at: the slowest layer, {row['slowest'].layer}, takes "
        f"{row['slowest'].cycles:,} cycles",
        "  (lanes are rounded to a power of two and capped), and a residual block's shortcut is a ping-pong pair",
        "  that the block's add reads three layers on: its writer waits for a free buffer",
        "  (`fpgalab.schedule.timing`), so a block's layers share two frames' time.",
        "- fpgalab's datapath is wider (8-bit activations against FINN's 2-bit, 2-bit weights against 1-bit).",
        "- The GPU figure is per watt of the whole server (MLPerf's measured system power); the FPGA's is per watt of",
        "  the card, which flatters the FPGA.",
    ]


def _cell(value, fmt: str) -> str:
    return "-" if value is None else fmt.format(value)


def markdown(
    results: dict[str, list[dict]], batch: int, runs: int, resnet: tuple[list[str], dict | None], facile: list[str]
) -> str:
    first = next(iter(results.values()))[0]["cpu"]
    one = first.cpu("1", batch)
    lines = [
        "# Cloud FPGA deployments next to the CPU and GPU (issue 15)",
        "",
        f"Written by `bench/run_cloud.py --runs {runs} --batch {batch} --write`. FPGA figures are **estimates** of",
        "fpgalab's card model (`fpgalab.cloud.deploy`, nothing was built or run on a card); CPU figures are",
        "**measured** here in the same run; GPU figures are **published** (not run here).",
        "",
        f"- designs: {PRECISION}, {CLOCK_MHZ} MHz, batch {batch}, compute units `auto` (as many as fit and have a bank)",
        f"- CPU: {one.device.split(': ')[0].removeprefix('CPU ')} (`os.cpu_count()`), "
        f"{one.device.split(': ')[-1].split(',')[0]}; median of {runs} timed runs after warm-up,",
        "  a process per thread setting; the machine's two cores are shared with other jobs, so the all-threads",
        "  rows are pessimistic (for the small MLP they are slower than one thread)",
        "",
        "| model | card | architecture | CUs | inferences/s | batch latency | one inference | binds | W | inf/s/W "
        "| x TF 1 thread | x TF all threads | perf/W x GPU | MAC/s/W x GPU |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    gpu_figure, rn50 = published_gpu(), resnet[1]
    gpu_macs_w = gpu_figure["perf_per_watt"] * rn50["macs"] if rn50 else None  # the A2's MAC/s/W on ResNet-50
    for name, rows in results.items():
        for entry in rows:
            dep, comparison = entry["deployment"], entry["cpu"]
            cpu1, cpu_all = comparison.cpu("1", batch), comparison.cpu("all", batch)
            watts = dep.report().watts  # fpgalab.cloud.power at 12.5% toggle
            perf_w = dep.throughput / watts
            gpu = [row for row in comparison.by_kind("published") if row.model == name and row.perf_per_watt]
            versus_gpu = perf_w / gpu[0].perf_per_watt if perf_w and gpu else None  # the same model only
            arch = ", ".join(f"{k}={v}" for k, v in entry["options"].items())
            macs_w = perf_w * batch_work(entry["design"].kernel, 1)
            versus_gpu_macs = macs_w / gpu_macs_w if gpu_macs_w else None
            lines.append(
                f"| {name} | {dep.platform.name} | {arch} | {dep.compute_units} | {dep.throughput:,.0f} "
                f"| {dep.batch_latency * 1e6:,.1f} us | {dep.inference_latency * 1e6:,.1f} us | {dep.binding} "
                f"| {_cell(watts, '{:.1f}')} | {_cell(perf_w, '{:,.0f}')} "
                f"| {dep.throughput / cpu1.throughput:,.1f} | {dep.throughput / cpu_all.throughput:,.1f} "
                f"| {_cell(versus_gpu, '{:.2f}')} | {_cell(versus_gpu_macs, '{:.3f}')} |"
            )
    lines += [
        "",
        "FPGA x TF: the FPGA's estimated throughput over TensorFlow's measured one, same batch size.",
        "perf/W x GPU: against a published GPU figure for the same model (none on file for these two).",
        "MAC/s/W x GPU: multiply-accumulates a second per watt (fpgalab's count of the model's dot products and",
        "convolutions, `fpgalab.engines.batch_work`) against the A2's on ResNet-50 (its published inferences/s/W",
        f"x {rn50['macs'] / 1e9:.2f} G multiply-accumulates an image, counted the same way)." if rn50 else "",
        "A GPU is usually less efficient on a model this small than on ResNet-50 (kernel launches and",
        "synchronisation weigh more against little arithmetic), so this ratio likely flatters the GPU.",
    ]
    lines += ["", "## TensorFlow on this CPU (measured, same run)", ""]
    lines += ["| model | threads | batch | inferences/s | batch time |", "|---|---|---|---|---|"]
    for name, rows in results.items():
        comparison = rows[0]["cpu"]
        for row in comparison.by_kind("measured"):
            lines.append(
                f"| {name} | {row.threads} | {row.batch} | {row.throughput:,.0f} | {row.batch_seconds * 1e3:,.3f} ms |"
            )
    lines += ["", "## GPU (published, not run here)", ""]
    for row in first.by_kind("published"):
        lines.append(
            f"- {row.device}, model {row.model}: {_cell(row.perf_per_watt, '{:.2f}')} inferences/s/W. {row.source}"
        )
    lines += ["", "## FACILE on an Alveo U55C against a published hls4ml measurement", ""]
    lines += [
        f"Published: {FACILE_SOURCE}. The model, layout, batch and compute units as the published kernel",
        "(`bench/cloud_facile.py` says where each comes from); estimate / published is the error a user sees,",
        "nothing in the card model was fitted to it.",
        "",
        *facile,
        "",
        "Both are PCIe-bound (the published throughput stops growing from 3 to 4 CUs at about 7.4 GB/s of input).",
        "The model is optimistic by about 1.5x there: it takes the 11 GB/s XDMA rate measured by a DMA test",
        "(`fpgalab/cloud/platforms/alveo-u55c.json`) and no host work, while the published host copies each",
        "run's 1 MiB of inputs with memcpy inside the timed loop; with fewer buffers per CU than the model's two",
        "the published runs lose the overlap of transfers and kernel that the model assumes.",
    ]
    lines += ["", "## ResNet-50 on an Alveo U250: against FINN's accelerator and a published GPU figure", ""]
    lines += resnet50_section(resnet)
    lines += ["", *NOTES]
    return "\n".join(lines) + "\n"


NOTES = [
    "## What the comparisons mean, and what is missing",
    "",
    "- **Power**: the card's watts are `fpgalab.cloud.power`'s estimate at a 12.5% toggle rate (its module docstring",
    "  gives every coefficient's source and the model's limits: per-resource figures from one published U50",
    "  report_power, DSP fitted to one published total, HBM/DDR energy per bit estimates, card idle measured on",
    "  a U55C and estimated for the others); perf/W is the estimated throughput over those watts.",
    "- **GPU**: the only published GPU figure on file is ResNet-50 on an NVIDIA A2 (MLPerf Inference v2.1, system",
    "  power), so perf/W against a GPU is given for ResNet-50 (the section above), the same model on both. The",
    "  jet MLP and `cifar_cnn` have no published GPU figure on file (ResNet-50 has billions of multiply-accumulates",
    "  per image against about 1.5 million for `cifar_cnn`, so the A2's figure says nothing about them), and their",
    "  perf/W x GPU column stays empty; the MAC/s/W x GPU column sets their multiply-accumulates a second per",
    "  watt against the A2's on ResNet-50 instead. No published GPU figure for the jet-tagging MLP was found.",
    "- **GPU for FACILE**: the FaaST paper (Rankin et al., arXiv 2010.08556) reports for this small dense network",
    "  about ten times the throughput of GPUs as a service (its abstract); its figures are in plots, not read here,",
    "  so no perf/W ratio is given for FACILE either.",
    "- **Other published FPGA accelerators on these cards**: besides FACILE and FINN's ResNet-50 above, none with a",
    "  figure I could read was found in the time. Looked at: hls4ml pull request #991 (the VitisAccelerator",
    "  backend tried on U55C and U250 with the jet-tagging model: timing violations reported, no throughput);",
    "  Xilinx/finn-examples (CNV on an Alveo U250, no throughput in its README); the FINN paper (Umuroglu et al.,",
    "  arXiv 1612.07119: CNV on CIFAR-10 at 21,906 images/s, 283 us, on a ZC706 -- an embedded board, not a cloud",
    "  card, and a binarized network, so not compared).",
    "- On this shared machine two runs of this script minutes apart gave 9,020 and 21,664 inferences/s for",
    "  `cifar_cnn` on one thread: read the CPU rows, and the speed-ups over them, as good to a factor of ~2.",
    "- TensorFlow's time for the jet MLP is mostly its per-call overhead: in tests/tf/test_cloud_compare_cpu.py a",
    "  batch of 1 and a batch of 64 both took about 0.26 ms on one thread here.",
    "- The CPU rows are TensorFlow's `tf.function` (a graph, no XLA) on float32; the FPGA rows are fixed point.",
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--batch", type=int, default=256)
    parser.add_argument("--write", action="store_true")
    args = parser.parse_args()
    results = {name: measure(name, args.batch, args.runs) for name in MODELS}
    text = markdown(results, args.batch, args.runs, resnet50_on_u250(), facile_against_published())
    print(text)
    if args.write:
        OUT.write_text(text)
        print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
