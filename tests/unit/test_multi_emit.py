"""partition.emit("hls"): an io_stream design's per-device projects build with g++ and pass their
stream-port testbenches, chained from the whole design's test inputs to its outputs."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from conftest import case

import fpgalab  # noqa: F401  (attaches Design.partition)
from fpgalab.backends.stimulus import expected_outputs
from fpgalab.backends.stimulus import test_inputs as stimulus
from fpgalab.multi.emit import chained_inputs

AP_TYPES = Path(__file__).resolve().parents[2] / ".cache" / "ap_types"


def test_stream_design_split_over_two_devices_builds_and_chains(tmp_path):
    if shutil.which("g++") is None or not (AP_TYPES / "ap_fixed.h").exists():
        pytest.skip("g++ or the ap_types headers (make setup) are missing")
    design = case("lenet5").design(io="stream", reuse=16, strategy="resource")
    split = design.partition(["xcvu9p", "xcu250"], link="pcie-host", max_utilization=0.4)
    folder = split.emit("hls", tmp_path / "split")
    manifest = json.loads((folder / "partition.json").read_text())
    assert manifest["projects"] == ["device0_xcvu9p", "device1_xcu250"]
    assert manifest["cuts"][0]["bytes"] == split.cuts[0].nbytes
    assert "xcu250" in (folder / "device1_xcu250" / "run_hls.tcl").read_text()
    for name in manifest["projects"]:
        run = subprocess.run(
            ["make", "-s", "-C", str(folder / name), "csim_stream", f"AP_TYPES={AP_TYPES}"],
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert run.returncode == 0 and "PASS" in run.stdout, run.stdout[-2000:] + run.stderr[-2000:]
    x = stimulus(design)
    last = expected_outputs(split.stage_designs()[-1], chained_inputs(split)[-1])[0]
    assert np.array_equal(last, expected_outputs(design, x)[0])
