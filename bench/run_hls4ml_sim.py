"""Bit-accurate simulation at hls4ml's own precision, against hls4ml's compiled C simulation (issue 12, item 4).

    .venv/bin/python bench/run_hls4ml_sim.py [--runs 5] [--write]

hls4ml is the peer, not a dependency: the first run installs it (with --no-deps, its light
dependencies beside it) into .cache/bench-hls4ml and only this script puts that folder on
sys.path. The model is the 16-64-32-32-5 jet-tagging MLP of ``examples.models`` without its
final softmax (hls4ml's softmax tables are not fpgalab's, so the bits compared are the logits).
hls4ml: ``config_from_keras_model(granularity="model")`` at ap_fixed<16,6> (weights, biases,
results and accumulators all of that type), Vivado backend, io_parallel, ``compile()`` (its g++
build, timed apart) then ``predict``. fpgalab: ``precision={"default": "ap_fixed<16,6>",
"accum": "ap_fixed<16,6>"}``, ``simulate``. Each figure is the median of --runs timed runs after
one untimed warm-up, wall-clock from time.perf_counter, in one process. --write replaces the
section of bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
PEER = ROOT / ".cache" / "bench-hls4ml"
PEER_PACKAGES = ("hls4ml==1.3.0", "pydigitalwavetools==1.1", "quantizers")
sys.path.insert(0, str(ROOT))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import fpgalab  # noqa: E402
from bench.results import median_time, write_section  # noqa: E402
from examples import models  # noqa: E402

SECTION = "## hls4ml's precision: fpgalab's simulator against hls4ml's C simulation"
HLS4ML_PRECISION = {"default": "ap_fixed<16,6>", "accum": "ap_fixed<16,6>"}


def peer_hls4ml():
    """hls4ml from .cache/bench-hls4ml, installed there on first use."""
    if not (PEER / "hls4ml").exists():
        subprocess.run(
            [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", str(PEER), *PEER_PACKAGES],
            check=True,
        )
    sys.path.insert(0, str(PEER))
    import hls4ml  # noqa: PLC0415

    return hls4ml


def logits_model():
    import keras  # noqa: PLC0415

    full = models.jet_mlp().fn
    return keras.Sequential([keras.Input((16,)), *full.layers[:-1]], name="jet_mlp_logits")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--write", action="store_true")
    args = parser.parse_args()
    hls4ml = peer_hls4ml()
    model = logits_model()
    x = np.random.default_rng(0).normal(size=(10_000, 16)).astype(np.float32)

    config = hls4ml.utils.config_from_keras_model(model, granularity="model", default_precision="ap_fixed<16,6>")
    with tempfile.TemporaryDirectory() as folder:
        peer = hls4ml.converters.convert_from_keras_model(
            model, hls_config=config, output_dir=folder, backend="Vivado", io_type="io_parallel"
        )
        start = time.perf_counter()
        peer.compile()
        build = time.perf_counter() - start
        peer_out = np.asarray(peer.predict(x), dtype=np.float64)
        peer_seconds = median_time(lambda: peer.predict(x), args.runs)

    design = fpgalab.compile(model, x[:1], precision=HLS4ML_PRECISION)
    ours = design.simulate(x)
    ours_seconds = median_time(lambda: design.simulate(x), args.runs)
    mismatches = int(np.count_nonzero(ours != peer_out))

    lenet = models.get("lenet5")
    lenet_design = fpgalab.compile(lenet.fn, *lenet.args, precision=HLS4ML_PRECISION)
    x_lenet = np.random.default_rng(1).uniform(0, 1, (10_000, 28, 28, 1)).astype(np.float32)
    start = time.perf_counter()
    lenet_design.simulate(x_lenet)  # the first call compiles the design's LLVM module (engine "auto")
    lenet_first = time.perf_counter() - start
    lenet_seconds = median_time(lambda: lenet_design.simulate(x_lenet), args.runs)
    lenet_numpy = median_time(lambda: lenet_design.simulate(x_lenet[:1000], engine="numpy"), max(1, args.runs // 2))
    lenet_same = np.array_equal(
        lenet_design.simulate(x_lenet[:2000], engine="llvm"), lenet_design.simulate(x_lenet[:2000], engine="numpy")
    )

    lines = [
        SECTION,
        "",
        f"Machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}, NumPy {np.__version__}, hls4ml {hls4ml.__version__}. Method: "
        f"`bench/run_hls4ml_sim.py --runs {args.runs}` (see its docstring): median wall-clock of the runs after "
        "a warm-up, one process; every type ap_fixed<16,6>, accumulators included, as hls4ml configures a model.",
        "",
        "| what | median | target |",
        "| --- | --- | --- |",
        f"| hls4ml `predict`, 10,000 samples, jet MLP logits (after a {build:.1f} s `compile()`) "
        f"| {peer_seconds:.3f} s | |",
        f"| fpgalab `simulate`, the same samples at the same precision | {ours_seconds:.3f} s "
        f"| ≤ {peer_seconds / 10:.3f} s (10x faster) |",
        f"| fpgalab `simulate`, 10,000 samples, LeNet-5 at hls4ml's precision | {lenet_seconds:.3f} s | ≤ 1 s |",
        f"| the same, first call (compiles the LLVM module: engine `auto`) | {lenet_first:.3f} s | |",
        f'| the same with `engine="numpy"`, per 10,000 samples (timed on 1,000) | {lenet_numpy * 10:.3f} s | |',
        "",
        "LeNet-5 runs on the JIT-compiled LLVM module (`fpgalab/engines.py`), 16 samples per vector; on "
        f"2,000 samples its outputs {'equal' if lenet_same else 'DIFFER FROM'} the NumPy simulator's bit for bit. "
        "The jet MLP's batch is below the JIT's threshold and runs on the NumPy simulator.",
        "",
        f"Speed-up over hls4ml's C simulation: {peer_seconds / ours_seconds:.1f}x. Outputs: "
        + (
            "fpgalab equals hls4ml bit for bit on all 50,000 logits."
            if mismatches == 0
            else f"{mismatches} of {ours.size} logits differ from hls4ml's."
        ),
    ]
    table = "\n".join(lines) + "\n"
    print(table)
    if args.write:
        write_section(SECTION, table)


if __name__ == "__main__":
    main()
