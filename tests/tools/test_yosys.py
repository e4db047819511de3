"""Yosys synthesis of the generated Verilog: cells counted as LUT/FF/DSP/BRAM, cached by content."""

from __future__ import annotations

import pytest

from conftest import case
from fpgalab.verify.tools import ToolMissing

pytestmark = [pytest.mark.tools, pytest.mark.slow]


def _synthesize(design):
    from fpgalab.verify.yosys import find_yosys, run_yosys

    try:
        find_yosys()
    except ToolMissing as missing:
        pytest.skip(str(missing))
    return run_yosys(design)


def test_yosys_counts_dsp_and_bram(monkeypatch, tmp_path):
    monkeypatch.setenv("FPGALAB_CACHE", str(tmp_path))
    design = case("mnist_softmax").design(dataflow=False)
    result = _synthesize(design)
    assert result.dsp >= 1 and result.bram >= 1 and result.lut > 0 and result.ff > 0  # vs the estimate: FIDELITY.md
    assert "synth_xilinx" in result.command and not result.cached
    again = design.synthesize()
    assert again.cached and again.lut == result.lut


def test_yosys_ecp5(monkeypatch, tmp_path):
    monkeypatch.setenv("FPGALAB_CACHE", str(tmp_path))
    result = _synthesize(case("vecmul_8").design(dataflow=False, device="lfe5u-85f"))
    assert "synth_ecp5" in result.command and result.lut > 0
