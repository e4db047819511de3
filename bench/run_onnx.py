"""ONNX benchmark (issue 13): warm compile time of LeNet-5 from an ONNX graph.

    .venv/bin/python bench/run_onnx.py [--runs 7] [--write]

The graph is the Keras LeNet-5 of examples/models.py written as the channels-first ONNX graph a
PyTorch export gives (Conv, Relu, MaxPool, Flatten, Gemm, Softmax; built with onnx.helper from the
Keras weights, conv kernels to OIHW and the first dense layer's rows to channel-major order). Before
timing, its float32 design is checked against the Keras model. The figure is the median of --runs
timed ``fpgalab.compile(model_proto)`` calls (read, check, infer shapes, lower, passes; the schedule
and estimates are lazy) in one warm process after one untimed warm-up, wall-clock time from
time.perf_counter; a second row adds ``design.report()``, which schedules and estimates. --write replaces the
"ONNX" section of bench/RESULTS.md.
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

import onnx  # noqa: E402
from onnx import TensorProto, helper, numpy_helper  # noqa: E402

import fpgalab  # noqa: E402
from bench.results import median_time, write_section  # noqa: E402
from examples import models  # noqa: E402

SECTION = "## ONNX: compile from an ONNX graph"
TARGET_SECONDS = 0.5


def lenet5_onnx(keras_model) -> onnx.ModelProto:
    """The Keras LeNet-5 (28x28x1, channels last) as a channels-first ONNX graph with the same weights."""
    (k1, b1), (k2, b2) = (keras_model.get_layer(n).get_weights() for n in ("conv1", "conv2"))
    (w1, c1), (w2, c2), (w3, c3) = (keras_model.get_layer(n).get_weights() for n in ("fc1", "fc2", "fc3"))
    # Keras flattens (h, w, c); the ONNX graph flattens (c, h, w): reorder fc1's input rows to match
    channels, height, width = 16, 4, 4
    w1 = w1.reshape(height, width, channels, -1).transpose(2, 0, 1, 3).reshape(channels * height * width, -1)
    weights = {
        "conv1.weight": np.transpose(k1, (3, 2, 0, 1)),
        "conv1.bias": b1,
        "conv2.weight": np.transpose(k2, (3, 2, 0, 1)),
        "conv2.bias": b2,
        "fc1.weight": w1,
        "fc1.bias": c1,
        "fc2.weight": w2,
        "fc2.bias": c2,
        "fc3.weight": w3,
        "fc3.bias": c3,
    }
    node = helper.make_node
    nodes = [
        node("Conv", ["image", "conv1.weight", "conv1.bias"], ["c1"], name="conv1", kernel_shape=[5, 5]),
        node("Relu", ["c1"], ["r1"], name="relu1"),
        node("MaxPool", ["r1"], ["p1"], name="pool1", kernel_shape=[2, 2], strides=[2, 2]),
        node("Conv", ["p1", "conv2.weight", "conv2.bias"], ["c2"], name="conv2", kernel_shape=[5, 5]),
        node("Relu", ["c2"], ["r2"], name="relu2"),
        node("MaxPool", ["r2"], ["p2"], name="pool2", kernel_shape=[2, 2], strides=[2, 2]),
        node("Flatten", ["p2"], ["f"], name="flatten"),
        node("Gemm", ["f", "fc1.weight", "fc1.bias"], ["g1"], name="fc1"),
        node("Relu", ["g1"], ["h1"], name="relu3"),
        node("Gemm", ["h1", "fc2.weight", "fc2.bias"], ["g2"], name="fc2"),
        node("Relu", ["g2"], ["h2"], name="relu4"),
        node("Gemm", ["h2", "fc3.weight", "fc3.bias"], ["g3"], name="fc3"),
        node("Softmax", ["g3"], ["probabilities"], name="softmax"),
    ]
    graph = helper.make_graph(
        nodes,
        "lenet5_onnx",
        [helper.make_tensor_value_info("image", TensorProto.FLOAT, ["N", 1, 28, 28])],
        [helper.make_tensor_value_info("probabilities", TensorProto.FLOAT, ["N", 10])],
        [numpy_helper.from_array(np.ascontiguousarray(a, np.float32), n) for n, a in weights.items()],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model


def check_against_keras(model: onnx.ModelProto, keras_model) -> float:
    """Relative error of the ONNX graph's float32 design against the Keras model on a few images."""
    design = fpgalab.compile(model, precision="float32")
    x = np.random.default_rng(0).uniform(0, 1, (4, 28, 28, 1)).astype(np.float32)
    got = np.asarray(design.simulate(np.transpose(x, (0, 3, 1, 2))), np.float64).reshape(4, 10)
    want = np.asarray(keras_model(x, training=False), np.float64)
    error = float(np.max(np.abs(got - want)) / np.max(np.abs(want)))
    if error > 1e-5:
        raise SystemExit(f"the ONNX LeNet-5 differs from the Keras model: relative error {error:.2e}")
    return error


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--write", action="store_true")
    args = parser.parse_args()
    if args.runs < 5:
        parser.error("--runs: at least 5 timed runs")
    keras_model = models.get("lenet5").fn
    model = lenet5_onnx(keras_model)
    error = check_against_keras(model, keras_model)
    median = median_time(lambda: fpgalab.compile(model, precision="ap_fixed<16,6>"), args.runs)
    with_report = median_time(lambda: fpgalab.compile(model, precision="ap_fixed<16,6>").report(), args.runs)
    lines = [
        SECTION,
        "",
        f"Machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}, NumPy {np.__version__}, onnx {onnx.__version__}. Method: "
        f"`bench/run_onnx.py --runs {args.runs}`: median wall-clock time of the runs in one warm process "
        "(one untimed warm-up compile first). The graph is examples/models.py's Keras LeNet-5 written as a "
        "channels-first ONNX graph (opset 13) with onnx.helper; its float32 design equals the Keras model "
        f"(relative error {error:.1e}).",
        "",
        "| what | median | target |",
        "| --- | --- | --- |",
        f"| LeNet-5 compile from ONNX (read + check + shape inference + lower + passes), ap_fixed<16,6> "
        f"| {median:.3f} s | ≤ {TARGET_SECONDS:g} s |",
        "| the same, then `design.report()` (schedule, cycle timing, resources: what `%%fpga` shows; "
        "the scheduler's caches warm from the warm-up) "
        f"| {with_report:.3f} s | |",
    ]
    table = "\n".join(lines) + "\n"
    print(table)
    if args.write:
        write_section(SECTION, table)


if __name__ == "__main__":
    main()
