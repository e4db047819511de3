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
    assert result.dsp >= 1 and result.bram >= 1 and result.lut > 0 and result.ff > 0
    assert "synth_xilinx" in result.command and not result.cached
    # beside it, the estimate of the same RTL (flow "yosys", whatever the design's own flow): equal DSP and
    # BRAM, LUT and FF within the 40% that bench/FIDELITY.md holds every row to
    estimate = result.estimate
    assert (estimate["dsp"], estimate["bram"]) == (result.dsp, result.bram) == (2, 9)
    assert abs(estimate["lut"] - result.lut) <= 0.4 * result.lut and abs(estimate["ff"] - result.ff) <= 0.4 * result.ff
    assert design.resources.total.bram == 11  # flow "hls" (the default): the exp and 1/x tables in block RAM
    again = design.synthesize()
    assert again.cached and again.lut == result.lut and again.estimate == estimate


def test_count_cells_counts_as_the_vendors_do():
    from fpgalab.verify.yosys import count_cells

    xilinx = {
        "LUT2": 10,
        "LUT6": 3,
        "INV": 2,
        "CARRY8": 3,
        "MUXF7": 4,
        "MUXF8": 1,
        "FDRE": 5,
        "FDSE": 1,
        "RAM32M16": 2,
        "RAMB36E2": 1,
        "RAMB18E2": 1,
        "DSP48E2": 1,
        "BUFG": 1,
    }
    # INV is a LUT1; a RAM32M16 occupies 8 LUTs; carry and wide-mux cells are not LUTs; a RAMB36 is 2 RAMB18
    assert count_cells(xilinx) == {"lut": 10 + 3 + 2 + 16, "ff": 6, "dsp": 1, "bram": 3.0, "uram": 0}
    ecp5 = {
        "LUT4": 10,
        "CCU2C": 3,
        "PFUMX": 4,
        "L6MUX21": 1,
        "TRELLIS_FF": 5,
        "TRELLIS_DPR16X4": 2,
        "DP16KD": 2,
        "PDPW16KD": 1,
        "MULT18X18D": 1,
    }
    # a CCU2C is 2 LUT4, a DPR16X4 4; LUT4 counted once; PDPW16KD is a block RAM like DP16KD
    assert count_cells(ecp5) == {"lut": 10 + 6 + 8, "ff": 5, "dsp": 1, "bram": 3.0, "uram": 0}


def test_yosys_ecp5(monkeypatch, tmp_path):
    monkeypatch.setenv("FPGALAB_CACHE", str(tmp_path))
    result = _synthesize(case("vecmul_8").design(dataflow=False, device="lfe5u-85f"))
    assert "synth_ecp5" in result.command and result.lut > 0
    assert result.lut >= result.cells["LUT4"] + 2 * result.cells.get("CCU2C", 0)  # carry cells counted as LUT4s
    assert (result.estimate["dsp"], result.estimate["bram"]) == (result.dsp, result.bram) == (1, 0)
