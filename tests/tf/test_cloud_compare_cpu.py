"""deployment.compare(): the Keras model timed in TensorFlow on this CPU (one thread and all threads,
in their own processes) next to the FPGA estimate and the published GPU rows."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import case

from examples import models
from fpgalab.cloud import deploy
from fpgalab.cloud.compare import measure_cpu

F1 = dict(precision="ap_fixed<16,6>", device="xcvu9p", clock_mhz=250)


@pytest.fixture(scope="module")
def comparison():
    deployment = deploy(case("jet_mlp").design(**F1), "aws-f1", batch=64)
    model = models.jet_mlp().fn
    x = np.random.default_rng(0).standard_normal((16, 16)).astype(np.float32)
    return deployment, deployment.compare(model, x=x, batches=(1, 64), runs=3, published="all")


def test_compare_measures_the_cpu_at_each_thread_setting_and_batch(comparison):
    deployment, result = comparison
    measured = result.by_kind("measured")
    assert {(row.threads, row.batch) for row in measured} == {("1", 1), ("1", 64), ("all", 1), ("all", 64)}
    for row in measured:
        assert row.throughput > 0 and row.batch_seconds > 0
        assert row.throughput == pytest.approx(row.batch / row.batch_seconds)
        assert "TensorFlow" in row.device and row.watts is None
    assert "1 thread" in result.cpu("1").device and "all threads" in result.cpu("all").device
    # TensorFlow's per-call overhead dominates this small MLP: a batch of 64 gives far more inferences per second
    assert result.cpu("1", 64).throughput > 4 * result.cpu("1", 1).throughput
    assert result.speedup("1") == pytest.approx(deployment.throughput / result.cpu("1", 64).throughput)


def test_compare_rows_are_labelled(comparison):
    deployment, result = comparison
    fpga = result.by_kind("estimated")
    assert len(fpga) == 1 and fpga[0].throughput == deployment.throughput and fpga[0].batch == 64
    published = result.by_kind("published")
    assert published and all(row.source and row.device.startswith("GPU ") for row in published)
    table = result.table()
    for word in ("estimated", "measured", "published", "sources:", "not run here"):
        assert word in table, word


def test_one_thread_process_runs_tensorflow_on_one_thread(tmp_path):
    """The timing process sets TensorFlow's pools before it initializes: one intra-op and one inter-op thread."""
    path = tmp_path / "jet.keras"
    models.jet_mlp().fn.save(path)
    one = measure_cpu(path, "1", (8,), runs=1)
    assert (one["intra_op_threads"], one["inter_op_threads"], one["threads"]) == (1, 1, 1)
    every = measure_cpu(path, "all", (8,), runs=1)
    assert (every["intra_op_threads"], every["inter_op_threads"]) == (0, 0)  # TensorFlow's default: every core
    assert one["seconds"]["8"] > 0 and every["seconds"]["8"] > 0
