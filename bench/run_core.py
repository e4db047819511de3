"""Core benchmarks (issue 2): compile and bit-accurate simulation speed.

    .venv/bin/python bench/run_core.py [--runs 5] [--write]

Each figure is the median of --runs timed runs in one warm process (TensorFlow imported and one
untimed warm-up run first), wall-clock time from time.perf_counter. --write replaces the
"Core" section of bench/RESULTS.md with the table.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import fpgalab  # noqa: E402
from bench.results import median_time, write_section  # noqa: E402
from examples import models  # noqa: E402

SECTION = "## Core: compile and bit-accurate simulation"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--write", action="store_true")
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    rows = []

    lenet = models.get("lenet5")
    median = median_time(lambda: fpgalab.compile(lenet.fn, *lenet.args), args.runs)
    rows.append(("LeNet-5 compile (capture + HLO decode + lower + passes), ap_fixed<16,6>", median, 0.5))

    jet = models.get("jet_mlp")
    jet_design = fpgalab.compile(jet.fn, *jet.args, precision="ap_fixed<16,6>")
    x_jet = rng.uniform(-1, 1, (10_000, 16)).astype(np.float32)
    median = median_time(lambda: jet_design.simulate(x_jet), args.runs)
    rows.append(("simulate 10,000 samples, 16-64-32-32-5 MLP, ap_fixed<16,6>", median, 0.1))

    lenet_design = fpgalab.compile(lenet.fn, *lenet.args, precision="ap_fixed<16,6>")
    x_lenet = rng.uniform(0, 1, (10_000, 28, 28, 1)).astype(np.float32)
    median = median_time(lambda: lenet_design.simulate(x_lenet), args.runs)
    rows.append(("simulate 10,000 samples, LeNet-5, ap_fixed<16,6>", median, 5.0))

    mobilenet = models.get("mobilenet_v1")
    median = median_time(lambda: fpgalab.compile(mobilenet.fn, *mobilenet.args), max(1, args.runs // 2))
    rows.append(("MobileNetV1 (224x224, alpha 1.0) compile", median, 10.0))

    lines = [
        SECTION,
        "",
        f"Machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}, NumPy {np.__version__}. Method: `bench/run_core.py --runs {args.runs}`: "
        "median wall-clock time of the runs in one warm process (TensorFlow imported, one untimed warm-up run).",
        "",
        "| what | median | target |",
        "| --- | --- | --- |",
    ]
    for what, seconds, target in rows:
        lines.append(f"| {what} | {seconds:.3f} s | ≤ {target:g} s |")
    table = "\n".join(lines) + "\n"
    print(table)
    if args.write:
        write_section(SECTION, table)


if __name__ == "__main__":
    main()
