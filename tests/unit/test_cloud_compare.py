"""Deployment wiring without TensorFlow: emit's and compare's errors, the published GPU figures."""

from __future__ import annotations

import json

import pytest
from conftest import case

from fpgalab.cloud import deploy
from fpgalab.cloud.compare import PUBLISHED_GPU, published_gpu_rows

F1 = dict(precision="ap_fixed<16,6>", device="xcvu9p", clock_mhz=250)


@pytest.fixture(scope="module")
def deployment():
    return deploy(case("jet_mlp").design(**F1), "aws-f1", batch=64)


def test_emit_names_the_kinds_it_writes(deployment, tmp_path):
    with pytest.raises(ValueError, match="emits 'vitis'"):
        deployment.emit("hls", tmp_path / "out")


def test_emit_refuses_kernel_conversion(tmp_path):
    kernel_side = deploy(case("jet_mlp").design(**F1), "aws-f1", batch=8, convert="kernel")
    with pytest.raises(ValueError, match="convert='host'"):
        kernel_side.emit("vitis", tmp_path / "out")


def test_compare_needs_the_keras_model(deployment):
    with pytest.raises(ValueError, match="pass the Keras model jet_mlp"):
        deployment.compare()


@pytest.mark.parametrize(
    "options, message",
    [
        ({"threads": ("one",)}, "threads are 'all' or a positive count"),
        ({"threads": ()}, "at least one thread setting"),
        ({"batches": (0,)}, "batches must be positive integers"),
        ({"runs": 0}, "runs must be a positive integer"),
        ({}, "give a Keras model or an existing .keras file"),
    ],
)
def test_compare_bad_options_are_named(deployment, tmp_path, options, message):
    with pytest.raises(ValueError, match=message):
        deployment.compare(model=tmp_path / "missing.keras", **options)


def test_published_gpu_figures_are_labelled_and_sourced():
    entries = json.loads(PUBLISHED_GPU.read_text())["figures"]
    rows = published_gpu_rows()
    assert len(rows) == len(entries) > 0
    for row in rows:
        assert row.kind == "published"
        assert row.device.startswith("GPU ")
        assert "http" in row.source
        assert row.perf_per_watt is not None or row.throughput is not None
    assert published_gpu_rows("no such model") == ()
