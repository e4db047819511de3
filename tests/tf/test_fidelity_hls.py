"""io="parallel" against two published hls4ml reports whose weights are in the repository
(bench/hls_reports: Hector-Plata/hls4ml-tutorial, hls4ml 0.7.1, Vivado HLS 2019.2, xcu250)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "bench"))

pytestmark = pytest.mark.tf


@pytest.mark.parametrize("record", ["hp-run1-p1-rf1", "hp-run1-p3-pruned75", "hp-run1-p4-qkeras6-pruned"])
def test_estimate_is_close_to_the_published_report(record):
    import fidelity_hls  # noqa: PLC0415 - the bench's own design table

    row = next(r for r in fidelity_hls.DESIGNS if r.id == record)
    published = {r["id"]: r for r in json.loads((ROOT / "bench/hls_reports/published.json").read_text())}[record]
    estimate = fidelity_hls.estimate(row)
    assert estimate["interval"] == published["interval_min"]
    assert abs(estimate["latency"] - published["latency_min"]) <= 3
    assert published["dsp"] * 0.95 - 2 <= estimate["dsp"] <= published["dsp"] * 1.3 + 2
    assert 0.67 <= estimate["lut"] / published["lut"] <= 1.5
    assert estimate["bram"] == published["bram_18k"]


def test_io_stream_timing_of_the_svhn_cnn():
    """hls4ml's SVHN CNN in io_stream (tutorial part 6, Vivado HLS 2020.1): 1044 cycles, interval 1028."""
    import fidelity_hls  # noqa: PLC0415
    import numpy as np  # noqa: PLC0415

    import fpgalab  # noqa: PLC0415

    design = fpgalab.compile(
        fidelity_hls.svhn_cnn(),
        np.zeros((1, 32, 32, 3), np.float32),
        io="stream",
        precision=fidelity_hls.HLS4ML_16_6,
        device="xcu250",
        clock_uncertainty=0.125,
    )
    report = design.report()
    assert abs(report.cycles - 1044) <= 0.1 * 1044 and abs(report.interval - 1028) <= 10
