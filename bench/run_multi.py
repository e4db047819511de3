"""Multi-FPGA benchmark (issue 16): a ResNet-like CNN whose throughput-optimal design does not fit one
VU9P, split over 1, 2 and 4 of them and pipelined.

    .venv/bin/python bench/run_multi.py [--widths 12 16] [--blocks 3] [--write]

The model (``resnet_like`` below): 16x16x3 input, a 3x3 stem convolution, --blocks residual blocks of
two 3x3 convolutions with an identity skip (add, ReLU), 2x2 max pooling and a dense layer of 10; all
convolutions of one of --widths channels (one model each), random weights (the structure sets the figures). Compiled for the
xcvu9p at 200 MHz in hls4ml's io_parallel architecture with reuse 1 (every multiply its own
operator: the design with the shortest interval fpgalab's architectures give for it), ap_fixed<16,6>.

For 1 device: the design's own report (it does not fit). For 2 and 4 devices and each link of
``fpgalab.multi.links.json``: ``design.partition`` (the exact split minimising the pipeline interval,
every stage at most 100% of its VU9P), its stages, per-device utilisation, cut traffic, throughput,
latency and binding stage, and ``partition.simulate(frames=64)``, the event simulation of the
pipeline, against the analytic figures. All figures are fpgalab's estimates; nothing was built.
--write writes bench/MULTI.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import numpy as np  # noqa: E402

import fpgalab  # noqa: E402
from fpgalab.multi import list_links  # noqa: E402

OUT = ROOT / "bench" / "MULTI.md"
DEVICE = "xcvu9p"
CLOCK_MHZ = 200
PRECISION = "ap_fixed<16,6>"


def resnet_like(width: int, blocks: int, size: int = 16, seed: int = 0):
    keras.utils.set_random_seed(seed)
    layers = keras.layers
    x = inputs = keras.Input((size, size, 3), name="image")
    x = layers.Conv2D(width, 3, padding="same", activation="relu", name="stem")(x)
    for b in range(blocks):
        y = layers.Conv2D(width, 3, padding="same", activation="relu", name=f"b{b}_conv1")(x)
        y = layers.Conv2D(width, 3, padding="same", name=f"b{b}_conv2")(y)
        x = layers.ReLU(name=f"b{b}_relu")(layers.Add(name=f"b{b}_add")([x, y]))
    x = layers.MaxPooling2D(2, name="pool")(x)
    x = layers.Flatten(name="flatten")(x)
    return keras.Model(inputs, layers.Dense(10, name="fc")(x), name="resnet_like")


def _util(u) -> str:
    return f"LUT {100 * u.lut:.0f}% FF {100 * u.ff:.0f}% DSP {100 * u.dsp:.0f}% BRAM {100 * u.bram:.0f}%"


def main(argv=None) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--widths", type=int, nargs="+", default=[12, 16])
    parser.add_argument("--blocks", type=int, default=3)
    parser.add_argument("--write", action="store_true")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    widths = " ".join(str(w) for w in args.widths)
    lines = [
        "# A network split across several FPGAs (issue 16)",
        "",
        f"Written by `bench/run_multi.py --widths {widths} --blocks {args.blocks} --write`. Every figure is an "
        "**estimate** of fpgalab's models (schedule, resource estimate, links from `fpgalab/multi/links.json` with "
        "their sources); nothing was synthesised or run on a card.",
        "",
        f"- machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}, keras {keras.__version__}; compiling, partitioning and simulating took "
        "{elapsed:.1f} s (after importing TensorFlow)",
        f"- models: ResNet-like CNNs, 16x16x3 input, stem conv3x3(W), {args.blocks} residual blocks "
        "(conv3x3(W)-ReLU-conv3x3(W), identity skip, add, ReLU), maxpool 2x2, dense(10); random weights; "
        f"W = {', '.join(str(w) for w in args.widths)}",
        f"- designs: {PRECISION}, io='parallel' (hls4ml's latency strategy), reuse 1: every multiply its own "
        f"operator, the shortest interval fpgalab's architectures give; {DEVICE} at {CLOCK_MHZ} MHz",
        "- method: `design.partition(devices=['xcvu9p'] * N, link=...)` finds the contiguous split with the "
        "smallest pipeline interval (stage intervals and link transfers, a dynamic program, exact) with every "
        "stage at most 100% of each resource of its VU9P, the least latency among those; "
        "`partition.simulate(frames=64)` runs the pipeline as events (double buffers at each cut) and measures "
        "the steady-state interval over the last 32 frames. sim / analytic below is the simulated steady-state "
        "interval over the analytic one.",
        "",
    ]
    details = []
    for width in args.widths:
        section, split_text = _model(width, args.blocks)
        lines += section
        details += split_text
    lines += [
        "## The splits",
        "",
        *details,
        "## Links",
        "",
        "| link | hops (GB/s, us per transfer) | at most devices |",
        "|---|---|---|",
        *(
            f"| {link.name} | {'; '.join(f'{h.name} {h.gbytes_per_s:g} GB/s, {h.latency_us:g} us' for h in link.hops)} "
            f"| {link.max_devices} |"
            for link in list_links()
        ),
        "",
        "Sources of every figure: `fpgalab/multi/links.json`. The per-transfer latency of the PCIe links "
        "(5.3 us, from small-transfer DMA measurements) dominates a cut of a few kB; the 100G QSFP28 link "
        "has almost none, so there the stages bind. PCIe through the host is two DMA hops with host memory "
        "between them: they overlap from frame to frame, so the link sustains one frame per slower hop while a "
        "frame's latency counts both. A split must give every device at least one layer, so "
        "on a PCIe link more devices mean more slow cuts.",
        "",
    ]
    text = "\n".join(lines).replace("{elapsed:.1f}", f"{time.perf_counter() - started:.1f}")
    print(text)
    if args.write:
        OUT.write_text(text)


def _model(width: int, blocks: int) -> tuple[list[str], list[str]]:
    model = resnet_like(width, blocks)
    design = fpgalab.compile(
        model,
        np.zeros((1, 16, 16, 3), np.float32),
        io="parallel",
        reuse=1,
        precision=PRECISION,
        device=DEVICE,
        clock_mhz=CLOCK_MHZ,
    )
    report = design.report()
    lines = [
        f"## W = {width}: {len(design.schedule.layers)} layers in the schedule",
        "",
        f"**1 device**: {report.throughput:,.0f} frames/s (interval {report.interval} cycles = "
        f"{report.interval / CLOCK_MHZ:.2f} us), latency {report.latency_us:.2f} us; utilisation of one "
        f"{DEVICE}: {_util(report.utilization)} -> **{'fits' if report.fits else 'does not fit'}**.",
        "",
    ]
    try:
        design.partition([DEVICE])
    except ValueError as error:
        lines += [f"`design.partition(['{DEVICE}'])` says: {error}", ""]
    lines += [
        "| devices | link | frames/s | interval us | latency us | binds | simulated frames/s | sim / analytic | "
        "simulated latency us | per-device utilisation (max resource) |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    details = []
    for count in (2, 3, 4):
        for link in list_links():
            try:
                split = design.partition([DEVICE] * count, link=link.name)
            except ValueError as error:
                lines.append(f"| {count} | {link.name} | - | - | - | {error} | - | - | - | - |")
                continue
            timing = split.simulate(frames=64)
            per_device = "; ".join(
                f"{s.index}: {100 * s.utilization.max:.0f}% {s.utilization.limiting.upper()}" for s in split.stages
            )
            lines.append(
                f"| {count} | {link.name} | {split.throughput:,.0f} | {split.interval_s * 1e6:.3f} | "
                f"{split.latency_s * 1e6:.3f} | {split.binding} | {timing.throughput:,.0f} | "
                f"{timing.interval_s / split.interval_s:.4f} | {timing.latency_s * 1e6:.3f} | {per_device} |"
            )
            details += [f"### W = {width}, {count} devices, {link.name}", "", "```", str(split.report()), "```", ""]
    lines.append("")
    return lines, details


if __name__ == "__main__":
    main()
