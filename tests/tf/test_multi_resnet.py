"""A residual network split over several FPGAs: the skip connection crosses the cuts (forwarded
through a device that does not read it), and the per-device HLS projects, compiled with g++ and
chained, give the whole design's simulator outputs bit for bit."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import keras
import numpy as np
import pytest

import fpgalab
from fpgalab.backends.stimulus import expected_outputs
from fpgalab.multi.emit import chained_inputs
from fpgalab.multi.slicing import FORWARD_SUFFIX

pytestmark = pytest.mark.tf

AP_TYPES = Path(__file__).resolve().parents[2] / ".cache" / "ap_types"


def residual_model(width=4, size=8):
    keras.utils.set_random_seed(7)
    x = inputs = keras.Input((size, size, 3))
    x = keras.layers.Conv2D(width, 3, padding="same", activation="relu", name="stem")(x)
    y = keras.layers.Conv2D(width, 3, padding="same", activation="relu", name="b0_conv1")(x)
    y = keras.layers.Conv2D(width, 3, padding="same", name="b0_conv2")(y)
    x = keras.layers.ReLU(name="b0_relu")(keras.layers.Add(name="b0_add")([x, y]))
    x = keras.layers.Flatten(name="flat")(x)
    return keras.Model(inputs, keras.layers.Dense(5, name="fc")(x))


@pytest.fixture(scope="module")
def design():
    example = np.zeros((1, 8, 8, 3), np.float32)
    # io_parallel: fpgalab's io_stream C++ does not yet write a residual add fused into a convolution
    return fpgalab.compile(residual_model(), example, io="parallel", reuse=1, precision="ap_fixed<16,6>")


def test_the_skip_connection_crosses_the_cuts(design):
    n = len(design.schedule.layers)
    split = design.partition(["xcvu9p"] * n, link="qsfp28-100g")
    crossing = [{t.name for t in cut.tensors} for cut in split.cuts]
    assert any(len(names) == 2 for names in crossing), crossing  # the block's input rides beside its branch
    timing = split.simulate(frames=32)
    assert timing.interval_s == pytest.approx(split.interval_s, rel=0.02)
    assert timing.latency_s == pytest.approx(split.latency_s, rel=0.02)


def test_stages_chained_equal_the_whole_design(design):
    n = len(design.schedule.layers)
    x = np.random.default_rng(0).standard_normal((3, 1, 8, 8, 3)).astype(np.float32)
    for count in range(2, n + 1):
        split = design.partition(["xcvu9p"] * count, link="pcie-host")
        stages = split.stage_designs()
        chain = chained_inputs(split, [x])
        last = expected_outputs(stages[-1], chain[-1])[0]
        whole = design.simulate(x)
        assert np.array_equal(last.reshape(whole.shape), whole), count


def test_per_device_projects_compile_and_chain_bit_exactly(design, tmp_path):
    if shutil.which("g++") is None or not (AP_TYPES / "ap_fixed.h").exists():
        pytest.skip("g++ or the ap_types headers (make setup) are missing")
    n = len(design.schedule.layers)
    split = design.partition(["xcvu9p"] * n, link="qsfp28-100g")
    stages = split.stage_designs()
    assert any(node.name.endswith(f"{FORWARD_SUFFIX}1") for node in stages[1].kernel.nodes)
    x = np.random.default_rng(1).standard_normal((2, 1, 8, 8, 3)).astype(np.float32)
    folder = split.emit("hls", tmp_path / "split", inputs=[x.reshape(2, 1, 8, 8, 3)])
    projects = sorted(p for p in folder.iterdir() if p.is_dir())
    assert [p.name for p in projects] == [f"device{k}_xcvu9p" for k in range(n)]
    for project in projects:
        assert "hls::stream" in (project / "stage_stream.h").read_text()
        assert "_stream" in (project / "run_hls.tcl").read_text()
        run = subprocess.run(
            ["make", "-s", "-C", str(project), "csim_stream", f"AP_TYPES={AP_TYPES}"],
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert run.returncode == 0 and "PASS" in run.stdout, run.stdout[-2000:] + run.stderr[-2000:]
    # the last project's expected outputs (what its g++ build just matched) are the whole design's
    chain = chained_inputs(split, [x])
    assert np.array_equal(expected_outputs(stages[-1], chain[-1])[0].reshape(2, 5), design.simulate(x).reshape(2, 5))
    with pytest.raises(FileExistsError, match="not empty"):
        split.emit("hls", folder)
    assert split.emit("hls", folder, overwrite=True) == folder
    with pytest.raises(ValueError, match="emitted as 'hls'"):
        split.emit("verilog", tmp_path / "v")
